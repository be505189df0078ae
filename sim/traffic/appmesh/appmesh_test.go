package appmesh_test

import (
	"context"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	meshrouter "github.com/rollsim/rollsim/controller/trafficrouting/appmesh"
	"github.com/rollsim/rollsim/sim/traffic"
	"github.com/rollsim/rollsim/sim/traffic/appmesh"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// env has ready pods with hashes "s" and "c" behind app=my-app.
type env struct{ c client.Client }

func (e env) Client() client.Client { return e.c }
func (e env) Namespace() string     { return "ns" }
func (e env) Service(name string) (traffic.Backend, error) {
	return traffic.Backend{Service: name}, nil
}
func (e env) Endpoints(sel labels.Selector) []traffic.Endpoint {
	var out []traffic.Endpoint
	for _, h := range []string{"c", "s"} {
		if sel.Matches(labels.Set{"app": "my-app", "rollouts-pod-template-hash": h}) {
			out = append(out, traffic.Endpoint{Hash: h, Pods: 1})
		}
	}
	return out
}

func obj(kind, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(meshrouter.GVK(kind))
	u.SetNamespace("ns")
	u.SetName(name)
	return u
}

func TestHashesWeightsAndRead(t *testing.T) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{TrafficRouting: &v1alpha1.RolloutTrafficRouting{AppMesh: &v1alpha1.AppMeshTrafficRouting{
		VirtualService:   &v1alpha1.AppMeshVirtualService{Name: "svc"},
		VirtualNodeGroup: &v1alpha1.AppMeshVirtualNodeGroup{CanaryVirtualNodeRef: &v1alpha1.AppMeshVirtualNodeReference{Name: "vn-c"}, StableVirtualNodeRef: &v1alpha1.AppMeshVirtualNodeReference{Name: "vn-s"}}}}}
	target := func(n string, w int64) any {
		return map[string]any{"virtualNodeRef": map[string]any{"name": n}, "weight": w}
	}
	sel := map[string]any{"matchLabels": map[string]any{"app": "my-app", "rollouts-pod-template-hash": "tbd"}}
	c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(
		obj("VirtualService", "svc", map[string]any{"provider": map[string]any{"virtualRouter": map[string]any{"virtualRouterRef": map[string]any{"name": "vr"}}}}),
		obj("VirtualRouter", "vr", map[string]any{"routes": []any{map[string]any{"name": "primary", "httpRoute": map[string]any{
			"action": map[string]any{"weightedTargets": []any{target("vn-c", 0), target("vn-s", 100)}}}}}}),
		obj("VirtualNode", "vn-c", map[string]any{"podSelector": sel}), obj("VirtualNode", "vn-s", map[string]any{"podSelector": sel})).Build()
	rt, _ := meshrouter.New(trafficrouting.Deps{Rollout: ro, Client: c, Note: func(_, _, _, _, _ string) {}})
	ctx := context.Background()
	if msg, err := rt.(trafficrouting.ReferenceValidator).ValidateReferences(ctx); msg != "" || err != nil {
		t.Fatalf("validate: %q %v", msg, err)
	}
	// before UpdateHash the nodes select no pod: 503 for every share
	got, _ := appmesh.Reader{}.Read(ctx, env{c}, ro)
	if len(got.Notes) == 0 {
		t.Errorf("no note for a VirtualNode selecting nothing: %+v", got)
	}
	if err := rt.UpdateHash(ctx, "c", "s"); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetWeight(ctx, 25); err != nil {
		t.Fatal(err)
	}
	got, err := appmesh.Reader{}.Read(ctx, env{c}, ro)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Default) != 2 || got.Default[0].Weight != 25 || got.Default[0].Backend.Endpoints[0].Hash != "c" ||
		got.Default[1].Weight != 75 || got.Default[1].Backend.Endpoints[0].Hash != "s" || len(got.Notes) != 0 {
		t.Errorf("routing %+v", got)
	}
}
