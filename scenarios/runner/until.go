package runner

import (
	"fmt"
	"time"

	"github.com/rollsim/rollsim/scenarios/format"
)

// endCondition is spec.until with its defaults: the run ends once every
// action fired and the rollouts are in one of the phases, held for hold.
type endCondition struct {
	timeout   time.Duration
	hold      time.Duration
	phases    []string
	rollout   string
	deadline  time.Time
	holdSince *time.Time
}

// endConditionOf reads spec.until (defaults: Healthy or Degraded, 1h) and
// checks that it can end: time after the last action, a known rollout.
func (r *runner) endConditionOf() (*endCondition, error) {
	s := r.s
	ec := &endCondition{timeout: time.Hour, phases: []string{"Healthy", "Degraded"}}
	if u := s.Spec.Until; u != nil {
		if u.Timeout != nil {
			ec.timeout = u.Timeout.Duration
		}
		if u.For != nil {
			ec.hold = u.For.Duration
		}
		if len(u.Phase) > 0 {
			ec.phases = u.Phase
		}
		ec.rollout = u.Rollout
	}
	lastAction := r.t0
	for _, a := range s.Spec.Actions {
		if t := r.t0.Add(a.At.Duration); t.After(lastAction) {
			lastAction = t
		}
	}
	if lastAction.Sub(r.t0) >= ec.timeout {
		return nil, s.ErrAt("spec.until.timeout", fmt.Sprintf("timeout %s does not leave time after the last action at %s", ec.timeout, lastAction.Sub(r.t0)))
	}
	if ec.rollout != "" {
		ns, n := format.SplitRef(ec.rollout, r.ns)
		if _, err := r.h.Rollout(ns, n); err != nil {
			return nil, s.ErrAt("spec.until.rollout", fmt.Sprintf("rollout %q is not in the manifests", ec.rollout))
		}
	}
	ec.deadline = r.t0.Add(ec.timeout)
	return ec, nil
}

// reached reports whether the run may end now: all actions fired and the
// condition has held for hold (a timer wakes the engine when it will have).
func (r *runner) reached(ec *endCondition, allFired bool) bool {
	now := r.h.Now()
	if !allFired || !r.untilHolds(ec.rollout, ec.phases) {
		ec.holdSince = nil
		return false
	}
	if ec.holdSince == nil {
		t := now
		ec.holdSince = &t
		if ec.hold > 0 {
			r.h.At(now.Add(ec.hold), "until.for", func() {})
		}
	}
	return now.Sub(*ec.holdSince) >= ec.hold
}

// untilHolds is untilHoldsNow, cached per state version.
func (r *runner) untilHolds(rollout string, phases []string) bool {
	if v := r.h.StateVersion(); r.untilKnown && v == r.untilVersion {
		return r.untilValue
	}
	r.untilKnown, r.untilVersion = true, r.h.StateVersion()
	r.untilValue = r.untilHoldsNow(rollout, phases)
	return r.untilValue
}

// untilHoldsNow: every rollout (or the named one) is in one of the phases
// and its status observed its spec.
func (r *runner) untilHoldsNow(rollout string, phases []string) bool {
	ros, err := r.h.Rollouts()
	if err != nil {
		return false
	}
	for _, ro := range ros {
		if rollout != "" {
			ns, n := format.SplitRef(rollout, r.ns)
			if ro.Namespace != ns || ro.Name != n {
				continue
			}
		}
		ok := false
		for _, p := range phases {
			ok = ok || string(ro.Status.Phase) == p
		}
		if !ok || ro.Status.ObservedGeneration != fmt.Sprint(ro.Generation) {
			return false
		}
	}
	return true
}
