package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// statusSubresourceObjects are the kinds whose status is a subresource in
// the store: a main-resource write keeps the stored status.
func statusSubresourceObjects() []client.Object {
	return []client.Object{&v1alpha1.Rollout{}, &v1alpha1.AnalysisRun{}, &v1alpha1.Experiment{},
		&appsv1.ReplicaSet{}, &corev1.Pod{}, &batchv1.Job{}, &appsv1.Deployment{}}
}

func hasStatusSubresource(rt reflect.Type) bool {
	for _, o := range statusSubresourceObjects() {
		if reflect.TypeOf(o) == rt {
			return true
		}
	}
	return false
}

// stalePatch applies a main-resource merge patch made with client.MergeFrom
// against an older version of the object (its resourceVersion is not the
// stored one) to the stored object, as the fake client's full path does,
// without its JSON round trips of the whole object: the patch (what
// changed between the caller's base and its object) is decoded onto a copy
// of the stored metadata and spec, and the stored status is kept (the
// status is a subresource). Only patches whose merge is exactly such a
// decode take this path: objects with at least one key and scalar leaves,
// no nulls (deletions), no lists, no resourceVersion (optimistic lock) and
// no deletionTimestamp; anything else, and objects being deleted, take the
// full path (done=false).
func (c *fastClient) stalePatch(obj client.Object, patch client.Patch, k kindInfo, cur runtime.Object) (bool, error) {
	if !k.statusSubresource {
		return false, nil
	}
	if acc, err := meta.Accessor(cur); err != nil || acc.GetDeletionTimestamp() != nil {
		return false, nil
	}
	data, err := patch.Data(obj)
	if err != nil {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return false, nil
	}
	delete(doc, "status")
	if md, ok := doc["metadata"].(map[string]any); ok {
		if _, ok := md["resourceVersion"]; ok {
			return false, nil
		}
		if _, ok := md["deletionTimestamp"]; ok {
			return false, nil
		}
	}
	if !plainMerge(doc) {
		return false, nil
	}
	next := shallowCopy(cur)
	copyPart(next, cur, partMeta)
	copyPart(next, cur, partSpec)
	if len(doc) > 0 {
		filtered, err := json.Marshal(doc)
		if err != nil {
			return false, nil
		}
		if err := json.Unmarshal(filtered, next); err != nil {
			return false, nil
		}
	}
	if err := c.t.update(k.gvr, next, obj.GetNamespace(), true); err != nil {
		return true, fmt.Errorf("patch %s %s/%s: %w", k.gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	copyPart(obj, next, partMeta)
	copyPart(obj, next, partSpec)
	copyPart(obj, next, partStatus)
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return true, nil
}

// plainMerge: every value of the patch object is a scalar or a non-empty
// object of the same kind, so merging it is decoding it onto the target.
func plainMerge(v map[string]any) bool {
	for _, x := range v {
		switch x := x.(type) {
		case map[string]any:
			if len(x) == 0 || !plainMerge(x) {
				return false
			}
		case string, bool, json.Number:
		default:
			return false
		}
	}
	return true
}
