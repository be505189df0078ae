package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/check"
	"github.com/rollsim/rollsim/sim/trace"
)

// timedCheck is a state expectation at a time (idx into spec.expect), or a
// --show-at snapshot (idx -1).
type timedCheck struct {
	at  time.Time
	idx int
}

// loop runs the event loop from T+0: actions fire at their times, timed
// checks run just before the first event after their time, and the run
// ends when the until-condition holds (or at its timeout, or on an error).
// Then every expectation gets its verdict.
func (r *runner) loop(showAt []time.Duration) (string, error) {
	var actionErr error
	fired := 0
	r.scheduleActions(&actionErr, &fired)
	r.anchorOnset()
	ec, err := r.endConditionOf()
	if err != nil {
		return ErrInput, err
	}
	checks := r.timedChecks(showAt)
	stateResults := map[int]report.Expectation{}
	kind, runErr := "", error(nil)
	for {
		if actionErr != nil {
			runErr, kind = actionErr, ErrInput
			break
		}
		next, more := r.h.Engine().NextAt()
		checks = r.runDueChecks(checks, next, more, ec.deadline, stateResults)
		if r.reached(ec, fired == len(r.s.Spec.Actions)) || !more {
			break
		}
		if next.After(ec.deadline) {
			runErr, kind = fmt.Errorf("timeout: the until condition did not hold within %s of virtual time", ec.timeout), ErrTimeout
			break
		}
		if _, err := r.h.Step(); err != nil {
			kind = ErrRun
			if strings.Contains(err.Error(), "budget") {
				kind = ErrBudget
			}
			runErr = err
			break
		}
	}
	r.verdicts(checks, stateResults)
	return kind, runErr
}

// anchorOnset: RunOptions.FailureOnset overrides the onset the actions
// imply; it anchors `within ... of failureOnset`.
func (r *runner) anchorOnset() {
	if r.onsetOverride != nil {
		r.onset = r.onsetOverride
	}
	if r.onset != nil {
		r.anchors["failureOnset"] = *r.onset
	}
}

// timedChecks lists the state checks at a duration and the snapshots, in
// time order.
func (r *runner) timedChecks(showAt []time.Duration) []timedCheck {
	var checks []timedCheck
	for i, e := range r.s.Spec.Expect {
		if e.Within == nil && e.Never == nil && e.At != "" && e.At != "end" {
			d, _ := time.ParseDuration(e.At)
			checks = append(checks, timedCheck{r.t0.Add(d), i})
		}
	}
	for _, d := range showAt {
		checks = append(checks, timedCheck{r.t0.Add(d), -1})
	}
	sort.SliceStable(checks, func(i, j int) bool { return checks[i].at.Before(checks[j].at) })
	return checks
}

// runDueChecks runs the checks due before the next event (all of them
// when there is none), up to the deadline, and returns the rest.
func (r *runner) runDueChecks(checks []timedCheck, next time.Time, more bool, deadline time.Time, results map[int]report.Expectation) []timedCheck {
	for len(checks) > 0 && (!more || checks[0].at.Before(next)) && !checks[0].at.After(deadline) {
		c := checks[0]
		checks = checks[1:]
		if c.idx < 0 {
			snaps := snapshots(r.h, r.t0)
			for k := range snaps {
				snaps[k].AtMs = c.at.Sub(r.t0).Milliseconds()
			}
			r.res.Snapshots = append(r.res.Snapshots, snaps...)
			continue
		}
		results[c.idx] = check.State(r.s.Spec.Expect[c.idx], r.h, r.ns)
	}
	return checks
}

// verdicts computes the outcomes and checks every expectation, in file
// order: timed state checks already ran; the rest read the end state, the
// timeline and the outcomes.
func (r *runner) verdicts(left []timedCheck, stateResults map[int]report.Expectation) {
	s := r.s
	for _, c := range left {
		if c.idx < 0 {
			continue // the run ended before this --show-at time
		}
		stateResults[c.idx] = report.Expectation{Description: s.Spec.Expect[c.idx].Describe(), Passed: false,
			Message: "the run ended before this time"}
	}
	records := r.h.Recorder().Records()
	r.res.Report.Samples = r.sampler.samples
	if r.framer != nil {
		r.res.Report.Frames = r.framer.frames
	}
	r.res.Report.Outcomes = check.Outcomes(r.observed(records))
	for i, e := range s.Spec.Expect {
		var er report.Expectation
		switch {
		case e.Outcome != nil:
			er = check.Outcome(e, r.res.Report.Outcomes)
		case e.Never != nil:
			er = check.Never(e, records)
		case e.Within != nil:
			er = check.Within(e, records, r.anchors, r.t0)
		case e.At == "" || e.At == "end":
			er = check.State(e, r.h, r.ns)
		default:
			er = stateResults[i]
		}
		r.results = append(r.results, er)
	}
}

// observed is what the outcome metrics read.
func (r *runner) observed(records []trace.Record) check.Observed {
	ros, err := r.h.Rollouts()
	if err != nil || len(ros) == 0 {
		return check.Observed{}
	}
	obs := check.Observed{Rollouts: ros, Records: records, Samples: r.sampler.samples}
	if r.onset != nil {
		ms := r.onset.Sub(r.t0).Milliseconds()
		obs.OnsetMs = &ms
	}
	if ts := r.traffic; ts != nil {
		ts.model.Advance(r.h.Now())
		obs.Exposure = ts.model.Exposure()
	}
	return obs
}
