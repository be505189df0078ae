package traefik_test

import (
	"context"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"github.com/rollsim/rollsim/controller/trafficrouting/traefik"
	trafficmodel "github.com/rollsim/rollsim/sim/traffic"
	traefikreader "github.com/rollsim/rollsim/sim/traffic/traefik"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func setup(services ...string) (*v1alpha1.Rollout, client.Client) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{CanaryService: "canary", StableService: "stable",
		TrafficRouting: &v1alpha1.RolloutTrafficRouting{Traefik: &v1alpha1.TraefikTrafficRouting{WeightedTraefikServiceName: "ts"}}}
	var ss []any
	for _, s := range services {
		ss = append(ss, map[string]any{"name": s, "port": int64(80)})
	}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"weighted": map[string]any{"services": ss}}}}
	u.SetGroupVersionKind(traefik.GVK)
	u.SetNamespace("ns")
	u.SetName("ts")
	return ro, fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(u).Build()
}

type env struct{ c client.Client }

func (e env) Client() client.Client { return e.c }
func (e env) Namespace() string     { return "ns" }
func (e env) Service(name string) (trafficmodel.Backend, error) {
	return trafficmodel.Backend{Service: name, Endpoints: []trafficmodel.Endpoint{{Hash: name, Pods: 1}}}, nil
}
func (e env) Endpoints(labels.Selector) []trafficmodel.Endpoint { return nil }

// TestSetWeightThenRead writes the weights and reads them back as the
// traffic model does.
func TestSetWeightThenRead(t *testing.T) {
	ro, c := setup("stable", "canary")
	rt, _ := traefik.New(trafficrouting.Deps{Rollout: ro, Client: c, Note: func(_, _, _, _, _ string) {}})
	if err := rt.SetWeight(context.Background(), 30); err != nil {
		t.Fatal(err)
	}
	got, err := traefikreader.Reader{}.Read(context.Background(), env{c}, ro)
	if err != nil {
		t.Fatal(err)
	}
	w := map[string]float64{}
	for _, d := range got.Default {
		w[d.Backend.Service] = d.Weight
	}
	if len(w) != 2 || w["canary"] != 30 || w["stable"] != 70 {
		t.Errorf("weights %v", w)
	}
}
