package cluster

import (
	"context"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
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
	gvks   map[reflect.Type]schema.GroupVersionKind
}

func newFastClient(c client.Client, t *tracker, s *runtime.Scheme) *fastClient {
	return &fastClient{Client: c, t: t, scheme: s, gvks: map[reflect.Type]schema.GroupVersionKind{}}
}

func (c *fastClient) gvkOf(obj runtime.Object) (schema.GroupVersionKind, bool) {
	rt := reflect.TypeOf(obj)
	if g, ok := c.gvks[rt]; ok {
		return g, true
	}
	if _, ok := obj.(runtime.Unstructured); ok {
		return schema.GroupVersionKind{}, false
	}
	gvks, unversioned, err := c.scheme.ObjectKinds(obj)
	if err != nil || unversioned || len(gvks) != 1 {
		return schema.GroupVersionKind{}, false
	}
	c.gvks[rt] = gvks[0]
	return gvks[0], true
}

func gvrOf(gvk schema.GroupVersionKind) schema.GroupVersionResource {
	gvr, _ := meta.UnsafeGuessKindToResource(gvk)
	return gvr
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
	gvk, ok := c.gvkOf(obj)
	if !ok || len(opts) > 0 {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	got, err := c.t.Get(gvrOf(gvk), key.Namespace, key.Name)
	if err != nil {
		return err
	}
	if !assign(obj, got) {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return nil
}

// List implements client.Reader (namespace and label selector only).
func (c *fastClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := &client.ListOptions{}
	lo.ApplyOptions(opts)
	listGVK, ok := c.gvkOf(list)
	if !ok || lo.FieldSelector != nil || lo.Limit > 0 || lo.Continue != "" || len(listGVK.Kind) <= 4 {
		return c.Client.List(ctx, list, opts...)
	}
	gvk := listGVK
	gvk.Kind = gvk.Kind[:len(gvk.Kind)-4]
	got, err := c.t.List(gvrOf(gvk), gvk, lo.Namespace)
	if err != nil {
		return err
	}
	if lo.LabelSelector != nil && !lo.LabelSelector.Empty() {
		items, err := meta.ExtractList(got)
		if err != nil {
			return c.Client.List(ctx, list, opts...)
		}
		var keep []runtime.Object
		for _, it := range items {
			acc, err := meta.Accessor(it)
			if err == nil && lo.LabelSelector.Matches(labels.Set(acc.GetLabels())) {
				keep = append(keep, it)
			}
		}
		if err := meta.SetList(got, keep); err != nil {
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

func statusField(obj runtime.Object) (reflect.Value, bool) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.Elem().FieldByName("Status")
	return f, f.IsValid() && f.CanSet()
}

// fastPatch applies a merge patch made with client.MergeFrom against the
// stored object; done=false means "take the full path".
func (c *fastClient) fastPatch(obj client.Object, patch client.Patch, status bool, nopts int) (bool, error) {
	if nopts > 0 || patch.Type() != types.MergePatchType || reflect.TypeOf(patch).String() != "*client.mergeFromPatch" {
		return false, nil
	}
	gvk, ok := c.gvkOf(obj)
	if !ok {
		return false, nil
	}
	gvr := gvrOf(gvk)
	cur, err := c.t.Get(gvr, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return false, nil
	}
	curAcc, err := meta.Accessor(cur)
	if err != nil || obj.GetResourceVersion() == "" || obj.GetResourceVersion() != curAcc.GetResourceVersion() {
		return false, nil
	}
	var next runtime.Object
	if status {
		sf, ok := statusField(cur)
		of, ok2 := statusField(obj)
		if !ok || !ok2 {
			return false, nil
		}
		// A shallow copy of the stored object with the caller's status: the
		// tracker stores its own deep copy, and cur stays intact as the
		// change's old object.
		nv := reflect.New(reflect.TypeOf(cur).Elem())
		nv.Elem().Set(reflect.ValueOf(cur).Elem())
		nv.Elem().FieldByName("Status").Set(of)
		next = nv.Interface().(runtime.Object)
		_ = sf
	} else {
		next = obj.DeepCopyObject()
		if sf, ok := statusField(next); ok {
			if cf, ok2 := statusField(cur); ok2 {
				sf.Set(cf)
			}
		}
	}
	// A status write never changes the spec: skip the generation check.
	c.t.statusWrite = status
	c.t.knownOld = cur
	err = c.t.Update(gvr, next, obj.GetNamespace())
	c.t.statusWrite = false
	c.t.knownOld = nil
	if err != nil {
		return true, fmt.Errorf("patch %s %s/%s: %w", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	// next carries what was stored (the tracker kept its own copy), with
	// the resourceVersion and generation the write gave it.
	assign(obj, next)
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return true, nil
}
