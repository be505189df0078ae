package controller

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/replicas"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ScaleIntent is one planned ReplicaSet resize with the reason for it.
type ScaleIntent struct {
	RS     *appsv1.ReplicaSet
	From   int32
	To     int32
	Reason string
}

func (c *rolloutContext) canary() *v1alpha1.CanaryStrategy { return c.ro.Spec.Strategy.Canary }

func (c *rolloutContext) trafficRouted() bool { return c.canary().TrafficRouting != nil }

// currentStep returns the current step and index (index nil without steps).
func currentStep(ro *v1alpha1.Rollout) (*v1alpha1.CanaryStep, *int32) {
	if ro.Spec.Strategy.Canary == nil {
		return nil, nil
	}
	steps := ro.Spec.Strategy.Canary.Steps
	if len(steps) == 0 {
		return nil, nil
	}
	idx := int32(0)
	if ro.Status.CurrentStepIndex != nil {
		idx = *ro.Status.CurrentStepIndex
	}
	if int(idx) >= len(steps) {
		return nil, &idx
	}
	return &steps[idx], &idx
}

// StepString is Argo's short description of a canary step.
func StepString(s v1alpha1.CanaryStep) string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight: %d", *s.SetWeight)
	case s.Pause != nil:
		if s.Pause.Duration != nil {
			return "pause: " + s.Pause.Duration.String()
		}
		return "pause"
	case s.Experiment != nil:
		return "experiment"
	case s.Analysis != nil:
		return "analysis"
	case s.SetCanaryScale != nil:
		switch {
		case s.SetCanaryScale.Weight != nil:
			return fmt.Sprintf("setCanaryScale{weight: %d}", *s.SetCanaryScale.Weight)
		case s.SetCanaryScale.MatchTrafficWeight:
			return "setCanaryScale{matchTrafficWeight: true}"
		case s.SetCanaryScale.Replicas != nil:
			return fmt.Sprintf("setCanaryScale{replicas: %d}", *s.SetCanaryScale.Replicas)
		}
	case s.Plugin != nil:
		return "plugin: " + s.Plugin.Name
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute: " + s.SetHeaderRoute.Name
	case s.SetMirrorRoute != nil:
		return "setMirrorRoute: " + s.SetMirrorRoute.Name
	}
	return "invalid"
}

func (c *rolloutContext) templateOrStepsChanged() bool {
	if c.ro.Status.CurrentStepHash != StepsHash(c.ro) {
		return true
	}
	return c.newRS != nil && c.ro.Status.CurrentPodHash != c.newRS.Labels[LabelPodTemplateHash]
}

func (c *rolloutContext) rolloutCanary() error {
	if c.templateOrStepsChanged() {
		return c.syncStatus()
	}
	restarted, err := c.reconcilePodRestarts()
	if err != nil {
		return err
	}
	if err := c.reconcileWorkloadScaleDown(); err != nil {
		return err
	}
	if restarted > 0 {
		// Availability counts no longer include the evicted pods: like
		// Argo, end here so no scale-down happens on stale numbers.
		return nil
	}
	if err := c.reconcileEphemeralMetadata(); err != nil {
		return err
	}
	if err := c.reconcileRevisionHistoryLimit(); err != nil {
		return err
	}
	if err := c.reconcileServices(); err != nil {
		return err
	}
	if err := c.reconcileTrafficRouting(); err != nil {
		return err
	}
	if err := c.reconcileExperiments(); err != nil {
		return err
	}
	if err := c.reconcileAnalysisRuns(); err != nil {
		return err
	}
	if len(c.pause.add) > 0 {
		return c.syncStatus()
	}
	scaled, err := c.reconcileCanaryReplicaSets()
	if err != nil {
		return err
	}
	if scaled {
		return c.syncStatus()
	}
	c.reconcileCanaryPause()
	if !atCanaryPauseStep(c.ro) {
		c.reconcileStepPlugins()
	}
	return c.syncStatus()
}

func (c *rolloutContext) haltProgress() string {
	if c.ro.Spec.Paused {
		return "user paused"
	}
	if pauseCondition(c.ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return "InconclusiveAnalysisRun"
	}
	return ""
}

// faultCanaryFirst reverses Argo's stable-first order. Only a test sets it
// (controller/export_test.go): the differential oracle must catch it.
var faultCanaryFirst bool

// PlanCanaryReplicaSets decides, without acting, the next ReplicaSet resize
// of a canary reconcile: stable first, then new, then the others; Argo
// applies only the first change per reconcile.
func (c *rolloutContext) planCanaryReplicaSets() ([]ScaleIntent, error) {
	var plan []ScaleIntent
	ro := c.ro
	stepNote := c.stepNote()
	if faultCanaryFirst && c.newRS != nil && c.stableRS != nil && c.stableRS.Name != c.newRS.Name && !c.pause.aborted() {
		dn, _ := replicas.DesiredCanaryReplicaCounts(ro, c.newRS, c.stableRS, c.otherRSs, c.newStatus.Canary.Weights)
		if dn != specReplicas(c.newRS) {
			return []ScaleIntent{{RS: c.newRS, From: specReplicas(c.newRS), To: dn, Reason: "canary " + stepNote}}, nil
		}
	}
	if c.stableRS != nil && c.newRS != nil && c.stableRS.Name != c.newRS.Name {
		_, ds := replicas.DesiredCanaryReplicaCounts(ro, c.newRS, c.stableRS, c.otherRSs, ro.Status.Canary.Weights)
		if ds != specReplicas(c.stableRS) {
			plan = append(plan, ScaleIntent{RS: c.stableRS, From: specReplicas(c.stableRS), To: ds, Reason: "stable " + stepNote})
			return plan, nil
		}
	}
	if c.newRS != nil {
		dn, _ := replicas.DesiredCanaryReplicaCounts(ro, c.newRS, c.stableRS, c.otherRSs, c.newStatus.Canary.Weights)
		if c.shouldDelayScaleDownOnAbort() {
			deadline, ok := c.newRS.Annotations[AnnotationScaleDownDeadline]
			switch {
			case ok:
				t, err := time.Parse(time.RFC3339, deadline)
				if err == nil && t.After(c.r.opts.Clock.Now()) {
					c.enqueueAfter(t.Sub(c.r.opts.Clock.Now()))
					return plan, nil
				}
				if err == nil {
					dn = 0
				}
			default:
				delay := abortScaleDownDelay(ro)
				if c.stableRS != nil && c.stableRS.Status.AvailableReplicas >= replicas.Replicas(ro) {
					if err := c.addScaleDownDeadline(c.newRS, delay, "abortScaleDownDelaySeconds"); err != nil {
						return nil, err
					}
				}
				return plan, nil
			}
		}
		if dn != specReplicas(c.newRS) {
			reason := "canary " + stepNote
			if c.pause.aborted() {
				reason = "canary, aborted"
			}
			plan = append(plan, ScaleIntent{RS: c.newRS, From: specReplicas(c.newRS), To: dn, Reason: reason})
			return plan, nil
		}
	}
	others, err := c.planOtherReplicaSets()
	if err != nil {
		return nil, err
	}
	return append(plan, others...), nil
}

func (c *rolloutContext) stepNote() string {
	if c.ro.Status.PromoteFull {
		return "(full promotion)"
	}
	if c.pause.aborted() {
		return "(aborted)"
	}
	step, idx := currentStep(c.ro)
	if step == nil {
		if c.ro.Status.StableRS == "" {
			return "(initial deploy)"
		}
		return "(all steps done)"
	}
	return fmt.Sprintf("(step %d %s)", *idx, StepString(*step))
}

func abortScaleDownDelay(ro *v1alpha1.Rollout) time.Duration {
	if d := ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds; d != nil {
		return time.Duration(*d) * time.Second
	}
	return 30 * time.Second
}

// shouldDelayScaleDownOnAbort: traffic-routed canary or blue-green aborted,
// with a delay that is not 0 and, under dynamicStableScale, only when set
// explicitly.
func (c *rolloutContext) shouldDelayScaleDownOnAbort() bool {
	if !c.pause.aborted() || c.stableRS == nil {
		return false
	}
	if bg := c.ro.Spec.Strategy.BlueGreen; bg != nil {
		return bg.AbortScaleDownDelaySeconds == nil || *bg.AbortScaleDownDelaySeconds != 0
	}
	if !c.trafficRouted() {
		return false
	}
	d := c.canary().AbortScaleDownDelaySeconds
	if d != nil && *d == 0 {
		return false
	}
	if c.canary().DynamicStableScale && d == nil {
		return false
	}
	return true
}

func (c *rolloutContext) reconcileCanaryReplicaSets() (bool, error) {
	if h := c.haltProgress(); h != "" {
		return false, nil
	}
	if err := c.removeScaleDownDeadlines(); err != nil {
		return false, err
	}
	plan, err := c.planCanaryReplicaSets()
	if err != nil {
		return false, err
	}
	if len(plan) == 0 {
		return false, nil
	}
	return true, c.scale(plan[0])
}

func (c *rolloutContext) scale(in ScaleIntent) error {
	rs := in.RS.DeepCopy()
	patch := client.MergeFrom(in.RS.DeepCopy())
	to := in.To
	rs.Spec.Replicas = &to
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[AnnotationDesiredReplicas] = strconv.Itoa(int(replicas.Replicas(c.ro)))
	// Blue-green, like Argo, keeps the deadline of a ReplicaSet scaled to 0
	// while the abort scale-down delay is in force.
	if to == 0 && !c.shouldDelayScaleDownOnAbort() {
		delete(rs.Annotations, AnnotationScaleDownDeadline)
	}
	if err := c.r.opts.Client.Patch(c.ctx, rs, patch); err != nil {
		return fmt.Errorf("scale ReplicaSet %s to %d: %w", rs.Name, to, err)
	}
	dir := "up"
	if to < in.From {
		dir = "down"
	}
	c.note("replicaset", rs.Name, "scaled", "ScalingReplicaSet",
		fmt.Sprintf("%d → %d: scaled %s (revision %d) %s", in.From, to, dir, revisionOf(rs), in.Reason))
	c.replaceRS(rs)
	return nil
}

func (c *rolloutContext) removeScaleDownDeadlines() error {
	var targets []*appsv1.ReplicaSet
	if c.newRS != nil && !c.shouldDelayScaleDownOnAbort() {
		targets = append(targets, c.newRS)
	}
	if c.stableRS != nil && (c.newRS == nil || c.stableRS.Name != c.newRS.Name) {
		targets = append(targets, c.stableRS)
	}
	for _, rs := range targets {
		if _, ok := rs.Annotations[AnnotationScaleDownDeadline]; !ok {
			continue
		}
		cp := rs.DeepCopy()
		patch := client.MergeFrom(rs.DeepCopy())
		delete(cp.Annotations, AnnotationScaleDownDeadline)
		if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
			return fmt.Errorf("remove scale-down deadline of ReplicaSet %s: %w", rs.Name, err)
		}
		c.note("replicaset", rs.Name, "event", "ScaleDownDeadlineRemoved", "scale-down deadline removed")
		c.replaceRS(cp)
	}
	return nil
}

func (c *rolloutContext) addScaleDownDeadline(rs *appsv1.ReplicaSet, delay time.Duration, why string) error {
	cp := rs.DeepCopy()
	patch := client.MergeFrom(rs.DeepCopy())
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	deadline := c.r.opts.Clock.Now().UTC().Add(delay).Truncate(time.Second)
	cp.Annotations[AnnotationScaleDownDeadline] = deadline.Format(time.RFC3339)
	if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
		return fmt.Errorf("set scale-down deadline of ReplicaSet %s: %w", rs.Name, err)
	}
	c.note("replicaset", rs.Name, "event", "ScaleDownDeadline", fmt.Sprintf("scale down in %s (%s)", delay, why))
	c.replaceRS(cp)
	c.enqueueAfter(delay)
	return nil
}

// planOtherReplicaSets is Argo's reconcileOtherReplicaSets for canary.
func (c *rolloutContext) planOtherReplicaSets() ([]ScaleIntent, error) {
	var others []*appsv1.ReplicaSet
	for _, rs := range c.otherRSs {
		if specReplicas(rs) > 0 || rs.Status.Replicas > 0 {
			others = append(others, rs)
		}
	}
	if len(others) == 0 {
		return nil, nil
	}
	ro := c.ro
	if !c.trafficRouted() {
		changes := replicas.BasicOtherReplicaSetsScaleDown(ro, c.allRSs, c.otherRSs)
		var plan []ScaleIntent
		for _, ch := range changes {
			for _, rs := range c.otherRSs {
				if rs.Name == ch.Name {
					plan = append(plan, ScaleIntent{RS: rs, From: ch.From, To: ch.To, Reason: "old ReplicaSet"})
				}
			}
		}
		return plan, nil
	}
	// Traffic-routed: budget, newest revision first, referenced RSs skipped.
	_, u := replicas.Fenceposts(ro)
	avail := sumReplicas(c.allRSs, availableReplicas)
	maxScaleDown := avail - (replicas.Replicas(ro) - u)
	if maxScaleDown <= 0 {
		return nil, nil
	}
	sort.SliceStable(others, func(i, j int) bool { return revisionOf(others[i]) > revisionOf(others[j]) })
	fullyPromoted := ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash
	var plan []ScaleIntent
	annotated := 0
	for _, rs := range others {
		if c.isReferenced(rs) {
			continue
		}
		if maxScaleDown <= 0 {
			break
		}
		cur := specReplicas(rs)
		if cur == 0 {
			continue
		}
		to := int32(0)
		reason := "intermediate ReplicaSet of an interrupted update"
		_, hasDeadline := rs.Annotations[AnnotationScaleDownDeadline]
		if fullyPromoted || hasDeadline {
			if c.canary().DynamicStableScale {
				reason = "previous stable (dynamicStableScale)"
			} else {
				var err error
				to, reason, err = c.scaleDownDelay(rs, &annotated)
				if err != nil {
					return nil, err
				}
			}
		}
		if to == cur {
			continue
		}
		plan = append(plan, ScaleIntent{RS: rs, From: cur, To: to, Reason: reason})
		maxScaleDown -= cur - to
	}
	return plan, nil
}

// scaleDownDelay annotates an old ReplicaSet with its scale-down deadline,
// or reports 0 once the deadline passed.
func (c *rolloutContext) scaleDownDelay(rs *appsv1.ReplicaSet, annotated *int) (int32, string, error) {
	delay := 30 * time.Second
	if d := c.canary().ScaleDownDelaySeconds; d != nil {
		delay = time.Duration(*d) * time.Second
	}
	limit := c.canary().ScaleDownDelayRevisionLimit
	if limit != nil && int32(*annotated) >= *limit {
		return 0, "scaleDownDelayRevisionLimit reached", nil
	}
	*annotated++
	s, ok := rs.Annotations[AnnotationScaleDownDeadline]
	if !ok {
		if delay == 0 {
			return 0, "scaleDownDelaySeconds 0", nil
		}
		if err := c.addScaleDownDeadline(rs, delay, "scaleDownDelaySeconds"); err != nil {
			return 0, "", err
		}
		return specReplicas(rs), "", nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, "unparsable scale-down deadline", nil
	}
	now := c.r.opts.Clock.Now()
	if t.After(now) {
		c.enqueueAfter(t.Sub(now))
		return specReplicas(rs), "", nil
	}
	return 0, "scale-down deadline passed", nil
}

func (c *rolloutContext) isReferenced(rs *appsv1.ReplicaSet) bool {
	h := rs.Labels[LabelPodTemplateHash]
	if h == "" {
		return false
	}
	st := c.ro.Status
	refs := []string{st.StableRS, st.CurrentPodHash, st.BlueGreen.ActiveSelector, st.BlueGreen.PreviewSelector}
	if w := st.Canary.Weights; w != nil {
		refs = append(refs, w.Canary.PodTemplateHash, w.Stable.PodTemplateHash)
	}
	for _, r := range refs {
		if r == h {
			return true
		}
	}
	var services []string
	if bg := c.ro.Spec.Strategy.BlueGreen; bg != nil {
		services = []string{bg.ActiveService, bg.PreviewService}
	} else {
		services = []string{c.canary().CanaryService, c.canary().StableService}
	}
	for _, name := range services {
		if name == "" {
			continue
		}
		svc := &corev1.Service{}
		if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: c.ro.Namespace, Name: name}, svc); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return true
		}
		if svc.Spec.Selector[LabelPodTemplateHash] == h {
			return true
		}
	}
	return false
}

// reconcileCanaryPause adds the CanaryPauseStep condition at a pause step
// and asks for a wake-up when a timed pause ends.
func (c *rolloutContext) reconcileCanaryPause() {
	ro := c.ro
	if ro.Spec.Paused || ro.Status.PromoteFull {
		return
	}
	step, _ := currentStep(ro)
	if step == nil || step.Pause == nil {
		return
	}
	cond := pauseCondition(ro, v1alpha1.PauseReasonCanaryPauseStep)
	if cond == nil {
		if !ro.Status.ControllerPause {
			c.pause.add = append(c.pause.add, v1alpha1.PauseReasonCanaryPauseStep)
		}
		return
	}
	if step.Pause.Duration == nil {
		return
	}
	d := time.Duration(step.Pause.DurationSeconds()) * time.Second
	remaining := cond.StartTime.Add(d).Sub(c.r.opts.Clock.Now())
	c.enqueueAfter(remaining)
}

func (c *rolloutContext) completedCanaryPauseStep(p v1alpha1.RolloutPause) bool {
	ro := c.ro
	cond := pauseCondition(ro, v1alpha1.PauseReasonCanaryPauseStep)
	if ro.Status.ControllerPause && cond == nil {
		return true
	}
	if p.Duration != nil && cond != nil {
		end := cond.StartTime.Add(time.Duration(p.DurationSeconds()) * time.Second)
		return c.r.opts.Clock.Now().After(end)
	}
	return false
}

func (c *rolloutContext) completedCurrentStep() bool {
	ro := c.ro
	if ro.Spec.Paused {
		return false
	}
	step, _ := currentStep(ro)
	if step == nil {
		return false
	}
	switch {
	case step.Pause != nil:
		return c.completedCanaryPauseStep(*step.Pause)
	case step.SetCanaryScale != nil:
		return replicas.AtDesiredReplicaCountsForCanary(ro, c.newRS, c.stableRS, c.otherRSs, c.newStatus.Canary.Weights)
	case step.SetWeight != nil:
		if !replicas.AtDesiredReplicaCountsForCanary(ro, c.newRS, c.stableRS, c.otherRSs, c.newStatus.Canary.Weights) {
			return false
		}
		w := c.newStatus.Canary.Weights
		return w == nil || w.Verified == nil || *w.Verified
	case step.Experiment != nil:
		ex := c.exs.current
		return ex != nil && ex.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
	case step.Analysis != nil:
		ar := c.ars.step
		return ar != nil && ar.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
	case step.SetHeaderRoute != nil, step.SetMirrorRoute != nil:
		// The route was set by reconcileTrafficRouting earlier in this
		// reconcile.
		return true
	case step.Plugin != nil:
		_, idx := currentStep(ro)
		return c.stepPluginCompleted(*idx)
	}
	return false
}

func (c *rolloutContext) baseStatus() v1alpha1.RolloutStatus {
	ro := c.ro
	st := c.newStatus
	prev := ro.Status.DeepCopy()
	if getCondition(prev.Conditions, v1alpha1.InvalidSpec) != nil {
		removeCondition(prev, v1alpha1.InvalidSpec)
	}
	st.CurrentPodHash = c.newHash
	if c.newRS != nil {
		st.CurrentPodHash = c.newRS.Labels[LabelPodTemplateHash]
	}
	st.Replicas = sumReplicas(c.allRSs, statusReplicas)
	st.UpdatedReplicas = sumReplicas([]*appsv1.ReplicaSet{c.newRS}, statusReplicas)
	st.ReadyReplicas = sumReplicas(c.allRSs, readyReplicas)
	st.CollisionCount = ro.Status.CollisionCount
	st.Conditions = prev.Conditions
	st.RestartedAt = c.newStatus.RestartedAt
	st.PromoteFull = st.CurrentPodHash != st.StableRS && ro.Status.PromoteFull
	return st
}

// syncStatus is Argo's syncRolloutStatusCanary: step advance, promotion,
// abort bookkeeping, then the status persist.
func (c *rolloutContext) syncStatus() error {
	ro := c.ro
	st := c.baseStatus()
	st.AvailableReplicas = sumReplicas(c.allRSs, availableReplicas)
	st.HPAReplicas = sumReplicas(c.allRSs, statusReplicas)
	st.Selector = metav1.FormatLabelSelector(ro.Spec.Selector)
	st.StableRS = ro.Status.StableRS
	st.CurrentStepHash = StepsHash(ro)
	st.Canary.StepPluginStatuses = c.stepPluginStatuses()
	stepCount := int32(len(c.canary().Steps))
	step, idx := currentStep(ro)

	if c.templateOrStepsChanged() {
		c.pause.clearAll = true
		c.pause.removeAbort = true
		st.RestartedAt = ro.Spec.RestartAt // new pods anyway (Argo's SetRestartedAt)
		st.PromoteFull = false
		st.Canary.CurrentStepAnalysisRunStatus = nil
		st.Canary.CurrentBackgroundAnalysisRunStatus = nil
		st.Canary.StepPluginStatuses = nil
		if stepCount > 0 {
			zero := int32(0)
			st.CurrentStepIndex = &zero
		}
		if c.newRS != nil && stepCount > 0 && ro.Status.StableRS == c.newRS.Labels[LabelPodTemplateHash] {
			c.note("rollout", ro.Name, "event", "SkipSteps", "Rollback to stable ReplicaSets")
			n := stepCount
			st.CurrentStepIndex = &n
		} else if c.newRS != nil && stepCount > 0 && c.skipStepsWithinWindow() {
			c.note("rollout", ro.Name, "event", "SkipSteps", "Rollback to active ReplicaSets within RollbackWindow")
			n := stepCount
			st.CurrentStepIndex = &n
		}
		if ro.Status.CurrentPodHash != "" && ro.Status.CurrentPodHash != st.CurrentPodHash {
			c.note("rollout", ro.Name, "event", "RolloutUpdated", fmt.Sprintf("Rollout updated to revision %d", revisionOf(c.newRS)))
		}
		return c.persist(&st)
	}
	if ro.Status.PromoteFull || c.isRollbackWithinWindow() {
		c.pause.clearAll = true
		c.pause.removeAbort = true
		if stepCount > 0 {
			n := stepCount
			idx = &n
		}
	}
	if reason := c.shouldFullPromote(); reason != "" {
		c.promoteStable(&st, reason)
		return c.persist(&st)
	}
	if c.pause.aborted() {
		if stepCount > 0 {
			var n int32
			if st.StableRS == st.CurrentPodHash {
				n = stepCount
			}
			st.CurrentStepIndex = &n
		}
		return c.persist(&st)
	}
	if c.completedCurrentStep() {
		n := *idx + 1
		idx = &n
		st.Canary.CurrentStepAnalysisRunStatus = nil
		c.note("rollout", ro.Name, "step", "RolloutStepCompleted", fmt.Sprintf("Rollout step %d/%d completed (%s)", n, stepCount, StepString(*step)))
		c.pause.remove = append(c.pause.remove, v1alpha1.PauseReasonCanaryPauseStep)
	}
	st.CurrentStepIndex = idx
	return c.persist(&st)
}

func (c *rolloutContext) shouldFullPromote() string {
	ro := c.ro
	if c.stableRS == nil {
		return "Initial deploy"
	}
	if c.pause.aborted() {
		return ""
	}
	r := replicas.Replicas(ro)
	if c.newRS == nil || c.newRS.Status.AvailableReplicas < r {
		return ""
	}
	if ro.Status.PromoteFull {
		return "Full promotion requested"
	}
	if c.isRollbackWithinWindow() {
		return "Rollback within window"
	}
	if c.newRS.Labels[LabelPodTemplateHash] == ro.Status.StableRS {
		return ""
	}
	_, idx := currentStep(ro)
	n := len(c.canary().Steps)
	if n == 0 || (idx != nil && int(*idx) == n) {
		return fmt.Sprintf("Completed all %d canary steps", n)
	}
	return ""
}

func (c *rolloutContext) promoteStable(st *v1alpha1.RolloutStatus, reason string) {
	c.pause.clearAll = true
	c.pause.removeAbort = true
	st.PromoteFull = false
	st.BlueGreen.ScaleUpPreviewCheckPoint = false
	if c.canary() != nil {
		n := int32(len(c.canary().Steps))
		if n > 0 {
			st.CurrentStepIndex = &n
		} else {
			st.CurrentStepIndex = nil
		}
	}
	if st.StableRS != st.CurrentPodHash {
		st.StableRS = st.CurrentPodHash
		rev := int64(0)
		if c.newRS != nil {
			rev = revisionOf(c.newRS)
		}
		c.note("rollout", c.ro.Name, "promoted", "RolloutCompleted",
			fmt.Sprintf("Rollout completed update to revision %d (%s): %s", rev, st.CurrentPodHash, reason))
	}
}

// persist is Argo's persistRolloutStatus (without the progress deadline).
func (c *rolloutContext) persist(st *v1alpha1.RolloutStatus) error {
	ro := c.ro
	st.ObservedGeneration = strconv.FormatInt(ro.Generation, 10)
	prevPauses := ro.Status.PauseConditions
	c.evaluateProgressDeadlineAbort(st)
	c.pause.apply(st, c.now())
	c.calculateConditions(st)
	st.Phase, st.Message = CalculatePhase(ro, st)
	// Argo's sendStateChangeEvents: RolloutPaused / RolloutResumed when the
	// rollout goes from no pause condition to some, or back (not on abort).
	if prev, cur := len(prevPauses) > 0, len(st.PauseConditions) > 0; prev != cur {
		if cur {
			p := st.PauseConditions[0]
			detail := fmt.Sprintf("Rollout is paused (%s)", p.Reason)
			if step, idx := currentStep(ro); step != nil && p.Reason == v1alpha1.PauseReasonCanaryPauseStep {
				detail += fmt.Sprintf(" at step %d %s", *idx, StepString(*step))
			}
			c.note("rollout", ro.Name, "paused", "RolloutPaused", detail)
		} else if st.AbortedAt == nil {
			c.note("rollout", ro.Name, "resumed", "RolloutResumed", "Rollout is resumed")
		}
	}
	if ro.Status.Abort != st.Abort && !st.Abort {
		c.note("rollout", ro.Name, "event", "AbortCleared", "status.abort removed")
	}
	if ro.Status.CurrentStepIndex != nil && st.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex != *st.CurrentStepIndex &&
		*st.CurrentStepIndex != *ro.Status.CurrentStepIndex+1 {
		c.note("rollout", ro.Name, "step", "StepIndex", fmt.Sprintf("step index %d → %d", *ro.Status.CurrentStepIndex, *st.CurrentStepIndex))
	}
	if equalStatus(&ro.Status, st) {
		c.requeueStuckRollout(st)
		return nil
	}
	return c.patchStatus(st)
}

// isScalingEvent: the desired-replicas annotation of the new or stable
// ReplicaSet differs from spec.replicas.
func (c *rolloutContext) isScalingEvent() bool {
	if c.newRS == nil || c.templateOrStepsChanged() {
		return false
	}
	want := strconv.Itoa(int(replicas.Replicas(c.ro)))
	for _, rs := range []*appsv1.ReplicaSet{c.newRS, c.stableRS} {
		if rs == nil {
			continue
		}
		if v, ok := rs.Annotations[AnnotationDesiredReplicas]; ok && v != want {
			return true
		}
	}
	return false
}

// syncReplicasOnly resizes ReplicaSets for a new spec.replicas without step
// progress, as Argo's scaling-event path does.
func (c *rolloutContext) syncReplicasOnly() error {
	c.note("rollout", c.ro.Name, "event", "ScalingEvent", fmt.Sprintf("spec.replicas is %d: resizing without step progress", replicas.Replicas(c.ro)))
	if isBlueGreen(c.ro) {
		return c.syncReplicasOnlyBlueGreen()
	}
	if _, err := c.reconcileCanaryReplicaSets(); err != nil {
		return err
	}
	want := strconv.Itoa(int(replicas.Replicas(c.ro)))
	for _, rs := range []*appsv1.ReplicaSet{c.newRS, c.stableRS} {
		if rs == nil || rs.Annotations[AnnotationDesiredReplicas] == want {
			continue
		}
		cp := rs.DeepCopy()
		patch := client.MergeFrom(rs.DeepCopy())
		cp.Annotations[AnnotationDesiredReplicas] = want
		if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
			return fmt.Errorf("set desired-replicas of ReplicaSet %s: %w", rs.Name, err)
		}
		c.replaceRS(cp)
	}
	st := c.baseStatus()
	st.AvailableReplicas = sumReplicas(c.allRSs, availableReplicas)
	st.HPAReplicas = sumReplicas(c.allRSs, statusReplicas)
	st.Selector = metav1.FormatLabelSelector(c.ro.Spec.Selector)
	st.StableRS = c.ro.Status.StableRS
	st.CurrentStepHash = c.ro.Status.CurrentStepHash
	st.CurrentStepIndex = c.ro.Status.CurrentStepIndex
	st.Canary = c.ro.Status.Canary
	st.PauseConditions = c.ro.Status.PauseConditions
	st.ControllerPause = c.ro.Status.ControllerPause
	return c.persist(&st)
}

// reconcileRevisionHistoryLimit deletes the oldest fully scaled-down other
// ReplicaSets beyond revisionHistoryLimit (default 10). Oldest is by the
// simulator's virtual creation time (see docs/fidelity.md).
func (c *rolloutContext) reconcileRevisionHistoryLimit() error {
	limit := int32(10)
	if c.ro.Spec.RevisionHistoryLimit != nil {
		limit = *c.ro.Spec.RevisionHistoryLimit
	}
	var candidates []*appsv1.ReplicaSet
	for _, rs := range c.otherRSs {
		if specReplicas(rs) == 0 && rs.Status.Replicas == 0 {
			candidates = append(candidates, rs)
		}
	}
	diff := int32(len(candidates)) - limit
	if diff <= 0 {
		return nil
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		ti, tj := candidates[i].CreationTimestamp, candidates[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return revisionOf(candidates[i]) < revisionOf(candidates[j])
	})
	for _, rs := range candidates[:diff] {
		if err := c.r.opts.Client.Delete(c.ctx, rs); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete old ReplicaSet %s: %w", rs.Name, err)
		}
		c.note("replicaset", rs.Name, "deleted", "RevisionHistoryLimit",
			fmt.Sprintf("revision %d removed (revisionHistoryLimit %d)", revisionOf(rs), limit))
		if err := c.deleteAnalysisRunsOf(rs); err != nil {
			return err
		}
		if err := c.deleteExperimentsOf(rs); err != nil {
			return err
		}
	}
	var keep []*appsv1.ReplicaSet
	deleted := map[string]bool{}
	for _, rs := range candidates[:diff] {
		deleted[rs.Name] = true
	}
	for _, rs := range c.allRSs {
		if !deleted[rs.Name] {
			keep = append(keep, rs)
		}
	}
	c.allRSs = keep
	c.classify()
	return nil
}

// reconcileServices points the stable Service at the stable ReplicaSet and
// the canary Service at the new one (the stable one on a basic abort), each
// only once the target has an available pod.
func (c *rolloutContext) reconcileServices() error {
	cs := c.canary()
	if err := c.ensureServiceTarget(cs.StableService, c.stableRS, true); err != nil {
		return err
	}
	if c.pause.aborted() && cs.TrafficRouting == nil {
		return c.ensureServiceTarget(cs.CanaryService, c.stableRS, true)
	}
	if _, back := trafficrouting.DynamicRollbackToStable(c.ro, c.newRS); back {
		return nil // Argo delays the switch until the stable is fully available
	}
	if cs.TrafficRouting != nil && c.planTraffic().resetCanaryService {
		// Argo points the canary Service at the new ReplicaSet here and
		// back at the stable one in reconcileTrafficRouting, on every
		// reconcile, until the canary is scaled down (argo-rollouts#3078):
		// the selector at the end of each reconcile is the stable's, which
		// is what rollsim keeps (docs/fidelity.md).
		return nil
	}
	return c.ensureServiceTarget(cs.CanaryService, c.newRS, true)
}

func (c *rolloutContext) ensureServiceTarget(name string, rs *appsv1.ReplicaSet, checkAvailability bool) error {
	if name == "" || rs == nil {
		return nil
	}
	svc := &corev1.Service{}
	if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: c.ro.Namespace, Name: name}, svc); err != nil {
		return fmt.Errorf("get service %s: %w", name, err)
	}
	cur := svc.Spec.Selector[LabelPodTemplateHash]
	want := rs.Labels[LabelPodTemplateHash]
	if cur == want {
		return nil
	}
	if _, managed := svc.Annotations[AnnotationManagedBy]; !managed && checkAvailability {
		if rs.Status.AvailableReplicas < specReplicas(rs) {
			return nil
		}
	}
	if checkAvailability && rs.Status.AvailableReplicas < 1 {
		return nil
	}
	cp := svc.DeepCopy()
	patch := client.MergeFrom(svc.DeepCopy())
	if cp.Spec.Selector == nil {
		cp.Spec.Selector = map[string]string{}
	}
	cp.Spec.Selector[LabelPodTemplateHash] = want
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[AnnotationManagedBy] = c.ro.Name
	if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
		return fmt.Errorf("switch selector of service %s: %w", name, err)
	}
	from := cur
	if from == "" {
		from = "<none>"
	}
	c.note("service", name, "selector", "SwitchService",
		fmt.Sprintf("Switched selector for service '%s' from '%s' to '%s' (%s)", name, from, want, rs.Name))
	return nil
}
