package gatewayapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Router is the Gateway API plugin of one Rollout.
type Router struct {
	d   trafficrouting.Deps
	cfg *Config
	// cfgErr is the plugin's own configuration error (a type mismatch, a
	// route without a name): every call fails with it, as the plugin's do.
	cfgErr error
	// seen are the routes as this router last read or wrote them: a Router
	// lives for one reconcile, in which it is the routes' only writer, so
	// its calls share one read per route.
	seen map[string]*unstructured.Unstructured
	// found is the routes list of this reconcile.
	found []route
}

// New builds the plugin for d.Rollout. Configuration the plugin would
// ignore (an unknown field) is refused here, so it is an InvalidSpec.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	cfg, err := ParseConfig(d.Rollout)
	if errors.Is(err, ErrUnknownField) {
		return nil, err
	}
	return &Router{d: d, cfg: cfg, cfgErr: err, seen: map[string]*unstructured.Unstructured{}}, nil
}

// Type implements trafficrouting.Router: the plugin's type.
func (r *Router) Type() string { return "GatewayAPI" }

// route is one route the plugin controls this call.
type route struct {
	kind Kind
	ref  RouteRef
}

// Routes are the routes cfg names, then those its label selectors find in
// its namespace (without header routes), kind by kind in the plugin's
// order.
func Routes(ctx context.Context, c client.Client, cfg *Config) ([]Kind, [][]RouteRef, error) {
	var ks []Kind
	var refs [][]RouteRef
	for _, k := range kinds {
		list := append([]RouteRef(nil), k.Refs(cfg)...)
		if ls := k.selector(cfg); ls != nil {
			sel, err := metav1.LabelSelectorAsSelector(ls)
			if err != nil {
				return nil, nil, err
			}
			names, err := k.List(ctx, c, cfg.Namespace, client.MatchingLabelsSelector{Selector: sel})
			if err != nil {
				return nil, nil, err
			}
			for _, n := range names {
				list = append(list, RouteRef{Name: n})
			}
		}
		ks, refs = append(ks, k), append(refs, list)
	}
	return ks, refs, nil
}

func (r *Router) routes(ctx context.Context) ([]route, error) {
	if r.cfgErr != nil {
		return nil, r.cfgErr
	}
	if r.found != nil {
		return r.found, nil
	}
	ks, refs, err := Routes(ctx, r.d.Client, r.cfg)
	if err != nil {
		return nil, err
	}
	var out []route
	for i, k := range ks {
		for _, ref := range refs[i] {
			out = append(out, route{kind: k, ref: ref})
		}
	}
	r.found = append([]route{}, out...)
	return out, nil
}

// get reads a route (a copy the caller may change).
func (r *Router) get(ctx context.Context, rt route) (*unstructured.Unstructured, error) {
	key := rt.kind.Kind + "/" + r.cfg.Namespace + "/" + rt.ref.Name
	if u, ok := r.seen[key]; ok {
		return u.DeepCopy(), nil
	}
	u, err := rt.kind.Get(ctx, r.d.Client, r.cfg.Namespace, rt.ref.Name)
	if err != nil {
		return nil, err
	}
	r.seen[key] = u.DeepCopy()
	return u, nil
}

// write updates a route and remembers it as written.
func (r *Router) write(ctx context.Context, rt route, u *unstructured.Unstructured) error {
	if err := r.d.Client.Update(ctx, u); err != nil {
		delete(r.seen, rt.kind.Kind+"/"+r.cfg.Namespace+"/"+rt.ref.Name)
		return err
	}
	r.seen[rt.kind.Kind+"/"+r.cfg.Namespace+"/"+rt.ref.Name] = u.DeepCopy()
	return nil
}

// update writes u back when it changed (the plugin updates every time; an
// unchanged update changes nothing but the resourceVersion).
func (r *Router) update(ctx context.Context, rt route, before, u *unstructured.Unstructured) error {
	if equality.Semantic.DeepEqual(before.Object, u.Object) {
		return nil
	}
	return r.write(ctx, rt, u)
}

// UpdateHash implements trafficrouting.Router: the plugin selects by
// Service.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetMirrorRoute implements trafficrouting.Router: the plugin does nothing.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: the plugin always answers
// verified.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	verified := true
	return &verified, nil
}

// managedNames are the rollout's managed route names.
func (r *Router) managedNames() map[string]bool {
	out := map[string]bool{}
	for _, mr := range r.d.Rollout.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes {
		out[mr.Name] = true
	}
	return out
}

// pluginError is how Argo wraps an error the plugin returns.
func pluginError(call string, err error) error {
	return fmt.Errorf("failed to %s via plugin: %s", call, err.Error())
}
