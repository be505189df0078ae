package sim

import (
	"github.com/rollsim/rollsim/sim/traffic"
	"github.com/rollsim/rollsim/sim/traffic/alb"
	"github.com/rollsim/rollsim/sim/traffic/ambassador"
	"github.com/rollsim/rollsim/sim/traffic/apisix"
	"github.com/rollsim/rollsim/sim/traffic/appmesh"
	"github.com/rollsim/rollsim/sim/traffic/gatewayapi"
	"github.com/rollsim/rollsim/sim/traffic/istio"
	"github.com/rollsim/rollsim/sim/traffic/openshift"
	"github.com/rollsim/rollsim/sim/traffic/smi"
	"github.com/rollsim/rollsim/sim/traffic/traefik"
)

// TrafficRouters are the traffic model's readers of every router modelled
// beyond nginx and plain Services (sim/traffic/<router>), for
// traffic.SplitFromCluster.
func TrafficRouters() []traffic.RouterReader {
	return []traffic.RouterReader{istio.Reader{}, alb.Reader{}, smi.Reader{}, traefik.Reader{}, ambassador.Reader{}, apisix.Reader{},
		appmesh.Reader{}, gatewayapi.Reader{}, openshift.Reader{}}
}
