package sim

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A write to an object outside the scheme (a router's VirtualService)
// re-queues the Rollouts of its namespace, as a Service's does; a write in
// another namespace does not; a cluster-scoped one re-queues every Rollout.
func TestUnstructuredChangeRequeuesRolloutsOfItsNamespace(t *testing.T) {
	h, err := New(Config{Seed: 1, Behavior: fixedBehavior{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []key{{kindRollout, "shop", "web"}, {kindRollout, "other", "api"}} {
		h.known[k] = true
	}
	vs := func(ns, name string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1alpha3", Kind: "VirtualService"})
		u.SetNamespace(ns)
		u.SetName(name)
		return u
	}
	ctx := context.Background()
	crd := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.example.com"},
		"spec": map[string]any{"group": "example.com", "scope": "Cluster", "names": map[string]any{"kind": "Widget", "plural": "widgets"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true}}}}}
	if err := h.Client().Create(ctx, crd); err != nil {
		t.Fatal(err)
	}
	widget := &unstructured.Unstructured{}
	widget.SetGroupVersionKind(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"})
	widget.SetName("global")
	for _, tc := range []struct {
		name string
		obj  *unstructured.Unstructured
		want []key
	}{
		{"in shop", vs("shop", "vs"), []key{{kindRollout, "shop", "web"}}},
		{"in a namespace without rollouts", vs("empty", "vs"), nil},
		{"cluster-scoped", widget, []key{{kindRollout, "other", "api"}, {kindRollout, "shop", "web"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.dirty = map[key]bool{}
			before := h.StateVersion()
			if err := h.Client().Create(ctx, tc.obj); err != nil {
				t.Fatal(err)
			}
			if len(h.dirty) != len(tc.want) {
				t.Errorf("dirty %v, want %v", h.dirty, tc.want)
			}
			for _, k := range tc.want {
				if !h.dirty[k] {
					t.Errorf("%v not re-queued (dirty %v)", k, h.dirty)
				}
			}
			if h.StateVersion() == before {
				t.Error("the state version did not move")
			}
		})
	}
}
