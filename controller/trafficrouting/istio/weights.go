package istio

import (
	"fmt"
	"slices"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Route kinds of a VirtualService.
const (
	kindHTTP = "http"
	kindTLS  = "tls"
	kindTCP  = "tcp"
)

// targets are what a route's destinations are compared with: the canary
// and stable Services (host level) or DestinationRule subsets (subset
// level), and subsets whose weights are left alone.
type targets struct {
	canarySvc, stableSvc       string
	canarySubset, stableSubset string
	additionalSubsets          []string
}

func (r *Router) targets() targets {
	cs := r.d.Rollout.Spec.Strategy.Canary
	t := targets{canarySvc: cs.CanaryService, stableSvc: cs.StableService}
	if dr := r.istio.DestinationRule; dr != nil {
		t.canarySubset, t.stableSubset, t.additionalSubsets = dr.CanarySubsetName, dr.StableSubsetName, dr.AdditionalSubsetNames
	}
	return t
}

// weightChange is one destination to re-weight, delete, or (index past
// the end) append: Argo's virtualServicePatch.
type weightChange struct {
	kind   string
	route  int
	dest   int
	weight int64
	host   string
	delete bool
}

// routeIndexes are the indexes of the routes of one kind that SetWeight
// changes, and Argo's error when a configured route is missing.
func (r *Router) routeIndexes(vs *unstructured.Unstructured, ref v1alpha1.IstioVirtualService, kind string, routes []any) ([]int, error) {
	switch kind {
	case kindHTTP:
		names := append([]string(nil), ref.Routes...)
		for _, rt := range routes {
			m := asMap(rt)
			if m["mirror"] != nil && r.isManaged(str(m, "name")) {
				names = append(names, str(m, "name"))
			}
		}
		return httpIndexes(names, routes)
	case kindTLS:
		return tlsIndexes(ref.TLSRoutes, routes)
	}
	return tcpIndexes(ref.TCPRoutes, routes)
}

// httpIndexes is Argo's getHttpRouteIndexesToPatch: the named routes; with
// none named, the only route or the first unnamed one.
func httpIndexes(names []string, routes []any) ([]int, error) {
	if len(names) == 0 {
		if len(routes) == 1 {
			return []int{0}, nil
		}
		for i, rt := range routes {
			if str(asMap(rt), "name") == "" {
				return []int{i}, nil
			}
		}
	}
	var out []int
	for _, n := range names {
		i := slices.IndexFunc(routes, func(rt any) bool { return str(asMap(rt), "name") == n })
		if i < 0 {
			return nil, fmt.Errorf("HTTP Route '%s' is not found in the defined Virtual Service.", n)
		}
		out = append(out, i)
	}
	return out, nil
}

// matchPorts are the distinct match ports of a TLS or TCP route and, for
// TLS, its SNI hosts.
func matchPorts(route any) (ports map[int64]bool, sni []string) {
	ports = map[int64]bool{}
	seen := map[string]bool{}
	matches, _ := asMap(route)["match"].([]any)
	for _, mv := range matches {
		m := asMap(mv)
		ports[number(m["port"])] = true
		hosts, _ := m["sniHosts"].([]any)
		for _, h := range hosts {
			if s, ok := h.(string); ok && !seen[s] {
				seen[s] = true
				sni = append(sni, s)
			}
		}
	}
	return ports, sni
}

func singlePort(ports map[int64]bool) (int64, bool) {
	if len(ports) > 1 {
		return 0, false
	}
	for p := range ports {
		return p, true
	}
	return 0, true
}

// tlsIndexes is Argo's getTlsRouteIndexesToPatch: routes whose one match
// port and SNI host set equal a configured TLS route; with none
// configured, route 0.
func tlsIndexes(want []v1alpha1.TLSRoute, routes []any) ([]int, error) {
	if len(want) == 0 {
		return []int{0}, nil
	}
	var out []int
	for _, w := range want {
		found := false
		for i, rt := range routes {
			ports, sni := matchPorts(rt)
			p, ok := singlePort(ports)
			if ok && p == w.Port && sameSet(w.SNIHosts, sni) {
				out = append(out, i)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("No matching TLS routes found in the defined Virtual Service.")
		}
	}
	return out, nil
}

// tcpIndexes is Argo's getTcpRouteIndexesToPatch, by match port.
func tcpIndexes(want []v1alpha1.TCPRoute, routes []any) ([]int, error) {
	if len(want) == 0 {
		return []int{0}, nil
	}
	var out []int
	for _, w := range want {
		found := false
		for i, rt := range routes {
			ports, _ := matchPorts(rt)
			if p, ok := singlePort(ports); ok && p == w.Port {
				out = append(out, i)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("No matching TCP routes found in the defined Virtual Service.")
		}
	}
	return out, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// destinations of a route: host, subset and weight of each.
type destination struct {
	host, subset string
	weight       int64
}

func routeDestinations(route any) []destination {
	list, _ := asMap(route)["route"].([]any)
	out := make([]destination, 0, len(list))
	for _, dv := range list {
		d := asMap(dv)
		dest := asMap(d["destination"])
		out = append(out, destination{host: str(dest, "host"), subset: str(dest, "subset"), weight: number(d["weight"])})
	}
	return out
}

// weightChanges is Argo's processRoutes for one route: canary gets weight,
// stable the rest (less the experiments' and additional subsets'), each
// experiment Service its weight (appended when missing), additional
// subsets keep theirs and any other destination is deleted.
func (t targets) weightChanges(kind string, idx int, dests []destination, weight int64, additional []v1alpha1.WeightDestination) []weightChange {
	stable := 100 - weight
	byService := map[string]v1alpha1.WeightDestination{}
	var order []string
	for _, a := range additional {
		if _, dup := byService[a.ServiceName]; !dup {
			order = append(order, a.ServiceName)
		}
		byService[a.ServiceName] = a
		stable -= int64(a.Weight)
	}
	for _, d := range dests {
		if d.subset != "" && slices.Contains(t.additionalSubsets, d.subset) {
			stable -= d.weight
		}
	}
	stable = max(stable, 0)
	var out []weightChange
	change := func(i int, d destination, to int64, del bool) {
		if d.weight != to {
			out = append(out, weightChange{kind: kind, route: idx, dest: i, weight: to, host: ShortHost(d.host), delete: del})
		}
	}
	for i, d := range dests {
		host := ShortHost(d.host)
		if host == "" {
			continue
		}
		switch {
		case host == t.canarySvc || (d.subset != "" && d.subset == t.canarySubset):
			change(i, d, weight, false)
		case host == t.stableSvc || (d.subset != "" && d.subset == t.stableSubset):
			change(i, d, stable, false)
		case byService[host].ServiceName != "":
			change(i, d, int64(byService[host].Weight), false)
			delete(byService, host)
		case d.subset != "" && slices.Contains(t.additionalSubsets, d.subset):
		default:
			change(i, d, 0, true)
		}
	}
	next := len(dests)
	for _, name := range order {
		a, ok := byService[name]
		if !ok {
			continue
		}
		change(next, destination{host: name}, int64(a.Weight), false)
		next++
	}
	return out
}

// apply writes the changes into the VirtualService's route lists, in
// order, as Argo patches them.
func apply(changes []weightChange, lists map[string][]any) error {
	for _, c := range changes {
		routes := lists[c.kind]
		route := asMap(routes[c.route])
		if route == nil {
			return fmt.Errorf("Invalid casting: field '%s[]' is not of type 'map[string]interface'", c.kind)
		}
		dests, ok := route["route"].([]any)
		if !ok {
			return fmt.Errorf("Invalid casting: field '%s[].route' is not of type '[]interface'", c.kind)
		}
		switch {
		case c.dest < len(dests) && c.delete:
			dests = append(dests[:c.dest], dests[c.dest+1:]...)
		case c.dest < len(dests):
			d := asMap(dests[c.dest])
			if d == nil {
				return fmt.Errorf("Invalid casting: field '%s[].route[].destination' is not of type 'map[string]interface'", c.kind)
			}
			d["weight"] = c.weight
		default:
			dests = append(dests, map[string]any{"weight": c.weight, "destination": map[string]any{"host": c.host}})
		}
		route["route"] = dests
	}
	return nil
}
