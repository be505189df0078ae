package engine

import (
	"encoding/json"
	"fmt"
	"reflect"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/testing"
)

// store is the fake API server behind one clientset: client-go's object
// tracker, with the server-set fields the controllers depend on
// (resourceVersion, generation, uid, creationTimestamp), optimistic
// concurrency and the status subresource.
type store struct {
	e       *Engine
	tracker testing.ObjectTracker
	scheme  *runtime.Scheme
}

func newStore(e *Engine, scheme *runtime.Scheme) *store {
	codecs := serializer.NewCodecFactory(scheme)
	return &store{e: e, tracker: testing.NewObjectTracker(scheme, codecs.UniversalDecoder()), scheme: scheme}
}

// install makes the store serve every verb of f.
func (s *store) install(f *testing.Fake) {
	f.AddReactor("*", "*", s.react)
	f.AddWatchReactor("*", func(action testing.Action) (bool, watch.Interface, error) {
		w, err := s.tracker.Watch(action.GetResource(), action.GetNamespace())
		return true, w, err
	})
}

// statusResources have a status subresource: a write to the object keeps
// the stored status, a write to /status changes only the status.
// (Argo's CRDs: only Rollout has one; AnalysisRun and Experiment do not.)
var statusResources = map[string]bool{"rollouts": true,
	"replicasets": true, "deployments": true, "jobs": true, "pods": true, "services": true, "ingresses": true}

func (s *store) react(action testing.Action) (bool, runtime.Object, error) {
	gvr, ns := action.GetResource(), action.GetNamespace()
	switch a := action.(type) {
	case testing.GetActionImpl:
		obj, err := s.tracker.Get(gvr, ns, a.GetName())
		return true, obj, err
	case testing.ListActionImpl:
		obj, err := s.tracker.List(gvr, a.GetKind(), ns)
		return true, obj, err
	case testing.CreateActionImpl:
		if gvr.Resource == "pods" && a.GetSubresource() == "eviction" {
			// An eviction checks PodDisruptionBudgets (eviction.go), then
			// deletes the pod at once (no grace period: docs/fidelity.md,
			// Pod restarts).
			m, err := meta.Accessor(a.GetObject())
			if err != nil {
				return true, nil, err
			}
			if err := s.checkEviction(ns, m.GetName()); err != nil {
				return true, nil, err
			}
			return true, nil, s.delete(gvr, ns, m.GetName())
		}
		if a.GetSubresource() != "" {
			return true, nil, fmt.Errorf("oracle: create of %s/%s is not supported yet", gvr.Resource, a.GetSubresource())
		}
		obj, err := s.create(gvr, ns, a.GetObject())
		return true, obj, err
	case testing.UpdateActionImpl:
		obj, err := s.update(gvr, ns, a.GetObject(), a.GetSubresource())
		return true, obj, err
	case testing.PatchActionImpl:
		obj, err := s.patch(gvr, ns, a.GetName(), a.GetPatchType(), a.GetPatch(), a.GetSubresource())
		return true, obj, err
	case testing.DeleteActionImpl:
		return true, nil, s.delete(gvr, ns, a.GetName())
	}
	return true, nil, fmt.Errorf("oracle: %s %s is not supported", action.GetVerb(), gvr.Resource)
}

func (s *store) create(gvr schema.GroupVersionResource, ns string, in runtime.Object) (runtime.Object, error) {
	obj := in.DeepCopyObject()
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", gvr.Resource, err)
	}
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(fmt.Sprintf("%s%05d", m.GetGenerateName(), s.e.nextUID()))
	}
	if ns != "" {
		m.SetNamespace(ns)
	}
	m.SetUID(types.UID(fmt.Sprintf("00000000-0000-0000-0000-%012d", s.e.nextUID())))
	m.SetCreationTimestamp(metav1.NewTime(s.e.nowSeconds()))
	m.SetGeneration(1)
	m.SetResourceVersion(s.e.nextRV())
	defaultObject(obj)
	if err := s.tracker.Create(gvr, obj, ns); err != nil {
		return nil, err
	}
	s.e.written(gvr, "create", nil, obj)
	return obj.DeepCopyObject(), nil
}

func (s *store) update(gvr schema.GroupVersionResource, ns string, in runtime.Object, sub string) (runtime.Object, error) {
	m, err := meta.Accessor(in)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", gvr.Resource, err)
	}
	old, err := s.tracker.Get(gvr, ns, m.GetName())
	if err != nil {
		return nil, err
	}
	om, _ := meta.Accessor(old)
	if rv := m.GetResourceVersion(); rv != "" && rv != om.GetResourceVersion() {
		return nil, apierrors.NewConflict(gvr.GroupResource(), m.GetName(),
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	return s.write(gvr, ns, old, in.DeepCopyObject(), sub)
}

// write stores next in place of old with the subresource semantics of sub.
func (s *store) write(gvr schema.GroupVersionResource, ns string, old, next runtime.Object, sub string) (runtime.Object, error) {
	om, _ := meta.Accessor(old)
	oldMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(old)
	if err != nil {
		return nil, err
	}
	nextMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(next)
	if err != nil {
		return nil, err
	}
	if statusResources[gvr.Resource] {
		if sub == "status" {
			// Only the status changes.
			st := nextMap["status"]
			nextMap = runtime.DeepCopyJSON(oldMap)
			if st == nil {
				delete(nextMap, "status")
			} else {
				nextMap["status"] = st
			}
		} else if st, ok := oldMap["status"]; ok {
			nextMap["status"] = st
		} else {
			delete(nextMap, "status")
		}
	}
	if sameExceptVersion(oldMap, nextMap) {
		// The API server does not write (or notify) a change that changes
		// nothing.
		return old.DeepCopyObject(), nil
	}
	obj := old.DeepCopyObject()
	if err := resetInto(nil, obj); err != nil {
		return nil, err
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(nextMap, obj); err != nil {
		return nil, err
	}
	defaultObject(obj)
	m, _ := meta.Accessor(obj)
	m.SetUID(om.GetUID())
	m.SetCreationTimestamp(om.GetCreationTimestamp())
	m.SetNamespace(om.GetNamespace())
	m.SetName(om.GetName())
	gen := om.GetGeneration()
	if !reflect.DeepEqual(oldMap["spec"], nextMap["spec"]) {
		gen++
	}
	m.SetGeneration(gen)
	m.SetResourceVersion(s.e.nextRV())
	if err := s.tracker.Update(gvr, obj, ns); err != nil {
		return nil, err
	}
	s.e.written(gvr, "update", old, obj)
	return obj.DeepCopyObject(), nil
}

func (s *store) patch(gvr schema.GroupVersionResource, ns, name string, pt types.PatchType, patch []byte, sub string) (runtime.Object, error) {
	old, err := s.tracker.Get(gvr, ns, name)
	if err != nil {
		return nil, err
	}
	cur, err := json.Marshal(old)
	if err != nil {
		return nil, err
	}
	var merged []byte
	switch pt {
	case types.MergePatchType:
		merged, err = jsonpatch.MergePatch(cur, patch)
	case types.JSONPatchType:
		var p jsonpatch.Patch
		if p, err = jsonpatch.DecodePatch(patch); err == nil {
			merged, err = p.Apply(cur)
		}
	case types.StrategicMergePatchType:
		merged, err = strategicpatch.StrategicMergePatch(cur, patch, old)
	default:
		return nil, fmt.Errorf("oracle: patch type %s is not supported", pt)
	}
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("patch %s %s/%s: %v", gvr.Resource, ns, name, err))
	}
	next := old.DeepCopyObject()
	// Reset the object before decoding: fields the patch removed must go.
	if err := resetInto(merged, next); err != nil {
		return nil, err
	}
	nm, _ := meta.Accessor(next)
	om, _ := meta.Accessor(old)
	if rv := nm.GetResourceVersion(); rv != "" && rv != om.GetResourceVersion() {
		return nil, apierrors.NewConflict(gvr.GroupResource(), name, fmt.Errorf("the object has been modified"))
	}
	return s.write(gvr, ns, old, next, sub)
}

// resetInto zeroes obj, then decodes data (if any) into it.
func resetInto(data []byte, obj runtime.Object) error {
	v := reflect.ValueOf(obj).Elem()
	v.Set(reflect.Zero(v.Type()))
	if data == nil {
		return nil
	}
	return json.Unmarshal(data, obj)
}

func (s *store) delete(gvr schema.GroupVersionResource, ns, name string) error {
	old, err := s.tracker.Get(gvr, ns, name)
	if err != nil {
		return err
	}
	if err := s.tracker.Delete(gvr, ns, name); err != nil {
		return err
	}
	s.e.written(gvr, "delete", old, nil)
	return nil
}

// sameExceptVersion compares two objects ignoring the fields the server
// owns.
func sameExceptVersion(a, b map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		c := runtime.DeepCopyJSON(m)
		if md, ok := c["metadata"].(map[string]any); ok {
			for _, f := range []string{"resourceVersion", "generation", "uid", "creationTimestamp", "managedFields"} {
				delete(md, f)
			}
		}
		return c
	}
	return reflect.DeepEqual(strip(a), strip(b))
}
