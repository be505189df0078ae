package replicas

import (
	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

// DefaultAbortScaleDownDelaySeconds applies to traffic-routed canaries and blue-green.
const DefaultAbortScaleDownDelaySeconds int32 = 30

// CurrentStep returns the canary step being executed and the current index
// (status.currentStepIndex, nil treated as 0). With no canary strategy or no
// steps both results are nil. Past the last step (index >= len(steps)) the step
// is nil and the index is returned. A negative index (never written by the
// controller) is treated as 0.
func CurrentStep(ro *v1alpha1.Rollout) (*v1alpha1.CanaryStep, *int32) {
	c := ro.Spec.Strategy.Canary
	if c == nil || len(c.Steps) == 0 {
		return nil, nil
	}
	idx := int32(0)
	if ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex > 0 {
		idx = *ro.Status.CurrentStepIndex
	}
	if int(idx) >= len(c.Steps) {
		return nil, &idx
	}
	return &c.Steps[idx], &idx
}

// CurrentSetWeight returns the setWeight in force (semantics §2): 0 when
// status.abort; M when there are no steps or the index is past the last step;
// else the last setWeight at or before the current index, 0 if none.
func CurrentSetWeight(ro *v1alpha1.Rollout) int32 {
	if ro.Status.Abort {
		return 0
	}
	step, idx := CurrentStep(ro)
	if step == nil {
		return MaxWeight(ro)
	}
	steps := ro.Spec.Strategy.Canary.Steps
	for i := *idx; i >= 0; i-- {
		if w := steps[i].SetWeight; w != nil {
			return *w
		}
	}
	return 0
}

// CurrentCanaryScale returns the setCanaryScale in force (semantics §2), or nil.
// It is the last setCanaryScale at or before the current index, except that it
// is nil when: there is no trafficRouting; the index is past the last step (or
// there are no steps); that last setCanaryScale has matchTrafficWeight; or the
// rollout is aborted, unless abortScaleDownDelaySeconds is explicitly 0.
// The returned pointer aliases the rollout's spec.
func CurrentCanaryScale(ro *v1alpha1.Rollout) *v1alpha1.SetCanaryScale {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		return nil
	}
	if ro.Status.Abort {
		if _, never, _ := AbortScaleDownDelay(ro); !never {
			return nil
		}
	}
	step, idx := CurrentStep(ro)
	if step == nil {
		return nil
	}
	for i := *idx; i >= 0; i-- {
		scs := c.Steps[i].SetCanaryScale
		if scs == nil {
			continue
		}
		if scs.MatchTrafficWeight {
			return nil
		}
		return scs
	}
	return nil
}

// AbortScaleDownDelay resolves abortScaleDownDelaySeconds. For blue-green and
// traffic-routed canaries the default is 30 s; an explicit 0 means "never scale
// down on abort" (never = true). A basic canary never delays: (0, false, false).
// explicit reports whether the field was set in the spec.
func AbortScaleDownDelay(ro *v1alpha1.Rollout) (seconds int32, never, explicit bool) {
	var field *int32
	switch {
	case ro.Spec.Strategy.BlueGreen != nil:
		field = ro.Spec.Strategy.BlueGreen.AbortScaleDownDelaySeconds
	case ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil:
		field = ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds
	default:
		return 0, false, false
	}
	if field == nil {
		return DefaultAbortScaleDownDelaySeconds, false, false
	}
	if *field == 0 {
		return 0, true, true
	}
	return *field, false, true
}

// HasExplicitAbortScaleDownDelay reports a user-set, non-zero
// abortScaleDownDelaySeconds (an explicit 0 disables scale-down instead).
func HasExplicitAbortScaleDownDelay(ro *v1alpha1.Rollout) bool {
	_, never, explicit := AbortScaleDownDelay(ro)
	return explicit && !never
}
