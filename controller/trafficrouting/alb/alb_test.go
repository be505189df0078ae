package alb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"github.com/rollsim/rollsim/controller/trafficrouting/alb"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// Fixture returns an ALB rollout and its Ingress (stable-service on port
// use-annotation), as docs/features/traffic-management/alb.md shows them.
func Fixture() (*v1alpha1.Rollout, *networkingv1.Ingress) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{CanaryService: "canary-service", StableService: "stable-service",
		TrafficRouting: &v1alpha1.RolloutTrafficRouting{ALB: &v1alpha1.ALBTrafficRouting{Ingress: "ingress", ServicePort: 80},
			ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "canary-header"}}}}
	pt := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "ingress", Namespace: "ns"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "stable-service",
					Port: networkingv1.ServiceBackendPort{Name: "use-annotation"}}}}}}}}}}}
	return ro, ing
}

func newRouter(t *testing.T, ro *v1alpha1.Rollout, objs ...client.Object) (trafficrouting.Router, client.Client, *[]string) {
	t.Helper()
	c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(objs...).Build()
	var notes []string
	rt, err := alb.New(trafficrouting.Deps{Rollout: ro, Status: &v1alpha1.RolloutStatus{}, Client: c,
		Note: func(kind, name, verb, reason, detail string) { notes = append(notes, reason+": "+detail) }})
	if err != nil {
		t.Fatal(err)
	}
	return rt, c, &notes
}

func getIngress(t *testing.T, c client.Client) *networkingv1.Ingress {
	t.Helper()
	ing := &networkingv1.Ingress{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "ingress"}, ing); err != nil {
		t.Fatal(err)
	}
	return ing
}

func TestSetWeightWritesTheForwardAction(t *testing.T) {
	ro, ing := Fixture()
	ro.Spec.Strategy.Canary.TrafficRouting.ALB.StickinessConfig = &v1alpha1.StickinessConfig{Enabled: true, DurationSeconds: 3600}
	rt, c, notes := newRouter(t, ro, ing)
	if err := rt.SetWeight(context.Background(), 20); err != nil {
		t.Fatal(err)
	}
	got := getIngress(t, c).Annotations
	want := `{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"canary-service","ServicePort":"80","Weight":20},` +
		`{"ServiceName":"stable-service","ServicePort":"80","Weight":80}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":3600}}}`
	if got["alb.ingress.kubernetes.io/actions.stable-service"] != want {
		t.Errorf("action annotation:\n got %s\nwant %s", got["alb.ingress.kubernetes.io/actions.stable-service"], want)
	}
	if m := got[alb.ManagedAnnotations]; m != `{"ro":["alb.ingress.kubernetes.io/actions.stable-service"]}` {
		t.Errorf("managed annotations = %s", m)
	}
	if len(*notes) != 1 || !strings.Contains((*notes)[0], "desiredWeight '20'") {
		t.Errorf("notes = %v", *notes)
	}
	// the same weight again: nothing to patch, no event
	if err := rt.SetWeight(context.Background(), 20); err != nil || len(*notes) != 1 {
		t.Errorf("second SetWeight: err %v, notes %v", err, *notes)
	}
}

func TestStickinessOutOfRangeIsAnError(t *testing.T) {
	ro, ing := Fixture()
	ro.Spec.Strategy.Canary.TrafficRouting.ALB.StickinessConfig = &v1alpha1.StickinessConfig{Enabled: true, DurationSeconds: 0}
	rt, _, _ := newRouter(t, ro, ing)
	if err := rt.SetWeight(context.Background(), 20); err == nil || !strings.Contains(err.Error(), "between 1 and 604800") {
		t.Errorf("err = %v", err)
	}
}

func TestHeaderRouteAddsAndRemovesTheRule(t *testing.T) {
	ro, ing := Fixture()
	rt, c, _ := newRouter(t, ro, ing)
	route := &v1alpha1.SetHeaderRoute{Name: "canary-header", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}},
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Exact: "true"}}}}
	if err := rt.SetHeaderRoute(context.Background(), route); err != nil {
		t.Fatal(err)
	}
	got := getIngress(t, c)
	if cond := got.Annotations["alb.ingress.kubernetes.io/conditions.canary-header"]; cond != `[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Canary","values":["yes","true"]}}]` {
		t.Errorf("conditions = %s", cond)
	}
	paths := got.Spec.Rules[0].HTTP.Paths
	if len(paths) != 2 || paths[0].Backend.Service.Name != "canary-header" || paths[0].Backend.Service.Port.Name != "use-annotation" || paths[0].Path != "/*" {
		t.Fatalf("paths = %+v", paths)
	}
	if err := rt.RemoveManagedRoutes(context.Background()); err != nil {
		t.Fatal(err)
	}
	got = getIngress(t, c)
	if _, ok := got.Annotations["alb.ingress.kubernetes.io/actions.canary-header"]; ok {
		t.Error("action annotation left behind")
	}
	if len(got.Spec.Rules[0].HTTP.Paths) != 1 || got.Annotations[alb.ManagedAnnotations] != `{"ro":[]}` {
		t.Errorf("after removal: paths %+v, managed %s", got.Spec.Rules[0].HTTP.Paths, got.Annotations[alb.ManagedAnnotations])
	}
}

func TestValidateReferencesGivesArgosMessages(t *testing.T) {
	ro, ing := Fixture()
	ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "other"
	rt, _, _ := newRouter(t, ro, ing)
	msg, err := rt.(trafficrouting.ReferenceValidator).ValidateReferences(context.Background())
	want := "spec.strategy.canary.trafficRouting.alb.ingress: Invalid value: \"ingress\": ingress `ingress` has no rules using service stable-service backend"
	if err != nil || msg != want {
		t.Errorf("msg %q err %v\nwant %q", msg, err, want)
	}
	ro.Spec.Strategy.Canary.TrafficRouting.ALB.Ingresses = []string{"missing"}
	msg, _ = rt.(trafficrouting.ReferenceValidator).ValidateReferences(context.Background())
	if !strings.Contains(msg, "Either Ingress or Ingresses must be configured. Both are configured.") {
		t.Errorf("both: %q", msg)
	}
	ro.Spec.Strategy.Canary.TrafficRouting.ALB.Ingress = ""
	msg, _ = rt.(trafficrouting.ReferenceValidator).ValidateReferences(context.Background())
	if !strings.HasPrefix(msg, `spec.strategy.canary.trafficRouting.alb.ingresses: Invalid value: ["missing"]: `) || !strings.Contains(msg, "not found") {
		t.Errorf("missing: %q", msg)
	}
}

type verifier bool

func (v verifier) Verified(string, string, string) bool { return bool(v) }

func TestVerifyWeight(t *testing.T) {
	ro, ing := Fixture()
	ro.Status.StableRS, ro.Status.CurrentPodHash = "s", "c"
	w := int32(20)
	ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetWeight: &w}}
	zero := int32(0)
	ro.Status.CurrentStepIndex = &zero
	c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ing).Build()
	for _, tc := range []struct {
		v    trafficrouting.WeightVerifier
		want string
	}{{nil, "<nil>"}, {verifier(false), "false"}, {verifier(true), "true"}} {
		st := &v1alpha1.RolloutStatus{}
		rt, _ := alb.New(trafficrouting.Deps{Rollout: ro, Status: st, Client: c, Verifier: tc.v, Note: func(_, _, _, _, _ string) {}})
		got, err := rt.VerifyWeight(context.Background(), 20)
		s := "<nil>"
		if got != nil {
			s = map[bool]string{true: "true", false: "false"}[*got]
		}
		if err != nil || s != tc.want {
			t.Errorf("verifier %v: got %s, %v; want %s", tc.v, s, err, tc.want)
		}
		if (tc.v == nil) != (st.ALB == nil) || (st.ALB != nil && st.ALB.Ingress != "ingress") {
			t.Errorf("verifier %v: status.alb = %+v", tc.v, st.ALB)
		}
	}
}
