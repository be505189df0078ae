package smi_test

import (
	"context"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	smirouter "github.com/rollsim/rollsim/controller/trafficrouting/smi"
	"github.com/rollsim/rollsim/sim/traffic"
	"github.com/rollsim/rollsim/sim/traffic/smi"
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
	if name == "gone" {
		return traffic.Backend{Service: name, Missing: true}, nil
	}
	return traffic.Backend{Service: name, Endpoints: []traffic.Endpoint{{Hash: name, Pods: 1}}}, nil
}
func (e env) Endpoints(labels.Selector) []traffic.Endpoint { return nil }

func rollout() *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns", UID: "u"}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{CanaryService: "canary", StableService: "stable",
		TrafficRouting: &v1alpha1.RolloutTrafficRouting{SMI: &v1alpha1.SMITrafficRouting{RootService: "root"}}}
	return ro
}

func weights(rt *traffic.Routing) map[string]float64 {
	out := map[string]float64{}
	for _, d := range rt.Default {
		out[d.Backend.Service] = d.Weight
	}
	return out
}

func TestReadsWhatTheControllerWroteInEveryVersion(t *testing.T) {
	for _, v := range smirouter.Versions {
		c := fake.NewClientBuilder().WithScheme(api.Scheme).Build()
		rt, _ := smirouter.New(trafficrouting.Deps{Rollout: rollout(), Client: c, SMIAPIVersion: v, Note: func(_, _, _, _, _ string) {}})
		if err := rt.SetWeight(context.Background(), 25); err != nil {
			t.Fatal(err)
		}
		got, err := smi.Reader{}.Read(context.Background(), env{c}, rollout())
		if err != nil {
			t.Fatal(err)
		}
		if w := weights(got); len(w) != 2 || w["canary"] != 25 || w["stable"] != 75 || len(got.Notes) != 0 {
			t.Errorf("%s: %v notes %v", v, w, got.Notes)
		}
	}
}

func TestMisconfiguredSplits(t *testing.T) {
	mk := func(spec map[string]any) client.Client {
		ts := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
		ts.SetGroupVersionKind(smirouter.GVK("v1alpha1"))
		ts.SetNamespace("ns")
		ts.SetName("ro")
		return fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ts).Build()
	}
	t.Run("another root service: requests through the root Service", func(t *testing.T) {
		got, _ := smi.Reader{}.Read(context.Background(), env{mk(map[string]any{"service": "other", "backends": []any{}})}, rollout())
		if w := weights(got); len(w) != 1 || w["root"] != 1 || len(got.Notes) != 1 {
			t.Errorf("%v %v", w, got.Notes)
		}
	})
	t.Run("quantities and a missing backend", func(t *testing.T) {
		got, _ := smi.Reader{}.Read(context.Background(), env{mk(map[string]any{"service": "root", "backends": []any{
			map[string]any{"service": "gone", "weight": "500m"}, map[string]any{"service": "stable", "weight": int64(1)}}})}, rollout())
		if w := weights(got); w["gone"] != 0.5 || w["stable"] != 1 || len(got.Notes) != 1 {
			t.Errorf("%v %v", w, got.Notes)
		}
	})
	t.Run("no TrafficSplit yet", func(t *testing.T) {
		got, _ := smi.Reader{}.Read(context.Background(), env{fake.NewClientBuilder().WithScheme(api.Scheme).Build()}, rollout())
		if w := weights(got); len(w) != 1 || w["root"] != 1 {
			t.Errorf("%v", w)
		}
	})
}
