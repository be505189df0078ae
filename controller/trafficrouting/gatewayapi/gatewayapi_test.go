package gatewayapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"
)

func rollout(t *testing.T, cfg string, managed ...string) *v1alpha1.Rollout {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	tr := &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{PluginName: raw}}
	for _, m := range managed {
		tr.ManagedRoutes = append(tr.ManagedRoutes, v1alpha1.MangedRoutes{Name: m})
	}
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			CanaryService: "canary", StableService: "stable", TrafficRouting: tr}}},
	}
}

func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

const httpRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ns}
spec:
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs:
    - {name: stable, port: 80}
    - {name: canary, port: 80}
  - backendRefs: [{name: other, port: 80}]
`

type noted struct{ kind, name, verb, reason, detail string }

func build(t *testing.T, ro *v1alpha1.Rollout, objs ...client.Object) (trafficrouting.Router, client.Client, *[]noted) {
	t.Helper()
	c := crfake.NewClientBuilder().WithScheme(api.NewScheme()).WithObjects(objs...).Build()
	var notes []noted
	rt, err := New(trafficrouting.Deps{Rollout: ro, Client: c, Note: func(k, n, v, r, d string) {
		notes = append(notes, noted{k, n, v, r, d})
	}})
	if err != nil {
		t.Fatal(err)
	}
	return rt, c, &notes
}

func get(t *testing.T, c client.Client, kind, version, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(Group + "/" + version)
	u.SetKind(kind)
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func weights(t *testing.T, u *unstructured.Unstructured) map[string]int64 {
	t.Helper()
	rules, err := Rules(u)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rules {
		for _, b := range BackendRefs(r) {
			out[RuleName(r)+"/"+RefName(b)] = RefWeight(b)
		}
	}
	return out
}

func TestSetWeightWritesBothServicesAndTheLabel(t *testing.T) {
	ctx := context.Background()
	rt, c, _ := build(t, rollout(t, `{httpRoute: web}`), object(t, httpRoute))
	if err := rt.SetWeight(ctx, 30); err != nil {
		t.Fatal(err)
	}
	u := get(t, c, "HTTPRoute", "v1", "web")
	w := weights(t, u)
	if w["/stable"] != 70 || w["/canary"] != 30 || w["/other"] != 1 {
		t.Fatalf("weights = %v, want stable 70, canary 30, other untouched", w)
	}
	if u.GetLabels()[DefaultInProgressLabelKey] != DefaultInProgressLabelValue {
		t.Fatalf("labels = %v, want the in-progress label", u.GetLabels())
	}
	if err := rt.SetWeight(ctx, 0); err != nil {
		t.Fatal(err)
	}
	u = get(t, c, "HTTPRoute", "v1", "web")
	if _, ok := u.GetLabels()[DefaultInProgressLabelKey]; ok || weights(t, u)["/stable"] != 100 {
		t.Fatalf("at weight 0: labels %v weights %v", u.GetLabels(), weights(t, u))
	}
}

func TestSetWeightErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, cfg, route, want string
	}{
		{"backendRefs without the canary", `{httpRoute: web}`, strings.ReplaceAll(httpRoute, "name: canary", "name: preview"),
			"failed to set weight via plugin: backendRef was not found in httpRoute"},
		{"route missing", `{httpRoute: nope}`, httpRoute, `failed to set weight via plugin: httproutes.gateway.networking.k8s.io "nope" not found`},
		{"no routes", `{namespace: ns}`, httpRoute, "failed to set weight via plugin: No routes configured."},
		{"route without a name", `{httpRoutes: [{useHeaderRoutes: true}]}`, httpRoute,
			"failed to set weight via plugin: Key: 'GatewayAPITrafficRouting.HTTPRoutes[0].Name' Error:Field validation for 'Name' failed on the 'required' tag"},
		{"tcp route without the stable", `{tcpRoute: tcp}`, `
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp, namespace: ns}
spec: {rules: [{backendRefs: [{name: canary, port: 80}]}]}`, "failed to set weight via plugin: backendRef list was not found in tcpRoute"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt, _, _ := build(t, rollout(t, tc.cfg), object(t, tc.route))
			err := rt.SetWeight(ctx, 10)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBackendRefErrorSaysWhereAndWhat(t *testing.T) {
	rt, _, _ := build(t, rollout(t, `{httpRoute: web}`), object(t, strings.ReplaceAll(httpRoute, "name: canary", "name: preview")))
	err := rt.SetWeight(context.Background(), 10)
	want := `HTTPRoute ns/web spec.rules[].backendRefs must name the canaryService "canary" and the stableService "stable"; they name "stable", "preview", "other"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

func TestUnknownFieldIsRefused(t *testing.T) {
	_, err := New(trafficrouting.Deps{Rollout: rollout(t, `{httpRoute: web, useHeaderRoute: true}`)})
	if !errors.Is(err, ErrUnknownField) || !strings.Contains(err.Error(), `"useHeaderRoute"`) || !strings.Contains(err.Error(), ConfigPath) {
		t.Fatalf("err = %v, want an unknown-field error naming useHeaderRoute and the config path", err)
	}
}

func TestMaxTrafficWeightAbove100IsRefusedByTheAPIServer(t *testing.T) {
	rt, _, _ := build(t, rollout(t, `{httpRoute: web}`), object(t, httpRoute))
	err := rt.SetWeight(context.Background(), 500)
	if err == nil || !strings.Contains(err.Error(), "weight: Invalid value: -400") {
		t.Fatalf("err = %v, want the API server's refusal of weight -400", err)
	}
}

func TestHeaderRouteAddedSkippedByWeightsAndRemoved(t *testing.T) {
	ctx := context.Background()
	rt, c, notes := build(t, rollout(t, `{httpRoute: web}`, "hdr"), object(t, httpRoute))
	hr := &v1alpha1.SetHeaderRoute{Name: "hdr", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Prefix: "beta"}}}}
	if err := rt.SetHeaderRoute(ctx, hr); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetHeaderRoute(ctx, hr); err != nil {
		t.Fatal(err)
	}
	u := get(t, c, "HTTPRoute", "v1", "web")
	rules, _ := Rules(u)
	if len(rules) != 3 || RuleName(rules[2]) != "hdr" {
		t.Fatalf("rules = %v, want the managed rule appended once", rules)
	}
	m := rules[2]["matches"].([]any)[0].(map[string]any)
	hs := m["headers"].([]any)
	if len(hs) != 1 || hs[0].(map[string]any)["value"] != "beta.*" || hs[0].(map[string]any)["type"] != "RegularExpression" || m["path"] == nil {
		t.Fatalf("managed match = %v, want the source path and the prefix as a regex", m)
	}
	if err := rt.SetWeight(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if w := weights(t, get(t, c, "HTTPRoute", "v1", "web")); w["hdr/canary"] != 1 || w["/canary"] != 20 {
		t.Fatalf("weights = %v, want the managed rule left unweighted", w)
	}
	if err := rt.RemoveManagedRoutes(ctx); err != nil {
		t.Fatal(err)
	}
	rules, _ = Rules(get(t, c, "HTTPRoute", "v1", "web"))
	if len(rules) != 2 {
		t.Fatalf("rules after removal = %d, want 2", len(rules))
	}
	if len(*notes) != 2 || (*notes)[0].reason != "SetHeaderRoute" || (*notes)[1].reason != "RemoveManagedRoutes" {
		t.Fatalf("notes = %v, want one add and one removal", *notes)
	}
}

func TestHeaderRoutesOnlyWhereAskedAndOnV1beta1(t *testing.T) {
	ctx := context.Background()
	route := strings.Replace(httpRoute, "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1", 1)
	second := strings.Replace(route, "name: web", "name: api", 1)
	rt, c, _ := build(t, rollout(t, `{httpRoutes: [{name: web, useHeaderRoutes: true}, {name: api}]}`, "hdr"), object(t, route), object(t, second))
	hr := &v1alpha1.SetHeaderRoute{Name: "hdr", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}}}}
	if err := rt.SetHeaderRoute(ctx, hr); err != nil {
		t.Fatal(err)
	}
	web, _ := Rules(get(t, c, "HTTPRoute", "v1beta1", "web"))
	api, _ := Rules(get(t, c, "HTTPRoute", "v1beta1", "api"))
	if len(web) != 3 || len(api) != 2 {
		t.Fatalf("rules: web %d api %d, want the managed rule on web only", len(web), len(api))
	}
	if err := rt.SetWeight(ctx, 10); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"web", "api"} {
		if w := weights(t, get(t, c, "HTTPRoute", "v1beta1", name)); w["/canary"] != 10 || w["/stable"] != 90 {
			t.Fatalf("%s weights = %v, want canary 10 stable 90 on both routes", name, w)
		}
	}
}

const grpcRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc, namespace: ns, labels: {app: demo}}
spec:
  rules:
  - matches: [{method: {service: demo.Echo}}]
    backendRefs: [{name: stable, port: 9000}, {name: canary, port: 9000}]
`

func TestGRPCRouteWeightsAndHeaderRule(t *testing.T) {
	ctx := context.Background()
	rt, c, _ := build(t, rollout(t, `{grpcRoute: rpc}`, "hdr"), object(t, grpcRoute))
	hr := &v1alpha1.SetHeaderRoute{Name: "hdr", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "x-user", HeaderValue: &v1alpha1.StringMatch{Regex: "beta-[0-9]+"}}}}
	if err := rt.SetHeaderRoute(ctx, hr); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetWeight(ctx, 40); err != nil {
		t.Fatal(err)
	}
	u := get(t, c, "GRPCRoute", "v1", "rpc")
	if w := weights(t, u); w["/canary"] != 40 || w["/stable"] != 60 || w["hdr/canary"] != 1 {
		t.Fatalf("weights = %v", w)
	}
	rules, _ := Rules(u)
	m := rules[1]["matches"].([]any)[0].(map[string]any)
	if m["method"] == nil || m["path"] != nil || m["headers"].([]any)[0].(map[string]any)["value"] != "beta-[0-9]+" {
		t.Fatalf("managed gRPC match = %v, want the method and the regex header only", m)
	}
	ref := rules[1]["backendRefs"].([]any)[0].(map[string]any)
	if RefName(ref) != "canary" || ref["port"] != int64(9000) || ref["kind"] != "Service" {
		t.Fatalf("managed backendRef = %v, want the canary Service on the source's port", ref)
	}
}

func TestSelectorFindsRoutesWithoutHeaderRoutes(t *testing.T) {
	ctx := context.Background()
	rt, c, _ := build(t, rollout(t, `{grpcRouteSelector: {matchLabels: {app: demo}}}`, "hdr"), object(t, grpcRoute))
	if err := rt.SetWeight(ctx, 25); err != nil {
		t.Fatal(err)
	}
	hr := &v1alpha1.SetHeaderRoute{Name: "hdr", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "x-user", HeaderValue: &v1alpha1.StringMatch{Exact: "a"}}}}
	if err := rt.SetHeaderRoute(ctx, hr); err != nil {
		t.Fatal(err)
	}
	u := get(t, c, "GRPCRoute", "v1", "rpc")
	rules, _ := Rules(u)
	if w := weights(t, u); w["/canary"] != 25 || len(rules) != 1 {
		t.Fatalf("weights %v, %d rules: want the discovered route weighed and no header rule", w, len(rules))
	}
}
