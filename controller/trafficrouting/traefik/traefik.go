package traefik

import (
	"context"
	"errors"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// GVK is the TraefikService kind Argo writes by default (Traefik v3).
var GVK = schema.GroupVersionKind{Group: "traefik.io", Version: "v1alpha1", Kind: "TraefikService"}

// Router is the Traefik router of one Rollout.
type Router struct {
	d trafficrouting.Deps
}

// New builds the Traefik router for d.Rollout.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) { return &Router{d: d}, nil }

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "Traefik" }

// SetWeight writes the canary and stable weights into the TraefikService's
// weighted services. Argo updates the object every time; rollsim skips an
// update that changes nothing (the API server makes it a no-op anyway).
func (r *Router) SetWeight(ctx context.Context, weight int32, _ ...v1alpha1.WeightDestination) error {
	ro := r.d.Rollout
	cs := ro.Spec.Strategy.Canary
	name := cs.TrafficRouting.Traefik.WeightedTraefikServiceName
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(GVK)
	if err := r.d.Client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: name}, cur); err != nil {
		return err
	}
	next := cur.DeepCopy()
	services, found, err := unstructured.NestedSlice(next.Object, "spec", "weighted", "services")
	if err != nil {
		return err
	}
	if !found {
		return errors.New("spec.weighted.services was not found in traefik service manifest")
	}
	for _, s := range []struct {
		svc, role string
		w         int64
	}{{cs.CanaryService, "canary", int64(weight)}, {cs.StableService, "stable", int64(100 - weight)}} {
		entry, err := find(services, s.svc)
		if err != nil {
			return err
		}
		if entry == nil {
			return fmt.Errorf("traefik %s service was not found", s.role)
		}
		entry["weight"] = s.w
	}
	if err := unstructured.SetNestedSlice(next.Object, services, "spec", "weighted", "services"); err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(cur.Object, next.Object) {
		return nil
	}
	if err := r.d.Client.Update(ctx, next); err != nil {
		msg := fmt.Sprintf("Error updating traefik service %q: %s", name, err)
		r.d.Note("rollout", ro.Name, "event", "TraefikServiceUpdateError", msg)
		return err
	}
	return nil
}

// find is the weighted services entry named name (nil when none).
func find(services []any, name string) (map[string]any, error) {
	for _, s := range services {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, errors.New("Failed type assertion setting weight for traefik service")
		}
		n, ok := m["name"].(string)
		if !ok {
			return nil, errors.New("name field was not found in service")
		}
		if n == name {
			return m, nil
		}
	}
	return nil, nil
}

// UpdateHash implements trafficrouting.Router: Traefik splits by Service.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetHeaderRoute implements trafficrouting.Router: none for Traefik.
func (r *Router) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements trafficrouting.Router: none for Traefik.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: Traefik cannot tell.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// RemoveManagedRoutes implements trafficrouting.Router: there are none.
func (r *Router) RemoveManagedRoutes(context.Context) error { return nil }
