package validate

import (
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/scenarios/format"
)

// lintStepPlugins is format.Scenario.CheckStepPlugins for `rollsim validate`: the scenario's
// rollouts from its manifests (load errors are reported with the manifests).
func lintStepPlugins(s *format.Scenario) []Finding {
	var rollouts []*v1alpha1.Rollout
	for _, m := range s.Spec.Manifests {
		objs, err := manifests.Load(s.Resolve(m))
		if err != nil {
			return nil
		}
		for _, o := range objs {
			if ro, ok := o.Obj.(*v1alpha1.Rollout); ok {
				rollouts = append(rollouts, ro)
			}
		}
	}
	if err := s.CheckStepPlugins(rollouts); err != nil {
		return errFinding(err)
	}
	return nil
}

// pluginsSucceed answers every step plugin call Successful: `rollsim
// validate` on manifests alone accepts plugin steps as Argo does (their
// config is the plugin's business, passed through untouched).
type pluginsSucceed struct{}

// Call implements controller.StepPlugins.
func (pluginsSucceed) Call(controller.StepPluginOp) controller.StepPluginAnswer {
	return controller.StepPluginAnswer{Phase: v1alpha1.StepPluginPhaseSuccessful}
}
