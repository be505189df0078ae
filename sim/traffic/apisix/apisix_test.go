package apisix_test

import (
	"context"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	apisixrouter "github.com/rollsim/rollsim/controller/trafficrouting/apisix"
	"github.com/rollsim/rollsim/sim/traffic"
	"github.com/rollsim/rollsim/sim/traffic/apisix"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

type env struct{ c client.Client }

func (e env) Client() client.Client { return e.c }
func (e env) Namespace() string     { return "ns" }
func (e env) Service(name string) (traffic.Backend, error) {
	return traffic.Backend{Service: name, Endpoints: []traffic.Endpoint{{Hash: name, Pods: 1}}}, nil
}
func (e env) Endpoints(labels.Selector) []traffic.Endpoint { return nil }

func TestWeightsAndHeaderRouteRoundTrip(t *testing.T) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns", UID: "u"}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{CanaryService: "canary", StableService: "stable",
		TrafficRouting: &v1alpha1.RolloutTrafficRouting{ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "set-header"}},
			Apisix: &v1alpha1.ApisixTrafficRouting{Route: &v1alpha1.ApisixRoute{Name: "route", Rules: []string{"r"}}}}}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"http": []any{map[string]any{
		"name": "r", "backends": []any{map[string]any{"serviceName": "stable", "servicePort": int64(80)}, map[string]any{"serviceName": "canary", "servicePort": int64(80)}}}}}}}
	u.SetGroupVersionKind(apisixrouter.GVK)
	u.SetNamespace("ns")
	u.SetName("route")
	c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(u).Build()
	rt, _ := apisixrouter.New(trafficrouting.Deps{Rollout: ro, Client: c, Note: func(_, _, _, _, _ string) {}})
	ctx := context.Background()
	if err := rt.SetWeight(ctx, 20); err != nil {
		t.Fatal(err)
	}
	route := &v1alpha1.SetHeaderRoute{Name: "set-header", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "trace", HeaderValue: &v1alpha1.StringMatch{Prefix: "deb"}}}}
	if err := rt.SetHeaderRoute(ctx, route); err != nil {
		t.Fatal(err)
	}
	got, err := apisix.Reader{}.Read(ctx, env{c}, ro)
	if err != nil {
		t.Fatal(err)
	}
	w := map[string]float64{}
	for _, d := range got.Default {
		w[d.Backend.Service] = d.Weight
	}
	if w["canary"] != 20 || w["stable"] != 80 {
		t.Errorf("default weights %v", w)
	}
	if len(got.Rules) != 1 || len(got.Rules[0].Dests) != 1 || got.Rules[0].Dests[0].Backend.Service != "canary" ||
		got.Rules[0].Headers[0].Name != "trace" || got.Rules[0].Headers[0].Regex == "" {
		t.Fatalf("rules %+v", got.Rules)
	}
	split := traffic.RolloutSplit{Rollout: "ro", Router: traffic.RouterMesh, Routing: got}
	for h, want := range map[string]string{"debug": "canary", "nodebug": "stable"} {
		routes := split.Routes(map[string]string{"trace": h})
		if want == "canary" && (len(routes) != 1 || routes[0].Service != "canary") {
			t.Errorf("trace=%s: %+v", h, routes)
		}
		if want == "stable" && len(routes) != 2 {
			t.Errorf("trace=%s: %+v", h, routes)
		}
	}
	if err := rt.RemoveManagedRoutes(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ = (apisix.Reader{}).Read(ctx, env{c}, ro); len(got.Rules) != 0 {
		t.Errorf("header route left after removal: %+v", got.Rules)
	}
}
