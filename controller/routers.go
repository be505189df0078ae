package controller

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rollsim/rollsim/controller/trafficrouting"
	"github.com/rollsim/rollsim/controller/trafficrouting/alb"
	"github.com/rollsim/rollsim/controller/trafficrouting/ambassador"
	"github.com/rollsim/rollsim/controller/trafficrouting/apisix"
	"github.com/rollsim/rollsim/controller/trafficrouting/appmesh"
	"github.com/rollsim/rollsim/controller/trafficrouting/gatewayapi"
	"github.com/rollsim/rollsim/controller/trafficrouting/istio"
	"github.com/rollsim/rollsim/controller/trafficrouting/nginx"
	"github.com/rollsim/rollsim/controller/trafficrouting/openshift"
	"github.com/rollsim/rollsim/controller/trafficrouting/smi"
	"github.com/rollsim/rollsim/controller/trafficrouting/traefik"
)

// routerFactories are the traffic routers rollsim simulates, by the name
// trafficrouting.Requested gives them. A name the rollout asks for that is
// not here is "not supported yet".
var routerFactories = map[string]trafficrouting.Factory{
	"istio":                            istio.New,
	"nginx":                            nginx.New,
	"alb":                              alb.New,
	"smi":                              smi.New,
	"traefik":                          traefik.New,
	"ambassador":                       ambassador.New,
	"apisix":                           apisix.New,
	"appMesh":                          appmesh.New,
	"plugins." + gatewayapi.PluginName: gatewayapi.New,
	"plugins." + openshift.PluginName:  openshift.New,
}

// TrafficRouterWeightVerifier, when set in Options, answers VerifyWeight for
// routers that ask (ALB target groups).
type TrafficRouterWeightVerifier = trafficrouting.WeightVerifier

// unsupportedRouter is the first router the rollout names that rollsim
// does not simulate, "" when there is none.
func (c *rolloutContext) unsupportedRouter() string {
	cs := c.ro.Spec.Strategy.Canary
	if cs == nil {
		return ""
	}
	for _, name := range trafficrouting.Requested(cs.TrafficRouting) {
		if _, ok := routerFactories[name]; !ok {
			return name
		}
	}
	return ""
}

// trafficRouters builds, once per reconcile, the routers the rollout names,
// in Argo's order.
func (c *rolloutContext) trafficRouters() ([]trafficrouting.Router, error) {
	if c.routers != nil {
		return c.routers, nil
	}
	cs := c.ro.Spec.Strategy.Canary
	if cs == nil || cs.TrafficRouting == nil {
		return nil, nil
	}
	d := trafficrouting.Deps{
		Rollout: c.ro, Status: &c.newStatus, ReplicaSets: c.allRSs, Client: c.r.opts.Client, Clock: c.r.opts.Clock,
		Note: c.note, Verifier: c.r.opts.WeightVerifier, SMIAPIVersion: c.r.opts.SMIAPIVersion,
	}
	var out []trafficrouting.Router
	for _, name := range trafficrouting.Requested(cs.TrafficRouting) {
		f, ok := routerFactories[name]
		if !ok {
			return nil, errors.New(unsupportedRouterMessage(name))
		}
		rt, err := f(d)
		if err != nil {
			return nil, fmt.Errorf("traffic router %s: %w", name, err)
		}
		out = append(out, rt)
	}
	c.routers = out
	return out, nil
}

// unsupportedRouterMessage says which router rollsim does not simulate.
func unsupportedRouterMessage(name string) string {
	path := "spec.strategy.canary.trafficRouting." + name
	if plugin, ok := strings.CutPrefix(name, "plugins."); ok {
		return fmt.Sprintf("%s: traffic router plugin %q: %v", path, plugin, ErrNotSupported)
	}
	return path + ": " + ErrNotSupported.Error()
}
