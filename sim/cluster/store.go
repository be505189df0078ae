package cluster

import (
	"fmt"
	appsv1 "k8s.io/api/apps/v1"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rollsim/rollsim/api"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// Op is what happened to an object.
type Op string

// Ops.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is one write seen by the store.
type Change struct {
	Op        Op
	Kind      string
	Namespace string
	Name      string
	Old, New  runtime.Object
	// Unstructured: the object's kind is outside rollsim's scheme (a
	// VirtualService, an HTTPRoute, …); Old and New are
	// *unstructured.Unstructured.
	Unstructured bool
}

// outsideScheme tells whether obj is an unstructured object of a kind
// rollsim's scheme does not hold.
func outsideScheme(obj runtime.Object) bool {
	if _, ok := obj.(runtime.Unstructured); !ok {
		return false
	}
	return !api.Scheme.Recognizes(obj.GetObjectKind().GroupVersionKind())
}

// Store is the fake backend: a plain object tracker under both clients.
type Store struct {
	scheme    *runtime.Scheme
	tracker   *tracker
	client    *fastClient
	clientset *k8sfake.Clientset
	// byResource: the scheme's kinds by resource (dynamic.go).
	byResource map[schema.GroupVersionResource]schema.GroupVersionKind
}

// NewStore builds the store. now gives the virtual time stamped into
// creationTimestamp; onChange hears every successful write.
func NewStore(now func() time.Time, onChange func(Change)) *Store {
	s := api.NewScheme()
	codecs := serializer.NewCodecFactory(s)
	t := &tracker{
		objs:     newObjects(s, codecs.UniversalDecoder()),
		scheme:   s,
		now:      now,
		onChange: onChange,
		owners:   map[types.UID][]objRef{},
		kinds:    map[reflect.Type]string{},
		table:    newKindTable(),
	}
	c := crfake.NewClientBuilder().
		WithScheme(s).
		WithObjectTracker(t).
		WithStatusSubresource(statusSubresourceObjects()...).
		Build()
	cs := k8sfake.NewClientset()
	cs.ReactionChain = nil
	cs.WatchReactionChain = nil
	cs.AddReactor("*", "*", clienttesting.ObjectReaction(t))
	cs.AddWatchReactor("*", func(action clienttesting.Action) (bool, watch.Interface, error) {
		w, err := t.Watch(action.GetResource(), action.GetNamespace())
		return true, w, err
	})
	return &Store{scheme: s, tracker: t, client: newFastClient(c, t, s), clientset: cs}
}

// Client is the controller-runtime view of the store.
func (s *Store) Client() client.Client { return s.client }

// Clientset is the client-go view of the same objects.
func (s *Store) Clientset() kubernetes.Interface { return s.clientset }

// Scheme is the store's scheme.
func (s *Store) Scheme() *runtime.Scheme { return s.scheme }

// Writes is the number of successful writes so far (for benchmarks).
func (s *Store) Writes() int { return s.tracker.writes }

type objRef struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

// tracker is the object tracker under both clients: the object table
// (store_objects.go, which behaves as client-go's plain ObjectTracker) and
// what an API server does on writes here: uid and creationTimestamp on
// create, generation bumped on spec change, owner garbage collection on
// delete, and change notifications for the harness. The objects in a
// Change are the stored ones: listeners must not modify them.
type tracker struct {
	objs     *objects
	scheme   *runtime.Scheme
	now      func() time.Time
	onChange func(Change)
	uids     int
	writes   int
	rv       uint64
	// statusWrite marks a status-subresource write in progress (the spec
	// is the stored one, so generation cannot change).
	statusWrite bool
	owners      map[types.UID][]objRef
	// kinds caches the kind of each typed Go type (for notifications).
	kinds map[reflect.Type]string
	// table knows the kinds outside the scheme (store_kinds.go).
	table *kindTable
}

var _ clienttesting.ObjectTracker = (*tracker)(nil)

func (t *tracker) kindOf(obj runtime.Object) string {
	rt := reflect.TypeOf(obj)
	if k, ok := t.kinds[rt]; ok {
		return k
	}
	k := rt.Elem().Name()
	if gvks, _, err := t.scheme.ObjectKinds(obj); err == nil && len(gvks) > 0 {
		k = gvks[0].Kind
	}
	if _, unstructured := obj.(runtime.Unstructured); !unstructured {
		t.kinds[rt] = k
	}
	return k
}

func (t *tracker) notify(op Op, old, obj runtime.Object) {
	t.writes++
	if t.onChange == nil {
		return
	}
	src := obj
	if src == nil {
		src = old
	}
	acc, err := meta.Accessor(src)
	if err != nil {
		return
	}
	t.onChange(Change{Op: op, Kind: t.kindOf(src), Namespace: acc.GetNamespace(), Name: acc.GetName(), Old: old, New: obj, Unstructured: outsideScheme(src)})
}

func (t *tracker) bumpRV(obj runtime.Object) {
	if acc, err := meta.Accessor(obj); err == nil {
		t.rv++
		acc.SetResourceVersion(strconv.FormatUint(t.rv, 10))
	}
}

func (t *tracker) stamp(obj runtime.Object) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	t.bumpRV(obj)
	if acc.GetUID() == "" {
		t.uids++
		acc.SetUID(types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", t.uids)))
	}
	acc.SetCreationTimestamp(metav1.NewTime(t.now().UTC().Truncate(time.Second)))
	if acc.GetGeneration() == 0 {
		acc.SetGeneration(1)
	}
}

func (t *tracker) index(gvr schema.GroupVersionResource, obj runtime.Object) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	for _, ref := range acc.GetOwnerReferences() {
		t.owners[ref.UID] = append(t.owners[ref.UID], objRef{gvr: gvr, namespace: acc.GetNamespace(), name: acc.GetName()})
	}
}

func (t *tracker) Add(obj runtime.Object) error {
	t.stamp(obj)
	if err := t.objs.Add(obj); err != nil {
		return err
	}
	gvks, _, _ := t.scheme.ObjectKinds(obj)
	if len(gvks) > 0 {
		gvr, _ := meta.UnsafeGuessKindToResource(gvks[0])
		t.table.learn(gvr, gvks[0], obj)
		t.index(gvr, obj)
	}
	t.notify(OpCreate, nil, obj)
	return nil
}

// scope clears the namespace of an object of a cluster-scoped kind, as the
// API server does, and returns the namespace the write is in.
func (t *tracker) scope(gvr schema.GroupVersionResource, obj runtime.Object, ns string) string {
	if _, known := t.table.byResource[gvr]; !known || gvr.Group == api.CRDGroupKind.Group {
		if gvks, _, _ := t.scheme.ObjectKinds(obj); len(gvks) > 0 {
			t.table.learn(gvr, gvks[0], obj)
		}
	}
	if !t.table.cluster[gvr.GroupResource()] {
		return ns
	}
	if acc, err := meta.Accessor(obj); err == nil {
		acc.SetNamespace("")
	}
	return ""
}

func (t *tracker) Get(gvr schema.GroupVersionResource, ns, name string, opts ...metav1.GetOptions) (runtime.Object, error) {
	if err := atMostOne(len(opts)); err != nil {
		return nil, err
	}
	return t.objs.Get(gvr, t.table.namespace(gvr, ns), name)
}

// atMostOne is client-go's tracker's check on its variadic options.
func atMostOne(n int) error {
	if n > 1 {
		return fmt.Errorf("expected at most one options argument, got %d", n)
	}
	return nil
}

func (t *tracker) Create(gvr schema.GroupVersionResource, obj runtime.Object, ns string, opts ...metav1.CreateOptions) error {
	if err := atMostOne(len(opts)); err != nil {
		return err
	}
	ns = t.scope(gvr, obj, ns)
	if err := t.validateCreate(gvr, obj); err != nil {
		return err
	}
	if rs, ok := obj.(*appsv1.ReplicaSet); ok {
		Default(rs) // the server's defaults, as on envtest
	}
	t.stamp(obj)
	if err := t.objs.Create(gvr, obj, ns); err != nil {
		return err
	}
	t.index(gvr, obj)
	t.notify(OpCreate, nil, obj)
	return nil
}

// validateCreate refuses what the API server's metadata validation refuses
// (names.go), with the server's error.
func (t *tracker) validateCreate(gvr schema.GroupVersionResource, obj runtime.Object) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	gvks, _, err := t.scheme.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return nil
	}
	gk := gvks[0].GroupKind()
	errs := MetadataErrors(gk, acc, !t.table.cluster[gvr.GroupResource()])
	if errs = append(errs, SpecErrors(obj)...); len(errs) > 0 {
		return apierrors.NewInvalid(gk, acc.GetName(), errs)
	}
	return nil
}

// specOf returns the Spec field of a typed object, or nil.
func specOf(obj runtime.Object) any {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("Spec")
	if !f.IsValid() {
		return nil
	}
	return f.Interface()
}

// update writes obj over the stored object; owned means the table may keep
// obj itself (the fast client built it for the store and no longer
// touches it), else it stores a copy.
func (t *tracker) update(gvr schema.GroupVersionResource, obj runtime.Object, ns string, owned bool) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	name := acc.GetName()
	ns = t.scope(gvr, obj, ns)
	// old is the stored object itself: only read here and handed to the
	// change listener.
	old, ok := t.objs.peek(gvr, ns, name)
	if !ok {
		return apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	if errs := SpecErrors(obj); len(errs) > 0 && !t.statusWrite {
		gk := schema.GroupKind{}
		if gvks, _, err := t.scheme.ObjectKinds(obj); err == nil && len(gvks) > 0 {
			gk = gvks[0].GroupKind()
		}
		return apierrors.NewInvalid(gk, name, errs)
	}
	oldAcc, _ := meta.Accessor(old)
	gen := oldAcc.GetGeneration()
	if !t.statusWrite {
		if changed, isU := t.table.unstructuredChanged(old, obj); isU {
			if changed {
				gen++
			}
		} else if os, ns2 := specOf(old), specOf(obj); os != nil && !equality.Semantic.DeepEqual(os, ns2) {
			gen++
		}
	}
	acc.SetGeneration(gen)
	t.bumpRV(obj)
	acc.SetUID(oldAcc.GetUID())
	acc.SetCreationTimestamp(oldAcc.GetCreationTimestamp())
	stored := obj
	if !owned {
		stored = obj.DeepCopyObject()
	}
	if err := t.objs.put(gvr, stored, ns, true); err != nil {
		return err
	}
	t.notify(OpUpdate, old, stored)
	return nil
}

func (t *tracker) Update(gvr schema.GroupVersionResource, obj runtime.Object, ns string, opts ...metav1.UpdateOptions) error {
	if err := atMostOne(len(opts)); err != nil {
		return err
	}
	return t.update(gvr, obj, ns, false)
}

func (t *tracker) Patch(gvr schema.GroupVersionResource, obj runtime.Object, ns string, opts ...metav1.PatchOptions) error {
	if err := atMostOne(len(opts)); err != nil {
		return err
	}
	return t.update(gvr, obj, ns, false)
}

func (t *tracker) Apply(gvr schema.GroupVersionResource, cfg runtime.Object, ns string, opts ...metav1.PatchOptions) error {
	return fmt.Errorf("server-side apply: %s", "not supported yet by the fake backend")
}

// List ignores label and field selectors in opts, as client-go's tracker
// does (the clientset's generated fakes filter by label afterwards).
func (t *tracker) List(gvr schema.GroupVersionResource, gvk schema.GroupVersionKind, ns string, opts ...metav1.ListOptions) (runtime.Object, error) {
	if err := atMostOne(len(opts)); err != nil {
		return nil, err
	}
	return t.objs.List(gvr, gvk, t.table.namespace(gvr, ns), nil)
}

func (t *tracker) Watch(gvr schema.GroupVersionResource, ns string, opts ...metav1.ListOptions) (watch.Interface, error) {
	return t.objs.Watch(gvr, t.table.namespace(gvr, ns), opts...)
}

// Delete removes the object and, like the garbage collector, every object
// it owns (recursively, in sorted order).
func (t *tracker) Delete(gvr schema.GroupVersionResource, ns, name string, opts ...metav1.DeleteOptions) error {
	if err := atMostOne(len(opts)); err != nil {
		return err
	}
	ns = t.table.namespace(gvr, ns)
	old, ok := t.objs.peek(gvr, ns, name)
	if !ok {
		return apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	if err := t.objs.Delete(gvr, ns, name); err != nil {
		return err
	}
	t.notify(OpDelete, old, nil)
	acc, err := meta.Accessor(old)
	if err != nil {
		return nil
	}
	deps := t.owners[acc.GetUID()]
	delete(t.owners, acc.GetUID())
	sort.Slice(deps, func(i, j int) bool {
		a, b := deps[i], deps[j]
		if a.gvr.Resource != b.gvr.Resource {
			return a.gvr.Resource < b.gvr.Resource
		}
		return a.namespace+"/"+a.name < b.namespace+"/"+b.name
	})
	for _, d := range deps {
		if err := t.Delete(d.gvr, d.namespace, d.name); err != nil && !strings.Contains(err.Error(), "not found") {
			return fmt.Errorf("garbage-collect %s %s/%s: %w", d.gvr.Resource, d.namespace, d.name, err)
		}
	}
	return nil
}
