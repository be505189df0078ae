package openshift

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	plugin "github.com/rollsim/rollsim/controller/trafficrouting/openshift"
	"github.com/rollsim/rollsim/sim/traffic"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Reader reads OpenShift Routes into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "plugins." + plugin.PluginName }

// Read implements traffic.RouterReader: the first configured Route decides.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	cs := ro.Spec.Strategy.Canary
	cfg, err := plugin.ParseConfig(ro)
	if err != nil || len(cfg.Routes) == 0 {
		b, serr := env.Service(cs.StableService)
		if serr != nil {
			return nil, serr
		}
		note := "openshift plugin configuration names no route; requests follow the stable Service"
		if err != nil {
			note = fmt.Sprintf("openshift plugin configuration: %v; requests follow the stable Service", err)
		}
		return &traffic.Routing{Default: []traffic.Destination{{Backend: b, Weight: 1}}, Notes: []string{note}}, nil
	}
	key := plugin.RouteKey(ro, cfg.Routes[0])
	u, err := plugin.GetRoute(ctx, env.Client(), key)
	if apierrors.IsNotFound(err) {
		return &traffic.Routing{Notes: []string{fmt.Sprintf("Route %s does not exist: its requests find no route (answered 503, counted unserved)", key)}}, nil
	}
	if err != nil {
		return nil, err
	}
	rt := &traffic.Routing{}
	to, _, _ := unstructured.NestedMap(u.Object, "spec", "to")
	name, _ := to["name"].(string)
	if err := add(env, rt, name, plugin.ToWeight(u)); err != nil {
		return nil, err
	}
	if name != cs.StableService {
		rt.Notes = append(rt.Notes, fmt.Sprintf("Route %s: spec.to names %q, not the stable Service %q; requests follow the route as written", key, name, cs.StableService))
	}
	alts, _, _ := unstructured.NestedSlice(u.Object, "spec", "alternateBackends")
	for _, a := range alts {
		am, _ := a.(map[string]any)
		n, _ := am["name"].(string)
		if err := add(env, rt, n, plugin.Int(am["weight"], 100)); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

func add(env traffic.Env, rt *traffic.Routing, service string, w int64) error {
	b, err := env.Service(service)
	if err != nil {
		return err
	}
	rt.Default = append(rt.Default, traffic.Destination{Backend: b, Weight: float64(w)})
	return nil
}
