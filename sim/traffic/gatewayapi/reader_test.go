package gatewayapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	plugin "github.com/rollsim/rollsim/controller/trafficrouting/gatewayapi"
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

func rollout(cfg string) *v1alpha1.Rollout {
	raw, _ := yaml.YAMLToJSON([]byte(cfg))
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			CanaryService: "canary", StableService: "stable",
			TrafficRouting: &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{plugin.PluginName: raw}}}}},
	}
}

func read(t *testing.T, cfg string, docs ...string) *traffic.Routing {
	t.Helper()
	var objs []client.Object
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(d), &u.Object); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, u)
	}
	c := crfake.NewClientBuilder().WithScheme(api.NewScheme()).WithObjects(objs...).Build()
	rt, err := Reader{}.Read(context.Background(), env{c}, rollout(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// share is where requests carrying h go: service → fraction.
func share(rt *traffic.Routing, h map[string]string) map[string]float64 {
	rs := traffic.RolloutSplit{Rollout: "ro", Router: traffic.RouterMesh, Routing: rt}
	out := map[string]float64{}
	for _, r := range rs.Routes(h) {
		k := r.Service
		if r.Unserved {
			k += "/unserved"
		}
		if r.Shadow {
			k = "shadow:" + k
		}
		out[k] += r.Fraction
	}
	return out
}

const route = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ns}
spec:
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: stable, port: 80, weight: 75}, {name: canary, port: 80, weight: 25}]
  - name: hdr
    matches: [{path: {type: PathPrefix, value: /}, headers: [{name: X-Canary, type: RegularExpression, value: "beta.*"}]}]
    backendRefs: [{group: "", kind: Service, name: canary, port: 80}]
    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: canary, port: 80}, percent: 10}}]
  - backendRefs: [{name: unrelated, port: 80}]
`

func TestReadWeightsHeaderRuleAndMirror(t *testing.T) {
	rt := read(t, `{httpRoute: web}`, route)
	if got := share(rt, nil); got["stable"] != 0.75 || got["canary"] != 0.25 || len(got) != 2 {
		t.Fatalf("default = %v, want stable 75%%, canary 25%%", got)
	}
	got := share(rt, map[string]string{"x-canary": "beta-1"})
	if got["canary"] != 1 || got["shadow:canary"] != 0.1 {
		t.Fatalf("header = %v, want all to canary and 10%% mirrored", got)
	}
	if len(rt.Notes) != 0 {
		t.Fatalf("notes = %v, want none", rt.Notes)
	}
}

func TestReadMisconfiguredRoutes(t *testing.T) {
	noCanary := strings.ReplaceAll(route, "name: canary, port: 80, weight: 25", "name: preview, port: 80, weight: 25")
	rt := read(t, `{httpRoute: web}`, noCanary)
	if got := share(rt, nil); got["stable"] != 0.75 || got["preview"] != 0.25 {
		t.Fatalf("default = %v, want the route as written", got)
	}
	if len(rt.Notes) != 1 || !strings.Contains(rt.Notes[0], "no rule's backendRefs name both") {
		t.Fatalf("notes = %v", rt.Notes)
	}
	rt = read(t, `{httpRoute: missing}`, route)
	if got := share(rt, nil); got["/unserved"] != 1 || len(rt.Notes) != 1 || !strings.Contains(rt.Notes[0], "does not exist") {
		t.Fatalf("missing route: %v %v", got, rt.Notes)
	}
	rt = read(t, `{httpRoute: web, bogus: 1}`, route)
	if got := share(rt, nil); got["stable"] != 1 || len(rt.Notes) != 1 || !strings.Contains(rt.Notes[0], "unknown field") {
		t.Fatalf("bad config: %v %v", got, rt.Notes)
	}
}

func TestSecondRouteDisagreeingIsNoted(t *testing.T) {
	other := strings.NewReplacer("name: web", "name: api", "weight: 75", "weight: 100", "weight: 25", "weight: 0").Replace(route)
	rt := read(t, `{httpRoutes: [{name: web}, {name: api}]}`, route, other)
	if len(rt.Notes) != 1 || !strings.Contains(rt.Notes[0], "HTTPRoute api sends 0%") {
		t.Fatalf("notes = %v", rt.Notes)
	}
}
