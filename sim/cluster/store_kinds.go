package cluster

import (
	"strings"

	"github.com/rollsim/rollsim/api"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kindTable is what the store knows of kinds outside its scheme (a
// VirtualService, an HTTPRoute, a ServiceMonitor, any custom resource):
// such objects are stored as *unstructured.Unstructured under the resource
// their kind guesses, as the typed ones are. A CustomResourceDefinition
// written to the store declares its kind's scope and status subresource,
// as it does to an API server; a kind that no CRD declares is assumed
// namespaced, without a status subresource. Unlike an API server, the
// store does not refuse instances of a kind no CRD declares
// (docs/fidelity.md).
type kindTable struct {
	// cluster: resources whose kind is cluster-scoped.
	cluster map[schema.GroupResource]bool
	// status: kinds whose CRD declares a status subresource.
	status map[schema.GroupKind]bool
	// byResource: the kind of each resource, under the resource name the
	// store keeps it under and under the CRD's plural (for the dynamic
	// client).
	byResource map[schema.GroupVersionResource]schema.GroupVersionKind
}

func newKindTable() *kindTable {
	return &kindTable{cluster: map[schema.GroupResource]bool{}, status: map[schema.GroupKind]bool{},
		byResource: map[schema.GroupVersionResource]schema.GroupVersionKind{}}
}

// learn records the kind of an object written under gvr and, for a
// CustomResourceDefinition, what it declares.
func (k *kindTable) learn(gvr schema.GroupVersionResource, gvk schema.GroupVersionKind, obj runtime.Object) {
	if gvk.Kind != "" {
		k.byResource[gvr] = gvk
		if api.BuiltinClusterScoped(gvk.GroupKind()) {
			k.cluster[gvr.GroupResource()] = true
		}
	}
	crd, ok := api.ReadCRD(obj)
	if !ok {
		return
	}
	plural := ""
	if acc, err := meta.Accessor(obj); err == nil {
		// A CRD's name is <plural>.<group>.
		plural, _, _ = strings.Cut(acc.GetName(), ".")
	}
	for _, kgvk := range crd.Kinds {
		guessed := gvrOf(kgvk)
		k.byResource[guessed] = kgvk
		if plural != "" {
			k.byResource[kgvk.GroupVersion().WithResource(plural)] = kgvk
		}
		if !crd.Namespaced {
			k.cluster[guessed.GroupResource()] = true
		}
		if crd.StatusSubresource {
			k.status[kgvk.GroupKind()] = true
		}
	}
}

// namespace is the namespace a request for gvr in ns is about: none for a
// cluster-scoped resource (the API server ignores it).
func (k *kindTable) namespace(gvr schema.GroupVersionResource, ns string) string {
	if k.cluster[gvr.GroupResource()] {
		return ""
	}
	return ns
}

// unstructuredChanged tells whether an update of an unstructured object
// changes more than its metadata (and its status, when its CRD declares a
// status subresource): what bumps a custom resource's generation on an
// API server.
func (k *kindTable) unstructuredChanged(old, obj runtime.Object) (changed, ok bool) {
	ou, ok1 := old.(runtime.Unstructured)
	nu, ok2 := obj.(runtime.Unstructured)
	if !ok1 || !ok2 {
		return false, false
	}
	skip := map[string]bool{"metadata": true, "apiVersion": true, "kind": true}
	if k.status[obj.GetObjectKind().GroupVersionKind().GroupKind()] {
		skip["status"] = true
	}
	a, b := ou.UnstructuredContent(), nu.UnstructuredContent()
	for key, v := range a {
		if w, has := b[key]; !skip[key] && (!has || !equality.Semantic.DeepEqual(v, w)) {
			return true, true
		}
	}
	for key := range b {
		if _, has := a[key]; !skip[key] && !has {
			return true, true
		}
	}
	return false, true
}
