package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/traffic"
)

// trafficSim samples the routing after every settled instant and feeds the
// traffic model; probe jobs integrate their own requests over the same
// piecewise-constant history.
type trafficSim struct {
	s       *format.Scenario
	h       *sim.Harness
	model   *traffic.Model
	history []splitAt
	err     error
	// notes are the routers' misconfiguration notes last put in the
	// timeline, per rollout.
	notes map[string]string
}

type splitAt struct {
	at    time.Time
	split traffic.Split
}

func newTrafficSim(s *format.Scenario, h *sim.Harness, t0 time.Time) (*trafficSim, error) {
	m, err := traffic.New(*s.Spec.Traffic, s.TrafficVersions(), t0)
	if err != nil {
		return nil, s.ErrAt("spec.traffic", err.Error())
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
	t.noteRouting(merged)
	t.model.SetSplit(now, merged)
	if n := len(t.history); n > 0 && t.history[n-1].at.Equal(now) {
		t.history[n-1].split = merged
		return
	}
	t.history = append(t.history, splitAt{at: now, split: merged})
}

// probe integrates the requests of a job that sends rps requests per second
// with header between start and end: how many, and how many failed.
func (t *trafficSim) probe(jt *format.JobTraffic, start, end time.Time) (requests, errors float64) {
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

// noteRouting puts a router's misconfiguration notes (a route to a missing
// Service or subset …) in the timeline when they change, so the exposure
// they cause has its reason next to it.
func (t *trafficSim) noteRouting(s traffic.Split) {
	if t.notes == nil {
		t.notes = map[string]string{}
	}
	for _, r := range s.Rollouts {
		var notes []string
		if r.Routing != nil {
			notes = r.Routing.Notes
		}
		joined := strings.Join(notes, "; ")
		if joined == t.notes[r.Rollout] {
			continue
		}
		t.notes[r.Rollout] = joined
		if joined == "" {
			t.h.Note("traffic", "rollout/"+r.Rollout, "event", "RoutingRestored", r.Via+": the router's objects route every request again")
			continue
		}
		t.h.Note("traffic", "rollout/"+r.Rollout, "event", "RoutingMisconfigured", r.Via+": "+joined)
	}
}
