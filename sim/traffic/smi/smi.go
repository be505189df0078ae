package smi

import (
	"context"
	"fmt"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	smirouter "github.com/rollsim/rollsim/controller/trafficrouting/smi"
	"github.com/rollsim/rollsim/sim/traffic"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Reader reads TrafficSplits into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "smi" }

// Read implements traffic.RouterReader.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	cs := ro.Spec.Strategy.Canary
	root := smirouter.RootService(cs)
	name := smirouter.Name(ro)
	ts, err := get(ctx, env, name)
	if err != nil {
		return nil, err
	}
	rt := &traffic.Routing{}
	if ts == nil {
		rt.Notes = append(rt.Notes, fmt.Sprintf("no TrafficSplit %s: requests to %s go through that Service", name, root))
		return rt, viaRoot(env, rt, root)
	}
	if svc, _, _ := unstructured.NestedString(ts.Object, "spec", "service"); svc != root {
		rt.Notes = append(rt.Notes, fmt.Sprintf("TrafficSplit %s splits service %q, not the rollout's %s: requests go through %s", name, svc, root, root))
		return rt, viaRoot(env, rt, root)
	}
	backends, _, _ := unstructured.NestedSlice(ts.Object, "spec", "backends")
	for i, b := range backends {
		m, ok := b.(map[string]any)
		if !ok {
			continue
		}
		svc, _ := m["service"].(string)
		w, ok := weight(m["weight"])
		if !ok {
			rt.Notes = append(rt.Notes, fmt.Sprintf("TrafficSplit %s backends[%d]: weight %v is not a number: no share", name, i, m["weight"]))
			continue
		}
		be, err := env.Service(svc)
		if err != nil {
			return nil, err
		}
		if be.Missing {
			rt.Notes = append(rt.Notes, fmt.Sprintf("TrafficSplit %s: backend service %s does not exist", name, svc))
		}
		rt.Default = append(rt.Default, traffic.Destination{Backend: be, Weight: w})
	}
	sort.Strings(rt.Notes)
	return rt, nil
}

// get finds the TrafficSplit in the first version that has it.
func get(ctx context.Context, env traffic.Env, name string) (*unstructured.Unstructured, error) {
	gvks := make([]schema.GroupVersionKind, 0, len(smirouter.Versions))
	for _, v := range smirouter.Versions {
		gvks = append(gvks, smirouter.GVK(v))
	}
	return traffic.GetObject(ctx, env, name, gvks...)
}

func viaRoot(env traffic.Env, rt *traffic.Routing, root string) error {
	b, err := env.Service(root)
	if err != nil {
		return err
	}
	rt.Default = []traffic.Destination{{Backend: b, Weight: 1}}
	return nil
}

// weight reads a backend weight: an integer (v1alpha2, v1alpha3) or a
// quantity (v1alpha1: "5", "500m").
func weight(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		q, err := resource.ParseQuantity(x)
		if err != nil {
			return 0, false
		}
		return q.AsApproximateFloat64(), true
	}
	return 0, false
}
