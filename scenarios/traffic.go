package scenarios

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/traffic"
)

// trafficSim samples the routing after every settled instant and feeds the
// traffic model; probe jobs integrate their own requests over the same
// piecewise-constant history.
type trafficSim struct {
	s       *Scenario
	h       *sim.Harness
	model   *traffic.Model
	history []splitAt
	err     error
}

type splitAt struct {
	at    time.Time
	split traffic.Split
}

func newTrafficSim(s *Scenario, h *sim.Harness, t0 time.Time) (*trafficSim, error) {
	m, err := traffic.New(*s.Spec.Traffic, s.trafficVersions(), t0)
	if err != nil {
		return nil, s.errAt("spec.traffic", err.Error())
	}
	return &trafficSim{s: s, h: h, model: m}, nil
}

func (t *trafficSim) versionOf(image string) string {
	if v, ok := t.s.VersionOf(image); ok {
		return v
	}
	return image
}

// sample reads the split from the cluster and records it at now.
func (t *trafficSim) sample() {
	ctx := context.Background()
	ros, err := t.h.Rollouts()
	if err != nil {
		t.err = err
		return
	}
	nsSet := map[string]bool{}
	for _, ro := range ros {
		nsSet[ro.Namespace] = true
	}
	var nss []string
	for ns := range nsSet {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	var merged traffic.Split
	for _, ns := range nss {
		sp, err := traffic.SplitFromCluster(ctx, t.h.Client(), ns, t.versionOf, sim.TrafficRouters()...)
		if err != nil {
			t.err = fmt.Errorf("traffic split in %s: %w", ns, err)
			return
		}
		if merged.Namespace == "" {
			merged.Namespace = sp.Namespace
		}
		merged.Rollouts = append(merged.Rollouts, sp.Rollouts...)
	}
	now := t.h.Now()
	t.model.SetSplit(now, merged)
	if n := len(t.history); n > 0 && t.history[n-1].at.Equal(now) {
		t.history[n-1].split = merged
		return
	}
	t.history = append(t.history, splitAt{at: now, split: merged})
}

// probe integrates the requests of a job that sends rps requests per second
// with header between start and end: how many, and how many failed.
func (t *trafficSim) probe(jt *JobTraffic, start, end time.Time) (requests, errors float64) {
	rps := jt.RPS
	if rps == 0 {
		rps = 1
	}
	for i, seg := range t.history {
		from := seg.at
		to := end
		if i+1 < len(t.history) && t.history[i+1].at.Before(to) {
			to = t.history[i+1].at
		}
		if from.Before(start) {
			from = start
		}
		if !to.After(from) {
			continue
		}
		dt := to.Sub(from).Seconds()
		for _, r := range seg.split.Routes(jt.Header) {
			if r.Shadow {
				continue // a mirrored copy's answer reaches nobody
			}
			n := rps * dt * r.Fraction
			requests += n
			if r.Unserved {
				errors += n
				continue
			}
			errors += n * t.s.Spec.Versions[r.Version].ErrorRate
		}
	}
	return requests, errors
}
