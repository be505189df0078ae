package alb

import (
	"context"
	"fmt"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	networkingv1 "k8s.io/api/networking/v1"
)

// SetHeaderRoute adds (match set) or removes (no match) the route's
// actions.<route> and conditions.<route> annotations on every Ingress, and
// a `/*` path to the route's action at the head of every rule, paths
// ordered as the managed routes are.
func (r *Router) SetHeaderRoute(ctx context.Context, route *v1alpha1.SetHeaderRoute) error {
	if route == nil {
		return nil
	}
	ro := r.d.Rollout
	for _, name := range Ingresses(r.alb) {
		ing, err := r.get(ctx, name)
		if err != nil {
			return fmt.Errorf("get ingress %s: %w", name, err)
		}
		next := ing.DeepCopy()
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		actionKey, condKey := ActionKey(r.alb, route.Name), ConditionKey(r.alb, route.Name)
		add := route.Match != nil
		if add {
			if next.Annotations[actionKey], err = headerAction(ro); err != nil {
				return err
			}
			if next.Annotations[condKey], err = headerConditions(route); err != nil {
				return err
			}
		} else {
			delete(next.Annotations, actionKey)
			delete(next.Annotations, condKey)
		}
		if err := managed(next.Annotations, ro.Name, add, actionKey, condKey); err != nil {
			return err
		}
		has := hasRuleWithService(ing, route.Name)
		switch {
		case has && !add:
			removePath(next, route.Name)
		case !has && add:
			addActionPath(next, route.Name)
		}
		sortPaths(next, ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes)
		patched, err := r.patch(ctx, ing, next)
		if err != nil || !patched {
			return err
		}
		r.d.Note("ingress", name, "event", "PatchingALBIngress", fmt.Sprintf("Updating Ingress `%s` to headerRoute %s", name, route.Name))
	}
	return nil
}

// RemoveManagedRoutes removes every managed route's annotations and path.
func (r *Router) RemoveManagedRoutes(ctx context.Context) error {
	ro := r.d.Rollout
	routes := ro.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes
	if len(routes) == 0 {
		return nil
	}
	for _, name := range Ingresses(r.alb) {
		ing, err := r.get(ctx, name)
		if err != nil {
			return fmt.Errorf("get ingress %s: %w", name, err)
		}
		next := ing.DeepCopy()
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		var keys []string
		for _, mr := range routes {
			a, c := ActionKey(r.alb, mr.Name), ConditionKey(r.alb, mr.Name)
			delete(next.Annotations, a)
			delete(next.Annotations, c)
			keys = append(keys, a, c)
		}
		if err := managed(next.Annotations, ro.Name, false, keys...); err != nil {
			return err
		}
		for _, mr := range routes {
			removePath(next, mr.Name)
		}
		patched, err := r.patch(ctx, ing, next)
		if err != nil || !patched {
			return err
		}
		r.d.Note("ingress", name, "event", "PatchingALBIngress", fmt.Sprintf("Updating Ingress `%s` removing managed routes", name))
	}
	return nil
}

// addActionPath puts a `/*` path whose backend is the action (port
// use-annotation) first in every HTTP rule.
func addActionPath(ing *networkingv1.Ingress, action string) {
	pt := networkingv1.PathTypeImplementationSpecific
	p := networkingv1.HTTPIngressPath{Path: "/*", PathType: &pt, Backend: networkingv1.IngressBackend{
		Service: &networkingv1.IngressServiceBackend{Name: action, Port: networkingv1.ServiceBackendPort{Name: UseAnnotation}}}}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP != nil {
			rule.HTTP.Paths = append([]networkingv1.HTTPIngressPath{p}, rule.HTTP.Paths...)
		}
	}
}

// removePath drops the first path of every rule whose backend is service.
func removePath(ing *networkingv1.Ingress, service string) {
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for i, p := range rule.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name == service {
				rule.HTTP.Paths = append(rule.HTTP.Paths[:i:i], rule.HTTP.Paths[i+1:]...)
				break
			}
		}
	}
}

// sortPaths orders every rule's paths by their backend's position among
// the managed routes, the others after them in their order.
func sortPaths(ing *networkingv1.Ingress, routes []v1alpha1.MangedRoutes) {
	rank := map[string]int{}
	for i, mr := range routes {
		rank[mr.Name] = i
	}
	of := func(p networkingv1.HTTPIngressPath) int {
		if p.Backend.Service != nil {
			if v, ok := rank[p.Backend.Service.Name]; ok {
				return v
			}
		}
		return len(rank)
	}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		ps := rule.HTTP.Paths
		sort.SliceStable(ps, func(i, j int) bool { return of(ps[i]) < of(ps[j]) })
	}
}
