package alb

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	albrouter "github.com/rollsim/rollsim/controller/trafficrouting/alb"
	"github.com/rollsim/rollsim/sim/traffic"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
)

// Reader reads ALB Ingresses into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "alb" }

// Read implements traffic.RouterReader.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	cs := ro.Spec.Strategy.Canary
	cfg := cs.TrafficRouting.ALB
	names := albrouter.Ingresses(cfg)
	if len(names) == 0 || names[0] == "" {
		return nil, nil
	}
	ing := &networkingv1.Ingress{}
	if err := env.Client().Get(ctx, types.NamespacedName{Namespace: env.Namespace(), Name: names[0]}, ing); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("get ingress %s: %w", names[0], err)
	}
	rd := &read{env: env, cfg: cfg, ing: ing, rt: &traffic.Routing{}}
	root := albrouter.ActionService(cs)
	found := false
	for _, p := range firstRulePaths(ing) {
		svc := p.Backend.Service
		if svc == nil {
			continue
		}
		if svc.Name == root {
			if err := rd.defaultPath(svc); err != nil {
				return nil, err
			}
			found = true
			break
		}
		if svc.Port.Name == albrouter.UseAnnotation {
			if err := rd.headerPath(svc.Name); err != nil {
				return nil, err
			}
		}
	}
	if !found {
		rd.notef("ingress %s has no path to service %s: the rollout's requests reach no backend", ing.Name, root)
	}
	sort.Strings(rd.rt.Notes)
	return rd.rt, nil
}

type read struct {
	env traffic.Env
	cfg *v1alpha1.ALBTrafficRouting
	ing *networkingv1.Ingress
	rt  *traffic.Routing
}

func (r *read) notef(format string, args ...any) {
	r.rt.Notes = append(r.rt.Notes, fmt.Sprintf(format, args...))
}

func firstRulePaths(ing *networkingv1.Ingress) []networkingv1.HTTPIngressPath {
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP != nil {
			return rule.HTTP.Paths
		}
	}
	return nil
}

// defaultPath is the path to the action Service: its forward action's
// target groups, or the Service itself when the path names a port.
func (r *read) defaultPath(svc *networkingv1.IngressServiceBackend) error {
	if svc.Port.Name != albrouter.UseAnnotation {
		r.notef("ingress %s sends %s to a port, not use-annotation: the load balancer ignores %s", r.ing.Name, svc.Name, albrouter.ActionKey(r.cfg, svc.Name))
		return r.all(svc.Name)
	}
	dests, ok, err := r.action(svc.Name)
	if err != nil || !ok {
		return err
	}
	r.rt.Default = dests
	return nil
}

// all sends every request to the named Service.
func (r *read) all(name string) error {
	b, err := r.env.Service(name)
	if err != nil {
		return err
	}
	r.rt.Default = []traffic.Destination{{Backend: b, Weight: 1}}
	return nil
}

// action reads the forward action of actions.<name>; false (and a Note)
// when it is missing or unreadable, the requests then reaching no backend.
func (r *read) action(name string) ([]traffic.Destination, bool, error) {
	key := albrouter.ActionKey(r.cfg, name)
	s, ok := r.ing.Annotations[key]
	if !ok {
		r.notef("ingress %s has no annotation %s: the load balancer answers 503 for %s", r.ing.Name, key, name)
		return nil, false, nil
	}
	var a albrouter.Action
	if err := json.Unmarshal([]byte(s), &a); err != nil || a.Type != "forward" {
		r.notef("ingress %s annotation %s is not a forward action: the load balancer answers 503 for %s", r.ing.Name, key, name)
		return nil, false, nil
	}
	var out []traffic.Destination
	for _, tg := range a.ForwardConfig.TargetGroups {
		b, err := r.env.Service(tg.ServiceName)
		if err != nil {
			return nil, false, err
		}
		if b.Missing {
			r.notef("ingress %s action %s: target group service %s does not exist", r.ing.Name, name, tg.ServiceName)
		}
		w := 1.0
		if tg.Weight != nil {
			w = float64(*tg.Weight)
		}
		out = append(out, traffic.Destination{Backend: b, Weight: w})
	}
	return out, true, nil
}

// headerPath is a use-annotation path before the default one: with
// conditions, a header rule; without, it takes every request.
func (r *read) headerPath(name string) error {
	dests, ok, err := r.action(name)
	if err != nil || !ok {
		return err
	}
	s, has := r.ing.Annotations[albrouter.ConditionKey(r.cfg, name)]
	var conds []albrouter.Condition
	if has {
		if err := json.Unmarshal([]byte(s), &conds); err != nil {
			r.notef("ingress %s annotation %s is unreadable: the rule is skipped", r.ing.Name, albrouter.ConditionKey(r.cfg, name))
			return nil
		}
	}
	for _, hs := range expand(conds) {
		r.rt.Rules = append(r.rt.Rules, traffic.MatchRule{Name: name, Headers: hs, Dests: dests})
	}
	return nil
}

// expand turns http-header conditions (each header any of its values) into
// rules of exact matches, one per combination of values.
func expand(conds []albrouter.Condition) [][]traffic.HeaderMatch {
	out := [][]traffic.HeaderMatch{nil}
	for _, c := range conds {
		if c.Field != "http-header" {
			continue
		}
		var next [][]traffic.HeaderMatch
		for _, prefix := range out {
			for _, v := range c.HttpHeaderConfig.Values {
				hs := append(append([]traffic.HeaderMatch(nil), prefix...), traffic.HeaderMatch{Name: c.HttpHeaderConfig.HttpHeaderName, Exact: v})
				next = append(next, hs)
			}
		}
		out = next
	}
	return out
}
