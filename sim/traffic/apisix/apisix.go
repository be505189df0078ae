package apisix

import (
	"context"
	"fmt"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	apisixrouter "github.com/rollsim/rollsim/controller/trafficrouting/apisix"
	"github.com/rollsim/rollsim/sim/traffic"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Reader reads ApisixRoutes into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "apisix" }

func get(ctx context.Context, env traffic.Env, name string) (*unstructured.Unstructured, error) {
	return traffic.GetObject(ctx, env, name, apisixrouter.GVK)
}

// Read implements traffic.RouterReader.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	tr := ro.Spec.Strategy.Canary.TrafficRouting
	ruleName := apisixrouter.Rules(tr.Apisix)[0]
	main, err := get(ctx, env, tr.Apisix.Route.Name)
	if err != nil || main == nil {
		return nil, err
	}
	rt := &traffic.Routing{}
	rule, err := ruleOf(main, ruleName)
	if err != nil {
		rt.Notes = append(rt.Notes, fmt.Sprintf("ApisixRoute %s: %v: the rollout's requests reach no backend", main.GetName(), err))
		return rt, nil
	}
	if rt.Default, err = dests(env, rt, main.GetName(), rule); err != nil {
		return nil, err
	}
	type prioritized struct {
		p    int64
		rule traffic.MatchRule
	}
	var hs []prioritized
	for _, mr := range tr.ManagedRoutes {
		u, err := get(ctx, env, mr.Name)
		if err != nil {
			return nil, err
		}
		if u == nil {
			continue
		}
		hr, err := ruleOf(u, ruleName)
		if err != nil {
			continue
		}
		headers, ok := matches(hr)
		if !ok {
			rt.Notes = append(rt.Notes, fmt.Sprintf("ApisixRoute %s: an expr rollsim does not model: the rule matches nothing", u.GetName()))
			continue
		}
		ds, err := dests(env, rt, u.GetName(), hr)
		if err != nil {
			return nil, err
		}
		p, _, _ := unstructured.NestedInt64(hr, "priority")
		hs = append(hs, prioritized{p, traffic.MatchRule{Name: mr.Name, Headers: headers, Dests: ds}})
	}
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].p > hs[j].p })
	for _, h := range hs {
		rt.Rules = append(rt.Rules, h.rule)
	}
	sort.Strings(rt.Notes)
	return rt, nil
}

func ruleOf(u *unstructured.Unstructured, name string) (map[string]any, error) {
	http, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	return apisixrouter.FindRule(http, name)
}

func dests(env traffic.Env, rt *traffic.Routing, route string, rule map[string]any) ([]traffic.Destination, error) {
	bs, _ := rule["backends"].([]any)
	var out []traffic.Destination
	for _, b := range bs {
		m, _ := b.(map[string]any)
		svc, _ := m["serviceName"].(string)
		w := 100.0
		switch x := m["weight"].(type) {
		case int64:
			w = float64(x)
		case float64:
			w = x
		}
		be, err := env.Service(svc)
		if err != nil {
			return nil, err
		}
		if be.Missing {
			rt.Notes = append(rt.Notes, fmt.Sprintf("ApisixRoute %s: backend service %s does not exist", route, svc))
		}
		out = append(out, traffic.Destination{Backend: be, Weight: w})
	}
	return out, nil
}

// matches reads a rule's Header exprs; false for one rollsim does not
// model (another scope or operator).
func matches(rule map[string]any) ([]traffic.HeaderMatch, bool) {
	es, _, _ := unstructured.NestedSlice(rule, "match", "exprs")
	var out []traffic.HeaderMatch
	for _, e := range es {
		m, _ := e.(map[string]any)
		scope, _, _ := unstructured.NestedString(m, "subject", "scope")
		name, _, _ := unstructured.NestedString(m, "subject", "name")
		op, _ := m["op"].(string)
		v, _ := m["value"].(string)
		switch {
		case scope == "Header" && op == "Equal":
			out = append(out, traffic.HeaderMatch{Name: name, Exact: v})
		case scope == "Header" && op == "RegexMatch":
			out = append(out, traffic.HeaderMatch{Name: name, Regex: ".*(?:" + v + ").*"})
		default:
			return nil, false
		}
	}
	return out, true
}
