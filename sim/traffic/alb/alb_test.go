package alb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	albrouter "github.com/rollsim/rollsim/controller/trafficrouting/alb"
	"github.com/rollsim/rollsim/sim/traffic"
	"github.com/rollsim/rollsim/sim/traffic/alb"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// env serves Services by name with one endpoint each ("missing" does not
// exist).
type env struct{ c client.Client }

func (e env) Client() client.Client { return e.c }
func (e env) Namespace() string     { return "ns" }
func (e env) Service(name string) (traffic.Backend, error) {
	if name == "missing" {
		return traffic.Backend{Service: name, Missing: true}, nil
	}
	return traffic.Backend{Service: name, Endpoints: []traffic.Endpoint{{Hash: name, Pods: 1}}}, nil
}
func (e env) Endpoints(labels.Selector) []traffic.Endpoint { return nil }

func fixture() (*v1alpha1.Rollout, *networkingv1.Ingress) {
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

// TestReadsWhatTheControllerWrote drives the controller half and reads the
// same Ingress back.
func TestReadsWhatTheControllerWrote(t *testing.T) {
	ro, ing := fixture()
	c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ing).Build()
	ctx := context.Background()
	rt, _ := albrouter.New(trafficrouting.Deps{Rollout: ro, Status: &v1alpha1.RolloutStatus{}, Client: c, Note: func(_, _, _, _, _ string) {}})
	if err := rt.SetWeight(ctx, 30); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetHeaderRoute(ctx, &v1alpha1.SetHeaderRoute{Name: "canary-header", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := alb.Reader{}.Read(ctx, env{c}, ro)
	if err != nil || got == nil {
		t.Fatalf("read: %v %v", got, err)
	}
	if len(got.Default) != 2 || got.Default[0].Backend.Service != "canary-service" || got.Default[0].Weight != 30 ||
		got.Default[1].Backend.Service != "stable-service" || got.Default[1].Weight != 70 {
		t.Errorf("default = %+v", got.Default)
	}
	if len(got.Rules) != 1 || got.Rules[0].Headers[0] != (traffic.HeaderMatch{Name: "X-Canary", Exact: "yes"}) ||
		got.Rules[0].Dests[0].Backend.Service != "canary-service" || got.Rules[0].Dests[0].Weight != 100 {
		t.Errorf("rules = %+v", got.Rules)
	}
	if len(got.Notes) != 0 {
		t.Errorf("notes = %v", got.Notes)
	}
}

func TestMisconfigurationsAreTheLoadBalancersExposure(t *testing.T) {
	ctx := context.Background()
	t.Run("port number ignores the annotation", func(t *testing.T) {
		ro, ing := fixture()
		ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{Number: 80}
		ing.Annotations = map[string]string{"alb.ingress.kubernetes.io/actions.stable-service": `{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"canary-service","Weight":50},{"ServiceName":"stable-service","Weight":50}]}}`}
		c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ing).Build()
		got, err := alb.Reader{}.Read(ctx, env{c}, ro)
		if err != nil || len(got.Default) != 1 || got.Default[0].Backend.Service != "stable-service" || len(got.Notes) != 1 ||
			!strings.Contains(got.Notes[0], "not use-annotation") {
			t.Errorf("got %+v, %v", got, err)
		}
	})
	t.Run("missing annotation and missing target group service", func(t *testing.T) {
		ro, ing := fixture()
		c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ing).Build()
		got, _ := alb.Reader{}.Read(ctx, env{c}, ro)
		if len(got.Default) != 0 || len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "no annotation") {
			t.Errorf("no annotation: %+v", got)
		}
		ing2 := ing.DeepCopy()
		ing2.ResourceVersion = ""
		ing2.Annotations = map[string]string{"alb.ingress.kubernetes.io/actions.stable-service": `{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"missing","Weight":10},{"ServiceName":"stable-service","Weight":90}]}}`}
		c = fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ing2).Build()
		got, _ = alb.Reader{}.Read(ctx, env{c}, ro)
		if len(got.Default) != 2 || !got.Default[0].Backend.Missing || len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "missing does not exist") {
			t.Errorf("missing service: %+v", got)
		}
	})
}
