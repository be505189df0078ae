package runner

import (
	"fmt"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/scenarios/format"
)

// stepPluginAnswers answers the controller's step plugin calls from the
// scenario, by the version of the image the rollout is updating to.
type stepPluginAnswers struct {
	s   *format.Scenario
	now func() time.Time
}

var _ controller.StepPlugins = stepPluginAnswers{}

// Call implements controller.StepPlugins.
func (a stepPluginAnswers) Call(op controller.StepPluginOp) controller.StepPluginAnswer {
	if op.Operation != v1alpha1.StepPluginOperationRun {
		return controller.StepPluginAnswer{Phase: v1alpha1.StepPluginPhaseSuccessful}
	}
	sc, version, ok := a.script(op)
	if !ok {
		return controller.StepPluginAnswer{Err: fmt.Sprintf("rollsim: spec.stepPlugins.%s has no result for version %q (nor \"default\")", op.Name, version)}
	}
	if sc.Error != "" {
		return controller.StepPluginAnswer{Err: sc.Error}
	}
	ans := controller.StepPluginAnswer{Phase: v1alpha1.StepPluginPhase(sc.Phase), Message: sc.Message}
	if ans.Phase == "" {
		ans.Phase = v1alpha1.StepPluginPhaseSuccessful
	}
	if sc.RequeueAfter != nil {
		ans.RequeueAfter = sc.RequeueAfter.Duration
	}
	if sc.RunningFor != nil {
		if elapsed := a.now().Sub(op.StartedAt); elapsed < sc.RunningFor.Duration {
			ans.Phase = v1alpha1.StepPluginPhaseRunning
			ans.Message = fmt.Sprintf("running (%s of %s)", elapsed.Truncate(time.Second), sc.RunningFor.Duration)
		}
	}
	return ans
}

func (a stepPluginAnswers) script(op controller.StepPluginOp) (format.StepPluginScript, string, bool) {
	byVersion := a.s.Spec.StepPlugins[op.Name]
	version := ""
	if cs := op.Rollout.Spec.Template.Spec.Containers; len(cs) > 0 {
		version, _ = a.s.VersionOf(cs[0].Image)
	}
	if sc, ok := byVersion[version]; ok && version != "" {
		return sc, version, true
	}
	sc, ok := byVersion["default"]
	return sc, version, ok
}
