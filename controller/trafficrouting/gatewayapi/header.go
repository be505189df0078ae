package gatewayapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
)

// SetHeaderRoute implements trafficrouting.Router: on every HTTPRoute and
// GRPCRoute with useHeaderRoutes, one managed rule per rule that names both
// Services, named after the managed route (then "<name>-1", "<name>-2" …):
// the rule's matches with the step's headers added, its filters, and a
// single backendRef, the canary Service. Without a match it removes the
// managed rules instead.
func (r *Router) SetHeaderRoute(ctx context.Context, hr *v1alpha1.SetHeaderRoute) error {
	routes, err := r.routes(ctx)
	if err != nil {
		return pluginError("set header route", err)
	}
	for _, rt := range routes {
		if !rt.kind.Headers || !rt.ref.UseHeaderRoutes {
			continue
		}
		if hr.Match == nil {
			err = r.removeManaged(ctx, rt)
		} else {
			err = r.setHeaderRule(ctx, rt, hr)
		}
		if err != nil {
			return pluginError("set header route", err)
		}
	}
	return nil
}

// RemoveManagedRoutes implements trafficrouting.Router: every managed rule
// goes from the header-routed HTTPRoutes and GRPCRoutes.
func (r *Router) RemoveManagedRoutes(ctx context.Context) error {
	routes, err := r.routes(ctx)
	if err != nil {
		return pluginError("remove managed routes", err)
	}
	for _, rt := range routes {
		if !rt.kind.Headers || !rt.ref.UseHeaderRoutes {
			continue
		}
		if err := r.removeManaged(ctx, rt); err != nil {
			return pluginError("remove managed routes", err)
		}
	}
	return nil
}

// headerMatches are the step's matches as Gateway API header matches: exact
// stays exact, a prefix becomes the regular expression "<prefix>.*", a regex
// stays one.
func headerMatches(hr *v1alpha1.SetHeaderRoute) ([]map[string]any, error) {
	var out []map[string]any
	for _, m := range hr.Match {
		h := map[string]any{"name": m.HeaderName}
		v := m.HeaderValue
		switch {
		case v != nil && v.Exact != "":
			h["type"], h["value"] = "Exact", v.Exact
		case v != nil && v.Prefix != "":
			h["type"], h["value"] = "RegularExpression", v.Prefix+".*"
		case v != nil && v.Regex != "":
			h["type"], h["value"] = "RegularExpression", v.Regex
		default:
			return nil, errors.New("invalid header match type")
		}
		out = append(out, h)
	}
	return out, nil
}

func (r *Router) setHeaderRule(ctx context.Context, rt route, hr *v1alpha1.SetHeaderRoute) error {
	headers, err := headerMatches(hr)
	if err != nil {
		return err
	}
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
	var managed []Rule
	for _, rule := range rules {
		if hasRefs(rule, cs.CanaryService, cs.StableService) {
			name := hr.Name
			if len(managed) > 0 {
				name = fmt.Sprintf("%s-%d", hr.Name, len(managed))
			}
			managed = append(managed, headerRule(rule, name, cs.CanaryService, headers, rt.kind.Kind == "GRPCRoute"))
		}
	}
	if len(managed) == 0 {
		return rt.kind.refsNotFound(u, rules, cs.CanaryService, cs.StableService)
	}
	kept := make([]Rule, 0, len(rules)+len(managed))
	for _, rule := range rules {
		if IsManagedName(RuleName(rule), map[string]bool{hr.Name: true}) || isCanaryOnly(rule, cs.CanaryService, headers) {
			continue
		}
		kept = append(kept, rule)
	}
	setRules(u, append(kept, managed...))
	if equality.Semantic.DeepEqual(before.Object, u.Object) {
		return nil
	}
	if err := r.write(ctx, rt, u); err != nil {
		return err
	}
	r.d.Note(strings.ToLower(rt.kind.Kind), u.GetName(), "spec", "SetHeaderRoute",
		fmt.Sprintf("managed route %s: %s → %s", hr.Name, describeHeaders(headers), cs.CanaryService))
	return nil
}

// headerRule is the managed rule built from src.
func headerRule(src Rule, name, canary string, headers []map[string]any, grpc bool) Rule {
	ref := map[string]any{"group": "", "kind": "Service", "name": canary}
	for _, b := range BackendRefs(src) {
		if RefName(b) == canary {
			if p, ok := b["port"]; ok {
				ref["port"] = p
			}
			break
		}
	}
	out := Rule{"name": name, "backendRefs": []any{ref}}
	if f, ok := src["filters"].([]any); ok && len(f) > 0 {
		out["filters"] = runtime.DeepCopyJSONValue(f)
	}
	srcMatches, _ := src["matches"].([]any)
	var matches []any
	if len(srcMatches) == 0 {
		matches = []any{map[string]any{"headers": copyHeaders(nil, headers)}}
	}
	for _, m := range srcMatches {
		sm, _ := m.(map[string]any)
		own, _ := sm["headers"].([]any)
		nm := map[string]any{"headers": copyHeaders(own, headers)}
		keys := []string{"path", "queryParams", "method"}
		if grpc {
			keys = []string{"method"}
		}
		for _, k := range keys {
			if v, ok := sm[k]; ok {
				nm[k] = runtime.DeepCopyJSONValue(v)
			}
		}
		matches = append(matches, nm)
	}
	out["matches"] = matches
	return out
}

func copyHeaders(own []any, add []map[string]any) []any {
	out := []any{}
	for _, h := range own {
		out = append(out, runtime.DeepCopyJSONValue(h))
	}
	for _, h := range add {
		out = append(out, runtime.DeepCopyJSONValue(map[string]any(h)))
	}
	return out
}

func (r *Router) removeManaged(ctx context.Context, rt route) error {
	u, err := r.get(ctx, rt)
	if err != nil {
		return err
	}
	rules, err := Rules(u)
	if err != nil {
		return err
	}
	canary := r.d.Rollout.Spec.Strategy.Canary.CanaryService
	managed := r.managedNames()
	kept := make([]Rule, 0, len(rules))
	var removed []string
	for _, rule := range rules {
		if IsManagedName(RuleName(rule), managed) || isCanaryOnly(rule, canary, nil) {
			removed = append(removed, RuleName(rule))
			continue
		}
		kept = append(kept, rule)
	}
	if len(removed) == 0 {
		return nil
	}
	setRules(u, kept)
	if err := r.write(ctx, rt, u); err != nil {
		return err
	}
	r.d.Note(strings.ToLower(rt.kind.Kind), u.GetName(), "spec", "RemoveManagedRoutes",
		fmt.Sprintf("managed rules removed: %s", strings.Join(removed, ", ")))
	return nil
}

func describeHeaders(hs []map[string]any) string {
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		parts = append(parts, fmt.Sprintf("header %s %s %q", h["name"], h["type"], h["value"]))
	}
	return strings.Join(parts, ", ")
}
