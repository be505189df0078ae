package openshift

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
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"
)

func rollout(cfg string) *v1alpha1.Rollout {
	raw, _ := yaml.YAMLToJSON([]byte(cfg))
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			CanaryService: "canary", StableService: "stable",
			TrafficRouting: &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{PluginName: raw}}}}},
	}
}

const route = `
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: web, namespace: ns}
spec:
  to: {kind: Service, name: stable, weight: 100}
  alternateBackends: [{kind: Service, name: canary, weight: 0}]
`

func build(t *testing.T, cfg string, docs ...string) (trafficrouting.Router, client.Client) {
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
	rt, err := New(trafficrouting.Deps{Rollout: rollout(cfg), Client: c})
	if err != nil {
		t.Fatal(err)
	}
	return rt, c
}

func TestSetWeightWritesToAndAlternateBackends(t *testing.T) {
	ctx := context.Background()
	rt, c := build(t, `{routes: [web], namespace: ignored}`, route)
	if err := rt.SetWeight(ctx, 30); err != nil {
		t.Fatal(err)
	}
	u, _ := GetRoute(ctx, c, types.NamespacedName{Namespace: "ns", Name: "web"})
	alts, _, _ := unstructured.NestedSlice(u.Object, "spec", "alternateBackends")
	if ToWeight(u) != 70 || len(alts) != 1 || alts[0].(map[string]any)["name"] != "canary" || Int(alts[0].(map[string]any)["weight"], -1) != 30 {
		t.Fatalf("route = %v, want to 70 and canary 30", u.Object["spec"])
	}
	if err := rt.SetWeight(ctx, 0); err != nil {
		t.Fatal(err)
	}
	u, _ = GetRoute(ctx, c, types.NamespacedName{Namespace: "ns", Name: "web"})
	if _, found, _ := unstructured.NestedSlice(u.Object, "spec", "alternateBackends"); found || ToWeight(u) != 100 {
		t.Fatalf("route at 0 = %v, want to 100 and no alternate backends", u.Object["spec"])
	}
}

func TestSetWeightErrors(t *testing.T) {
	other := strings.Replace(route, "namespace: ns", "namespace: other", 1)
	cases := []struct{ name, cfg, want string }{
		{"missing route", `{routes: [nope]}`, `failed to set weight via plugin: routes.route.openshift.io "nope" not found`},
		{"route in another namespace", `{routes: [other/web]}`, "the namespace of the provided object does not match"},
		{"weight above 100", `{routes: [web]}`, "spec.to.weight: Invalid value: -100"},
		{"routes not a list", `{routes: web}`, "failed to set weight via plugin: json: cannot unmarshal string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt, _ := build(t, tc.cfg, route, other)
			w := int32(10)
			if tc.name == "weight above 100" {
				w = 200
			}
			if err := rt.SetWeight(context.Background(), w); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestUnknownFieldIsRefused(t *testing.T) {
	_, err := New(trafficrouting.Deps{Rollout: rollout(`{route: [web]}`)})
	if !errors.Is(err, ErrUnknownField) || !strings.Contains(err.Error(), `"route"`) {
		t.Fatalf("err = %v, want an unknown-field error naming route", err)
	}
}
