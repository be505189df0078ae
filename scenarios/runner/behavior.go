package runner

import (
	"fmt"
	"time"

	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim/cluster"
)

// behavior answers the cluster from the scenario's versions.
type behavior struct {
	s  *format.Scenario
	ts *trafficSim // nil without spec.traffic
}

func (b *behavior) version(image string) (format.Version, bool) {
	v, ok := b.s.VersionOf(image)
	if !ok {
		return format.Version{}, false
	}
	return b.s.Spec.Versions[v], true
}

func (b *behavior) Pod(image string) cluster.PodBehavior {
	startup := 5 * time.Second
	if d := b.s.Spec.Cluster.PodStartup; d != nil {
		startup = d.Duration
	}
	v, _ := b.version(image)
	if v.Startup != nil {
		startup = v.Startup.Duration
	}
	return cluster.PodBehavior{Startup: startup, NeverReady: v.NeverReady, ImagePullError: v.ImagePullError}
}

func (b *behavior) JobPod(target, metric string, attempt int) cluster.JobPodBehavior {
	startup := 2 * time.Second
	if d := b.s.Spec.Cluster.JobPodStartup; d != nil {
		startup = d.Duration
	}
	out := cluster.JobPodBehavior{Startup: startup, Duration: 60 * time.Second, Succeed: true}
	name, _ := b.s.VersionOf(target)
	v, ok := b.version(target)
	if !ok || v.Job == nil {
		out.Reason = fmt.Sprintf("no job outcome for %s: succeeds", target)
		return out
	}
	if v.Job.Duration != nil {
		out.Duration = v.Job.Duration.Duration
	}
	if jt := v.Job.Traffic; jt != nil && b.ts != nil {
		ts := b.ts
		out.Outcome = func(start, end time.Time) (bool, string) {
			req, errs := ts.probe(jt, start, end)
			ok := errs <= jt.MaxErrors
			verdict := "passes"
			if !ok {
				verdict = "fails"
			}
			return ok, fmt.Sprintf("sent %.0f requests, %.0f failed (threshold %.0f): %s", req, errs, jt.MaxErrors, verdict)
		}
		return out
	}
	out.Succeed = v.Job.Result == "succeed"
	out.Reason = fmt.Sprintf("version %s: job %s", name, v.Job.Result)
	return out
}
