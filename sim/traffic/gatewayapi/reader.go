package gatewayapi

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	plugin "github.com/rollsim/rollsim/controller/trafficrouting/gatewayapi"
	"github.com/rollsim/rollsim/sim/traffic"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Reader reads Gateway API routes into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "plugins." + plugin.PluginName }

// Read implements traffic.RouterReader: the first route the configuration
// names (HTTP, then gRPC, TCP, TLS) decides; every other route that sends
// a different share to the canary gets a Note.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	cs := ro.Spec.Strategy.Canary
	cfg, err := plugin.ParseConfig(ro)
	if err != nil {
		return stableOnly(env, cs.StableService, fmt.Sprintf("gatewayAPI plugin configuration: %v; requests follow the stable Service", err))
	}
	ks, refs, err := plugin.Routes(ctx, env.Client(), cfg)
	if err != nil {
		return nil, err
	}
	var first *traffic.Routing
	var firstName string
	var firstShare float64
	for i, k := range ks {
		for _, ref := range refs[i] {
			rt, err := readRoute(ctx, env, cfg.Namespace, k, ref.Name, cs.CanaryService, cs.StableService)
			if err != nil {
				return nil, err
			}
			name := k.Kind + " " + ref.Name
			share := canaryShare(rt, cs.CanaryService)
			if first == nil {
				first, firstName, firstShare = rt, name, share
				continue
			}
			if share != firstShare {
				first.Notes = append(first.Notes, fmt.Sprintf("%s sends %s of its default requests to %s, %s %s; the traffic model follows %s",
					name, pct(share), cs.CanaryService, firstName, pct(firstShare), firstName))
			}
		}
	}
	if first == nil {
		return nil, nil
	}
	if w := ro.Status.Canary.Weights; w != nil && len(first.Rules)+len(first.Default) > 0 {
		if got, want := firstShare, float64(w.Canary.Weight)/100; got != want && len(first.Notes) == 0 {
			first.Notes = append(first.Notes, fmt.Sprintf("%s sends %s of its default requests to %s; the rollout's status says %s",
				firstName, pct(got), cs.CanaryService, pct(want)))
		}
	}
	sort.Strings(first.Notes)
	return first, nil
}

func pct(f float64) string { return fmt.Sprintf("%g%%", f*100) }

func stableOnly(env traffic.Env, stable, note string) (*traffic.Routing, error) {
	b, err := env.Service(stable)
	if err != nil {
		return nil, err
	}
	return &traffic.Routing{Default: []traffic.Destination{{Backend: b, Weight: 1}}, Notes: []string{note}}, nil
}

// canaryShare is the canary Service's share of the default destinations.
func canaryShare(rt *traffic.Routing, canary string) float64 {
	total, c := 0.0, 0.0
	for _, d := range rt.Default {
		total += d.Weight
		if d.Backend.Service == canary {
			c += d.Weight
		}
	}
	if total <= 0 {
		return 0
	}
	return c / total
}

// readRoute reads one route: its rules that send to either Service, most
// header matches first; the first rule without headers is the default.
func readRoute(ctx context.Context, env traffic.Env, ns string, k plugin.Kind, name, canary, stable string) (*traffic.Routing, error) {
	desc := fmt.Sprintf("%s %s/%s", k.Kind, ns, name)
	u, err := k.Get(ctx, env.Client(), ns, name)
	if apierrors.IsNotFound(err) {
		return &traffic.Routing{Notes: []string{desc + " does not exist: its requests find no route (answered 404, counted unserved)"}}, nil
	}
	if err != nil {
		return nil, err
	}
	rules, err := plugin.Rules(u)
	if err != nil {
		return &traffic.Routing{Notes: []string{err.Error() + ": its requests find no route"}}, nil
	}
	rt := &traffic.Routing{}
	both := false
	var headerRules []traffic.MatchRule
	for i, rule := range rules {
		dests, names, err := destinations(env, rule, canary, stable)
		if err != nil {
			return nil, err
		}
		if !names[canary] && !names[stable] {
			continue
		}
		both = both || (names[canary] && names[stable])
		label := plugin.RuleName(rule)
		if label == "" {
			label = fmt.Sprintf("spec.rules[%d]", i)
		}
		for _, hs := range ruleMatches(rule) {
			if len(hs) == 0 {
				if rt.Default == nil {
					rt.Default = dests
				}
				continue
			}
			headerRules = append(headerRules, traffic.MatchRule{Name: label, Headers: hs, Dests: dests})
		}
		rt.Mirrors = append(rt.Mirrors, mirrors(env, rule, label)...)
	}
	sort.SliceStable(headerRules, func(i, j int) bool { return len(headerRules[i].Headers) > len(headerRules[j].Headers) })
	rt.Rules = headerRules
	if !both {
		rt.Notes = append(rt.Notes, fmt.Sprintf("%s: no rule's backendRefs name both the canary Service %q and the stable Service %q; requests follow the route as written",
			desc, canary, stable))
	}
	return rt, nil
}

// destinations are a rule's backendRefs as weighted destinations, and the
// Services they name.
func destinations(env traffic.Env, rule plugin.Rule, canary, stable string) ([]traffic.Destination, map[string]bool, error) {
	names := map[string]bool{}
	var out []traffic.Destination
	for _, ref := range plugin.BackendRefs(rule) {
		n := plugin.RefName(ref)
		names[n] = true
		b, err := env.Service(n)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, traffic.Destination{Backend: b, Weight: float64(plugin.RefWeight(ref))})
	}
	return out, names, nil
}

// ruleMatches are a rule's matches' header conditions (a rule without
// matches matches every request).
func ruleMatches(rule plugin.Rule) [][]traffic.HeaderMatch {
	ms, _ := rule["matches"].([]any)
	if len(ms) == 0 {
		return [][]traffic.HeaderMatch{nil}
	}
	var out [][]traffic.HeaderMatch
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		hs, _ := mm["headers"].([]any)
		var conds []traffic.HeaderMatch
		for _, h := range hs {
			hm, _ := h.(map[string]any)
			name, _ := hm["name"].(string)
			value, _ := hm["value"].(string)
			typ, _ := hm["type"].(string)
			c := traffic.HeaderMatch{Name: name}
			if strings.EqualFold(typ, "RegularExpression") {
				c.Regex = value
			} else {
				c.Exact = value
			}
			conds = append(conds, c)
		}
		out = append(out, conds)
	}
	return out
}

// mirrors are a rule's RequestMirror filters: percent, or fraction
// numerator/denominator (default 100), else every request.
func mirrors(env traffic.Env, rule plugin.Rule, label string) []traffic.Mirror {
	fs, _ := rule["filters"].([]any)
	var out []traffic.Mirror
	for _, f := range fs {
		fm, _ := f.(map[string]any)
		if t, _ := fm["type"].(string); t != "RequestMirror" {
			continue
		}
		rm, _ := fm["requestMirror"].(map[string]any)
		ref, _ := rm["backendRef"].(map[string]any)
		b, err := env.Service(plugin.RefName(ref))
		if err != nil {
			continue
		}
		percent := 100.0
		if p, ok := rm["percent"]; ok {
			percent = number(p)
		} else if fr, ok := rm["fraction"].(map[string]any); ok {
			den := 100.0
			if d, ok := fr["denominator"]; ok {
				den = number(d)
			}
			if den > 0 {
				percent = 100 * number(fr["numerator"]) / den
			}
		}
		for _, hs := range ruleMatches(rule) {
			out = append(out, traffic.Mirror{Name: label, Headers: hs, Percent: percent, Backend: b})
		}
	}
	return out
}

func number(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	case int:
		return float64(n)
	}
	return 0
}
