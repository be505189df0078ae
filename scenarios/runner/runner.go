package runner

import (
	"time"

	"github.com/rollsim/rollsim/fakeproviders"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/cluster"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// runner is one run of one scenario.
type runner struct {
	backend       string
	remote        *cluster.Remote
	untilKnown    bool
	untilVersion  uint64
	untilValue    bool
	onsetOverride *time.Time
	sampler       *sampler
	framer        *framer // nil unless RunOptions.Frames
	factory       *fakeproviders.Factory
	s             *format.Scenario
	beh           *behavior
	traffic       *trafficSim
	h             *sim.Harness
	res           *Result
	t0            time.Time
	ns            string
	onset         *time.Time
	anchors       map[string]time.Time
	results       []report.Expectation
	// notModelled: the loaded objects the simulation does not model.
	notModelled []report.NotModelled
}

// loadObjects loads manifests named relative to the scenario file.
func (r *runner) loadObjects(paths []string) ([]client.Object, error) {
	var resolved []string
	for _, p := range paths {
		resolved = append(resolved, r.s.Resolve(p))
	}
	return r.loadObjectsAbs(resolved)
}

// loadObjectsAbs loads manifests at paths as given, defaulting namespaces.
func (r *runner) loadObjectsAbs(paths []string) ([]client.Object, error) {
	return format.LoadObjects(paths, r.ns, &r.notModelled)
}
