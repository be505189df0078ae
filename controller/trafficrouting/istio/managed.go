package istio

import (
	"context"
	"errors"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var errNoHTTP = errors.New("spec.http not found")

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

// canaryTarget is where managed routes send requests: the DestinationRule's
// host and canary subset, or the canary Service.
func (r *Router) canaryTarget(ctx context.Context) (host, subset string, err error) {
	host = r.d.Rollout.Spec.Strategy.Canary.CanaryService
	if spec := r.istio.DestinationRule; spec != nil {
		dr, err := r.getDR(ctx)
		if err != nil {
			return "", "", err
		}
		if h, _, _ := unstructured.NestedString(dr.Object, "spec", "host"); h != "" {
			host = h
		}
		subset = spec.CanarySubsetName
	}
	return host, subset, nil
}

// SetHeaderRoute adds (or, without match, removes) the managed route that
// sends requests carrying the step's headers to the canary, on every
// VirtualService, then orders the managed routes first.
func (r *Router) SetHeaderRoute(ctx context.Context, hr *v1alpha1.SetHeaderRoute) error {
	return r.eachVS(ctx, "SetHeaderRoute", func(v vsRef, vs *unstructured.Unstructured) (string, error) {
		host, subset, err := r.canaryTarget(ctx)
		if err != nil {
			return "", err
		}
		if err := removeRoute(vs, hr.Name); err != nil {
			return "", fmt.Errorf("[reconcileVirtualServiceHeaderRoutes] failed to remove http route from virtual service: %w", err)
		}
		if hr.Match != nil {
			routes, found, err := routeList(vs, kindHTTP)
			if err != nil || !found {
				return "", errors.Join(err, errNoHTTP)
			}
			routes = append(routes, headerRoute(r.weightRoutePort(vs, v.ref), hr, host, subset))
			if err := unstructured.SetNestedSlice(vs.Object, routes, "spec", kindHTTP); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("VirtualService `%s` set headerRoute '%v'", v.name, hr.Name), nil
	})
}

// SetMirrorRoute puts the managed mirror route first: it keeps the weight
// route's destinations and mirrors the step's percentage (default 100) of
// the matching requests to the canary.
func (r *Router) SetMirrorRoute(ctx context.Context, mr *v1alpha1.SetMirrorRoute) error {
	return r.eachVS(ctx, "SetMirrorRoute", func(v vsRef, vs *unstructured.Unstructured) (string, error) {
		host, subset, err := r.canaryTarget(ctx)
		if err != nil {
			return "", fmt.Errorf("[reconcileVirtualServiceMirrorRoutes] failed to get destination rule host: %w", err)
		}
		if err := removeRoute(vs, mr.Name); err != nil {
			return "", fmt.Errorf("[reconcileVirtualServiceMirrorRoutes] failed to remove http route from virtual service: %w", err)
		}
		if mr.Match != nil {
			routes, _, _ := routeList(vs, kindHTTP)
			route, err := mirrorRoute(v.ref, routes, mr, host, subset)
			if err != nil {
				return "", fmt.Errorf("[reconcileVirtualServiceMirrorRoutes] failed to create mirror route: %w", err)
			}
			if err := unstructured.SetNestedSlice(vs.Object, append([]any{route}, routes...), "spec", kindHTTP); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("VirtualService `%s` set mirrorRoute '%v'", v.name, mr.Name), nil
	})
}

// eachVS reads every VirtualService, lets change edit it, orders the
// routes and writes it, with Argo's "Updated VirtualService" event.
func (r *Router) eachVS(ctx context.Context, op string, change func(vsRef, *unstructured.Unstructured) (string, error)) error {
	for _, v := range r.refs() {
		vs, err := r.getVS(ctx, v)
		if err != nil {
			return fmt.Errorf("[%s] failed to get istio virtual service: %w", op, err)
		}
		orig := vs.DeepCopy()
		msg, err := change(v, vs)
		if err != nil {
			return fmt.Errorf("[%s] %w", op, err)
		}
		if err := r.orderRoutes(vs); err != nil {
			return fmt.Errorf("[%s] failed to order routes: %w", op, err)
		}
		if equalObjects(orig, vs) {
			continue
		}
		if err := r.updateVS(ctx, v, vs); err != nil {
			return fmt.Errorf("[%s] failed to update routes: %w", op, err)
		}
		r.d.Note("virtualservice", v.name, "event", "Updated VirtualService", msg)
	}
	return nil
}

// RemoveManagedRoutes removes the steps' header and mirror routes and every
// managed route from each VirtualService.
func (r *Router) RemoveManagedRoutes(ctx context.Context) error {
	cs := r.d.Rollout.Spec.Strategy.Canary
	for _, v := range r.refs() {
		vs, err := r.readVS(ctx, v)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("[RemoveManagedRoutes] failed to get virtual service: %w", err)
		}
		routes, found, err := routeList(vs, kindHTTP)
		if err != nil {
			return fmt.Errorf("[RemoveManagedRoutes] failed to get http routes from virtual service: %w", err)
		}
		if !found {
			return nil
		}
		var keep []any
		for _, rt := range routes {
			name := str(asMap(rt), "name")
			if name != "" && (r.isManaged(name) || stepRoute(cs.Steps, name)) {
				continue
			}
			keep = append(keep, rt)
		}
		if len(keep) == len(routes) {
			continue
		}
		if keep == nil {
			keep = []any{}
		}
		if err := unstructured.SetNestedSlice(vs.Object, keep, "spec", kindHTTP); err != nil {
			return err
		}
		if err := r.updateVS(ctx, v, vs); err != nil {
			return fmt.Errorf("[RemoveManagedRoutes] failed to update kubernetes virtual service: %w", err)
		}
		r.d.Note("virtualservice", v.name, "event", "Updated VirtualService", fmt.Sprintf("VirtualService `%s` removed all managed routes.", v.name))
	}
	return nil
}

func stepRoute(steps []v1alpha1.CanaryStep, name string) bool {
	for _, s := range steps {
		if (s.SetHeaderRoute != nil && s.SetHeaderRoute.Name == name) || (s.SetMirrorRoute != nil && s.SetMirrorRoute.Name == name) {
			return true
		}
	}
	return false
}

// removeRoute drops the HTTP routes named name.
func removeRoute(vs *unstructured.Unstructured, name string) error {
	routes, found, err := routeList(vs, kindHTTP)
	if err != nil {
		return err
	}
	if !found {
		return errNoHTTP
	}
	keep := []any{}
	for _, rt := range routes {
		if str(asMap(rt), "name") != name {
			keep = append(keep, rt)
		}
	}
	return unstructured.SetNestedSlice(vs.Object, keep, "spec", kindHTTP)
}

// orderRoutes puts the managed routes first, in managedRoutes order, then
// every other route as it was (Argo's orderRoutes).
func (r *Router) orderRoutes(vs *unstructured.Unstructured) error {
	managed := r.d.Rollout.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes
	routes, found, err := routeList(vs, kindHTTP)
	if err != nil || !found || managed == nil {
		return err
	}
	var out []any
	for _, m := range managed {
		for _, rt := range routes {
			if str(asMap(rt), "name") == m.Name {
				out = append(out, rt)
			}
		}
	}
	for _, rt := range routes {
		if !r.isManaged(str(asMap(rt), "name")) {
			out = append(out, rt)
		}
	}
	if out == nil {
		out = []any{}
	}
	return unstructured.SetNestedSlice(vs.Object, out, "spec", kindHTTP)
}

// weightRoutePort is the port of the first destination of the route
// SetWeight changes (0 when it names none).
func (r *Router) weightRoutePort(vs *unstructured.Unstructured, ref v1alpha1.IstioVirtualService) int64 {
	routes, _, _ := routeList(vs, kindHTTP)
	idx, err := httpIndexes(ref.Routes, routes)
	if err != nil || len(idx) == 0 {
		return 0
	}
	dests, _ := asMap(routes[idx[0]])["route"].([]any)
	if len(dests) == 0 {
		return 0
	}
	return number(asMap(asMap(asMap(dests[0])["destination"])["port"])["number"])
}

func destinationMap(host string, port int64, subset string) map[string]any {
	d := map[string]any{"host": host}
	if port > 0 {
		d["port"] = map[string]any{"number": port}
	}
	if subset != "" {
		d["subset"] = subset
	}
	return d
}

// headerRoute is the managed route a setHeaderRoute step adds.
func headerRoute(port int64, hr *v1alpha1.SetHeaderRoute, host, subset string) map[string]any {
	matches := []any{}
	for _, m := range hr.Match {
		v := map[string]any{}
		if m.HeaderValue != nil {
			for k, s := range map[string]string{"exact": m.HeaderValue.Exact, "regex": m.HeaderValue.Regex, "prefix": m.HeaderValue.Prefix} {
				if s != "" {
					v[k] = s
				}
			}
		}
		matches = append(matches, map[string]any{"headers": map[string]any{m.HeaderName: v}})
	}
	return map[string]any{
		"name":  hr.Name,
		"match": matches,
		"route": []any{map[string]any{"weight": int64(100), "destination": destinationMap(host, port, subset)}},
	}
}

// mirrorRoute is the managed route a setMirrorRoute step adds.
func mirrorRoute(ref v1alpha1.IstioVirtualService, routes []any, mr *v1alpha1.SetMirrorRoute, host, subset string) (map[string]any, error) {
	percent := int64(100)
	if mr.Percentage != nil {
		percent = int64(*mr.Percentage)
	}
	idx, err := httpIndexes(ref.Routes, routes)
	if err != nil {
		return nil, fmt.Errorf("[createMirrorRoute] failed to get virtual service http route for keeping non-mirror weights set: %w", err)
	}
	var dests []any
	if len(idx) > 0 {
		dests, _ = asMap(routes[idx[0]])["route"].([]any)
	}
	dests = deepCopySlice(dests)
	mirror := map[string]any{"host": host}
	if subset != "" {
		mirror["subset"] = subset
	}
	if len(dests) > 0 {
		if p := number(asMap(asMap(asMap(dests[0])["destination"])["port"])["number"]); p > 0 {
			mirror["port"] = map[string]any{"number": p}
		}
	}
	matches := []any{}
	for _, m := range mr.Match {
		mm := map[string]any{}
		if m.Method != nil {
			mm["method"] = stringMatch(m.Method)
		}
		if m.Path != nil {
			mm["uri"] = stringMatch(m.Path)
		}
		if len(m.Headers) > 0 {
			h := map[string]any{}
			for k, v := range m.Headers {
				vv := v
				h[k] = stringMatch(&vv)
			}
			mm["headers"] = h
		}
		matches = append(matches, mm)
	}
	return map[string]any{
		"name":             mr.Name,
		"match":            matches,
		"route":            dests,
		"mirror":           mirror,
		"mirrorPercentage": map[string]any{"value": float64(percent)},
	}, nil
}

func stringMatch(m *v1alpha1.StringMatch) map[string]any {
	out := map[string]any{}
	if m.Exact != "" {
		out["exact"] = m.Exact
	}
	if m.Prefix != "" {
		out["prefix"] = m.Prefix
	}
	if m.Regex != "" {
		out["regex"] = m.Regex
	}
	return out
}

func deepCopySlice(s []any) []any {
	if s == nil {
		return []any{}
	}
	u := &unstructured.Unstructured{Object: map[string]any{"s": s}}
	cp, _ := u.DeepCopy().Object["s"].([]any)
	return cp
}

func equalObjects(a, b *unstructured.Unstructured) bool {
	ab, _ := a.MarshalJSON()
	bb, _ := b.MarshalJSON()
	return string(ab) == string(bb)
}
