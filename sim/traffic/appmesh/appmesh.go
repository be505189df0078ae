package appmesh

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	meshrouter "github.com/rollsim/rollsim/controller/trafficrouting/appmesh"
	"github.com/rollsim/rollsim/sim/traffic"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// Reader reads App Mesh objects into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "appMesh" }

func absent(err error) bool { return apierrors.IsNotFound(err) || meta.IsNoMatchError(err) }

// Read implements traffic.RouterReader.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	cfg := ro.Spec.Strategy.Canary.TrafficRouting.AppMesh
	if cfg.VirtualService == nil {
		return nil, nil
	}
	c := env.Client()
	vs, err := meshrouter.Get(ctx, c, "VirtualService", env.Namespace(), cfg.VirtualService.Name)
	if absent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rt := &traffic.Routing{}
	vr, err := meshrouter.RouterOf(ctx, c, vs)
	if err != nil {
		if absent(err) || err.Error() == "Virtual-service is not associated with virtual-router" {
			rt.Notes = append(rt.Notes, fmt.Sprintf("VirtualService %s: %v: the rollout's requests reach no backend", vs.GetName(), err))
			return rt, nil
		}
		return nil, err
	}
	wts := targets(vr, cfg.VirtualService.Routes)
	for _, wi := range wts {
		wt, _ := wi.(map[string]any)
		ref, _ := wt["virtualNodeRef"].(map[string]any)
		name, _ := ref["name"].(string)
		w := 0.0
		switch x := wt["weight"].(type) {
		case int64:
			w = float64(x)
		case float64:
			w = x
		}
		b := traffic.Backend{Service: name}
		vn, err := meshrouter.Get(ctx, c, "VirtualNode", env.Namespace(), name)
		switch {
		case absent(err):
			b.Missing = true
			rt.Notes = append(rt.Notes, fmt.Sprintf("VirtualNode %s does not exist", name))
		case err != nil:
			return nil, err
		default:
			ml, _, _ := unstructured.NestedStringMap(vn.Object, "spec", "podSelector", "matchLabels")
			b.Endpoints = env.Endpoints(labels.SelectorFromSet(ml))
			if len(b.Endpoints) == 0 && w > 0 {
				rt.Notes = append(rt.Notes, fmt.Sprintf("VirtualNode %s selects no ready pod (%v): its share answers 503", name, ml))
			}
		}
		rt.Default = append(rt.Default, traffic.Destination{Backend: b, Weight: w})
	}
	return rt, nil
}

// targets are the weighted targets of the first route (of names, when
// given).
func targets(vr *unstructured.Unstructured, names []string) []any {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	routes, _, _ := unstructured.NestedSlice(vr.Object, "spec", "routes")
	for _, ri := range routes {
		route, _ := ri.(map[string]any)
		if n, _ := route["name"].(string); len(want) > 0 && !want[n] {
			continue
		}
		rule, _, err := meshrouter.RouteRule(route)
		if err != nil {
			continue
		}
		wts, _, _ := unstructured.NestedSlice(rule, "action", "weightedTargets")
		return wts
	}
	return nil
}
