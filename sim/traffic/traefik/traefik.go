package traefik

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	traefikrouter "github.com/rollsim/rollsim/controller/trafficrouting/traefik"
	"github.com/rollsim/rollsim/sim/traffic"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// Reader reads TraefikServices into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "traefik" }

// Read implements traffic.RouterReader.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	name := ro.Spec.Strategy.Canary.TrafficRouting.Traefik.WeightedTraefikServiceName
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(traefikrouter.GVK)
	if err := env.Client().Get(ctx, types.NamespacedName{Namespace: env.Namespace(), Name: name}, u); err != nil {
		if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("get TraefikService %s: %w", name, err)
	}
	rt := &traffic.Routing{}
	services, _, _ := unstructured.NestedSlice(u.Object, "spec", "weighted", "services")
	for _, s := range services {
		m, ok := s.(map[string]any)
		if !ok {
			continue
		}
		svc, _ := m["name"].(string)
		w := 1.0
		switch x := m["weight"].(type) {
		case int64:
			w = float64(x)
		case float64:
			w = x
		}
		b, err := env.Service(svc)
		if err != nil {
			return nil, err
		}
		if b.Missing {
			rt.Notes = append(rt.Notes, fmt.Sprintf("TraefikService %s: service %s does not exist", name, svc))
		}
		rt.Default = append(rt.Default, traffic.Destination{Backend: b, Weight: w})
	}
	if len(rt.Default) == 0 {
		rt.Notes = append(rt.Notes, fmt.Sprintf("TraefikService %s has no weighted services: Traefik answers 404", name))
	}
	return rt, nil
}
