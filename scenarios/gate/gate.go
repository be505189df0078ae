package gate

import (
	"fmt"
	"sort"
	"time"

	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/scenarios/runner"
)

// Policy says which changes between a baseline and a candidate set of
// manifests are acceptable (rollsim gate).
type Policy struct {
	// ForbidVerdictChange: a scenario must end the same way (final phase,
	// aborted or not, promoted image) on both.
	ForbidVerdictChange bool `json:"forbidVerdictChange,omitempty"`
	// MaxTimeToRollback: on the candidate, every abort must be rolled back
	// within this time; a bad version that is never rolled back violates it.
	MaxTimeToRollback *format.Duration `json:"maxTimeToRollback,omitempty"`
	// MaxPromotionSlowdown: the candidate may promote at most this much
	// later than the baseline.
	MaxPromotionSlowdown *format.Duration `json:"maxPromotionSlowdown,omitempty"`
	// MaxFailedRequests: per version, the candidate's failed requests
	// (traffic model) may not exceed max.
	MaxFailedRequests []VersionLimit `json:"maxFailedRequests,omitempty"`
}

// VersionLimit bounds one version's failed requests.
type VersionLimit struct {
	Version string  `json:"version"`
	Max     float64 `json:"max"`
}

// LoadPolicy reads a policy file strictly.
func LoadPolicy(path string) (*Policy, error) {
	data, err := format.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	if err := manifests.StrictUnmarshal(path, data, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Verdict summarises how a run ended.
func Verdict(r *runner.Result) string {
	if r.Report.ErrorKind == runner.ErrInput {
		return "input error"
	}
	if len(r.Report.Rollouts) == 0 {
		return "no rollout"
	}
	ro := r.Report.Rollouts[0]
	v := ro.Phase
	for _, rec := range r.Report.Timeline {
		if rec.Verb == "aborted" {
			v += ", aborted"
			break
		}
	}
	for _, rs := range ro.ReplicaSets {
		if rs.Role == "stable" && len(rs.Images) > 0 {
			v += ", stable " + format.Tag(rs.Images[0])
		}
	}
	if r.Report.ErrorKind != "" {
		v += " (" + r.Report.ErrorKind + ")"
	}
	return v
}

// Compare applies a policy to one scenario's baseline and candidate runs.
func Compare(name, file string, base, cand *runner.Result, p *Policy) report.GateScenario {
	g := report.GateScenario{Scenario: name, File: file, BaselineVerdict: Verdict(base), CandidateVerdict: Verdict(cand)}
	outcome := func(r *runner.Result) report.Outcome {
		if len(r.Report.Outcomes) > 0 {
			return r.Report.Outcomes[0]
		}
		return report.Outcome{}
	}
	bo, co := outcome(base), outcome(cand)
	g.Baseline, g.Candidate = bo, co
	check := func(rule string, ok bool, msg string) {
		g.Checks = append(g.Checks, report.GateCheck{Rule: rule, Passed: ok, Message: msg})
	}
	if base.Report.ErrorKind == runner.ErrInput || cand.Report.ErrorKind == runner.ErrInput {
		check("inputs", false, fmt.Sprintf("baseline: %s; candidate: %s", base.Report.Error, cand.Report.Error))
		return g
	}
	if p.ForbidVerdictChange {
		check("forbidVerdictChange", g.BaselineVerdict == g.CandidateVerdict,
			fmt.Sprintf("baseline %q, candidate %q", g.BaselineVerdict, g.CandidateVerdict))
	}
	if p.MaxTimeToRollback != nil {
		switch {
		case co.TimeToAbortMs != nil && co.TimeToRollbackMs == nil:
			check("maxTimeToRollback", false, "aborted but never rolled back")
		case co.FailureOnsetMs != nil && co.TimeToAbortMs == nil:
			check("maxTimeToRollback", false, "the bad version was never rolled back (time to roll back: never)")
		case co.TimeToRollbackMs != nil && time.Duration(*co.TimeToRollbackMs)*time.Millisecond > p.MaxTimeToRollback.Duration:
			check("maxTimeToRollback", false, fmt.Sprintf("time to roll back %s > %s", time.Duration(*co.TimeToRollbackMs)*time.Millisecond, p.MaxTimeToRollback.Duration))
		default:
			check("maxTimeToRollback", true, "")
		}
	}
	if p.MaxPromotionSlowdown != nil && bo.TimeToPromotionMs != nil {
		switch {
		case co.TimeToPromotionMs == nil:
			check("maxPromotionSlowdown", false, "the candidate never promotes")
		default:
			slow := time.Duration(*co.TimeToPromotionMs-*bo.TimeToPromotionMs) * time.Millisecond
			check("maxPromotionSlowdown", slow <= p.MaxPromotionSlowdown.Duration, fmt.Sprintf("promotion %s later", slow))
		}
	}
	for _, l := range p.MaxFailedRequests {
		var failed float64
		for _, e := range co.Exposure {
			if e.Version == l.Version {
				failed += e.FailedRequests
			}
		}
		check("maxFailedRequests["+l.Version+"]", failed <= l.Max, fmt.Sprintf("%.1f failed requests (max %v)", failed, l.Max))
	}
	g.Passed = true
	for _, c := range g.Checks {
		g.Passed = g.Passed && c.Passed
	}
	return g
}

// SortGate orders gate results by file.
func SortGate(gs []report.GateScenario) {
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].File < gs[j].File })
}
