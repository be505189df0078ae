package controller

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/replicas"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The blue-green strategy (semantics §1.3, §3.6, §9): the preview Service
// follows the new ReplicaSet at once, the active Service is switched when the
// new ReplicaSet is saturated and the pause and pre-promotion analysis
// allow it, and the previous active ReplicaSet is kept for
// scaleDownDelaySeconds.

// AnalysisRun rollout-type labels of blue-green runs.
const (
	rolloutTypePrePromotion  = "PrePromotion"
	rolloutTypePostPromotion = "PostPromotion"
)

// blueGreenContext is the blue-green state of one reconcile.
type blueGreenContext struct {
	// active and preview are the Services as read at the start of the
	// reconcile; a selector switch updates them in place, so the status
	// reads back what the Services say at the end of the reconcile.
	active, preview *corev1.Service
	// newRSWithinDelay: the new ReplicaSet had a scale-down deadline still
	// in the future when the reconcile started (a rollback onto an old
	// active that has not been scaled down yet is a fast rollback).
	newRSWithinDelay bool
}

func (c *rolloutContext) blueGreen() *v1alpha1.BlueGreenStrategy { return c.ro.Spec.Strategy.BlueGreen }

func isBlueGreen(ro *v1alpha1.Rollout) bool { return ro.Spec.Strategy.BlueGreen != nil }

func podHash(rs *appsv1.ReplicaSet) string {
	if rs == nil {
		return ""
	}
	return rs.Labels[LabelPodTemplateHash]
}

func selectorHash(svc *corev1.Service) string {
	if svc == nil {
		return ""
	}
	return svc.Spec.Selector[LabelPodTemplateHash]
}

// rolloutBlueGreen is Argo's rolloutBlueGreen: preview Service, template
// change, ReplicaSet sizes, pause, active Service, analysis, status.
func (c *rolloutContext) rolloutBlueGreen() error {
	if err := c.loadBlueGreenServices(); err != nil {
		return err
	}
	c.bg.newRSWithinDelay = c.newRS != nil && deadlinePending(c.newRS, c.r.opts.Clock.Now())
	if err := c.loadAnalysisRuns(); err != nil {
		return err
	}
	if c.haltProgress() == "" && c.newRS != nil {
		if err := c.switchServiceSelector(c.bg.preview, podHash(c.newRS)); err != nil {
			return err
		}
	}
	if c.blueGreenTemplateChanged() {
		return c.syncStatusBlueGreen()
	}
	if _, err := c.reconcilePodRestarts(); err != nil {
		return err
	}
	if err := c.reconcileBlueGreenReplicaSets(); err != nil {
		return err
	}
	c.reconcileBlueGreenPause()
	if err := c.reconcileActiveService(); err != nil {
		return err
	}
	if err := c.reconcileAnalysisRuns(); err != nil {
		return err
	}
	if err := c.reconcileEphemeralMetadata(); err != nil {
		return err
	}
	return c.syncStatusBlueGreen()
}

func (c *rolloutContext) loadBlueGreenServices() error {
	bg := c.blueGreen()
	get := func(name string) (*corev1.Service, error) {
		if name == "" {
			return nil, nil
		}
		svc := &corev1.Service{}
		if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: c.ro.Namespace, Name: name}, svc); err != nil {
			return nil, fmt.Errorf("get service %s: %w", name, err)
		}
		return svc, nil
	}
	var err error
	if c.bg.active, err = get(bg.ActiveService); err != nil {
		return err
	}
	c.bg.preview, err = get(bg.PreviewService)
	return err
}

// deadlinePending reports a scale-down-deadline annotation that is still in
// the future.
func deadlinePending(rs *appsv1.ReplicaSet, now time.Time) bool {
	s, ok := rs.Annotations[AnnotationScaleDownDeadline]
	if !ok {
		return false
	}
	t, err := time.Parse(time.RFC3339, s)
	return err == nil && t.After(now)
}

// blueGreenTemplateChanged is Argo's CheckPodSpecChange.
func (c *rolloutContext) blueGreenTemplateChanged() bool {
	cur := c.ro.Status.CurrentPodHash
	if cur == "" {
		return false
	}
	h := c.newHash
	if c.newRS != nil {
		h = podHash(c.newRS)
	}
	return cur != h
}

// switchServiceSelector points a Service at the ReplicaSet with the given
// pod-template hash, as Argo's switchServiceSelector: it patches unless the
// selector already has the hash and the Service carries the managed-by
// annotation, and updates svc in place.
func (c *rolloutContext) switchServiceSelector(svc *corev1.Service, hash string) error {
	if svc == nil || hash == "" {
		return nil
	}
	cur, ok := svc.Spec.Selector[LabelPodTemplateHash]
	_, managed := svc.Annotations[AnnotationManagedBy]
	if ok && cur == hash && managed {
		return nil
	}
	cp := svc.DeepCopy()
	patch := client.MergeFrom(svc.DeepCopy())
	if cp.Spec.Selector == nil {
		cp.Spec.Selector = map[string]string{}
	}
	cp.Spec.Selector[LabelPodTemplateHash] = hash
	if !managed {
		if cp.Annotations == nil {
			cp.Annotations = map[string]string{}
		}
		cp.Annotations[AnnotationManagedBy] = c.ro.Name
	}
	if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
		return fmt.Errorf("switch selector of service %s: %w", svc.Name, err)
	}
	from := cur
	if from == "" {
		from = "<none>"
	}
	rsName := c.ro.Name + "-" + hash
	for _, rs := range c.allRSs {
		if podHash(rs) == hash {
			rsName = rs.Name
		}
	}
	c.note("service", svc.Name, "selector", "SwitchService",
		fmt.Sprintf("Switched selector for service '%s' from '%s' to '%s' (%s)", svc.Name, from, hash, rsName))
	*svc = *cp
	return nil
}

// BlueGreenNewRSReplicas is the size of the new ReplicaSet under blue-green
// (semantics §3.6, Argo's NewRSNewReplicas): spec.replicas, or
// previewReplicaCount while the new ReplicaSet is a preview (an active
// ReplicaSet other than it exists, no full promotion) and either the update
// is new to the status, the rollout is paused, or scaleUpPreviewCheckPoint
// is not set yet.
func BlueGreenNewRSReplicas(ro *v1alpha1.Rollout, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	r := replicas.Replicas(ro)
	bg := ro.Spec.Strategy.BlueGreen
	if bg == nil || bg.PreviewReplicaCount == nil || newRS == nil {
		return r
	}
	var active *appsv1.ReplicaSet
	if sel := ro.Status.BlueGreen.ActiveSelector; sel != "" {
		for _, rs := range allRSs {
			if podHash(rs) == sel {
				active = rs
			}
		}
	}
	if active == nil || active.Name == newRS.Name || ro.Status.PromoteFull {
		return r
	}
	if podHash(newRS) != ro.Status.CurrentPodHash {
		return *bg.PreviewReplicaCount
	}
	notPaused := !ro.Spec.Paused && len(ro.Status.PauseConditions) == 0
	if notPaused && ro.Status.BlueGreen.ScaleUpPreviewCheckPoint {
		return r
	}
	return *bg.PreviewReplicaCount
}

// IsSaturated is Argo's annotations.IsSaturated: spec, desired-replicas
// annotation and available pods all equal spec.replicas.
func IsSaturated(ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	r := replicas.Replicas(ro)
	return specReplicas(rs) == r && rs.Annotations[AnnotationDesiredReplicas] == fmt.Sprint(r) && rs.Status.AvailableReplicas == r
}

// readyForPause: the new ReplicaSet is at its blue-green size and fully
// available.
func (c *rolloutContext) readyForPause() bool {
	if c.newRS == nil {
		return false
	}
	want := BlueGreenNewRSReplicas(c.ro, c.allRSs, c.newRS)
	return specReplicas(c.newRS) == want && c.newRS.Status.AvailableReplicas == want
}

// blueGreenFastTracked: the pause is skipped and the active Service may be
// switched without it.
func (c *rolloutContext) blueGreenFastTracked() bool {
	if c.isFastRollback() || c.ro.Status.PromoteFull {
		return true
	}
	if c.bg.active == nil {
		return false
	}
	cur, ok := c.bg.active.Spec.Selector[LabelPodTemplateHash]
	return !ok || cur == podHash(c.newRS)
}

func needsBlueGreenControllerPause(ro *v1alpha1.Rollout) bool {
	bg := ro.Spec.Strategy.BlueGreen
	if bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled {
		return true
	}
	return bg.AutoPromotionSeconds > 0
}

// completedPrePromotionAnalysis: no pre-promotion analysis, or the current
// one is Successful.
func (c *rolloutContext) completedPrePromotionAnalysis() bool {
	if c.blueGreen().PrePromotionAnalysis == nil {
		return true
	}
	return c.ars.pre != nil && c.ars.pre.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
}

// completedBlueGreenPause is Argo's CompletedBlueGreenPause.
func (c *rolloutContext) completedBlueGreenPause() bool {
	ro := c.ro
	if len(c.pause.add) > 0 {
		return false
	}
	if ro.Status.BlueGreen.ScaleUpPreviewCheckPoint {
		return true
	}
	bg := c.blueGreen()
	cond := pauseCondition(ro, v1alpha1.PauseReasonBlueGreenPause)
	if bg.AutoPromotionEnabled == nil || *bg.AutoPromotionEnabled {
		if bg.AutoPromotionSeconds == 0 {
			return true
		}
		if cond != nil {
			deadline := cond.StartTime.Add(time.Duration(bg.AutoPromotionSeconds) * time.Second)
			return c.r.opts.Clock.Now().After(deadline)
		}
		return false
	}
	return ro.Status.ControllerPause && cond == nil
}

// reconcileBlueGreenPause adds or removes the BlueGreenPause condition and
// asks for a wake-up when autoPromotionSeconds ends.
func (c *rolloutContext) reconcileBlueGreenPause() {
	ro := c.ro
	if ro.Status.Abort || !c.readyForPause() || c.haltProgress() != "" {
		return
	}
	if c.blueGreenFastTracked() || selectorHash(c.bg.active) == podHash(c.newRS) ||
		ro.Status.BlueGreen.ScaleUpPreviewCheckPoint || !needsBlueGreenControllerPause(ro) {
		c.pause.remove = append(c.pause.remove, v1alpha1.PauseReasonBlueGreenPause)
		return
	}
	if !c.completedPrePromotionAnalysis() {
		return
	}
	cond := pauseCondition(ro, v1alpha1.PauseReasonBlueGreenPause)
	if cond == nil {
		// Without the condition but with controllerPause, the user resumed.
		if !ro.Status.ControllerPause {
			c.pause.add = append(c.pause.add, v1alpha1.PauseReasonBlueGreenPause)
		}
		return
	}
	if c.completedBlueGreenPause() {
		c.pause.remove = append(c.pause.remove, v1alpha1.PauseReasonBlueGreenPause)
		return
	}
	if secs := c.blueGreen().AutoPromotionSeconds; secs > 0 {
		now := c.r.opts.Clock.Now()
		deadline := cond.StartTime.Add(time.Duration(secs) * time.Second)
		if deadline.After(now) {
			c.enqueueAfter(deadline.Sub(now))
		}
	}
}

// reconcileActiveService switches the active Service to the new ReplicaSet
// once it is saturated and fast-tracked or past its pause and pre-promotion
// analysis, and back to the stable one after an abort.
func (c *rolloutContext) reconcileActiveService() error {
	ro := c.ro
	if c.haltProgress() != "" || !c.readyForPause() || !IsSaturated(ro, c.newRS) {
		return nil
	}
	target := selectorHash(c.bg.active)
	if c.blueGreenFastTracked() {
		target = podHash(c.newRS)
	}
	if c.completedBlueGreenPause() && c.completedPrePromotionAnalysis() {
		target = podHash(c.newRS)
	}
	if ro.Status.Abort {
		target = ro.Status.StableRS
	}
	return c.switchServiceSelector(c.bg.active, target)
}

// reconcileBlueGreenReplicaSets: scale-down deadlines of new/stable removed,
// stable at R, new at its blue-green size (held on abort), old ReplicaSets
// through their scale-down delay, then the revision history clean-up. Unlike
// canary, every change is applied in the same reconcile.
func (c *rolloutContext) reconcileBlueGreenReplicaSets() error {
	if err := c.removeScaleDownDeadlines(); err != nil {
		return err
	}
	plan, err := c.planBlueGreenReplicaSets()
	if err != nil {
		return err
	}
	for _, in := range plan {
		if err := c.applyBlueGreenIntent(in); err != nil {
			return err
		}
	}
	return c.reconcileRevisionHistoryLimit()
}

// applyBlueGreenIntent scales a ReplicaSet, or only brings its
// desired-replicas annotation up to date (From == To), as Argo's
// scaleReplicaSetAndRecordEvent does.
func (c *rolloutContext) applyBlueGreenIntent(in ScaleIntent) error {
	cur := in.RS
	for _, rs := range c.allRSs {
		if rs.Name == in.RS.Name {
			cur = rs
		}
	}
	if specReplicas(cur) != in.To {
		in.RS, in.From = cur, specReplicas(cur)
		return c.scale(in)
	}
	want := fmt.Sprint(replicas.Replicas(c.ro))
	if cur.Annotations[AnnotationDesiredReplicas] == want {
		return nil
	}
	cp := cur.DeepCopy()
	patch := client.MergeFrom(cur.DeepCopy())
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[AnnotationDesiredReplicas] = want
	if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
		return fmt.Errorf("set desired-replicas of ReplicaSet %s: %w", cp.Name, err)
	}
	c.replaceRS(cp)
	return nil
}

// planBlueGreenReplicaSets decides the ReplicaSet sizes of a blue-green
// reconcile in Argo's order: stable, new, others. An intent with From == To
// only refreshes the desired-replicas annotation.
func (c *rolloutContext) planBlueGreenReplicaSets() ([]ScaleIntent, error) {
	ro := c.ro
	r := replicas.Replicas(ro)
	want := fmt.Sprint(r)
	planned := map[string]int32{}
	var plan []ScaleIntent
	add := func(rs *appsv1.ReplicaSet, to int32, reason string) {
		from, ok := planned[rs.Name]
		if !ok {
			from = specReplicas(rs)
		}
		if from == to && rs.Annotations[AnnotationDesiredReplicas] == want {
			return
		}
		planned[rs.Name] = to
		plan = append(plan, ScaleIntent{RS: rs, From: from, To: to, Reason: reason})
	}
	if c.stableRS != nil {
		add(c.stableRS, r, "stable")
	}
	if c.newRS != nil {
		to := BlueGreenNewRSReplicas(ro, c.allRSs, c.newRS)
		reason := "preview"
		switch {
		case c.stableRS == nil || c.stableRS.Name == c.newRS.Name || selectorHash(c.bg.active) == podHash(c.newRS):
			reason = "active"
		case to != r:
			reason = fmt.Sprintf("preview (previewReplicaCount %d)", to)
		}
		hold := false
		if c.shouldDelayScaleDownOnAbort() {
			now := c.r.opts.Clock.Now()
			if s, ok := c.newRS.Annotations[AnnotationScaleDownDeadline]; ok {
				if t, err := time.Parse(time.RFC3339, s); err == nil {
					if t.After(now) {
						if remaining := t.Sub(now); remaining < c.r.opts.ResyncPeriod {
							c.enqueueAfter(remaining)
							hold = true
						}
					} else {
						to, reason = 0, "preview, aborted: abortScaleDownDelaySeconds passed"
					}
				}
			} else {
				// Keep the preview up until the stable ReplicaSet can take all
				// the traffic, then start the abort scale-down delay.
				hold = true
				if c.stableRS.Status.AvailableReplicas >= r {
					secs, _, _ := replicas.AbortScaleDownDelay(ro)
					if err := c.addScaleDownDeadline(c.newRS, time.Duration(secs)*time.Second, "abortScaleDownDelaySeconds"); err != nil {
						return nil, err
					}
				}
			}
		}
		if hold {
			add(c.newRS, specReplicas(c.newRS), reason)
		} else {
			add(c.newRS, to, reason)
		}
	}
	others, err := c.planBlueGreenOtherReplicaSets()
	if err != nil {
		return nil, err
	}
	return append(plan, others...), nil
}

// planBlueGreenOtherReplicaSets is Argo's scaleDownOldReplicaSetsForBlueGreen:
// newest revision first, referenced ReplicaSets skipped, each old
// ReplicaSet annotated with a scale-down deadline and held at spec.replicas
// until it passes.
func (c *rolloutContext) planBlueGreenOtherReplicaSets() ([]ScaleIntent, error) {
	ro := c.ro
	bg := c.blueGreen()
	var others []*appsv1.ReplicaSet
	for _, rs := range c.otherRSs {
		if specReplicas(rs) > 0 {
			others = append(others, rs)
		}
	}
	if len(others) == 0 {
		return nil, nil
	}
	if pauseCondition(ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return nil, nil
	}
	if bg.PostPromotionAnalysis != nil && bg.ScaleDownDelaySeconds == nil && !c.skipPostPromotionAnalysisRun(c.ars.post) {
		if c.ars.post == nil || c.ars.post.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			return nil, nil
		}
	}
	sort.SliceStable(others, func(i, j int) bool { return revisionOf(others[i]) > revisionOf(others[j]) })
	r := replicas.Replicas(ro)
	limit := int32(-1)
	if bg.ScaleDownDelayRevisionLimit != nil {
		limit = *bg.ScaleDownDelayRevisionLimit
	}
	delay := 30 * time.Second
	if bg.ScaleDownDelaySeconds != nil {
		delay = time.Duration(*bg.ScaleDownDelaySeconds) * time.Second
	}
	underLimit := func(n int32) bool { return limit < 0 || n < limit }
	now := c.r.opts.Clock.Now()
	var plan []ScaleIntent
	var annotated int32
	for _, rs := range others {
		if c.isReferenced(rs) {
			continue
		}
		cur := specReplicas(rs)
		to, reason := int32(0), "old ReplicaSet: scaleDownDelayRevisionLimit reached"
		s, has := rs.Annotations[AnnotationScaleDownDeadline]
		switch {
		case !has:
			if underLimit(annotated) {
				annotated++
				to = cur
				// A delay of 0 writes no deadline and keeps the ReplicaSet, as
				// Argo's addScaleDownDelay does.
				if delay > 0 {
					if err := c.addScaleDownDeadline(rs, delay, "scaleDownDelaySeconds"); err != nil {
						return nil, err
					}
				}
			}
		default:
			annotated++
			if !underLimit(annotated - 1) {
				break
			}
			t, err := time.Parse(time.RFC3339, s)
			switch {
			case err != nil:
				reason = "old ReplicaSet: unparsable scale-down deadline"
			case t.After(now):
				if remaining := t.Sub(now); remaining < c.r.opts.ResyncPeriod {
					c.enqueueAfter(remaining)
				}
				to, reason = r, "old ReplicaSet: held until its scale-down deadline"
			default:
				reason = "old ReplicaSet: scale-down deadline passed"
			}
		}
		if to == cur {
			continue
		}
		plan = append(plan, ScaleIntent{RS: rs, From: cur, To: to, Reason: reason})
	}
	return plan, nil
}

// skipPrePromotionAnalysisRun: no pre-promotion run is wanted (promoted,
// initial deploy, active already the new ReplicaSet) or, without a current
// run, the preview is not yet at its full (or previewReplicaCount) size.
func (c *rolloutContext) skipPrePromotionAnalysisRun(cur *v1alpha1.AnalysisRun) bool {
	ro := c.ro
	h := podHash(c.newRS)
	active := ro.Status.BlueGreen.ActiveSelector
	if ro.Status.StableRS == h || active == "" || active == h || h == "" {
		return true
	}
	if cur != nil {
		return false
	}
	if p := c.blueGreen().PreviewReplicaCount; p != nil {
		return specReplicas(c.newRS) != *p || c.newRS.Status.AvailableReplicas != *p
	}
	return !IsSaturated(ro, c.newRS)
}

// skipPostPromotionAnalysisRun: no post-promotion run is wanted (promoted,
// active not yet the new ReplicaSet) or, without a current run, the new
// ReplicaSet is not saturated.
func (c *rolloutContext) skipPostPromotionAnalysisRun(cur *v1alpha1.AnalysisRun) bool {
	ro := c.ro
	h := podHash(c.newRS)
	if ro.Status.StableRS == h || ro.Status.BlueGreen.ActiveSelector != h || h == "" {
		return true
	}
	if cur != nil {
		return false
	}
	return !IsSaturated(ro, c.newRS)
}

// reconcileBlueGreenAnalysisRuns is the blue-green part of Argo's
// reconcileAnalysisRuns: pre- and post-promotion runs; a finished run stays
// current (and in the status) once the rollout is promoted or aborted.
func (c *rolloutContext) reconcileBlueGreenAnalysisRuns() error {
	ro := c.ro
	fullyPromoted := ro.Status.StableRS == ro.Status.CurrentPodHash
	pre, post := c.ars.pre, c.ars.post
	if fullyPromoted || c.pause.aborted() || ro.Status.PromoteFull || c.isFastRollback() || ro.Status.StableRS == "" {
		if err := c.cancelAnalysisRuns(pre, post); err != nil {
			return err
		}
	} else {
		var err error
		if pre, err = c.reconcilePromotionAnalysisRun(false); err != nil {
			return err
		}
		c.setPauseOrAbortForBlueGreen(pre, false)
		if post, err = c.reconcilePromotionAnalysisRun(true); err != nil {
			return err
		}
		c.setPauseOrAbortForBlueGreen(post, true)
	}
	var stale []*v1alpha1.AnalysisRun
	for _, ar := range c.otherARs {
		if (pre != nil && ar.Name == pre.Name) || (post != nil && ar.Name == post.Name) {
			continue
		}
		stale = append(stale, ar)
	}
	if err := c.cancelAnalysisRuns(stale...); err != nil {
		return err
	}
	c.ars.pre, c.ars.post = pre, post
	c.newStatus.BlueGreen.PrePromotionAnalysisRunStatus = runStatus(pre)
	c.newStatus.BlueGreen.PostPromotionAnalysisRunStatus = runStatus(post)
	return nil
}

// reconcilePromotionAnalysisRun is Argo's reconcilePre/PostPromotionAnalysisRun.
func (c *rolloutContext) reconcilePromotionAnalysisRun(post bool) (*v1alpha1.AnalysisRun, error) {
	bg := c.blueGreen()
	cur, ra, infix, runType := c.ars.pre, bg.PrePromotionAnalysis, "pre", rolloutTypePrePromotion
	skip := c.skipPrePromotionAnalysisRun
	if post {
		cur, ra, infix, runType = c.ars.post, bg.PostPromotionAnalysis, "post", rolloutTypePostPromotion
		skip = c.skipPostPromotionAnalysisRun
	}
	if ra == nil || len(ra.Templates) == 0 {
		return nil, c.cancelAnalysisRuns(cur)
	}
	if skip(cur) {
		return cur, c.cancelAnalysisRuns(cur)
	}
	if pauseCondition(c.ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return cur, nil
	}
	if needsNewAnalysisRun(cur, c.ro) {
		return c.createAnalysisRun(ra, infix, runType, -1)
	}
	return cur, nil
}

func (c *rolloutContext) setPauseOrAbortForBlueGreen(ar *v1alpha1.AnalysisRun, post bool) {
	if ar == nil {
		return
	}
	switch ar.Status.Phase {
	case v1alpha1.AnalysisPhaseInconclusive:
		c.pause.add = append(c.pause.add, v1alpha1.PauseReasonInconclusiveAnalysis)
	case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
		msg := "Blue/green pre-promotion analysis phase error/failed"
		if post {
			msg = "Blue/green post-promotion analysis phase error/failed"
		}
		if ar.Status.Message != "" {
			msg += ": " + ar.Status.Message
		}
		c.pause.AddAbort(msg)
	}
}

// shouldFullPromoteBlueGreen is the blue-green branch of Argo's
// shouldFullPromote: the reason to declare the new ReplicaSet stable, or "".
func (c *rolloutContext) shouldFullPromoteBlueGreen(st *v1alpha1.RolloutStatus) string {
	ro := c.ro
	if c.stableRS == nil {
		return "Initial deploy"
	}
	if st.BlueGreen.ActiveSelector == "" {
		// The active Service only gets a hash once a stable exists.
		return "Initial deploy"
	}
	if st.BlueGreen.ActiveSelector != st.CurrentPodHash {
		return ""
	}
	if ro.Status.PromoteFull {
		return "Full promotion requested"
	}
	if c.isFastRollback() {
		if c.isRollbackWithinWindow() {
			return "Rollback within window"
		}
		return "Fast rollback"
	}
	if c.pause.aborted() {
		return ""
	}
	if c.blueGreen().PostPromotionAnalysis != nil {
		if c.ars.post == nil || c.ars.post.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			return ""
		}
	}
	return "Completed blue-green update"
}

// calculateScaleUpPreviewCheckPoint: a one-way trip-wire, set once the
// preview has previewReplicaCount available pods and the pause and
// pre-promotion analysis are done; it lets the preview grow to R.
func (c *rolloutContext) calculateScaleUpPreviewCheckPoint() bool {
	ro := c.ro
	p := c.blueGreen().PreviewReplicaCount
	if p == nil {
		return false
	}
	if ro.Status.BlueGreen.ScaleUpPreviewCheckPoint {
		return true
	}
	if !c.completedPrePromotionAnalysis() || !c.completedBlueGreenPause() {
		return false
	}
	return c.newRS != nil && *p == c.newRS.Status.AvailableReplicas
}

// syncStatusBlueGreen is Argo's syncRolloutStatusBlueGreen: reset on a
// template change, selectors read back from the Services, promotion,
// counters from the active ReplicaSet, then the persist.
func (c *rolloutContext) syncStatusBlueGreen() error {
	ro := c.ro
	st := c.baseStatus()
	st.StableRS = ro.Status.StableRS
	if c.blueGreenTemplateChanged() {
		c.pause.clearAll = true
		c.pause.removeAbort = true
		st.PromoteFull = false
		st.BlueGreen.PrePromotionAnalysisRunStatus = nil
		st.BlueGreen.PostPromotionAnalysisRunStatus = nil
		st.BlueGreen.ScaleUpPreviewCheckPoint = false
		c.note("rollout", ro.Name, "event", "RolloutUpdated", fmt.Sprintf("Rollout updated to revision %d", revisionOf(c.newRS)))
	}
	if ro.Status.PromoteFull || c.isRollbackWithinWindow() {
		c.pause.clearAll = true
		c.pause.removeAbort = true
	}
	st.BlueGreen.PreviewSelector = selectorHash(c.bg.preview)
	st.BlueGreen.ActiveSelector = selectorHash(c.bg.active)
	if reason := c.shouldFullPromoteBlueGreen(&st); reason != "" {
		c.promoteStable(&st, reason)
	} else {
		// Like Argo, a template change does not reset a checkpoint that was
		// already set: the recalculation keeps it.
		st.BlueGreen.ScaleUpPreviewCheckPoint = c.calculateScaleUpPreviewCheckPoint()
	}
	c.blueGreenCounters(&st, st.BlueGreen.ActiveSelector)
	return c.persist(&st)
}

// blueGreenCounters takes the availability counters from the active
// ReplicaSet, or from all ReplicaSets before there is one.
func (c *rolloutContext) blueGreenCounters(st *v1alpha1.RolloutStatus, activeHash string) {
	var active *appsv1.ReplicaSet
	if activeHash != "" {
		for _, rs := range c.allRSs {
			if podHash(rs) == activeHash {
				active = rs
			}
		}
	}
	if active == nil {
		st.HPAReplicas = sumReplicas(c.allRSs, statusReplicas)
		st.Selector = metav1.FormatLabelSelector(c.ro.Spec.Selector)
		st.AvailableReplicas = sumReplicas(c.allRSs, availableReplicas)
		return
	}
	st.HPAReplicas = active.Status.Replicas
	st.Selector = metav1.FormatLabelSelector(active.Spec.Selector)
	st.AvailableReplicas = active.Status.AvailableReplicas
	st.ReadyReplicas = active.Status.ReadyReplicas
}

// syncReplicasOnlyBlueGreen is the blue-green scaling-event path: ReplicaSet
// sizes only, counters refreshed, nothing else.
func (c *rolloutContext) syncReplicasOnlyBlueGreen() error {
	if err := c.loadBlueGreenServices(); err != nil {
		return err
	}
	if err := c.loadAnalysisRuns(); err != nil {
		return err
	}
	if err := c.reconcileBlueGreenReplicaSets(); err != nil {
		return err
	}
	st := c.ro.Status.DeepCopy()
	ready := st.ReadyReplicas
	c.blueGreenCounters(st, st.BlueGreen.ActiveSelector)
	st.ReadyReplicas = ready
	st.Selector = c.ro.Status.Selector
	return c.persist(st)
}

// validateBlueGreen is the blue-green part of validate.
func (c *rolloutContext) validateBlueGreen() string {
	ro := c.ro
	bg := ro.Spec.Strategy.BlueGreen
	if bg.ActiveService == "" {
		return "spec.strategy.blueGreen.activeService: Required value"
	}
	if bg.ActiveService == bg.PreviewService {
		// Argo reports this one under spec.strategy (not .blueGreen).
		return fmt.Sprintf("spec.strategy.activeService: Invalid value: %q: This rollout uses the same service for the active and preview services, but two different services are required.", bg.ActiveService)
	}
	limit := int32(10)
	if ro.Spec.RevisionHistoryLimit != nil {
		limit = *ro.Spec.RevisionHistoryLimit
	}
	if bg.ScaleDownDelayRevisionLimit != nil && limit < *bg.ScaleDownDelayRevisionLimit {
		return fmt.Sprintf("spec.strategy.scaleDownDelayRevisionLimit: Invalid value: %d: This rollout's revision history limit can not be smaller than the rollout's scale down limit", *bg.ScaleDownDelayRevisionLimit)
	}
	for _, s := range []struct{ field, name string }{{"activeService", bg.ActiveService}, {"previewService", bg.PreviewService}} {
		if s.name == "" {
			continue
		}
		path := "spec.strategy.blueGreen." + s.field
		svc := &corev1.Service{}
		if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: ro.Namespace, Name: s.name}, svc); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Sprintf("%s: Invalid value: %q: service %q not found", path, s.name, s.name)
			}
			return err.Error()
		}
		for _, k := range slices.Sorted(maps.Keys(svc.Spec.Selector)) {
			if k == LabelPodTemplateHash {
				continue
			}
			if v, ok := ro.Spec.Template.Labels[k]; !ok || v != svc.Spec.Selector[k] {
				return fmt.Sprintf("%s: Invalid value: %q: Service %q has unmatch label %q in rollout", path, s.name, s.name, k)
			}
		}
		if owner := svc.Annotations[AnnotationManagedBy]; owner != "" && owner != ro.Name {
			return fmt.Sprintf("%s: Invalid value: %q: Service %q is managed by another Rollout", path, s.name, s.name)
		}
	}
	for _, a := range []struct {
		field string
		ra    *v1alpha1.RolloutAnalysis
	}{{"prePromotionAnalysis", bg.PrePromotionAnalysis}, {"postPromotionAnalysis", bg.PostPromotionAnalysis}} {
		if a.ra == nil {
			continue
		}
		if msg := c.validatePromotionTemplates("spec.strategy.blueGreen."+a.field+".templates", a.ra.Templates); msg != "" {
			return msg
		}
	}
	return ""
}

// validatePromotionTemplates: the templates exist and none has a metric that
// runs indefinitely.
func (c *rolloutContext) validatePromotionTemplates(path string, refs []v1alpha1.AnalysisTemplateRef) string {
	for _, ref := range refs {
		var metrics []v1alpha1.Metric
		kind := "AnalysisTemplate"
		var err error
		if ref.IsClusterScope() {
			kind = "ClusterAnalysisTemplate"
			var t *v1alpha1.ClusterAnalysisTemplate
			if t, err = c.getClusterTemplate(ref.TemplateName); err == nil {
				metrics = t.Spec.Metrics
			}
		} else {
			var t *v1alpha1.AnalysisTemplate
			if t, err = c.getTemplate(ref.TemplateName); err == nil {
				metrics = t.Spec.Metrics
			}
		}
		if apierrors.IsNotFound(err) {
			return fmt.Sprintf("%s: Invalid value: %q: %s '%s' not found", path, ref.TemplateName, kind, ref.TemplateName)
		}
		if err != nil {
			return err.Error()
		}
		for i := range metrics {
			if metrics[i].EffectiveCount() == nil {
				return fmt.Sprintf("%s: Invalid value: %q: AnalysisTemplate %s has metric %s which runs indefinitely. Invalid value for count: %s",
					path, ref.TemplateName, ref.TemplateName, metrics[i].Name, metrics[i].Count)
			}
		}
	}
	return ""
}
