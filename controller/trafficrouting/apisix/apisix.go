package apisix

import (
	"context"
	"errors"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// GVK is the ApisixRoute kind Argo writes by default.
var GVK = schema.GroupVersionKind{Group: "apisix.apache.org", Version: "v2", Kind: "ApisixRoute"}

const typeAssertion = "Failed type assertion for Apisix http route"

// Router is the APISIX router of one Rollout.
type Router struct {
	d   trafficrouting.Deps
	cfg *v1alpha1.ApisixTrafficRouting
}

// New builds the APISIX router for d.Rollout.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	return &Router{d: d, cfg: d.Rollout.Spec.Strategy.Canary.TrafficRouting.Apisix}, nil
}

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "Apisix" }

// Rules are the rule names the router weights: route.rules, else the
// route's name.
func Rules(cfg *v1alpha1.ApisixTrafficRouting) []string {
	if cfg.Route.Rules != nil {
		return cfg.Route.Rules
	}
	return []string{cfg.Route.Name}
}

func (r *Router) get(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(GVK)
	err := r.d.Client.Get(ctx, types.NamespacedName{Namespace: r.d.Rollout.Namespace, Name: name}, u)
	return u, err
}

// update writes next when it differs from cur (Argo updates every time;
// an API server makes an unchanged update a no-op).
func (r *Router) update(ctx context.Context, cur, next *unstructured.Unstructured) error {
	if equality.Semantic.DeepEqual(cur.Object, next.Object) {
		return nil
	}
	if err := r.d.Client.Update(ctx, next); err != nil {
		r.d.Note("rollout", r.d.Rollout.Name, "event", "ApisixRouteUpdateError", fmt.Sprintf("Error updating apisix route %q: %s", next.GetName(), err))
		return err
	}
	return nil
}

// SetWeight sets the canary and stable backends' weights in every rule.
func (r *Router) SetWeight(ctx context.Context, weight int32, _ ...v1alpha1.WeightDestination) error {
	cs := r.d.Rollout.Spec.Strategy.Canary
	cur, err := r.get(ctx, r.cfg.Route.Name)
	if err != nil {
		return err
	}
	next := cur.DeepCopy()
	err = r.eachRule(next, func(rule map[string]any, backends []any) error {
		if err := setBackendWeight(backends, cs.CanaryService, int64(weight)); err != nil {
			return err
		}
		return setBackendWeight(backends, cs.StableService, int64(100-weight))
	})
	if err != nil {
		return err
	}
	return r.update(ctx, cur, next)
}

// eachRule calls fn with every weighted rule of u and its backends.
func (r *Router) eachRule(u *unstructured.Unstructured, fn func(rule map[string]any, backends []any) error) error {
	http, found, err := unstructured.NestedSlice(u.Object, "spec", "http")
	if err != nil {
		return err
	}
	if !found {
		return errors.New("spec.http was not found in Apisix Route manifest")
	}
	for _, name := range Rules(r.cfg) {
		rule, err := FindRule(http, name)
		if err != nil {
			return err
		}
		backends, ok := rule["backends"].([]any)
		if !ok {
			if _, has := rule["backends"]; !has {
				return errors.New("Apisix http route backends not found")
			}
			return fmt.Errorf("%s backends", typeAssertion)
		}
		if err := fn(rule, backends); err != nil {
			return err
		}
	}
	return unstructured.SetNestedSlice(u.Object, http, "spec", "http")
}

// FindRule is the http rule named name.
func FindRule(http []any, name string) (map[string]any, error) {
	for _, h := range http {
		m, ok := h.(map[string]any)
		if !ok {
			return nil, errors.New(typeAssertion)
		}
		raw, ok := m["name"]
		if !ok {
			return nil, errors.New("Apisix http route rule name field not found")
		}
		n, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("%s rule name", typeAssertion)
		}
		if n == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("Apisix http route rule %s not found", name)
}

func setBackendWeight(backends []any, service string, w int64) error {
	for _, b := range backends {
		m, ok := b.(map[string]any)
		if !ok {
			return fmt.Errorf("%s backends", typeAssertion)
		}
		n, ok := m["serviceName"].(string)
		if !ok {
			return errors.New("serviceName field was not found in backend")
		}
		if n == service {
			m["weight"] = w
			return nil
		}
	}
	return fmt.Errorf("apisix route %s backend was not found", service)
}

// UpdateHash implements trafficrouting.Router: APISIX splits by Service.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetMirrorRoute implements trafficrouting.Router: none for APISIX.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: APISIX cannot tell.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// owned tells whether the rollout is u's controller.
func (r *Router) owned(u *unstructured.Unstructured) bool {
	return metav1.IsControlledBy(u, r.d.Rollout)
}

// RemoveManagedRoutes deletes every managed route's ApisixRoute the rollout
// owns.
func (r *Router) RemoveManagedRoutes(ctx context.Context) error {
	for _, mr := range r.d.Rollout.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes {
		u, err := r.get(ctx, mr.Name)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if r.owned(u) {
			if err := r.delete(ctx, u); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Router) delete(ctx context.Context, u *unstructured.Unstructured) error {
	if err := r.d.Client.Delete(ctx, u); err != nil && !apierrors.IsNotFound(err) {
		r.d.Note("rollout", r.d.Rollout.Name, "event", "ApisixRouteDeleteError", fmt.Sprintf("Error deleting apisix route %q: %s", u.GetName(), err))
		return err
	}
	r.d.Note("apisixroute", u.GetName(), "deleted", "ApisixRouteDeleted", fmt.Sprintf("header route %s removed", u.GetName()))
	return nil
}
