package match

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios"
)

func rollout(r *scenarios.Result, name string) (report.Rollout, error) {
	if r == nil {
		return report.Rollout{}, fmt.Errorf("result is nil")
	}
	for _, ro := range r.Report.Rollouts {
		if ro.Name == name || ro.Namespace+"/"+ro.Name == name {
			return ro, nil
		}
	}
	var names []string
	for _, ro := range r.Report.Rollouts {
		names = append(names, ro.Namespace+"/"+ro.Name)
	}
	return report.Rollout{}, fmt.Errorf("no rollout %q in the result (have [%s])", name, strings.Join(names, ", "))
}

// Pass succeeds when the scenario ran cleanly and every expectation held;
// the failure message lists what did not.
func Pass() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(r *scenarios.Result) (bool, error) {
		if r == nil {
			return false, fmt.Errorf("result is nil")
		}
		return r.Report.Passed, nil
	}).WithTemplate("Expected scenario {{.Actual.Report.Scenario}} to pass.\nerror: {{.Actual.Report.Error}}\n{{range .Actual.Report.Expectations}}{{if not .Passed}}FAIL {{.Description}}: {{.Message}}\n{{end}}{{end}}")
}

// HavePhase checks a rollout's final phase.
func HavePhase(rolloutName, phase string) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(r *scenarios.Result) (bool, error) {
		ro, err := rollout(r, rolloutName)
		if err != nil {
			return false, err
		}
		return ro.Phase == phase, nil
	}).WithTemplate(fmt.Sprintf("Expected rollout %s to have phase %s", rolloutName, phase) + "\n{{.FormattedActual}}")
}

// HaveWeights checks the router's recorded weights (traffic routing only).
func HaveWeights(rolloutName string, canary, stable int32) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(r *scenarios.Result) (bool, error) {
		ro, err := rollout(r, rolloutName)
		if err != nil {
			return false, err
		}
		if ro.TrafficWeights == nil {
			return false, fmt.Errorf("rollout %s has no traffic weights (no traffic routing)", rolloutName)
		}
		return ro.TrafficWeights.Canary == canary && ro.TrafficWeights.Stable == stable, nil
	}).WithTemplate(fmt.Sprintf("Expected rollout %s to have weights canary %d / stable %d", rolloutName, canary, stable))
}

// HaveAvailablePods checks the available pods of the ReplicaSets with a
// role (stable, canary, old).
func HaveAvailablePods(rolloutName, role string, n int32) types.GomegaMatcher {
	var got int32
	return gcustom.MakeMatcher(func(r *scenarios.Result) (bool, error) {
		ro, err := rollout(r, rolloutName)
		if err != nil {
			return false, err
		}
		got = 0
		for _, rs := range ro.ReplicaSets {
			if rs.Role == role {
				got += rs.AvailableReplicas
			}
		}
		return got == n, nil
	}).WithMessage(fmt.Sprintf("have %d available %s pods in rollout %s", n, role, rolloutName))
}

// HaveTimelineEvent checks that the timeline holds a record with this
// reason (and, when object is given, on that object, e.g. "rollout/x").
func HaveTimelineEvent(reason string, object ...string) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(r *scenarios.Result) (bool, error) {
		if r == nil {
			return false, fmt.Errorf("result is nil")
		}
		for _, rec := range r.Report.Timeline {
			if rec.Reason != reason {
				continue
			}
			if len(object) == 0 || rec.Object == object[0] {
				return true, nil
			}
		}
		return false, nil
	}).WithMessage(fmt.Sprintf("have a timeline event %s %v", reason, object))
}
