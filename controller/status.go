package controller

import (
	"fmt"
	"strconv"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/replicas"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition reasons Argo writes.
const (
	reasonNewRSCreated     = "NewReplicaSetCreated"
	reasonRSUpdated        = "ReplicaSetUpdated"
	reasonNewRSAvailable   = "NewReplicaSetAvailable"
	reasonRolloutAborted   = "RolloutAborted"
	reasonRolloutPaused    = "RolloutPaused"
	reasonRolloutResumed   = "RolloutResumed"
	reasonRolloutRetry     = "RolloutRetry"
	reasonRolloutCompleted = "RolloutCompleted"
	reasonRolloutHealthy   = "RolloutHealthy"
	reasonAvailable        = "AvailableReason"
	reasonProgressDeadline = "ProgressDeadlineExceeded"
)

func getCondition(conds []v1alpha1.RolloutCondition, t v1alpha1.RolloutConditionType) *v1alpha1.RolloutCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// setCondition sets a condition; like Argo's SetRolloutCondition it changes
// nothing when status and reason are the same (the message is not compared),
// and keeps the transition time when only the reason changes.
func setCondition(st *v1alpha1.RolloutStatus, cond v1alpha1.RolloutCondition, now time.Time) bool {
	cur := getCondition(st.Conditions, cond.Type)
	if cur != nil && cur.Status == cond.Status && cur.Reason == cond.Reason {
		return false
	}
	t := metav1.NewTime(now)
	cond.LastUpdateTime = t
	cond.LastTransitionTime = t
	if cur != nil && cur.Status == cond.Status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	out := make([]v1alpha1.RolloutCondition, 0, len(st.Conditions)+1)
	for _, c := range st.Conditions {
		if c.Type != cond.Type {
			out = append(out, c)
		}
	}
	st.Conditions = append(out, cond)
	return true
}

func removeCondition(st *v1alpha1.RolloutStatus, t v1alpha1.RolloutConditionType) {
	out := st.Conditions[:0:0]
	for _, c := range st.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	st.Conditions = out
}

func equalStatus(a, b *v1alpha1.RolloutStatus) bool { return equality.Semantic.DeepEqual(a, b) }

// CalculatePhase is Argo's CalculateRolloutPhase (§4.2): the first rule
// that matches decides.
func CalculatePhase(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) (v1alpha1.RolloutPhase, string) {
	for _, c := range st.Conditions {
		if c.Type == v1alpha1.InvalidSpec {
			return v1alpha1.RolloutPhaseDegraded, "InvalidSpec: " + c.Message
		}
	}
	for _, c := range st.Conditions {
		if c.Reason == reasonRolloutAborted || c.Reason == reasonProgressDeadline {
			return v1alpha1.RolloutPhaseDegraded, c.Reason + ": " + c.Message
		}
	}
	if ro.Spec.Paused {
		return v1alpha1.RolloutPhasePaused, "manually paused"
	}
	if len(st.PauseConditions) > 0 {
		return v1alpha1.RolloutPhasePaused, string(st.PauseConditions[0].Reason)
	}
	if ro.Spec.RestartAt != nil && (st.RestartedAt == nil || !st.RestartedAt.Equal(ro.Spec.RestartAt)) {
		return v1alpha1.RolloutPhaseProgressing, "rollout is restarting"
	}
	r := replicas.Replicas(ro)
	if st.UpdatedReplicas < r {
		return v1alpha1.RolloutPhaseProgressing, "more replicas need to be updated"
	}
	if st.AvailableReplicas < st.UpdatedReplicas {
		return v1alpha1.RolloutPhaseProgressing, "updated replicas are still becoming available"
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		if st.BlueGreen.ActiveSelector == "" || st.BlueGreen.ActiveSelector != st.CurrentPodHash {
			return v1alpha1.RolloutPhaseProgressing, "active service cutover pending"
		}
		if st.StableRS == "" || st.StableRS != st.CurrentPodHash {
			post := st.BlueGreen.PostPromotionAnalysisRunStatus
			if bg.PostPromotionAnalysis != nil && (post == nil || !post.Status.Completed()) {
				return v1alpha1.RolloutPhaseProgressing, "waiting for analysis to complete"
			}
			return v1alpha1.RolloutPhaseProgressing, "waiting for post-promotion verification to complete"
		}
	} else if ro.Spec.Strategy.Canary != nil {
		if ro.Spec.Strategy.Canary.TrafficRouting == nil && st.Replicas > st.UpdatedReplicas {
			return v1alpha1.RolloutPhaseProgressing, "old replicas are pending termination"
		}
		if st.StableRS == "" || st.StableRS != st.CurrentPodHash {
			return v1alpha1.RolloutPhaseProgressing, "waiting for all steps to complete"
		}
	}
	return v1alpha1.RolloutPhaseHealthy, ""
}

// pauseContext collects pause and abort decisions of one reconcile.
type pauseContext struct {
	ro           *v1alpha1.Rollout
	add          []v1alpha1.PauseReason
	remove       []v1alpha1.PauseReason
	clearAll     bool
	addAbort     bool
	removeAbort  bool
	abortMessage string
}

func (p *pauseContext) aborted() bool {
	if p.removeAbort {
		return false
	}
	return p.addAbort || p.ro.Status.Abort
}

func (p *pauseContext) AddAbort(msg string) { p.addAbort = true; p.abortMessage = msg }

func (p *pauseContext) apply(st *v1alpha1.RolloutStatus, now time.Time) {
	abortedAt := p.ro.Status.AbortedAt
	if abortedAt == nil {
		t := metav1.NewTime(now)
		abortedAt = &t
	}
	if p.addAbort || (!p.removeAbort && p.ro.Status.Abort) {
		st.Abort = true
		st.AbortedAt = abortedAt
		return
	}
	st.Abort = false
	st.AbortedAt = nil
	if p.clearAll {
		return
	}
	controllerPause := p.ro.Status.ControllerPause
	removed := map[v1alpha1.PauseReason]bool{}
	for _, r := range p.remove {
		removed[r] = true
	}
	exists := map[v1alpha1.PauseReason]bool{}
	var conds []v1alpha1.PauseCondition
	for _, c := range p.ro.Status.PauseConditions {
		if !removed[c.Reason] {
			conds = append(conds, c)
		}
		exists[c.Reason] = true
	}
	for _, r := range p.add {
		if !exists[r] {
			conds = append(conds, v1alpha1.PauseCondition{Reason: r, StartTime: metav1.NewTime(now)})
			exists[r] = true
			controllerPause = true
		}
	}
	if len(conds) == 0 {
		return
	}
	st.ControllerPause = controllerPause
	st.PauseConditions = conds
}

func pauseCondition(ro *v1alpha1.Rollout, reason v1alpha1.PauseReason) *v1alpha1.PauseCondition {
	for i := range ro.Status.PauseConditions {
		if ro.Status.PauseConditions[i].Reason == reason {
			return &ro.Status.PauseConditions[i]
		}
	}
	return nil
}

// checkPausedConditions writes the Progressing condition's paused / resumed
// / retry reasons and the Paused condition, as Argo does. Like Argo, a
// change here ends the reconcile (the status patch triggers the next one).
func (c *rolloutContext) checkPausedConditions() error {
	ro := c.ro
	if ro.Status.ObservedGeneration != strconv.FormatInt(ro.Generation, 10) {
		return nil
	}
	prog := getCondition(ro.Status.Conditions, v1alpha1.RolloutProgressing)
	progPaused := prog != nil && prog.Reason == reasonRolloutPaused
	abortCond := prog != nil && prog.Reason == reasonRolloutAborted
	paused := len(ro.Status.PauseConditions) > 0 || ro.Spec.Paused
	completed := ro.Status.StableRS != "" && ro.Status.StableRS == ro.Status.CurrentPodHash
	var updates []v1alpha1.RolloutCondition
	var events [][2]string
	if paused != progPaused && !abortCond && !completed {
		if paused {
			updates = append(updates, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionUnknown, Reason: reasonRolloutPaused, Message: "Rollout is paused"})
		} else {
			updates = append(updates, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionUnknown, Reason: reasonRolloutResumed, Message: "Rollout is resumed"})
		}
	}
	if !ro.Status.Abort && abortCond {
		updates = append(updates, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionUnknown, Reason: reasonRolloutRetry, Message: "Retrying Rollout after abort"})
		events = append(events, [2]string{"RolloutRetry", "Retrying Rollout after abort"})
	}
	pc := getCondition(ro.Status.Conditions, v1alpha1.RolloutPaused)
	pausedTrue := pc != nil && pc.Status == corev1.ConditionTrue
	if paused != pausedTrue && !abortCond {
		st := corev1.ConditionFalse
		if paused {
			st = corev1.ConditionTrue
		}
		updates = append(updates, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutPaused, Status: st, Reason: reasonRolloutPaused, Message: "Rollout is paused"})
	}
	if len(updates) == 0 {
		return nil
	}
	st := ro.Status.DeepCopy()
	now := c.now()
	for _, u := range updates {
		setCondition(st, u, now)
	}
	st.ObservedGeneration = strconv.FormatInt(ro.Generation, 10)
	st.Phase, st.Message = CalculatePhase(ro, st)
	if equalStatus(&ro.Status, st) {
		return nil
	}
	for _, e := range events {
		c.note("rollout", ro.Name, "condition", e[0], e[1])
	}
	if err := c.patchStatus(st); err != nil {
		return err
	}
	return errEndReconcile
}

// errEndReconcile ends a reconcile early without error.
var errEndReconcile = fmt.Errorf("end of reconcile")

// calculateConditions is the conditions part of Argo's persistRolloutStatus.
func (c *rolloutContext) calculateConditions(st *v1alpha1.RolloutStatus) {
	ro := c.ro
	now := c.now()
	paused := len(st.PauseConditions) > 0 || ro.Spec.Paused
	aborted := c.pause.aborted()
	healthy := c.rolloutHealthy(st)
	becameUnhealthy := false
	if !paused && healthy {
		setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutHealthy, Status: corev1.ConditionTrue, Reason: reasonRolloutHealthy, Message: "Rollout is healthy"}, now)
	} else if getCondition(st.Conditions, v1alpha1.RolloutHealthy) != nil {
		becameUnhealthy = setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutHealthy, Status: corev1.ConditionFalse, Reason: reasonRolloutHealthy, Message: "Rollout is not healthy"}, now)
	}
	if aborted {
		rev := int64(0)
		if c.newRS != nil {
			rev = revisionOf(c.newRS)
		}
		msg := fmt.Sprintf("Rollout aborted update to revision %d", rev)
		if c.pause.abortMessage != "" {
			msg += ": " + c.pause.abortMessage
		}
		if setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionFalse, Reason: reasonRolloutAborted, Message: msg}, now) {
			c.note("rollout", ro.Name, "aborted", reasonRolloutAborted, msg)
		}
	}
	if !aborted {
		rsName := ""
		if c.newRS != nil {
			rsName = c.newRS.Name
		}
		switch {
		case healthy:
			setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionTrue, Reason: reasonNewRSAvailable,
				Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", rsName)}, now)
		case rolloutProgressing(ro, st) || becameUnhealthy:
			reason, msg := reasonRSUpdated, fmt.Sprintf("ReplicaSet %q is progressing.", rsName)
			if st.StableRS == st.CurrentPodHash && becameUnhealthy {
				reason, msg = "ReplicaSetNotAvailable", "Rollout does not have minimum availability"
			}
			cond := v1alpha1.RolloutCondition{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionTrue, Reason: reason, Message: msg,
				LastUpdateTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)}
			if cur := getCondition(st.Conditions, v1alpha1.RolloutProgressing); cur != nil {
				if cur.Status == corev1.ConditionTrue {
					cond.LastTransitionTime = cur.LastTransitionTime
				}
				removeCondition(st, v1alpha1.RolloutProgressing)
			}
			st.Conditions = append(st.Conditions, cond)
		case !c.indefiniteStep() && !c.waitingForScaleDown() && c.timedOut(st):
			msg := fmt.Sprintf("ReplicaSet %q has timed out progressing.", rsName)
			if setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionFalse, Reason: reasonProgressDeadline, Message: msg}, now) {
				c.note("rollout", ro.Name, "condition", reasonProgressDeadline, msg)
			}
		}
	}
	r := replicas.Replicas(ro)
	avail := corev1.ConditionFalse
	availMsg := "Rollout does not have minimum availability"
	if isBlueGreen(ro) {
		// Blue-green: the active ReplicaSet is saturated.
		for _, rs := range c.allRSs {
			if st.BlueGreen.ActiveSelector != "" && podHash(rs) == st.BlueGreen.ActiveSelector && IsSaturated(ro, rs) {
				avail, availMsg = corev1.ConditionTrue, "Rollout has minimum availability"
			}
		}
	} else if st.AvailableReplicas >= r {
		avail, availMsg = corev1.ConditionTrue, "Rollout has minimum availability"
	}
	setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutAvailable, Status: avail, Reason: reasonAvailable, Message: availMsg}, now)
	completed := corev1.ConditionFalse
	if st.StableRS != "" && st.StableRS == st.CurrentPodHash {
		completed = corev1.ConditionTrue
	}
	if setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutCompleted, Status: completed, Reason: reasonRolloutCompleted, Message: "Rollout completed update to revision"}, now) &&
		completed == corev1.ConditionFalse {
		// Argo's calculateRolloutConditions: the Completed condition turning
		// False (a new update started).
		c.note("rollout", ro.Name, "event", "RolloutNotCompleted", fmt.Sprintf("Rollout not completed, started update to revision %d (%s)", revisionOf(c.newRS), st.CurrentPodHash))
	}
	if !aborted {
		pausedStatus := corev1.ConditionFalse
		if paused {
			pausedStatus = corev1.ConditionTrue
		}
		if pc := getCondition(st.Conditions, v1alpha1.RolloutPaused); pc != nil || paused {
			setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.RolloutPaused, Status: pausedStatus, Reason: reasonRolloutPaused, Message: "Rollout is paused"}, now)
		}
	}
}

// rolloutProgressing is Argo's RolloutProgressing: any sign of progress
// between the persisted status and the new one.
func rolloutProgressing(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) bool {
	old := ro.Status
	progress := false
	if ro.Spec.Strategy.BlueGreen != nil {
		progress = old.BlueGreen.ActiveSelector != st.BlueGreen.ActiveSelector ||
			old.BlueGreen.PreviewSelector != st.BlueGreen.PreviewSelector
	}
	if ro.Spec.Strategy.Canary != nil {
		progress = old.StableRS != st.StableRS ||
			(old.CurrentStepIndex != nil && st.CurrentStepIndex != nil && *old.CurrentStepIndex != *st.CurrentStepIndex) ||
			old.CurrentStepHash != st.CurrentStepHash
	}
	return st.UpdatedReplicas != old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas ||
		st.AvailableReplicas > old.AvailableReplicas ||
		progress
}

// progressDeadline is spec.progressDeadlineSeconds (default 600 s).
func progressDeadline(ro *v1alpha1.Rollout) time.Duration {
	if ro.Spec.ProgressDeadlineSeconds != nil {
		return time.Duration(*ro.Spec.ProgressDeadlineSeconds) * time.Second
	}
	return 600 * time.Second
}

// timedOut is Argo's RolloutTimedOut over a status.
func (c *rolloutContext) timedOut(st *v1alpha1.RolloutStatus) bool {
	cond := getCondition(st.Conditions, v1alpha1.RolloutProgressing)
	if cond == nil || cond.Reason == reasonRolloutAborted || cond.Reason == reasonRolloutPaused {
		return false
	}
	if cond.Reason == reasonProgressDeadline {
		return true
	}
	return cond.LastUpdateTime.Add(progressDeadline(c.ro)).Before(c.r.opts.Clock.Now())
}

// indefiniteStep: a pause, analysis or experiment step, or the Paused
// condition, does not count against the progress deadline.
func (c *rolloutContext) indefiniteStep() bool {
	if c.ro.Spec.Strategy.Canary != nil {
		if step, _ := currentStep(c.ro); step != nil && (step.Experiment != nil || step.Analysis != nil || step.Pause != nil) {
			return true
		}
	}
	pc := getCondition(c.ro.Status.Conditions, v1alpha1.RolloutPaused)
	return pc != nil && pc.Status == corev1.ConditionTrue
}

func (c *rolloutContext) waitingForScaleDown() bool {
	for _, rs := range c.otherRSs {
		if _, ok := rs.Annotations[AnnotationScaleDownDeadline]; ok {
			return true
		}
	}
	return false
}

// evaluateProgressDeadlineAbort aborts a timed-out update when
// progressDeadlineAbort is set, as Argo does inside the status persist.
func (c *rolloutContext) evaluateProgressDeadlineAbort(st *v1alpha1.RolloutStatus) {
	ro := c.ro
	if !ro.Spec.ProgressDeadlineAbort || c.pause.aborted() {
		return
	}
	if st.StableRS != "" && st.StableRS == st.CurrentPodHash {
		return
	}
	if rolloutProgressing(ro, st) || c.indefiniteStep() || c.waitingForScaleDown() || !c.timedOut(&ro.Status) {
		return
	}
	msg := fmt.Sprintf("Rollout %q has timed out progressing.", ro.Name)
	if c.newRS != nil {
		msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", c.newRS.Name)
	}
	c.pause.AddAbort(msg)
	// Argo emits this event here, then the condition's own RolloutAborted
	// event when the abort condition is set.
	c.note("rollout", ro.Name, "aborted", reasonRolloutAborted, msg)
}

// requeueStuckRollout asks for a wake-up when the progress deadline would
// pass (lastUpdateTime + deadline + 1 s), as Argo does when nothing changed.
func (c *rolloutContext) requeueStuckRollout(st *v1alpha1.RolloutStatus) {
	ro := c.ro
	cur := getCondition(ro.Status.Conditions, v1alpha1.RolloutProgressing)
	if cur == nil {
		return
	}
	paused := len(ro.Status.PauseConditions) > 0 || ro.Spec.Paused
	if c.rolloutHealthy(st) || cur.Reason == reasonProgressDeadline || paused || ro.Status.Abort || c.indefiniteStep() {
		return
	}
	after := cur.LastUpdateTime.Add(progressDeadline(ro)).Sub(c.r.opts.Clock.Now())
	if after < time.Second {
		c.enqueueAfter(0)
		return
	}
	c.enqueueAfter(after + time.Second)
}

// rolloutHealthy is Argo's RolloutHealthy. Blue-green: the active (and, when
// configured, the preview) Service selects the current ReplicaSet; old
// ReplicaSets do not count.
func (c *rolloutContext) rolloutHealthy(st *v1alpha1.RolloutStatus) bool {
	ro := c.ro
	r := replicas.Replicas(ro)
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		if st.UpdatedReplicas != r || st.AvailableReplicas != r {
			return false
		}
		if st.BlueGreen.ActiveSelector != st.CurrentPodHash {
			return false
		}
		return bg.PreviewService == "" || st.BlueGreen.PreviewSelector == st.CurrentPodHash
	}
	if st.UpdatedReplicas != r || st.AvailableReplicas != r || st.Replicas != r {
		return false
	}
	if ro.Spec.Strategy.Canary != nil {
		n := int32(len(ro.Spec.Strategy.Canary.Steps))
		if n > 0 && (st.CurrentStepIndex == nil || *st.CurrentStepIndex != n) {
			return false
		}
		if st.StableRS != st.CurrentPodHash {
			return false
		}
	}
	return true
}

func sumReplicas(rss []*appsv1.ReplicaSet, f func(*appsv1.ReplicaSet) int32) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += f(rs)
		}
	}
	return n
}

func statusReplicas(rs *appsv1.ReplicaSet) int32    { return rs.Status.Replicas }
func readyReplicas(rs *appsv1.ReplicaSet) int32     { return rs.Status.ReadyReplicas }
func availableReplicas(rs *appsv1.ReplicaSet) int32 { return rs.Status.AvailableReplicas }
