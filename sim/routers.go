package sim

import (
	"github.com/rollsim/rollsim/sim/traffic"
	"github.com/rollsim/rollsim/sim/traffic/gatewayapi"
	"github.com/rollsim/rollsim/sim/traffic/istio"
	"github.com/rollsim/rollsim/sim/traffic/openshift"
)

// TrafficRouters are the traffic model's readers of every router modelled
// beyond nginx and plain Services (sim/traffic/<router>), for
// traffic.SplitFromCluster.
func TrafficRouters() []traffic.RouterReader {
	return []traffic.RouterReader{istio.Reader{}, gatewayapi.Reader{}, openshift.Reader{}}
}
