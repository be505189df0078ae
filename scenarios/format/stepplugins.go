package format

import (
	"fmt"
	"maps"
	"slices"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
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
			return s.ErrAt("spec.stepPlugins."+name, "expected at least one version (or \"default\") with a scripted result")
		}
		for _, v := range slices.Sorted(maps.Keys(byVersion)) {
			if err := byVersion[v].validate(); err != nil {
				return s.ErrAt(fmt.Sprintf("spec.stepPlugins.%s.%s", name, v), err.Error())
			}
		}
	}
	return nil
}

// CheckStepPlugins: every plugin step of the manifests' rollouts has a
// scripted result, and every script answers a plugin step.
func (s *Scenario) CheckStepPlugins(rollouts []*v1alpha1.Rollout) error {
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
				return s.ErrAt("spec.stepPlugins", fmt.Sprintf("rollout %s spec.strategy.canary.steps[%d].plugin %q has no scripted result: add spec.stepPlugins.%s with a result per version (or \"default\")",
					ro.Name, i, st.Plugin.Name, st.Plugin.Name))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Spec.StepPlugins)) {
		if !used[name] {
			return s.ErrAt("spec.stepPlugins."+name, "answers no plugin step of the manifests' rollouts")
		}
	}
	return nil
}
