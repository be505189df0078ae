package traffic

import (
	"context"
	"regexp"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RouterMesh is the Router of a RolloutSplit read by a RouterReader: its
// Routing decides (the reader's name is in RolloutSplit.Via).
const RouterMesh = "mesh"

// Routing is how a router other than nginx sends one rollout's requests, as
// its objects say at one instant (a VirtualService's HTTP route, an ALB
// action annotation, an HTTPRoute's backendRefs …): the first rule whose
// headers match decides, else the default destinations; every mirror whose
// headers match copies its share of the requests to its backend as shadow
// traffic (served, never answered to the client).
type Routing struct {
	Rules   []MatchRule
	Default []Destination
	Mirrors []Mirror
	// Notes say where the objects route differently from what the
	// rollout's status claims (a route naming a host the rollout does not
	// manage, a missing subset); sorted, for the timeline.
	Notes []string
}

// Destination is a weighted backend. Weights are relative to the sum of a
// rule's weights; a destination whose backend has no ready pod answers
// 503 for its share (a mesh does not re-balance to another destination).
type Destination struct {
	Backend Backend
	Weight  float64
}

// HeaderMatch is one header condition: exactly one of Exact, Prefix or
// Regex (RE2, matching the whole value, as Envoy does). Name is matched
// case-insensitively.
type HeaderMatch struct {
	Name   string
	Exact  string
	Prefix string
	Regex  string
}

// MatchRule sends requests that carry every one of Headers to Dests. A rule
// without headers matches every request.
type MatchRule struct {
	Name    string
	Headers []HeaderMatch
	Dests   []Destination
}

// Mirror copies Percent (0–100) of the requests matching Headers to Backend.
type Mirror struct {
	Name    string
	Headers []HeaderMatch
	Percent float64
	Backend Backend
}

// RouterReader reads the objects of one router kind into a Routing for a
// rollout; a package per router (sim/traffic/<router>) provides one, and the
// simulator hands them to SplitFromCluster.
type RouterReader interface {
	// Name is the router's name as controller/trafficrouting.Requested
	// spells it ("istio", "alb", "plugins.argoproj-labs/gatewayAPI" …).
	Name() string
	// Read returns the rollout's Routing, or nil when the router's objects
	// do not (yet) route it (the default path is then the stable Service).
	Read(ctx context.Context, env Env, ro *v1alpha1.Rollout) (*Routing, error)
}

// Env is what a RouterReader reads through.
type Env interface {
	Client() client.Client
	Namespace() string
	// Service is the named Service's backend (Missing when it does not
	// exist).
	Service(name string) (Backend, error)
	// Endpoints are the ready pods selector matches, by hash and image.
	Endpoints(selector labels.Selector) []Endpoint
}

// Headers matches reports whether h (normalized keys) carries every one of
// ms.
func headersMatch(ms []HeaderMatch, h map[string]string) bool {
	for _, m := range ms {
		v, ok := h[headerKey(m.Name)]
		if !ok || !m.matches(v) {
			return false
		}
	}
	return true
}

func (m HeaderMatch) matches(v string) bool {
	switch {
	case m.Exact != "":
		return v == m.Exact
	case m.Prefix != "":
		return len(v) >= len(m.Prefix) && v[:len(m.Prefix)] == m.Prefix
	case m.Regex != "":
		re, err := regexp.Compile("^(?:" + m.Regex + ")$")
		return err == nil && re.MatchString(v)
	}
	return true
}

// routes is where the rollout's requests carrying h go under a Routing.
func (rt *Routing) routes(r RolloutSplit, h map[string]string) []Route {
	dests := rt.Default
	for _, rule := range rt.Rules {
		if headersMatch(rule.Headers, h) {
			dests = rule.Dests
			break
		}
	}
	total := 0.0
	for _, d := range dests {
		if d.Weight > 0 {
			total += d.Weight
		}
	}
	var out []Route
	if total <= 0 {
		out = append(out, Route{Rollout: r.Rollout, Unserved: true, Fraction: 1})
	}
	for _, d := range dests {
		if total <= 0 || d.Weight <= 0 {
			continue
		}
		b := d.Backend
		frac := d.Weight / total
		if b.Pods() == 0 {
			out = append(out, Route{Rollout: r.Rollout, Service: b.Service, Unserved: true, Fraction: frac})
			continue
		}
		out = r.spread(out, &b, frac)
	}
	for _, m := range rt.Mirrors {
		if m.Percent <= 0 || m.Backend.Pods() == 0 || !headersMatch(m.Headers, h) {
			continue
		}
		b := m.Backend
		n := len(out)
		out = r.spread(out, &b, clamp01(m.Percent/100))
		for i := n; i < len(out); i++ {
			out[i].Shadow = true
		}
	}
	return mergeRoutes(out)
}

// mergeRoutes sorts routes and merges those that differ only in fraction.
func mergeRoutes(out []Route) []Route {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Shadow != b.Shadow {
			return !a.Shadow
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Unserved != b.Unserved {
			return !a.Unserved
		}
		if a.Hash != b.Hash {
			return a.Hash < b.Hash
		}
		return a.Version < b.Version
	})
	merged := out[:0]
	for _, rt := range out {
		if n := len(merged); n > 0 {
			last := &merged[n-1]
			if last.Service == rt.Service && last.Hash == rt.Hash && last.Version == rt.Version &&
				last.Unserved == rt.Unserved && last.Shadow == rt.Shadow {
				last.Fraction += rt.Fraction
				continue
			}
		}
		merged = append(merged, rt)
	}
	return merged
}
