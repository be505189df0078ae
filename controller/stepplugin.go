package controller

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Canary `plugin` steps (Argo's rollout/stepplugin.go and
// rollout/steps/plugin). Argo calls a step plugin's Run, Terminate and Abort
// over RPC and records each operation in status.canary.stepPluginStatuses;
// here the answers come from Options.StepPlugins (a simulation reads them
// from the scenario) and the bookkeeping — backoff, requeue, abort on
// Failed, terminate on promotion, abort on rollout abort — is Argo's.

// StepPluginOp is one call to a step plugin.
type StepPluginOp struct {
	Operation v1alpha1.StepPluginOperation
	Rollout   *v1alpha1.Rollout
	Index     int32
	Name      string
	Config    json.RawMessage
	// Status is the plugin's own status from its previous Run answer.
	Status json.RawMessage
	// StartedAt is when the Run operation started (this call's time for
	// the first Run).
	StartedAt time.Time
}

// StepPluginAnswer is what the plugin answers: a phase ("" is Successful
// for Terminate and Abort, unchanged for Run), a message, when to be called
// again while Running, its own status, or an RPC error.
type StepPluginAnswer struct {
	Phase        v1alpha1.StepPluginPhase
	Message      string
	RequeueAfter time.Duration
	Status       json.RawMessage
	Err          string
}

// StepPlugins answers step plugin calls. It is defined here, by its consumer.
type StepPlugins interface {
	Call(op StepPluginOp) StepPluginAnswer
}

// Argo's step plugin timings.
const (
	stepPluginMinRequeue     = 10 * time.Second
	stepPluginDefaultRequeue = 30 * time.Second
	stepPluginErrorBackoff   = 30 * time.Second
	stepPluginBackoffDelay   = 5 * time.Second
)

// stepPluginContext is the step plugin state of one reconcile.
type stepPluginContext struct {
	statuses []v1alpha1.StepPluginStatus
	// ran: the reconcile ran, its statuses replace the stored ones.
	ran      bool
	hasError bool
}

func (c *rolloutContext) resolveStepPlugin(idx int32) (*v1alpha1.PluginStep, error) {
	steps := c.canary().Steps
	if int(idx) >= len(steps) || steps[idx].Plugin == nil {
		return nil, nil
	}
	if c.r.opts.StepPlugins == nil {
		return nil, fmt.Errorf("could not create step plugin at index %d : plugin %s: %w", idx, steps[idx].Plugin.Name, ErrNotSupported)
	}
	return steps[idx].Plugin, nil
}

// reconcileStepPlugins is Argo's stepPluginContext.reconcile: abort the run
// operations of an aborted rollout, terminate a running step once fully
// promoted, else run the current plugin step while the rollout is
// Progressing.
func (c *rolloutContext) reconcileStepPlugins() {
	ro := c.ro
	sp := &c.stepPlugin
	sp.statuses = append([]v1alpha1.StepPluginStatus(nil), ro.Status.Canary.StepPluginStatuses...)
	sp.ran = true
	if c.pause.aborted() {
		for i := len(sp.statuses) - 1; i >= 0; i-- {
			if st := sp.statuses[i]; st.Operation == v1alpha1.StepPluginOperationRun {
				c.stepPluginOperation(st.Index, v1alpha1.StepPluginOperationAbort)
			}
		}
		return
	}
	if ro.Status.PromoteFull || ro.Status.StableRS == ro.Status.CurrentPodHash {
		if idx := c.stepToTerminate(); idx != nil {
			c.stepPluginOperation(*idx, v1alpha1.StepPluginOperationTerminate)
		}
		return
	}
	c.cleanStepPluginsForRetry()
	step, idx := currentStep(ro)
	if step == nil || step.Plugin == nil || ro.Status.Phase != v1alpha1.RolloutPhaseProgressing {
		return
	}
	st := c.stepPluginRun(*idx)
	if st == nil {
		return
	}
	switch st.Phase {
	case v1alpha1.StepPluginPhaseRunning, v1alpha1.StepPluginPhaseError:
		backoff, _ := st.Backoff.Duration()
		c.enqueueAfter(st.UpdatedAt.Add(backoff).Sub(c.r.opts.Clock.Now()) + stepPluginBackoffDelay)
	case v1alpha1.StepPluginPhaseFailed:
		c.pause.AddAbort(fmt.Sprintf("Step Plugin %d (%s) failed: %s", st.Index+1, st.Name, st.Message))
	}
}

func (c *rolloutContext) stepPluginError(err error) {
	c.stepPlugin.hasError = true
	c.note("rollout", c.ro.Name, "error", "RolloutReconciliationError", fmt.Sprintf("Rollout reconciliation error: %v", err))
	c.enqueueAfter(stepPluginErrorBackoff)
}

func (c *rolloutContext) findStepPluginStatus(idx int32, op v1alpha1.StepPluginOperation) *v1alpha1.StepPluginStatus {
	for i := range c.stepPlugin.statuses {
		if s := &c.stepPlugin.statuses[i]; s.Index == idx && s.Operation == op {
			return s
		}
	}
	return nil
}

// setStepPluginStatus replaces or appends st and records a phase change
// as Argo's StepPluginTransition event (not a successful Run).
func (c *rolloutContext) setStepPluginStatus(st v1alpha1.StepPluginStatus) {
	sp := &c.stepPlugin
	changed := true
	if prev := c.findStepPluginStatus(st.Index, st.Operation); prev != nil {
		changed = prev.Phase != st.Phase
		*prev = st
	} else {
		sp.statuses = append(sp.statuses, st)
	}
	if !changed || (st.Operation == v1alpha1.StepPluginOperationRun && st.Phase == v1alpha1.StepPluginPhaseSuccessful) {
		return
	}
	msg := fmt.Sprintf("Step plugin %s (step %d) transitioned to %s", st.Name, st.Index+1, st.Phase)
	switch st.Operation {
	case v1alpha1.StepPluginOperationAbort:
		msg = fmt.Sprintf("Step plugin %s (step %d) aborted (%s)", st.Name, st.Index+1, st.Phase)
	case v1alpha1.StepPluginOperationTerminate:
		msg = fmt.Sprintf("Step plugin %s (step %d) terminated (%s)", st.Name, st.Index+1, st.Phase)
	}
	if st.Message != "" {
		msg += ": " + st.Message
	}
	c.note("rollout", c.ro.Name, "event", "StepPluginTransition", msg)
}

// stepPluginRun is Argo's stepPlugin.Run: nil when the step is already
// done or cannot run.
func (c *rolloutContext) stepPluginRun(idx int32) *v1alpha1.StepPluginStatus {
	ps, err := c.resolveStepPlugin(idx)
	if err != nil {
		c.stepPluginError(err)
		return nil
	}
	now := metav1.NewTime(c.now())
	prev := c.findStepPluginStatus(idx, v1alpha1.StepPluginOperationRun)
	st := v1alpha1.StepPluginStatus{Index: idx, Name: ps.Name, StartedAt: &now, Operation: v1alpha1.StepPluginOperationRun, Phase: v1alpha1.StepPluginPhaseRunning}
	if prev != nil && !prev.Disabled {
		st = *prev.DeepCopy()
	}
	if st.Phase == v1alpha1.StepPluginPhaseSuccessful || st.Phase == v1alpha1.StepPluginPhaseFailed {
		return nil
	}
	if st.Executions > 0 {
		backoff, err := st.Backoff.Duration()
		if err != nil {
			c.stepPluginError(fmt.Errorf("failed to run plugin: could not parse backoff duration: %w", err))
			return nil
		}
		if st.UpdatedAt.Add(backoff).After(c.r.opts.Clock.Now()) {
			return &st
		}
	}
	ans := c.r.opts.StepPlugins.Call(StepPluginOp{Operation: v1alpha1.StepPluginOperationRun, Rollout: c.ro, Index: idx, Name: ps.Name,
		Config: ps.Config, Status: st.Status, StartedAt: st.StartedAt.Time})
	st.Backoff = ""
	st.UpdatedAt = &now
	st.Executions++
	if ans.Err != "" {
		st.Phase, st.Message = v1alpha1.StepPluginPhaseError, ans.Err
		st.Backoff = v1alpha1.DurationString(stepPluginErrorBackoff.String())
		c.setStepPluginStatus(st)
		return &st
	}
	st.Message = ans.Message
	if ans.Phase != "" {
		st.Phase = ans.Phase
	}
	if st.Phase == v1alpha1.StepPluginPhaseSuccessful || st.Phase == v1alpha1.StepPluginPhaseFailed {
		st.FinishedAt = &now
	}
	st.Status = ans.Status
	if st.Phase == v1alpha1.StepPluginPhaseRunning {
		backoff := stepPluginDefaultRequeue
		if ans.RequeueAfter > stepPluginMinRequeue {
			backoff = ans.RequeueAfter
		}
		st.Backoff = v1alpha1.DurationString(backoff.String())
	}
	c.setStepPluginStatus(st)
	return &st
}

// stepPluginOperation is Argo's Terminate / Abort: once per step, only for
// a Run that is Running (Abort: or Successful); a plugin that answers
// Running is Failed (neither can run asynchronously).
func (c *rolloutContext) stepPluginOperation(idx int32, op v1alpha1.StepPluginOperation) {
	ps, err := c.resolveStepPlugin(idx)
	if ps == nil {
		if err != nil {
			c.stepPluginError(err)
		}
		return
	}
	if c.findStepPluginStatus(idx, op) != nil {
		return
	}
	run := c.findStepPluginStatus(idx, v1alpha1.StepPluginOperationRun)
	if run == nil || run.Disabled {
		return
	}
	if run.Phase != v1alpha1.StepPluginPhaseRunning && (op == v1alpha1.StepPluginOperationTerminate || run.Phase != v1alpha1.StepPluginPhaseSuccessful) {
		return
	}
	now := metav1.NewTime(c.now())
	st := v1alpha1.StepPluginStatus{Index: idx, Name: run.Name, StartedAt: &now, FinishedAt: &now, Operation: op, Phase: v1alpha1.StepPluginPhaseSuccessful}
	ans := c.r.opts.StepPlugins.Call(StepPluginOp{Operation: op, Rollout: c.ro, Index: idx, Name: ps.Name, Config: ps.Config, Status: run.Status, StartedAt: run.StartedAt.Time})
	run.UpdatedAt = &now
	switch {
	case ans.Err != "":
		st.Phase, st.Message = v1alpha1.StepPluginPhaseError, ans.Err
	default:
		if ans.Phase != "" {
			st.Phase = ans.Phase
		}
		if st.Phase == v1alpha1.StepPluginPhaseRunning {
			st.Phase = v1alpha1.StepPluginPhaseFailed
		}
		st.Message = ans.Message
	}
	c.setStepPluginStatus(st)
}

// stepPluginCompleted is Argo's isStepPluginCompleted.
func (c *rolloutContext) stepPluginCompleted(idx int32) bool {
	if c.stepPlugin.hasError {
		return false
	}
	run := c.findStepPluginStatus(idx, v1alpha1.StepPluginOperationRun)
	if run == nil {
		return false
	}
	if run.Disabled {
		return true
	}
	switch run.Phase {
	case v1alpha1.StepPluginPhaseFailed, v1alpha1.StepPluginPhaseSuccessful:
		return true
	case v1alpha1.StepPluginPhaseRunning:
		return c.findStepPluginStatus(idx, v1alpha1.StepPluginOperationTerminate) != nil ||
			c.findStepPluginStatus(idx, v1alpha1.StepPluginOperationAbort) != nil
	}
	return false
}

// stepToTerminate: the latest Running run, unless a terminate already
// succeeded after it.
func (c *rolloutContext) stepToTerminate() *int32 {
	sts := c.ro.Status.Canary.StepPluginStatuses
	for i := len(sts) - 1; i >= 0; i-- {
		s := sts[i]
		if s.Operation == v1alpha1.StepPluginOperationTerminate && s.Phase == v1alpha1.StepPluginPhaseSuccessful {
			return nil
		}
		if s.Operation == v1alpha1.StepPluginOperationRun && s.Phase == v1alpha1.StepPluginPhaseRunning {
			idx := s.Index
			return &idx
		}
	}
	return nil
}

// cleanStepPluginsForRetry drops the statuses when the rollout is back at
// step 0 (a retry), unless step 0 is a plugin step still in progress.
func (c *rolloutContext) cleanStepPluginsForRetry() {
	if len(c.stepPlugin.statuses) == 0 || c.ro.Status.Abort {
		return
	}
	step, idx := currentStep(c.ro)
	if step == nil || *idx > 0 {
		return
	}
	if step.Plugin == nil || c.stepPluginCompleted(*idx) {
		c.stepPlugin.statuses = []v1alpha1.StepPluginStatus{}
	}
}

// atCanaryPauseStep is when Argo's reconcileCanaryPause reports it is still
// reconciling a pause step: step plugins are not reconciled then.
func atCanaryPauseStep(ro *v1alpha1.Rollout) bool {
	if ro.Spec.Paused || ro.Status.PromoteFull {
		return false
	}
	step, _ := currentStep(ro)
	return step != nil && step.Pause != nil
}

// stepPluginStatuses is what the status sync persists: the reconcile's
// statuses when it ran, else the stored ones.
func (c *rolloutContext) stepPluginStatuses() []v1alpha1.StepPluginStatus {
	if c.stepPlugin.ran {
		return c.stepPlugin.statuses
	}
	return c.ro.Status.Canary.StepPluginStatuses
}
