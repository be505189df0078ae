package istio

import (
	"context"
	"fmt"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	ctistio "github.com/rollsim/rollsim/controller/trafficrouting/istio"
	"github.com/rollsim/rollsim/sim/traffic"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// Reader reads Istio routing for the traffic model.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "istio" }

// Read implements traffic.RouterReader: the first VirtualService the
// rollout names decides (requests enter through it).
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	ist := ro.Spec.Strategy.Canary.TrafficRouting.Istio
	var ref string
	switch {
	case len(ist.VirtualServices) > 0:
		ref = ist.VirtualServices[0].Name
	case ist.VirtualService != nil:
		ref = ist.VirtualService.Name
	default:
		return nil, nil
	}
	ns, name := ctistio.SplitName(ref)
	if ns == "" {
		ns = ro.Namespace
	}
	vs, err := ctistio.Get(ctx, env.Client(), ctistio.KindVirtualService, ns, name)
	if apierrors.IsNotFound(err) {
		return &traffic.Routing{Notes: []string{fmt.Sprintf("VirtualService %s not found: every request is answered 503", name)}}, nil
	}
	if err != nil {
		return nil, err
	}
	b := builder{ctx: ctx, env: env, ns: ro.Namespace, dr: map[string]*unstructured.Unstructured{}}
	return b.routing(vs), nil
}

type builder struct {
	ctx   context.Context
	env   traffic.Env
	ns    string
	dr    map[string]*unstructured.Unstructured // DestinationRules by host
	notes map[string]bool
}

func (b *builder) note(format string, a ...any) {
	if b.notes == nil {
		b.notes = map[string]bool{}
	}
	b.notes[fmt.Sprintf(format, a...)] = true
}

func (b *builder) routing(vs *unstructured.Unstructured) *traffic.Routing {
	rt := &traffic.Routing{}
	http, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	for _, r := range http {
		route, _ := r.(map[string]any)
		dests := b.destinations(route)
		blocks := matchBlocks(route)
		for _, hs := range blocks {
			rt.Rules = append(rt.Rules, traffic.MatchRule{Name: str(route, "name"), Headers: hs, Dests: dests})
		}
		if m, ok := route["mirror"].(map[string]any); ok {
			pct := 100.0
			if p, ok := route["mirrorPercentage"].(map[string]any); ok {
				pct = float(p["value"])
			}
			backend := b.backend(str(m, "host"), str(m, "subset"))
			for _, hs := range blocks {
				rt.Mirrors = append(rt.Mirrors, traffic.Mirror{Name: str(route, "name"), Headers: hs, Percent: pct, Backend: backend})
			}
		}
	}
	if len(http) == 0 {
		for _, kind := range []string{"tls", "tcp"} {
			if l, _, _ := unstructured.NestedSlice(vs.Object, "spec", kind); len(l) > 0 {
				route, _ := l[0].(map[string]any)
				rt.Default = b.destinations(route)
				break
			}
		}
	}
	for n := range b.notes {
		rt.Notes = append(rt.Notes, n)
	}
	sort.Strings(rt.Notes)
	return rt
}

// matchBlocks are a route's match blocks as header conditions (Istio ORs
// the blocks and ANDs inside one); a route without match is one block
// without conditions. URI and method conditions are not modelled: every
// simulated request matches them.
func matchBlocks(route map[string]any) [][]traffic.HeaderMatch {
	matches, _ := route["match"].([]any)
	if len(matches) == 0 {
		return [][]traffic.HeaderMatch{nil}
	}
	var out [][]traffic.HeaderMatch
	for _, mv := range matches {
		m, _ := mv.(map[string]any)
		hdrs, _ := m["headers"].(map[string]any)
		names := make([]string, 0, len(hdrs))
		for k := range hdrs {
			names = append(names, k)
		}
		sort.Strings(names)
		var hs []traffic.HeaderMatch
		for _, k := range names {
			v, _ := hdrs[k].(map[string]any)
			hs = append(hs, traffic.HeaderMatch{Name: k, Exact: str(v, "exact"), Prefix: str(v, "prefix"), Regex: str(v, "regex")})
		}
		out = append(out, hs)
	}
	return out
}

func (b *builder) destinations(route map[string]any) []traffic.Destination {
	list, _ := route["route"].([]any)
	var out []traffic.Destination
	for _, dv := range list {
		d, _ := dv.(map[string]any)
		dest, _ := d["destination"].(map[string]any)
		w := 100.0
		if v, ok := d["weight"]; ok {
			w = float(v)
		} else if len(list) > 1 {
			w = 0
		}
		out = append(out, traffic.Destination{Backend: b.backend(str(dest, "host"), str(dest, "subset")), Weight: w})
	}
	return out
}

// backend is the ready pods behind a destination: the host's Service,
// narrowed by the subset's labels in the DestinationRule for that host.
func (b *builder) backend(host, subset string) traffic.Backend {
	svcName := ctistio.ShortHost(host)
	svc := &corev1.Service{}
	if err := b.env.Client().Get(b.ctx, types.NamespacedName{Namespace: b.ns, Name: svcName}, svc); err != nil {
		b.note("destination host %s: Service %s not found: its share is answered 503", host, svcName)
		return traffic.Backend{Service: svcName, Missing: true}
	}
	sel := labels.Set{}
	for k, v := range svc.Spec.Selector {
		sel[k] = v
	}
	if subset != "" {
		lbls, ok := b.subsetLabels(svcName, subset)
		if !ok {
			b.note("destination %s subset %s: no such subset in a DestinationRule for the host: its share is answered 503", host, subset)
			return traffic.Backend{Service: svcName}
		}
		for k, v := range lbls {
			sel[k] = v
		}
	}
	if len(sel) == 0 {
		return traffic.Backend{Service: svcName}
	}
	return traffic.Backend{Service: svcName, Endpoints: b.env.Endpoints(labels.SelectorFromSet(sel))}
}

// subsetLabels finds the subset in a DestinationRule of the namespace whose
// host is the Service.
func (b *builder) subsetLabels(svc, subset string) (map[string]string, bool) {
	list := &unstructured.UnstructuredList{}
	for _, v := range ctistio.Versions {
		list.SetAPIVersion(ctistio.Group + "/" + v)
		list.SetKind(ctistio.KindDestinationRule + "List")
		if err := b.env.Client().List(b.ctx, list); err == nil && len(list.Items) > 0 {
			break
		}
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
	for _, dr := range items {
		if dr.GetNamespace() != b.ns {
			continue
		}
		host, _, _ := unstructured.NestedString(dr.Object, "spec", "host")
		if ctistio.ShortHost(host) != svc {
			continue
		}
		subsets, _, _ := unstructured.NestedSlice(dr.Object, "spec", "subsets")
		for _, sv := range subsets {
			s, _ := sv.(map[string]any)
			if str(s, "name") != subset {
				continue
			}
			out := map[string]string{}
			lbls, _ := s["labels"].(map[string]any)
			for k, v := range lbls {
				if vs, ok := v.(string); ok {
					out[k] = vs
				}
			}
			return out, true
		}
	}
	return nil, false
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func float(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	case int:
		return float64(n)
	case int32:
		return float64(n)
	}
	return 0
}
