package gatewayapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// SetWeight implements trafficrouting.Router: every route's backendRefs
// naming the canary Service get weight, those naming the stable Service
// 100 - weight (the plugin's arithmetic, whatever maxTrafficWeight is).
func (r *Router) SetWeight(ctx context.Context, w int32, _ ...v1alpha1.WeightDestination) error {
	routes, err := r.routes(ctx)
	if err != nil {
		return pluginError("set weight", err)
	}
	if len(routes) == 0 {
		return pluginError("set weight", errors.New("No routes configured. At least one of 'httpRoutes', 'grpcRoutes', 'tcpRoutes', 'tlsRoutes', 'httpRoute', 'grpcRoute', 'tcpRoute' or 'tlsRoute' must be set"))
	}
	for _, rt := range routes {
		if err := r.setRouteWeight(ctx, rt, w); err != nil {
			return pluginError("set weight", err)
		}
	}
	return nil
}

func (r *Router) setRouteWeight(ctx context.Context, rt route, w int32) error {
	u, err := r.get(ctx, rt)
	if err != nil {
		return err
	}
	before := u.DeepCopy()
	rules, err := Rules(u)
	if err != nil {
		return err
	}
	cs := r.d.Rollout.Spec.Strategy.Canary
	rest := 100 - w
	if rt.kind.SkipsManaged {
		err = weighNamedRules(rules, cs.CanaryService, cs.StableService, w, rest, r.managedNames())
	} else {
		err = weighEveryRef(rules, cs.CanaryService, cs.StableService, w, rest)
	}
	if err != nil {
		return rt.kind.refsNotFound(u, rules, cs.CanaryService, cs.StableService)
	}
	if err := checkWeights(u, rules); err != nil {
		return err
	}
	setRules(u, rules)
	r.inProgressLabel(u, w)
	return r.update(ctx, rt, before, u)
}

var errNotFound = errors.New("backendRef not found")

// weighNamedRules is the HTTP and gRPC way: the managed header rules are
// skipped; the route must name both Services somewhere.
func weighNamedRules(rules []Rule, canary, stable string, w, rest int32, managed map[string]bool) error {
	canaryFound, stableFound := false, false
	for _, rule := range rules {
		if IsManagedName(RuleName(rule), managed) || isCanaryOnly(rule, canary, nil) {
			continue
		}
		for _, ref := range BackendRefs(rule) {
			switch RefName(ref) {
			case canary:
				ref["weight"], canaryFound = int64(w), true
			case stable:
				ref["weight"], stableFound = int64(rest), true
			}
		}
	}
	if !canaryFound || !stableFound {
		return errNotFound
	}
	return nil
}

// weighEveryRef is the TCP and TLS way: every backendRef of the canary,
// then of the stable Service; either missing is the error.
func weighEveryRef(rules []Rule, canary, stable string, w, rest int32) error {
	for _, s := range []struct {
		name   string
		weight int32
	}{{canary, w}, {stable, rest}} {
		found := false
		for _, rule := range rules {
			for _, ref := range BackendRefs(rule) {
				if RefName(ref) == s.name {
					ref["weight"], found = int64(s.weight), true
				}
			}
		}
		if !found {
			return errNotFound
		}
	}
	return nil
}

// checkWeights is the API server's validation of the weights the plugin
// writes (the CRD's minimum 0 and maximum 1000000): with maxTrafficWeight
// above 100 the plugin's stable weight goes negative and its update is
// refused.
func checkWeights(u *unstructured.Unstructured, rules []Rule) error {
	for i, rule := range rules {
		for j, ref := range BackendRefs(rule) {
			if w, ok := ref["weight"].(int64); ok && (w < 0 || w > 1000000) {
				return fmt.Errorf("%s.%s %q is invalid: spec.rules[%d].backendRefs[%d].weight: Invalid value: %d: spec.rules[%d].backendRefs[%d].weight in body should be %s",
					u.GetKind(), Group, u.GetName(), i, j, w, i, j, bound(w))
			}
		}
	}
	return nil
}

func bound(w int64) string {
	if w < 0 {
		return "greater than or equal to 0"
	}
	return "less than or equal to 1000000"
}

// inProgressLabel is the plugin's ensureInProgressLabel: the label is on
// the route while the canary has weight, off at 0.
func (r *Router) inProgressLabel(u *unstructured.Unstructured, w int32) {
	if r.cfg.DisableInProgressLabel {
		return
	}
	labels := u.GetLabels()
	key := r.cfg.labelKey()
	if w == 0 {
		if _, ok := labels[key]; ok {
			delete(labels, key)
			u.SetLabels(labels)
		}
		return
	}
	if labels == nil {
		labels = map[string]string{}
	}
	if labels[key] != r.cfg.labelValue() {
		labels[key] = r.cfg.labelValue()
		u.SetLabels(labels)
	}
}
