package controller

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AnalysisRun labels Argo sets.
const (
	rolloutTypeBackground = "Background"
	rolloutTypeStep       = "Step"
)

func (c *rolloutContext) loadAnalysisRuns() error {
	list := &v1alpha1.AnalysisRunList{}
	if err := c.r.opts.Client.List(c.ctx, list, client.InNamespace(c.ro.Namespace)); err != nil {
		return fmt.Errorf("list analysis runs of rollout %s: %w", c.ro.Name, err)
	}
	st := c.ro.Status.Canary
	bg := c.ro.Status.BlueGreen
	for i := range list.Items {
		ar := &list.Items[i]
		if !ownedBy(ar.OwnerReferences, "Rollout", c.ro.Name) {
			continue
		}
		switch {
		case st.CurrentStepAnalysisRunStatus != nil && ar.Name == st.CurrentStepAnalysisRunStatus.Name:
			c.ars.step = ar
		case st.CurrentBackgroundAnalysisRunStatus != nil && ar.Name == st.CurrentBackgroundAnalysisRunStatus.Name:
			c.ars.background = ar
		case bg.PrePromotionAnalysisRunStatus != nil && ar.Name == bg.PrePromotionAnalysisRunStatus.Name:
			c.ars.pre = ar
		case bg.PostPromotionAnalysisRunStatus != nil && ar.Name == bg.PostPromotionAnalysisRunStatus.Name:
			c.ars.post = ar
		default:
			c.otherARs = append(c.otherARs, ar)
		}
	}
	return nil
}

// reconcileAnalysisRuns is Argo's reconcileAnalysisRuns. Blue-green loads
// its runs at the start of the reconcile (the pause and the active Service
// read them first) and has its own pre/post-promotion part.
func (c *rolloutContext) reconcileAnalysisRuns() error {
	if isBlueGreen(c.ro) {
		return c.reconcileBlueGreenAnalysisRuns()
	}
	if err := c.loadAnalysisRuns(); err != nil {
		return err
	}
	ro := c.ro
	fullyPromoted := ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash
	fastRollback := c.isFastRollback()
	initial := ro.Status.StableRS == ""
	var step, background *v1alpha1.AnalysisRun
	if fullyPromoted || c.pause.aborted() || ro.Status.PromoteFull || fastRollback || initial {
		if err := c.cancelAnalysisRuns(c.ars.step, c.ars.background); err != nil {
			return err
		}
	} else {
		var err error
		if step, err = c.reconcileStepAnalysisRun(); err != nil {
			return err
		}
		if background, err = c.reconcileBackgroundAnalysisRun(); err != nil {
			return err
		}
	}
	c.newStatus.Canary.CurrentStepAnalysisRunStatus = runStatus(step)
	c.newStatus.Canary.CurrentBackgroundAnalysisRunStatus = runStatus(background)
	// Runs that are no longer current are terminated.
	var stale []*v1alpha1.AnalysisRun
	stale = append(stale, c.otherARs...)
	if step == nil && c.ars.step != nil {
		stale = append(stale, c.ars.step)
	}
	if background == nil && c.ars.background != nil {
		stale = append(stale, c.ars.background)
	}
	if err := c.cancelAnalysisRuns(stale...); err != nil {
		return err
	}
	c.ars.step, c.ars.background = step, background
	return nil
}

func runStatus(ar *v1alpha1.AnalysisRun) *v1alpha1.RolloutAnalysisRunStatus {
	if ar == nil {
		return nil
	}
	return &v1alpha1.RolloutAnalysisRunStatus{Name: ar.Name, Status: ar.Status.Phase, Message: ar.Status.Message}
}

func (c *rolloutContext) cancelAnalysisRuns(runs ...*v1alpha1.AnalysisRun) error {
	for _, ar := range runs {
		if ar == nil || ar.Spec.Terminate || ar.Status.Phase.Completed() {
			continue
		}
		cp := ar.DeepCopy()
		patch := client.MergeFrom(ar.DeepCopy())
		cp.Spec.Terminate = true
		if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("terminate analysis run %s: %w", ar.Name, err)
		}
		// The reconcile's own copy: a second cancel in the same reconcile
		// (the run is both current and stale) must not patch and note twice.
		ar.Spec.Terminate = true
		c.note("analysisrun", ar.Name, "event", "AnalysisRunTerminated", "run is no longer current: spec.terminate set")
	}
	return nil
}

func needsNewAnalysisRun(cur *v1alpha1.AnalysisRun, ro *v1alpha1.Rollout) bool {
	if cur == nil {
		return true
	}
	if ro.Status.ControllerPause && pauseCondition(ro, v1alpha1.PauseReasonCanaryPauseStep) == nil &&
		pauseCondition(ro, v1alpha1.PauseReasonBlueGreenPause) == nil {
		return cur.Status.Phase == v1alpha1.AnalysisPhaseInconclusive
	}
	return ro.Status.AbortedAt != nil
}

func (c *rolloutContext) reconcileBackgroundAnalysisRun() (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	cur := c.ars.background
	a := c.canary().Analysis
	if a == nil || len(a.Templates) == 0 {
		return nil, c.cancelAnalysisRuns(cur)
	}
	fullyPromoted := ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash
	if fullyPromoted || ro.Status.StableRS == "" || ro.Status.CurrentPodHash == "" || c.beforeStartingStep() {
		return nil, nil
	}
	if pauseCondition(ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return cur, nil
	}
	if needsNewAnalysisRun(cur, ro) {
		return c.createAnalysisRun(&a.RolloutAnalysis, "", rolloutTypeBackground, -1)
	}
	switch cur.Status.Phase {
	case v1alpha1.AnalysisPhaseInconclusive:
		c.pause.add = append(c.pause.add, v1alpha1.PauseReasonInconclusiveAnalysis)
	case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
		msg := "Background analysis phase error/failed"
		if cur.Status.Message != "" {
			msg += ": " + cur.Status.Message
		}
		c.pause.AddAbort(msg)
	}
	return cur, nil
}

func (c *rolloutContext) beforeStartingStep() bool {
	a := c.canary().Analysis
	if a == nil || a.StartingStep == nil {
		return false
	}
	_, idx := currentStep(c.ro)
	if idx == nil {
		return false
	}
	return *idx < *a.StartingStep
}

func (c *rolloutContext) reconcileStepAnalysisRun() (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	step, idx := currentStep(ro)
	cur := c.ars.step
	if len(ro.Status.PauseConditions) > 0 || ro.Status.Abort {
		return cur, nil
	}
	fromPrevious := step != nil && step.Analysis != nil && cur != nil && idx != nil &&
		cur.Labels[LabelStepIndex] != strconv.Itoa(int(*idx))
	if step == nil || step.Analysis == nil || len(step.Analysis.Templates) == 0 || idx == nil || fromPrevious {
		return nil, c.cancelAnalysisRuns(cur)
	}
	if needsNewAnalysisRun(cur, ro) {
		return c.createAnalysisRun(step.Analysis, strconv.Itoa(int(*idx)), rolloutTypeStep, int(*idx))
	}
	switch cur.Status.Phase {
	case v1alpha1.AnalysisPhaseInconclusive:
		c.pause.add = append(c.pause.add, v1alpha1.PauseReasonInconclusiveAnalysis)
	case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
		msg := "Step-based analysis phase error/failed"
		if cur.Status.Message != "" {
			msg += ": " + cur.Status.Message
		}
		c.pause.AddAbort(msg)
	}
	return cur, nil
}

func (c *rolloutContext) getTemplate(name string) (*v1alpha1.AnalysisTemplate, error) {
	t := &v1alpha1.AnalysisTemplate{}
	if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: c.ro.Namespace, Name: name}, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (c *rolloutContext) getClusterTemplate(name string) (*v1alpha1.ClusterAnalysisTemplate, error) {
	t := &v1alpha1.ClusterAnalysisTemplate{}
	if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Name: name}, t); err != nil {
		return nil, err
	}
	return t, nil
}

// createAnalysisRun builds an AnalysisRun from the rollout's templates and
// args, named <rollout>-<hash>-<revision>[-<infix>] with Argo's .N suffix on
// a name collision.
func (c *rolloutContext) createAnalysisRun(ra *v1alpha1.RolloutAnalysis, infix, runType string, stepIndex int) (*v1alpha1.AnalysisRun, error) {
	ro := c.ro
	if c.newRS == nil {
		return nil, nil
	}
	stableHash := ""
	if c.stableRS != nil {
		stableHash = c.stableRS.Labels[LabelPodTemplateHash]
	}
	podHash := c.newRS.Labels[LabelPodTemplateHash]
	args, err := analysis.ResolveArgs(ra.Args, stableHash, podHash, ro)
	if err != nil {
		return nil, fmt.Errorf("resolve analysis args of rollout %s: %w", ro.Name, err)
	}
	templates, clusterTemplates, err := analysis.CollectTemplates(ra.Templates, c.getTemplate, c.getClusterTemplate)
	if err != nil {
		return nil, fmt.Errorf("resolve analysis templates of rollout %s: %w", ro.Name, err)
	}
	spec, err := analysis.BuildRunSpec(templates, clusterTemplates, args, ra.DryRun, ra.MeasurementRetention)
	if err != nil {
		return nil, fmt.Errorf("build analysis run of rollout %s: %w", ro.Name, err)
	}
	revision := strconv.FormatInt(revisionOf(c.newRS), 10)
	parts := []string{ro.Name, podHash, revision}
	if infix != "" {
		parts = append(parts, infix)
	}
	base := strings.Join(parts, "-")
	labels := map[string]string{LabelPodTemplateHash: podHash, LabelRolloutType: runType}
	if stepIndex >= 0 {
		labels[LabelStepIndex] = strconv.Itoa(stepIndex)
	}
	annotations := map[string]string{AnnotationRevision: revision}
	if md := ra.AnalysisRunMetadata; md != nil {
		for _, k := range slices.Sorted(maps.Keys(md.Labels)) {
			labels[k] = md.Labels[k]
		}
		for _, k := range slices.Sorted(maps.Keys(md.Annotations)) {
			annotations[k] = md.Annotations[k]
		}
	}
	for k, v := range ro.Spec.Selector.MatchLabels {
		labels[k] = v
	}
	isController := true
	for i := 0; i < 100; i++ {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s.%d", base, i)
		}
		ar := &v1alpha1.AnalysisRun{
			ObjectMeta: metav1.ObjectMeta{
				Name: name, Namespace: ro.Namespace, Labels: labels, Annotations: annotations,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Rollout",
					Name: ro.Name, UID: ro.UID, Controller: &isController, BlockOwnerDeletion: &isController}},
			},
			Spec: *spec,
		}
		err := c.r.opts.Client.Create(c.ctx, ar)
		if apierrors.IsAlreadyExists(err) {
			existing := &v1alpha1.AnalysisRun{}
			if gerr := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: ro.Namespace, Name: name}, existing); gerr == nil &&
				!existing.Status.Phase.Completed() && !existing.Spec.Terminate && ownedBy(existing.OwnerReferences, "Rollout", ro.Name) &&
				existing.Labels[LabelPodTemplateHash] == podHash {
				return existing, nil
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create analysis run %s: %w", name, err)
		}
		names := make([]string, 0, len(ra.Templates))
		for _, t := range ra.Templates {
			names = append(names, t.TemplateName)
		}
		what := strings.ToLower(runType)
		switch runType {
		case rolloutTypePrePromotion:
			what = "pre-promotion"
		case rolloutTypePostPromotion:
			what = "post-promotion"
		}
		if stepIndex >= 0 {
			what = fmt.Sprintf("step %d", stepIndex)
		}
		c.note("analysisrun", name, "created", "AnalysisRunCreated", fmt.Sprintf("%s, templates [%s]", what, strings.Join(names, ", ")))
		return ar, nil
	}
	return nil, fmt.Errorf("create analysis run %s: too many name collisions", base)
}

// deleteAnalysisRunsOf removes the runs of a ReplicaSet removed by the
// revision history clean-up.
func (c *rolloutContext) deleteAnalysisRunsOf(rs *appsv1.ReplicaSet) error {
	list := &v1alpha1.AnalysisRunList{}
	if err := c.r.opts.Client.List(c.ctx, list, client.InNamespace(c.ro.Namespace)); err != nil {
		return fmt.Errorf("list analysis runs: %w", err)
	}
	h := rs.Labels[LabelPodTemplateHash]
	for i := range list.Items {
		ar := &list.Items[i]
		if !ownedBy(ar.OwnerReferences, "Rollout", c.ro.Name) || ar.Labels[LabelPodTemplateHash] != h {
			continue
		}
		if err := c.r.opts.Client.Delete(c.ctx, ar); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete analysis run %s: %w", ar.Name, err)
		}
		c.note("analysisrun", ar.Name, "deleted", "RevisionHistoryLimit", "run of a removed ReplicaSet")
	}
	return nil
}
