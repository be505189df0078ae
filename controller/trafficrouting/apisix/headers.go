package apisix

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// SetHeaderRoute creates or updates the header route's ApisixRoute, or
// (no match) deletes it.
func (r *Router) SetHeaderRoute(ctx context.Context, route *v1alpha1.SetHeaderRoute) error {
	ro := r.d.Rollout
	cs := ro.Spec.Strategy.Canary
	main, err := r.get(ctx, r.cfg.Route.Name)
	if err != nil {
		return err
	}
	cur, err := r.get(ctx, route.Name)
	isNew := apierrors.IsNotFound(err)
	switch {
	case isNew:
		cur = main.DeepCopy()
		cur.SetName(route.Name)
		cur.SetResourceVersion("")
		cur.SetGeneration(0)
		cur.SetUID("")
		cur.SetCreationTimestamp(metav1.Time{})
		cur.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))})
	case err != nil:
		return err
	case !r.owned(cur):
		return fmt.Errorf("duplicate ApisixRoute [%s] already exists", route.Name)
	}
	if route.Match == nil {
		if isNew {
			return nil
		}
		return r.delete(ctx, cur)
	}
	next := cur.DeepCopy()
	err = r.eachRule(next, func(rule map[string]any, backends []any) error {
		if err := setBackendWeight(backends, cs.CanaryService, 100); err != nil {
			return err
		}
		var keep []any
		for _, b := range backends {
			if m, _ := b.(map[string]any); m["serviceName"] != cs.StableService {
				keep = append(keep, b)
			}
		}
		if keep == nil {
			keep = []any{}
		}
		rule["backends"] = keep
		if isNew {
			p, _, _ := unstructured.NestedInt64(rule, "priority")
			rule["priority"] = p + 1
		}
		return unstructured.SetNestedSlice(rule, exprs(route), "match", "exprs")
	})
	if err != nil {
		return err
	}
	if !isNew {
		return r.update(ctx, cur, next)
	}
	if err := r.d.Client.Create(ctx, next); err != nil {
		r.d.Note("rollout", ro.Name, "event", "ApisixRouteCreateError", fmt.Sprintf("Error create apisix route %q: %s", route.Name, err))
		return err
	}
	r.d.Note("apisixroute", route.Name, "created", "ApisixRouteCreated", fmt.Sprintf("header route %s to %s", route.Name, cs.CanaryService))
	return nil
}

// exprs are the route's matches as APISIX Header exprs (a prefix as a
// regex, as Argo writes it).
func exprs(route *v1alpha1.SetHeaderRoute) []any {
	out := []any{}
	for _, m := range route.Match {
		if m.HeaderValue == nil {
			continue
		}
		subject := map[string]any{"scope": "Header", "name": m.HeaderName}
		add := func(op, v string) {
			out = append(out, map[string]any{"subject": subject, "op": op, "value": v})
		}
		if v := m.HeaderValue.Exact; v != "" {
			add("Equal", v)
		}
		if v := m.HeaderValue.Regex; v != "" {
			add("RegexMatch", v)
		}
		if v := m.HeaderValue.Prefix; v != "" {
			add("RegexMatch", fmt.Sprintf("^%s.*", v))
		}
	}
	return out
}
