package cluster

import (
	"context"
	"fmt"
	"reflect"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fastClient serves the common typed reads and writes straight from the
// object tracker and hands everything else to controller-runtime's fake
// client. A merge patch (client.MergeFrom) whose object carries the stored
// resourceVersion was computed against the stored object, so applying it
// yields exactly the patched object: the fast path writes that object
// (keeping the stored status on main-resource writes and the stored
// everything-but-status on status writes) instead of marshalling,
// diffing and re-decoding JSON. Any other patch, a stale resourceVersion,
// field selectors and untyped objects take the fake client's full path.
type fastClient struct {
	client.Client
	t      *tracker
	scheme *runtime.Scheme
	kinds  map[reflect.Type]kindInfo
	// byGVK: the kind of a metadata-only read's type.
	byGVK map[schema.GroupVersionKind]kindInfo
}

// kindInfo is what the fast paths need to know of a Go type, worked out
// once per type.
type kindInfo struct {
	ok  bool
	gvk schema.GroupVersionKind
	gvr schema.GroupVersionResource
	// plain: the type is a struct of exactly TypeMeta, ObjectMeta, Spec
	// and Status, each with a generated DeepCopy (only those take the fast
	// patch path).
	plain bool
	// statusSubresource: the store serves its status as a subresource.
	statusSubresource bool
}

func newFastClient(c client.Client, t *tracker, s *runtime.Scheme) *fastClient {
	return &fastClient{Client: c, t: t, scheme: s, kinds: map[reflect.Type]kindInfo{}, byGVK: map[schema.GroupVersionKind]kindInfo{}}
}

func (c *fastClient) kindOf(obj runtime.Object) kindInfo {
	rt := reflect.TypeOf(obj)
	if k, ok := c.kinds[rt]; ok {
		return k
	}
	k := kindInfo{}
	if _, unstructured := obj.(runtime.Unstructured); !unstructured {
		gvks, unversioned, err := c.scheme.ObjectKinds(obj)
		if err == nil && !unversioned && len(gvks) == 1 {
			k = kindInfo{ok: true, gvk: gvks[0], gvr: gvrOf(gvks[0]), plain: plainObjectType(rt), statusSubresource: hasStatusSubresource(rt)}
		}
	}
	c.kinds[rt] = k
	return k
}

func gvrOf(gvk schema.GroupVersionKind) schema.GroupVersionResource {
	gvr, _ := meta.UnsafeGuessKindToResource(gvk)
	return gvr
}

// plainObjectType: *T where T is exactly {TypeMeta; ObjectMeta; Spec;
// Status} and the last three can be deep-copied on their own.
func plainObjectType(rt reflect.Type) bool {
	if rt.Kind() != reflect.Pointer || rt.Elem().Kind() != reflect.Struct {
		return false
	}
	st := rt.Elem()
	want := []string{"TypeMeta", "ObjectMeta", "Spec", "Status"}
	if st.NumField() != len(want) {
		return false
	}
	for i, name := range want {
		f := st.Field(i)
		if f.Name != name || !f.IsExported() {
			return false
		}
		if i > 0 {
			if _, ok := deepCopyMethod(f.Type); !ok {
				return false
			}
		}
	}
	return true
}

// deepCopyMethod finds the generated func (*T) DeepCopyInto(*T) of a
// struct type.
func deepCopyMethod(t reflect.Type) (reflect.Method, bool) {
	pt := reflect.PointerTo(t)
	m, ok := pt.MethodByName("DeepCopyInto")
	if !ok || m.Type.NumIn() != 2 || m.Type.In(1) != pt || m.Type.NumOut() != 0 {
		return reflect.Method{}, false
	}
	return m, true
}

// Parts of a plain object type (the field index in the struct).
const (
	partMeta   = 1
	partSpec   = 2
	partStatus = 3
)

// copyPart deep-copies one part of src into dst (both *T of the same
// plain type). The kinds the controllers write most are copied directly;
// the rest through their generated DeepCopyInto, found by reflection.
func copyPart(dst, src runtime.Object, part int) {
	switch s := src.(type) {
	case *v1alpha1.AnalysisRun:
		d := dst.(*v1alpha1.AnalysisRun)
		copyOf(part, &d.ObjectMeta, &s.ObjectMeta, &d.Spec, &s.Spec, &d.Status, &s.Status)
	case *v1alpha1.Rollout:
		d := dst.(*v1alpha1.Rollout)
		copyOf(part, &d.ObjectMeta, &s.ObjectMeta, &d.Spec, &s.Spec, &d.Status, &s.Status)
	case *appsv1.ReplicaSet:
		d := dst.(*appsv1.ReplicaSet)
		copyOf(part, &d.ObjectMeta, &s.ObjectMeta, &d.Spec, &s.Spec, &d.Status, &s.Status)
	default:
		sf := reflect.ValueOf(src).Elem().Field(part)
		df := reflect.ValueOf(dst).Elem().Field(part)
		m, _ := deepCopyMethod(sf.Type())
		m.Func.Call([]reflect.Value{sf.Addr(), df.Addr()})
	}
}

// syncPart makes dst's part equal to src's: a deep copy unless they are
// equal already.
func syncPart(dst, src runtime.Object, part int) {
	d := reflect.ValueOf(dst).Elem().Field(part).Addr().Interface()
	s := reflect.ValueOf(src).Elem().Field(part).Addr().Interface()
	if !reflect.DeepEqual(d, s) {
		copyPart(dst, src, part)
	}
}

// deepCopier is a generated API type's pointer: (*T).DeepCopyInto(*T).
type deepCopier[T any] interface {
	*T
	DeepCopyInto(*T)
}

// copyOf deep-copies the metadata, the spec or the status of one typed
// object into another.
func copyOf[S any, PS deepCopier[S], St any, PSt deepCopier[St]](part int, dm, sm *metav1.ObjectMeta, dspec, sspec PS, dst, sst PSt) {
	switch part {
	case partMeta:
		sm.DeepCopyInto(dm)
	case partSpec:
		sspec.DeepCopyInto(dspec)
	default:
		sst.DeepCopyInto(dst)
	}
}

// shallowCopy returns a new *T holding *obj's fields (sharing their
// maps, slices and pointers).
func shallowCopy(obj runtime.Object) runtime.Object {
	v := reflect.New(reflect.TypeOf(obj).Elem())
	v.Elem().Set(reflect.ValueOf(obj).Elem())
	return v.Interface().(runtime.Object)
}

func assign(dst, src runtime.Object) bool {
	dv, sv := reflect.ValueOf(dst), reflect.ValueOf(src)
	if dv.Kind() != reflect.Pointer || dv.Type() != sv.Type() {
		return false
	}
	dv.Elem().Set(sv.Elem())
	return true
}

// Get implements client.Reader.
func (c *fastClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if pom, ok := obj.(*metav1.PartialObjectMetadata); ok && len(opts) == 0 {
		if done, err := c.getMetadata(key, pom); done {
			return err
		}
		return c.Client.Get(ctx, key, obj, opts...)
	}
	if u, ok := obj.(*unstructured.Unstructured); ok && len(opts) == 0 {
		if done, err := c.getUnstructured(key, u); done {
			return err
		}
	}
	k := c.kindOf(obj)
	if !k.ok || len(opts) > 0 {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	got, err := c.t.Get(k.gvr, key.Namespace, key.Name)
	if err != nil {
		return err
	}
	if !assign(obj, got) {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return nil
}

// getUnstructured serves a read of an object outside the scheme (a
// router's VirtualService, HTTPRoute …) straight from the store: a deep
// copy of the stored object, as the fake client's JSON round trip would
// give it, without the round trip (router reads are on the hot path).
func (c *fastClient) getUnstructured(key client.ObjectKey, u *unstructured.Unstructured) (bool, error) {
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return false, nil
	}
	if _, err := c.scheme.New(gvk); err == nil {
		return false, nil // a typed kind asked for as unstructured: the fake client converts
	}
	got, err := c.t.Get(gvrOf(gvk), key.Namespace, key.Name)
	if err != nil {
		return true, err
	}
	src, ok := got.(*unstructured.Unstructured)
	if !ok {
		return false, nil
	}
	u.Object = runtime.DeepCopyJSON(src.Object)
	return true, nil
}

// getMetadata serves a metadata-only read of a typed object from the
// store: a copy of its metadata alone, as the fake client's JSON round
// trip would give it (type set, managedFields dropped).
func (c *fastClient) getMetadata(key client.ObjectKey, pom *metav1.PartialObjectMetadata) (bool, error) {
	gvk := pom.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return false, nil
	}
	k, known := c.byGVK[gvk]
	if !known {
		if typed, err := c.scheme.New(gvk); err == nil {
			k = c.kindOf(typed)
		}
		c.byGVK[gvk] = k
	}
	if !k.ok || !k.plain {
		return false, nil
	}
	stored, ok := c.t.objs.peek(k.gvr, key.Namespace, key.Name)
	if !ok {
		return true, apierrors.NewNotFound(k.gvr.GroupResource(), key.Name)
	}
	oma, ok := stored.(metav1.ObjectMetaAccessor)
	if !ok {
		return false, nil
	}
	om, ok := oma.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok {
		return false, nil
	}
	*pom = metav1.PartialObjectMetadata{}
	om.DeepCopyInto(&pom.ObjectMeta)
	pom.ManagedFields = nil
	pom.SetGroupVersionKind(gvk)
	return true, nil
}

// List implements client.Reader (namespace and label selector only).
func (c *fastClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := &client.ListOptions{}
	lo.ApplyOptions(opts)
	lk := c.kindOf(list)
	if !lk.ok || lo.FieldSelector != nil || lo.Limit > 0 || lo.Continue != "" || len(lk.gvk.Kind) <= 4 {
		return c.Client.List(ctx, list, opts...)
	}
	gvk := lk.gvk
	gvk.Kind = gvk.Kind[:len(gvk.Kind)-4]
	sel := lo.LabelSelector
	if sel != nil && sel.Empty() {
		sel = nil
	}
	// Only the matching objects are copied.
	got, err := c.t.objs.List(gvrOf(gvk), gvk, lo.Namespace, sel)
	if err != nil {
		return err
	}
	if sel != nil && meta.LenList(got) == 0 {
		// A filtered list is never nil, whether or not the resource was
		// ever stored.
		if err := meta.SetList(got, nil); err != nil {
			return c.Client.List(ctx, list, opts...)
		}
	}
	if !assign(list, got) {
		return c.Client.List(ctx, list, opts...)
	}
	list.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return nil
}

// Patch implements client.Writer.
func (c *fastClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if done, err := c.fastPatch(obj, patch, false, len(opts)); done {
		return err
	}
	return c.Client.Patch(ctx, obj, patch, opts...)
}

// Status returns a status writer with the same fast path.
func (c *fastClient) Status() client.SubResourceWriter {
	return &fastStatus{SubResourceWriter: c.Client.Status(), c: c}
}

type fastStatus struct {
	client.SubResourceWriter
	c *fastClient
}

// Patch implements client.SubResourceWriter.
func (s *fastStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if done, err := s.c.fastPatch(obj, patch, true, len(opts)); done {
		return err
	}
	return s.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

// fastPatch applies a merge patch made with client.MergeFrom against the
// stored object; done=false means "take the full path".
//
// The stored object is never modified (store_objects.go), so the new one
// is built from parts: a status write stores the stored object's
// metadata and spec (shared) with a copy of the caller's status; a
// main-resource write stores a copy of the caller's object with the
// stored status (shared). The caller's object then becomes what was
// stored, in memory of its own: the parts it did not send are copied
// from the store.
func (c *fastClient) fastPatch(obj client.Object, patch client.Patch, status bool, nopts int) (bool, error) {
	if nopts > 0 || patch.Type() != types.MergePatchType || reflect.TypeOf(patch).String() != "*client.mergeFromPatch" {
		return false, nil
	}
	k := c.kindOf(obj)
	if !k.ok || !k.plain {
		return false, nil
	}
	cur, ok := c.t.objs.peek(k.gvr, obj.GetNamespace(), obj.GetName())
	if !ok || reflect.TypeOf(cur) != reflect.TypeOf(obj) {
		return false, nil
	}
	curAcc, err := meta.Accessor(cur)
	if err != nil {
		return false, nil
	}
	if obj.GetResourceVersion() == "" || obj.GetResourceVersion() != curAcc.GetResourceVersion() {
		if status {
			return false, nil
		}
		return c.stalePatch(obj, patch, k, cur)
	}
	var next runtime.Object
	if status {
		next = shallowCopy(cur)
		copyPart(next, obj, partStatus)
	} else {
		// A deep copy of the caller's object without its status (set
		// aside meanwhile), then the stored status.
		next = shallowCopy(obj)
		copyPart(next, obj, partMeta)
		copyPart(next, obj, partSpec)
		reflect.ValueOf(next).Elem().Field(partStatus).Set(reflect.ValueOf(cur).Elem().Field(partStatus))
	}
	// A status write never changes the spec: skip the generation check.
	c.t.statusWrite = status
	err = c.t.update(k.gvr, next, obj.GetNamespace(), true)
	c.t.statusWrite = false
	if err != nil {
		return true, fmt.Errorf("patch %s %s/%s: %w", k.gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	// next is stored now: the caller's object becomes it, in memory of its
	// own (what the caller holds already is kept where equal).
	obj.SetResourceVersion(next.(metav1.Object).GetResourceVersion())
	obj.SetGeneration(next.(metav1.Object).GetGeneration())
	syncPart(obj, next, partMeta)
	if status {
		syncPart(obj, next, partSpec)
	} else {
		syncPart(obj, next, partStatus)
	}
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return true, nil
}

// SubResource implements client.SubResourceClientConstructor: a pod's
// eviction checks PodDisruptionBudgets (eviction.go); everything else is
// the fake client's.
func (c *fastClient) SubResource(sub string) client.SubResourceClient {
	if sub == "eviction" {
		return &evictionClient{SubResourceClient: c.Client.SubResource(sub), c: c}
	}
	return c.Client.SubResource(sub)
}

type evictionClient struct {
	client.SubResourceClient
	c *fastClient
}

// Create implements client.SubResourceWriter for pods/eviction.
func (e *evictionClient) Create(ctx context.Context, obj client.Object, sub client.Object, opts ...client.SubResourceCreateOption) error {
	return evict(ctx, e.c, e.c, obj, sub)
}
