package traefik_test

import (
	"context"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"github.com/rollsim/rollsim/controller/trafficrouting/traefik"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

func TestMissingEntriesAreArgosErrors(t *testing.T) {
	for _, tc := range []struct {
		services []string
		want     string
	}{{[]string{"stable"}, "traefik canary service was not found"}, {[]string{"canary"}, "traefik stable service was not found"}} {
		ro, c := setup(tc.services...)
		rt, _ := traefik.New(trafficrouting.Deps{Rollout: ro, Client: c, Note: func(_, _, _, _, _ string) {}})
		if err := rt.SetWeight(context.Background(), 30); err == nil || err.Error() != tc.want {
			t.Errorf("%v: err %v, want %s", tc.services, err, tc.want)
		}
	}
}
