package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller"
)

// StepPluginScript is what one step plugin answers for one version: Running
// for runningFor after the step starts (called again every requeueAfter,
// Argo's default 30 s, at least 10 s), then phase with message; or an RPC
// error (phase Error, retried every 30 s). Terminate and Abort answer
// Successful.
type StepPluginScript struct {
	// Phase once runningFor has passed: Successful (default), Failed or
	// Running (never finishes).
	Phase string `json:"phase,omitempty"`
	// Message the plugin returns with the phase.
	Message string `json:"message,omitempty"`
	// RunningFor is how long the plugin answers Running first.
	RunningFor *Duration `json:"runningFor,omitempty"`
	// RequeueAfter is the plugin's requested re-call interval while Running.
	RequeueAfter *Duration `json:"requeueAfter,omitempty"`
	// Error makes every Run an RPC error with this message.
	Error string `json:"error,omitempty"`
}

func (sc StepPluginScript) validate() error {
	switch sc.Phase {
	case "", "Successful", "Failed", "Running":
	default:
		return fmt.Errorf("phase: expected Successful, Failed or Running, got %q", sc.Phase)
	}
	if sc.Error != "" && (sc.Phase != "" || sc.RunningFor != nil) {
		return fmt.Errorf("error: an RPC error is the whole answer; phase and runningFor do not apply")
	}
	return nil
}

// validateStepPlugins checks the scripts on their own (loader).
func (s *Scenario) validateStepPlugins() error {
	for _, name := range slices.Sorted(maps.Keys(s.Spec.StepPlugins)) {
		byVersion := s.Spec.StepPlugins[name]
		if len(byVersion) == 0 {
			return s.errAt("spec.stepPlugins."+name, "expected at least one version (or \"default\") with a scripted result")
		}
		for _, v := range slices.Sorted(maps.Keys(byVersion)) {
			if err := byVersion[v].validate(); err != nil {
				return s.errAt(fmt.Sprintf("spec.stepPlugins.%s.%s", name, v), err.Error())
			}
		}
	}
	return nil
}

// checkStepPlugins: every plugin step of the manifests' rollouts has a
// scripted result, and every script answers a plugin step.
func (s *Scenario) checkStepPlugins(rollouts []*v1alpha1.Rollout) error {
	used := map[string]bool{}
	for _, ro := range rollouts {
		cs := ro.Spec.Strategy.Canary
		if cs == nil {
			continue
		}
		for i, st := range cs.Steps {
			if st.Plugin == nil {
				continue
			}
			used[st.Plugin.Name] = true
			if _, ok := s.Spec.StepPlugins[st.Plugin.Name]; !ok {
				return s.errAt("spec.stepPlugins", fmt.Sprintf("rollout %s spec.strategy.canary.steps[%d].plugin %q has no scripted result: add spec.stepPlugins.%s with a result per version (or \"default\")",
					ro.Name, i, st.Plugin.Name, st.Plugin.Name))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Spec.StepPlugins)) {
		if !used[name] {
			return s.errAt("spec.stepPlugins."+name, "answers no plugin step of the manifests' rollouts")
		}
	}
	return nil
}

// stepPluginAnswers answers the controller's step plugin calls from the
// scenario, by the version of the image the rollout is updating to.
type stepPluginAnswers struct {
	s   *Scenario
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

func (a stepPluginAnswers) script(op controller.StepPluginOp) (StepPluginScript, string, bool) {
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

// lintStepPlugins is checkStepPlugins for `rollsim validate`: the scenario's
// rollouts from its manifests (load errors are reported with the manifests).
func (s *Scenario) lintStepPlugins() []Finding {
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
	if err := s.checkStepPlugins(rollouts); err != nil {
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
