package cluster

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Remote is one scenario's view of the shared envtest server: a
// client.Client that the harness, the controllers, the simulated cluster
// parts and the providers all use, so every write goes through the real
// API server (strict field validation, the CRDs' schemas, the built-in
// types' validation and defaulting).
//
// The server is shared by the scenarios of a process and has no namespace
// controller, so each Remote maps the scenario's namespaces to its own
// ("default" → "s3-default") and gives cluster-scoped objects a suffix
// ("my-template" → "my-template-s3"; a Namespace object gets the prefix),
// while everything read back carries the manifest's own names.
//
// What no server does here, Remote does, as the fake backend does: it
// reports every successful write to onChange (the harness's event
// handlers; the simulator is the only writer, so no watch is needed),
// collects garbage (envtest runs no kube-controller-manager: a deleted
// owner's dependents are deleted here, background propagation, in sorted
// order), and replaces the server's wall-clock creationTimestamp with the
// virtual time of the create on every object read (Argo orders ReplicaSets
// and pods by it).
type Remote struct {
	srv      *EnvtestServer
	base     client.Client
	prefix   string
	suffix   string
	now      func() time.Time
	onChange func(Change)

	warn       *warnings
	warned     []string
	seen       map[string]bool
	mu         sync.Mutex
	virtual    map[types.UID]metav1.Time
	real       map[types.UID]metav1.Time
	cache      map[remoteKey]client.Object
	namespaces map[string]bool
	scoped     map[reflect.Type]bool
	writes     int
	clientset  kubernetes.Interface
}

type remoteKey struct {
	kind, namespace, name string
}

var _ client.Client = (*Remote)(nil)

// NewCluster gives a scenario its own namespaces on the server. now is the
// virtual time stamped as creation time; onChange hears every successful
// write.
func (s *EnvtestServer) NewCluster(now func() time.Time, onChange func(Change)) (*Remote, error) {
	s.mu.Lock()
	s.next++
	id := s.next
	s.mu.Unlock()
	// A client of its own, to hear the server's warnings about this
	// scenario's writes; the connection pool and the REST mapping are the
	// server's.
	w := &warnings{}
	cfg := rest.CopyConfig(s.cfg)
	cfg.WarningHandlerWithContext = w
	c, err := client.New(cfg, client.Options{Scheme: s.scheme, Mapper: s.base.RESTMapper(), HTTPClient: s.http})
	if err != nil {
		return nil, fmt.Errorf("envtest client: %w", err)
	}
	return &Remote{srv: s, base: client.WithFieldValidation(c, "Strict"), warn: w, prefix: fmt.Sprintf("s%d-", id), suffix: fmt.Sprintf("-s%d", id),
		now: now, onChange: onChange, seen: map[string]bool{},
		virtual: map[types.UID]metav1.Time{}, real: map[types.UID]metav1.Time{},
		cache: map[remoteKey]client.Object{}, namespaces: map[string]bool{}, scoped: map[reflect.Type]bool{}}, nil
}

// Client is the scenario's client (Remote itself).
func (r *Remote) Client() client.Client { return r }

// Clientset is a client-go clientset on the same server. It sees the
// server's own names: a scenario namespace ns is ServerNamespace(ns) there.
func (r *Remote) Clientset() kubernetes.Interface {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.clientset == nil {
		cs, err := kubernetes.NewForConfig(r.srv.cfg)
		if err != nil {
			return nil
		}
		r.clientset = cs
	}
	return r.clientset
}

// Writes is the number of successful writes so far.
func (r *Remote) Writes() int { return r.writes }

// ServerNamespace is the server's name for a scenario namespace.
func (r *Remote) ServerNamespace(ns string) string { return r.prefix + ns }

// Scheme implements client.Client.
func (r *Remote) Scheme() *runtime.Scheme { return r.base.Scheme() }

// RESTMapper implements client.Client.
func (r *Remote) RESTMapper() meta.RESTMapper { return r.base.RESTMapper() }

// GroupVersionKindFor implements client.Client.
func (r *Remote) GroupVersionKindFor(obj runtime.Object) (schema.GroupVersionKind, error) {
	return r.base.GroupVersionKindFor(obj)
}

// IsObjectNamespaced implements client.Client.
func (r *Remote) IsObjectNamespaced(obj runtime.Object) (bool, error) {
	return r.base.IsObjectNamespaced(obj)
}

func (r *Remote) namespaced(obj runtime.Object) (bool, error) {
	if _, ok := obj.(runtime.Unstructured); ok {
		v, err := r.base.IsObjectNamespaced(obj)
		if err != nil {
			return false, fmt.Errorf("scope of %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, err)
		}
		return v, nil
	}
	t := reflect.TypeOf(obj)
	if v, ok := r.scoped[t]; ok {
		return v, nil
	}
	v, err := r.base.IsObjectNamespaced(obj)
	if err != nil {
		return false, fmt.Errorf("scope of %T: %w", obj, err)
	}
	r.scoped[t] = v
	return v, nil
}

func (r *Remote) kindOf(obj runtime.Object) string {
	gvks, _, err := r.Scheme().ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return reflect.TypeOf(obj).Elem().Name()
	}
	return gvks[0].Kind
}

// serverKey maps a scenario key to the server's.
func (r *Remote) serverKey(obj runtime.Object, key client.ObjectKey) (client.ObjectKey, error) {
	ns, err := r.namespaced(obj)
	if err != nil {
		return key, err
	}
	if ns {
		key.Namespace = r.prefix + key.Namespace
		return key, nil
	}
	if _, isNS := obj.(*corev1.Namespace); isNS {
		key.Name = r.prefix + key.Name
	} else {
		key.Name += r.suffix
	}
	return key, nil
}

// toServer renames obj in place for the server and returns the undo.
func (r *Remote) toServer(obj client.Object) error {
	k, err := r.serverKey(obj, client.ObjectKeyFromObject(obj))
	if err != nil {
		return err
	}
	obj.SetNamespace(k.Namespace)
	obj.SetName(k.Name)
	if t, ok := r.real[obj.GetUID()]; ok {
		obj.SetCreationTimestamp(t)
	}
	return nil
}

// ours reports whether a server object belongs to this scenario and, if
// so, gives it its scenario names, virtual creation time and no managed
// fields.
func (r *Remote) fromServer(obj client.Object) bool {
	ns, err := r.namespaced(obj)
	if err != nil {
		return false
	}
	switch {
	case ns:
		if !strings.HasPrefix(obj.GetNamespace(), r.prefix) {
			return false
		}
		obj.SetNamespace(strings.TrimPrefix(obj.GetNamespace(), r.prefix))
	case isNamespace(obj):
		if !strings.HasPrefix(obj.GetName(), r.prefix) {
			return false
		}
		obj.SetName(strings.TrimPrefix(obj.GetName(), r.prefix))
	default:
		if !strings.HasSuffix(obj.GetName(), r.suffix) {
			return false
		}
		obj.SetName(strings.TrimSuffix(obj.GetName(), r.suffix))
	}
	if t, ok := r.virtual[obj.GetUID()]; ok {
		obj.SetCreationTimestamp(t)
	}
	obj.SetManagedFields(nil)
	return true
}

func isNamespace(obj runtime.Object) bool {
	_, ok := obj.(*corev1.Namespace)
	return ok
}

// ensureNamespace creates the server namespace for a scenario namespace.
func (r *Remote) ensureNamespace(ctx context.Context, obj client.Object) error {
	ns, err := r.namespaced(obj)
	if err != nil || !ns {
		return err
	}
	name := r.prefix + obj.GetNamespace()
	if r.namespaces[name] {
		return nil
	}
	err = r.base.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s on the envtest server: %w", name, err)
	}
	r.namespaces[name] = true
	return nil
}

func (r *Remote) keyOf(obj client.Object) remoteKey {
	return remoteKey{kind: r.kindOf(obj), namespace: obj.GetNamespace(), name: obj.GetName()}
}

// Warnings are the server's warnings about this scenario's writes, in
// order, each as "Kind namespace/name: warning", the first object of a
// kind only for a warning repeated (Argo's Job names hold dots, say).
func (r *Remote) Warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.warned...)
}

func (r *Remote) notify(op Op, old, obj client.Object) {
	r.writes++
	for _, m := range r.warn.take() {
		src := obj
		if src == nil {
			src = old
		}
		kind := ""
		if src != nil {
			kind = r.kindOf(src)
		}
		if r.seen[kind+"\x00"+m] {
			continue
		}
		r.seen[kind+"\x00"+m] = true
		if src != nil {
			m = fmt.Sprintf("%s %s: %s", kind, client.ObjectKeyFromObject(src), m)
		}
		r.warned = append(r.warned, m)
	}
	k := remoteKey{}
	switch {
	case obj != nil:
		k = r.keyOf(obj)
		r.cache[k] = obj.DeepCopyObject().(client.Object)
	case old != nil:
		k = r.keyOf(old)
		delete(r.cache, k)
	}
	if r.onChange == nil {
		return
	}
	var o, n runtime.Object
	if old != nil {
		o = old
	}
	if obj != nil {
		n = r.cache[k]
	}
	src := n
	if src == nil {
		src = o
	}
	r.onChange(Change{Op: op, Kind: k.kind, Namespace: k.namespace, Name: k.name, Old: o, New: n, Unstructured: src != nil && outsideScheme(src)})
}

// Get implements client.Reader.
func (r *Remote) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pom, ok := obj.(*metav1.PartialObjectMetadata); ok && len(opts) == 0 {
		// A metadata-only read, from the same cache.
		gvk := pom.GroupVersionKind()
		if c, ok := r.cache[remoteKey{kind: gvk.Kind, namespace: key.Namespace, name: key.Name}]; ok && gvk.Kind != "" {
			if oma, ok := c.(metav1.ObjectMetaAccessor); ok {
				if om, ok := oma.GetObjectMeta().(*metav1.ObjectMeta); ok {
					*pom = metav1.PartialObjectMetadata{}
					om.DeepCopyInto(&pom.ObjectMeta)
					pom.SetGroupVersionKind(gvk)
					return nil
				}
			}
		}
	} else if len(opts) == 0 {
		if c, ok := r.cache[remoteKey{kind: r.kindOf(obj), namespace: key.Namespace, name: key.Name}]; ok && assign(obj, c.DeepCopyObject()) {
			return nil
		}
	}
	sk, err := r.serverKey(obj, key)
	if err != nil {
		return err
	}
	if err := r.base.Get(ctx, sk, obj, opts...); err != nil {
		return r.scenarioError(err, sk, key)
	}
	r.fromServer(obj)
	return nil
}

// scenarioError puts the scenario's names back into a server error.
func (r *Remote) scenarioError(err error, sk, key client.ObjectKey) error {
	var se *apierrors.StatusError
	if !asStatus(err, &se) {
		return err
	}
	st := se.ErrStatus
	if sk.Name != key.Name {
		st.Message = strings.ReplaceAll(st.Message, `"`+sk.Name+`"`, `"`+key.Name+`"`)
		if st.Details != nil {
			st.Details.Name = key.Name
		}
	}
	if sk.Namespace != key.Namespace {
		st.Message = strings.ReplaceAll(st.Message, sk.Namespace, key.Namespace)
	}
	return &apierrors.StatusError{ErrStatus: st}
}

func asStatus(err error, se **apierrors.StatusError) bool {
	s, ok := err.(*apierrors.StatusError)
	if ok {
		*se = s
	}
	return ok
}

// List implements client.Reader.
func (r *Remote) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	lo := &client.ListOptions{}
	lo.ApplyOptions(opts)
	if done, err := r.listCached(list, lo); done {
		return err
	}
	if lo.Namespace != "" {
		lo.Namespace = r.prefix + lo.Namespace
	}
	if err := r.base.List(ctx, list, lo); err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	keep := make([]runtime.Object, 0, len(items))
	for _, it := range items {
		if o, ok := it.(client.Object); ok && r.fromServer(o) {
			keep = append(keep, o)
		}
	}
	if len(keep) != len(items) {
		if err := meta.SetList(list, keep); err != nil {
			return fmt.Errorf("list: %w", err)
		}
	}
	return nil
}

// listCached answers a list from the objects this scenario wrote: every
// write goes through the server and the cache keeps the server's answer, so
// it holds exactly what the server holds for this scenario (as an
// informer's cache does for a controller). Lists by field, paged lists and
// untyped lists go to the server.
func (r *Remote) listCached(list client.ObjectList, lo *client.ListOptions) (bool, error) {
	if lo.FieldSelector != nil || lo.Limit > 0 || lo.Continue != "" {
		return false, nil
	}
	if _, ok := list.(runtime.Unstructured); ok {
		return false, nil
	}
	gvks, _, err := r.Scheme().ObjectKinds(list)
	if err != nil || len(gvks) == 0 || !strings.HasSuffix(gvks[0].Kind, "List") {
		return false, nil
	}
	kind := strings.TrimSuffix(gvks[0].Kind, "List")
	var keep []client.Object
	for k, o := range r.cache {
		if k.kind != kind || (lo.Namespace != "" && k.namespace != lo.Namespace) {
			continue
		}
		if lo.LabelSelector != nil && !lo.LabelSelector.Matches(labels.Set(o.GetLabels())) {
			continue
		}
		keep = append(keep, o)
	}
	sort.Slice(keep, func(i, j int) bool {
		a, b := keep[i], keep[j]
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return a.GetName() < b.GetName()
	})
	items := make([]runtime.Object, len(keep))
	for i, o := range keep {
		items[i] = o.DeepCopyObject()
	}
	if err := meta.SetList(list, items); err != nil {
		return false, nil
	}
	return true, nil
}

// Create implements client.Writer.
func (r *Remote) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if isCRD(obj) {
		return r.applyCRD(obj, OpCreate)
	}
	if _, ok := obj.(runtime.Unstructured); ok {
		if err := r.srv.EnsureKind(obj.GetObjectKind().GroupVersionKind()); err != nil {
			return err
		}
	}
	key := client.ObjectKeyFromObject(obj)
	if err := r.ensureNamespace(ctx, obj); err != nil {
		return err
	}
	if err := r.toServer(obj); err != nil {
		return err
	}
	sk := client.ObjectKeyFromObject(obj)
	if err := r.send(obj, func(o client.Object) error { return r.base.Create(ctx, o, opts...) }); err != nil {
		obj.SetNamespace(key.Namespace)
		obj.SetName(key.Name)
		return r.scenarioError(err, sk, key)
	}
	if isNamespace(obj) {
		r.namespaces[obj.GetName()] = true
	}
	r.real[obj.GetUID()] = obj.GetCreationTimestamp()
	r.virtual[obj.GetUID()] = metav1.NewTime(r.now().UTC().Truncate(time.Second))
	r.fromServer(obj)
	r.notify(OpCreate, nil, obj)
	return nil
}

func (r *Remote) write(ctx context.Context, obj client.Object, do func() error) error {
	key := client.ObjectKeyFromObject(obj)
	old := r.cache[r.keyOf(obj)]
	if err := r.toServer(obj); err != nil {
		return err
	}
	sk := client.ObjectKeyFromObject(obj)
	if err := do(); err != nil {
		obj.SetNamespace(key.Namespace)
		obj.SetName(key.Name)
		if t, ok := r.virtual[obj.GetUID()]; ok {
			obj.SetCreationTimestamp(t)
		}
		return r.scenarioError(err, sk, key)
	}
	r.fromServer(obj)
	r.notify(OpUpdate, old, obj)
	return nil
}

// send writes obj as it is, except a Rollout that references a workload:
// its Go type has no "omitempty" on spec.template, so the typed object
// carries an empty template that the CRD schema rejects (containers are
// required in a template); the manifest had none, so none is sent.
func (r *Remote) send(obj client.Object, do func(client.Object) error) error {
	ro, ok := obj.(*v1alpha1.Rollout)
	if !ok || ro.Spec.WorkloadRef == nil || len(ro.Spec.Template.Spec.Containers) > 0 {
		return do(obj)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ro)
	if err != nil {
		return fmt.Errorf("rollout %s: %w", ro.Name, err)
	}
	unstructured.RemoveNestedField(m, "spec", "template")
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("Rollout"))
	if err := do(u); err != nil {
		return err
	}
	out := &v1alpha1.Rollout{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		return fmt.Errorf("rollout %s: %w", ro.Name, err)
	}
	*ro = *out
	return nil
}

// Update implements client.Writer.
func (r *Remote) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if isCRD(obj) {
		return r.applyCRD(obj, OpUpdate)
	}
	return r.write(ctx, obj, func() error {
		return r.send(obj, func(o client.Object) error { return r.base.Update(ctx, o, opts...) })
	})
}

// Patch implements client.Writer.
func (r *Remote) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := patch.Data(obj)
	if err != nil {
		return fmt.Errorf("patch %s %s: %w", r.kindOf(obj), client.ObjectKeyFromObject(obj), err)
	}
	raw := client.RawPatch(patch.Type(), data)
	return r.write(ctx, obj, func() error { return r.base.Patch(ctx, obj, raw, opts...) })
}

// Delete implements client.Writer: background propagation (the simulator
// collects the garbage itself: envtest has no garbage collector, and a
// foreground deletion would wait for one forever), pods at once (no
// kubelet to wait for).
func (r *Remote) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delete(ctx, obj, opts...)
}

func (r *Remote) delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	key := client.ObjectKeyFromObject(obj)
	k := r.keyOf(obj)
	old := r.cache[k]
	do := &client.DeleteOptions{}
	do.ApplyOptions(opts)
	bg := metav1.DeletePropagationBackground
	do.PropagationPolicy = &bg
	if _, ok := obj.(*corev1.Pod); ok {
		zero := int64(0)
		do.GracePeriodSeconds = &zero
	}
	target := obj.DeepCopyObject().(client.Object)
	if err := r.toServer(target); err != nil {
		return err
	}
	if err := r.base.Delete(ctx, target, do); err != nil {
		return r.scenarioError(err, client.ObjectKeyFromObject(target), key)
	}
	if old == nil {
		old = obj.DeepCopyObject().(client.Object)
	}
	r.notify(OpDelete, old, nil)
	return r.collect(ctx, old.GetUID())
}

// collect deletes what the deleted owner owned, recursively, in the fake
// backend's order (resource, then namespace/name).
func (r *Remote) collect(ctx context.Context, owner types.UID) error {
	if owner == "" {
		return nil
	}
	var deps []client.Object
	for _, o := range r.cache {
		for _, ref := range o.GetOwnerReferences() {
			if ref.UID == owner {
				deps = append(deps, o)
				break
			}
		}
	}
	res := func(o client.Object) string { return strings.ToLower(r.kindOf(o)) + "s" }
	sort.Slice(deps, func(i, j int) bool {
		a, b := deps[i], deps[j]
		if res(a) != res(b) {
			return res(a) < res(b)
		}
		return a.GetNamespace()+"/"+a.GetName() < b.GetNamespace()+"/"+b.GetName()
	})
	for _, d := range deps {
		if err := r.delete(ctx, d); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("garbage-collect %s %s/%s: %w", r.kindOf(d), d.GetNamespace(), d.GetName(), err)
		}
	}
	return nil
}

// DeleteAllOf implements client.Writer (not supported yet).
func (r *Remote) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	return fmt.Errorf("envtest backend: DeleteAllOf %s: not supported yet", r.kindOf(obj))
}

// Apply implements client.Writer (not supported yet).
func (r *Remote) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	return fmt.Errorf("envtest backend: server-side apply: not supported yet")
}

// Status implements client.StatusClient. Kinds whose CRD declares no
// status subresource (AnalysisRun, Experiment, the templates) keep their
// status in the main resource, so their status writes go there, as Argo's
// own do.
func (r *Remote) Status() client.SubResourceWriter { return &remoteStatus{r: r} }

// SubResource implements client.SubResourceClientConstructor.
func (r *Remote) SubResource(sub string) client.SubResourceClient {
	return &remoteSub{r: r, sub: sub}
}

func noStatusSubresource(obj runtime.Object) bool {
	switch obj.(type) {
	case *v1alpha1.AnalysisRun, *v1alpha1.Experiment, *v1alpha1.AnalysisTemplate, *v1alpha1.ClusterAnalysisTemplate:
		return true
	}
	return false
}

type remoteStatus struct{ r *Remote }

func (s *remoteStatus) Create(ctx context.Context, obj client.Object, sub client.Object, opts ...client.SubResourceCreateOption) error {
	return fmt.Errorf("envtest backend: create status of %s: not supported", s.r.kindOf(obj))
}

func (s *remoteStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if noStatusSubresource(obj) {
		return r.write(ctx, obj, func() error { return r.base.Update(ctx, obj) })
	}
	return r.write(ctx, obj, func() error { return r.base.Status().Update(ctx, obj, opts...) })
}

func (s *remoteStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := patch.Data(obj)
	if err != nil {
		return fmt.Errorf("patch status of %s %s: %w", r.kindOf(obj), client.ObjectKeyFromObject(obj), err)
	}
	raw := client.RawPatch(patch.Type(), data)
	if noStatusSubresource(obj) {
		return r.write(ctx, obj, func() error { return r.base.Patch(ctx, obj, raw) })
	}
	return r.write(ctx, obj, func() error { return r.base.Status().Patch(ctx, obj, raw, opts...) })
}

func (s *remoteStatus) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	return fmt.Errorf("envtest backend: server-side apply of status: not supported yet")
}

type remoteSub struct {
	r   *Remote
	sub string
}

func (s *remoteSub) Get(ctx context.Context, obj client.Object, sub client.Object, opts ...client.SubResourceGetOption) error {
	return fmt.Errorf("envtest backend: get subresource %s of %s: not supported yet", s.sub, s.r.kindOf(obj))
}

func (s *remoteSub) Create(ctx context.Context, obj client.Object, sub client.Object, opts ...client.SubResourceCreateOption) error {
	if _, ok := obj.(*corev1.Pod); ok && s.sub == "eviction" {
		// No disruption controller runs beside envtest: the simulator
		// checks the budgets itself (eviction.go), as the fake backend.
		return evict(ctx, s.r, s.r, obj, sub)
	}
	return fmt.Errorf("envtest backend: create subresource %s of %s: not supported yet", s.sub, s.r.kindOf(obj))
}

func (s *remoteSub) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if s.sub == "status" {
		return s.r.Status().Update(ctx, obj, opts...)
	}
	return fmt.Errorf("envtest backend: update subresource %s of %s: not supported yet", s.sub, s.r.kindOf(obj))
}

func (s *remoteSub) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if s.sub == "status" {
		return s.r.Status().Patch(ctx, obj, patch, opts...)
	}
	return fmt.Errorf("envtest backend: patch subresource %s of %s: not supported yet", s.sub, s.r.kindOf(obj))
}

func (s *remoteSub) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	return fmt.Errorf("envtest backend: server-side apply of subresource %s: not supported yet", s.sub)
}

// DryRunCreate sends a manifest document as written (JSON) to the server
// as a dry-run create with strict field validation, and returns the
// server's verdict. A namespaced object without a namespace is checked in
// ns. Nothing is stored (except the scenario's namespace).
func (r *Remote) DryRunCreate(ctx context.Context, data []byte, ns string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	namespaced, err := r.base.IsObjectNamespaced(u)
	if err != nil {
		return fmt.Errorf("%s: %w", u.GroupVersionKind().Kind, err)
	}
	key := client.ObjectKeyFromObject(u)
	if namespaced {
		if u.GetNamespace() == "" {
			u.SetNamespace(ns)
		}
		if err := r.ensureNamespace(ctx, u); err != nil {
			return err
		}
		u.SetNamespace(r.prefix + u.GetNamespace())
	} else if u.GetKind() == "Namespace" {
		u.SetName(r.prefix + u.GetName())
	} else {
		u.SetName(u.GetName() + r.suffix)
	}
	err = r.base.Create(ctx, u, client.DryRunAll)
	if err == nil || apierrors.IsAlreadyExists(err) {
		return nil
	}
	return r.scenarioError(err, client.ObjectKeyFromObject(u), key)
}
