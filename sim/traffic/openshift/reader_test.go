package openshift

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	plugin "github.com/rollsim/rollsim/controller/trafficrouting/openshift"
	"github.com/rollsim/rollsim/sim/traffic"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"
)

type env struct{ c client.Client }

func (e env) Client() client.Client { return e.c }
func (e env) Namespace() string     { return "ns" }
func (e env) Service(name string) (traffic.Backend, error) {
	return traffic.Backend{Service: name, Endpoints: []traffic.Endpoint{{Hash: name, Version: name, Pods: 1}}}, nil
}
func (e env) Endpoints(labels.Selector) []traffic.Endpoint { return nil }

func read(t *testing.T, cfg, doc string) *traffic.Routing {
	t.Helper()
	raw, _ := yaml.YAMLToJSON([]byte(cfg))
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			CanaryService: "canary", StableService: "stable",
			TrafficRouting: &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{plugin.PluginName: raw}}}}}}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	c := crfake.NewClientBuilder().WithScheme(api.NewScheme()).WithObjects(u).Build()
	rt, err := Reader{}.Read(context.Background(), env{c}, ro)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func shares(rt *traffic.Routing) map[string]float64 {
	rs := traffic.RolloutSplit{Rollout: "ro", Router: traffic.RouterMesh, Routing: rt}
	out := map[string]float64{}
	for _, r := range rs.Routes(nil) {
		k := r.Service
		if r.Unserved {
			k += "/unserved"
		}
		out[k] += r.Fraction
	}
	return out
}

const route = `
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: web, namespace: ns}
spec:
  to: {kind: Service, name: stable, weight: 60}
  alternateBackends: [{kind: Service, name: canary, weight: 40}]
`

func TestReadRouteWeights(t *testing.T) {
	rt := read(t, `{routes: [web]}`, route)
	if got := shares(rt); got["stable"] != 0.6 || got["canary"] != 0.4 || len(rt.Notes) != 0 {
		t.Fatalf("shares = %v notes %v, want 60/40 and no note", got, rt.Notes)
	}
}

func TestReadMisconfiguredRoute(t *testing.T) {
	rt := read(t, `{routes: [web]}`, strings.Replace(route, "name: stable", "name: legacy", 1))
	if got := shares(rt); got["legacy"] != 0.6 || len(rt.Notes) != 1 || !strings.Contains(rt.Notes[0], `spec.to names "legacy"`) {
		t.Fatalf("shares = %v notes %v", got, rt.Notes)
	}
	rt = read(t, `{routes: [missing]}`, route)
	if got := shares(rt); got["/unserved"] != 1 || len(rt.Notes) != 1 {
		t.Fatalf("missing route: %v %v", got, rt.Notes)
	}
}
