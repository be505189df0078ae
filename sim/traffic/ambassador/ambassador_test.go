package ambassador_test

import (
	"context"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	ambrouter "github.com/rollsim/rollsim/controller/trafficrouting/ambassador"
	"github.com/rollsim/rollsim/sim/traffic"
	"github.com/rollsim/rollsim/sim/traffic/ambassador"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
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

func setup() (*v1alpha1.Rollout, client.Client, trafficrouting.Router) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{CanaryService: "echo-canary", StableService: "echo-stable",
		TrafficRouting: &v1alpha1.RolloutTrafficRouting{Ambassador: &v1alpha1.AmbassadorTrafficRouting{Mappings: []string{"echo"}}}}
	m := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"prefix": "/echo", "service": "echo-stable:80"}}}
	m.SetGroupVersionKind(ambrouter.GVK)
	m.SetNamespace("ns")
	m.SetName("echo")
	c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(m).Build()
	rt, _ := ambrouter.New(trafficrouting.Deps{Rollout: ro, Client: c, Note: func(_, _, _, _, _ string) {}})
	return ro, c, rt
}

func TestCanaryMappingLifecycleAndRead(t *testing.T) {
	ro, c, rt := setup()
	ctx := context.Background()
	if err := rt.SetWeight(ctx, 30); err != nil {
		t.Fatal(err)
	}
	cm := &unstructured.Unstructured{}
	cm.SetGroupVersionKind(ambrouter.GVK)
	if err := c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "echo-canary"}, cm); err != nil {
		t.Fatal(err)
	}
	if svc, _, _ := unstructured.NestedString(cm.Object, "spec", "service"); svc != "echo-canary:80" || ambrouter.Weight(cm) != 30 {
		t.Errorf("canary mapping %v", cm.Object["spec"])
	}
	got, err := ambassador.Reader{}.Read(ctx, env{c}, ro)
	if err != nil || len(got.Default) != 2 || got.Default[0].Backend.Service != "echo-canary" || got.Default[0].Weight != 30 ||
		got.Default[1].Backend.Service != "echo-stable" || got.Default[1].Weight != 70 {
		t.Fatalf("read %+v %v", got, err)
	}
	// weight 0: first set to 0, then deleted
	for i := 0; i < 2; i++ {
		if err := rt.SetWeight(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "echo-canary"}, cm); !apierrors.IsNotFound(err) {
		t.Errorf("canary mapping not deleted: %v", err)
	}
	got, _ = ambassador.Reader{}.Read(ctx, env{c}, ro)
	if len(got.Default) != 1 || got.Default[0].Backend.Service != "echo-stable" {
		t.Errorf("after deletion %+v", got.Default)
	}
}

func TestValidation(t *testing.T) {
	ro, _, rt := setup()
	v := rt.(trafficrouting.ReferenceValidator)
	if msg, err := v.ValidateReferences(context.Background()); msg != "" || err != nil {
		t.Errorf("valid: %q %v", msg, err)
	}
	ro.Spec.Strategy.Canary.TrafficRouting.Ambassador.Mappings = []string{"nope"}
	rt, _ = ambrouter.New(trafficrouting.Deps{Rollout: ro, Client: fake.NewClientBuilder().WithScheme(api.Scheme).Build()})
	msg, _ := rt.(trafficrouting.ReferenceValidator).ValidateReferences(context.Background())
	if want := `spec.strategy.canary.trafficRouting.ambassador.mappings: Invalid value: "nope": `; len(msg) < len(want) || msg[:len(want)] != want {
		t.Errorf("missing mapping: %q", msg)
	}
	ro.Spec.Strategy.Canary.TrafficRouting.Ambassador.Mappings = nil
	rt, _ = ambrouter.New(trafficrouting.Deps{Rollout: ro})
	if msg, _ := rt.(trafficrouting.ReferenceValidator).ValidateReferences(context.Background()); msg != `spec.strategy.canary.trafficRouting.ambassador.mappings: Invalid value: null: must provide at least one mapping` {
		t.Errorf("no mapping: %q", msg)
	}
}
