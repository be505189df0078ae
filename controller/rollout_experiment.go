package controller

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The Rollout's side of experiments (Argo: rollout/experiment.go): the
// canary experiment step creates an Experiment, waits for it, and pauses or
// aborts on its phase; experiments that are no longer current are
// terminated, and old ones garbage-collected.

const defaultExperimentHistoryLimit = int32(5)

// experimentSet is the rollout's experiments: the one status names as
// current, and the others.
type experimentSet struct {
	current *v1alpha1.Experiment
	others  []*v1alpha1.Experiment
}

func (c *rolloutContext) loadExperiments() error {
	list := &v1alpha1.ExperimentList{}
	if err := c.r.opts.Client.List(c.ctx, list, client.InNamespace(c.ro.Namespace)); err != nil {
		return fmt.Errorf("list experiments of rollout %s: %w", c.ro.Name, err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	c.exs = experimentSet{}
	for i := range list.Items {
		ex := &list.Items[i]
		if !ownedBy(ex.OwnerReferences, "Rollout", c.ro.Name) {
			continue
		}
		if name := c.ro.Status.Canary.CurrentExperiment; name != "" && ex.Name == name {
			c.exs.current = ex
			continue
		}
		c.exs.others = append(c.exs.others, ex)
	}
	return nil
}

// currentExperimentStep is the latest experiment step at or before the
// current step (Argo's GetCurrentExperimentStep).
func currentExperimentStep(ro *v1alpha1.Rollout) *v1alpha1.RolloutExperimentStep {
	step, idx := currentStep(ro)
	if step == nil {
		return nil
	}
	for i := int(*idx); i >= 0; i-- {
		if s := ro.Spec.Strategy.Canary.Steps[i]; s.Experiment != nil {
			return s.Experiment
		}
	}
	return nil
}

// reconcileExperiments is Argo's reconcileExperiments.
func (c *rolloutContext) reconcileExperiments() error {
	if err := c.loadExperiments(); err != nil {
		return err
	}
	ro := c.ro
	if c.pause.aborted() || ro.Status.PromoteFull {
		return c.cancelExperiments(append(append([]*v1alpha1.Experiment{}, c.exs.others...), c.exs.current), "rollout aborted or fully promoted")
	}
	if pauseCondition(ro, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return nil
	}
	step, idx := currentStep(ro)
	cur := c.exs.current
	if step != nil && step.Experiment != nil {
		if cur == nil {
			if c.stableRS == nil || c.newRS == nil {
				return nil // Argo: no experiment before the stable ReplicaSet exists
			}
			ex, err := experimentFromStep(ro, step.Experiment, *idx, c.stableRS, c.newRS)
			if err != nil {
				return err
			}
			if cur, err = c.createExperiment(ex); err != nil {
				return err
			}
			c.note("experiment", cur.Name, "created", "ExperimentCreated", fmt.Sprintf("Created Experiment '%s' (step %d, templates %s)", cur.Name, *idx, templateNames(cur)))
		}
		switch cur.Status.Phase {
		case v1alpha1.AnalysisPhaseInconclusive:
			c.pause.add = append(c.pause.add, v1alpha1.PauseReasonInconclusiveExperiment)
		case v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseFailed:
			msg := "Experiment analysis phase is error/failed"
			if cur.Status.Message != "" {
				msg += ": " + cur.Status.Message
			}
			c.pause.AddAbort(msg)
		case v1alpha1.AnalysisPhaseSuccessful:
			// the step completes; the experiment is no longer current
		default:
			c.setCurrentExperiment(cur)
		}
	}
	others := c.exs.others
	if cur != nil && (step == nil || step.Experiment == nil) {
		others = append(others, cur)
	}
	if err := c.cancelExperiments(others, "experiment step is over"); err != nil {
		return err
	}
	return c.deleteExperiments(experimentsToDelete(others, c.allRSs, historyLimits(ro)), "experiment history limit")
}

func templateNames(ex *v1alpha1.Experiment) string {
	var names []string
	for _, t := range ex.Spec.Templates {
		names = append(names, t.Name)
	}
	return fmt.Sprint(names)
}

func (c *rolloutContext) setCurrentExperiment(ex *v1alpha1.Experiment) {
	c.exs.current = ex
	c.newStatus.Canary.CurrentExperiment = ex.Name
	for i, o := range c.exs.others {
		if o.Name == ex.Name {
			c.exs.others = append(c.exs.others[:i:i], c.exs.others[i+1:]...)
			break
		}
	}
}

// experimentFromStep builds the step's Experiment: named
// <rollout>-<hash>-<revision>-<step index>, its templates copied from the
// canary or stable ReplicaSet (plus the step's metadata), a template with a
// weight or service getting a Service, the analyses' args resolved as for
// a rollout's own runs.
func experimentFromStep(ro *v1alpha1.Rollout, step *v1alpha1.RolloutExperimentStep, idx int32, stableRS, newRS *appsv1.ReplicaSet) (*v1alpha1.Experiment, error) {
	hash := newRS.Labels[LabelPodTemplateHash]
	revision := strconv.FormatInt(revisionOf(newRS), 10)
	labels := map[string]string{}
	for k, v := range ro.Labels {
		labels[k] = v
	}
	labels[LabelPodTemplateHash] = hash
	isController := true
	ex := &v1alpha1.Experiment{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%s-%s-%d", ro.Name, hash, revision, idx), Namespace: ro.Namespace, Labels: labels,
			Annotations: map[string]string{AnnotationRevision: revision},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Rollout",
				Name: ro.Name, UID: ro.UID, Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec: v1alpha1.ExperimentSpec{
			Duration: step.Duration, ProgressDeadlineSeconds: ro.Spec.ProgressDeadlineSeconds, DryRun: step.DryRun,
			AnalysisRunMetadata: step.AnalysisRunMetadata, ScaleDownDelaySeconds: step.ScaleDownDelaySeconds,
		},
	}
	for _, ts := range step.Templates {
		t, err := stepTemplate(ts, stableRS, newRS)
		if err != nil {
			return nil, err
		}
		ex.Spec.Templates = append(ex.Spec.Templates, t)
	}
	for _, a := range step.Analyses {
		args, err := analysis.ResolveArgs(a.Args, stableRS.Labels[LabelPodTemplateHash], hash, ro)
		if err != nil {
			return nil, fmt.Errorf("resolve args of experiment analysis %s: %w", a.Name, err)
		}
		ex.Spec.Analyses = append(ex.Spec.Analyses, v1alpha1.ExperimentAnalysisTemplateRef{
			Name: a.Name, TemplateName: a.TemplateName, ClusterScope: a.ClusterScope, Args: args, RequiredForCompletion: a.RequiredForCompletion,
		})
	}
	return ex, nil
}

func stepTemplate(ts v1alpha1.RolloutExperimentTemplate, stableRS, newRS *appsv1.ReplicaSet) (v1alpha1.TemplateSpec, error) {
	t := v1alpha1.TemplateSpec{Name: ts.Name, Replicas: ts.Replicas}
	if ts.Weight != nil || ts.Service != nil {
		t.Service = &v1alpha1.TemplateService{}
		if ts.Service != nil {
			t.Service.Name = ts.Service.Name
		}
	}
	var src *appsv1.ReplicaSet
	switch ts.SpecRef {
	case v1alpha1.CanarySpecRef:
		src = newRS
	case v1alpha1.StableSpecRef:
		src = stableRS
	default:
		return t, fmt.Errorf("Invalid template step SpecRef: must be canary or stable")
	}
	t.Template = *src.Spec.Template.DeepCopy()
	t.MinReadySeconds = src.Spec.MinReadySeconds
	if ts.Selector != nil {
		t.Selector = ts.Selector.DeepCopy()
	} else {
		t.Selector = src.Spec.Selector.DeepCopy()
	}
	if len(ts.Metadata.Labels) > 0 {
		if t.Template.Labels == nil {
			t.Template.Labels = map[string]string{}
		}
		if t.Selector.MatchLabels == nil {
			t.Selector.MatchLabels = map[string]string{}
		}
		for k, v := range ts.Metadata.Labels {
			t.Template.Labels[k] = v
			t.Selector.MatchLabels[k] = v
		}
	}
	if len(ts.Metadata.Annotations) > 0 {
		if t.Template.Annotations == nil {
			t.Template.Annotations = map[string]string{}
		}
		for k, v := range ts.Metadata.Annotations {
			t.Template.Annotations[k] = v
		}
	}
	return t, nil
}

// createExperiment creates ex, naming it <name>-<n> on a collision unless
// the existing one is this rollout's unfinished equal experiment.
func (c *rolloutContext) createExperiment(ex *v1alpha1.Experiment) (*v1alpha1.Experiment, error) {
	base := ex.Name
	for n := 1; n <= 100; n++ {
		err := c.r.opts.Client.Create(c.ctx, ex)
		if err == nil {
			return ex, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create experiment %s: %w", ex.Name, err)
		}
		existing := &v1alpha1.Experiment{}
		if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Name}, existing); err != nil {
			return nil, fmt.Errorf("get experiment %s: %w", ex.Name, err)
		}
		a, b := existing.Spec.DeepCopy(), ex.Spec.DeepCopy()
		a.Terminate, b.Terminate = false, false
		if !existing.Status.Phase.Completed() && equality.Semantic.DeepEqual(a, b) && ownedByUID(existing.OwnerReferences, c.ro.UID) {
			return existing, nil
		}
		ex = ex.DeepCopy()
		ex.ResourceVersion = ""
		ex.Name = fmt.Sprintf("%s-%d", base, n)
	}
	return nil, fmt.Errorf("create experiment %s: too many name collisions", base)
}

func (c *rolloutContext) cancelExperiments(exs []*v1alpha1.Experiment, why string) error {
	for _, ex := range exs {
		if ex == nil || ex.Spec.Terminate || ex.Status.Phase.Completed() {
			continue
		}
		cp := ex.DeepCopy()
		patch := client.MergeFrom(ex.DeepCopy())
		cp.Spec.Terminate = true
		if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("terminate experiment %s: %w", ex.Name, err)
		}
		ex.Spec.Terminate = true
		c.note("experiment", ex.Name, "event", "ExperimentTerminated", "spec.terminate set: "+why)
	}
	return nil
}

func (c *rolloutContext) deleteExperiments(exs []*v1alpha1.Experiment, why string) error {
	for _, ex := range exs {
		if ex.DeletionTimestamp != nil {
			continue
		}
		if err := c.r.opts.Client.Delete(c.ctx, ex); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete experiment %s: %w", ex.Name, err)
		}
		c.note("experiment", ex.Name, "deleted", "ExperimentDeleted", why)
	}
	return nil
}

// deleteExperimentsOf removes the experiments (not the current one) of a
// ReplicaSet removed by the revision history clean-up.
func (c *rolloutContext) deleteExperimentsOf(rs *appsv1.ReplicaSet) error {
	if err := c.loadExperiments(); err != nil {
		return err
	}
	var del []*v1alpha1.Experiment
	for _, ex := range c.exs.others {
		if h, ok := ex.Labels[LabelPodTemplateHash]; ok && h == rs.Labels[LabelPodTemplateHash] {
			del = append(del, ex)
		}
	}
	return c.deleteExperiments(del, "experiment of a removed ReplicaSet")
}

type experimentHistory struct{ successful, unsuccessful int32 }

func historyLimits(ro *v1alpha1.Rollout) experimentHistory {
	h := experimentHistory{defaultExperimentHistoryLimit, defaultExperimentHistoryLimit}
	if a := ro.Spec.Analysis; a != nil {
		if a.SuccessfulRunHistoryLimit != nil {
			h.successful = *a.SuccessfulRunHistoryLimit
		}
		if a.UnsuccessfulRunHistoryLimit != nil {
			h.unsuccessful = *a.UnsuccessfulRunHistoryLimit
		}
	}
	return h
}

// experimentsToDelete is Argo's FilterExperimentsToDelete: experiments with
// no pod-template hash, or whose ReplicaSet is gone or going, and beyond
// the newest `limit` successful and unsuccessful ones.
func experimentsToDelete(exs []*v1alpha1.Experiment, rss []*appsv1.ReplicaSet, limits experimentHistory) []*v1alpha1.Experiment {
	deleting := map[string]bool{}
	for _, rs := range rss {
		if h, ok := rs.Labels[LabelPodTemplateHash]; ok {
			deleting[h] = rs.DeletionTimestamp != nil
		}
	}
	sorted := append([]*v1alpha1.Experiment{}, exs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.Name > b.Name
		}
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	})
	var out []*v1alpha1.Experiment
	var ok, bad int32
	for _, ex := range sorted {
		h, has := ex.Labels[LabelPodTemplateHash]
		gone, known := deleting[h]
		switch {
		case !has || !known || gone:
			out = append(out, ex)
		case ex.Status.Phase == v1alpha1.AnalysisPhaseSuccessful:
			if ok < limits.successful {
				ok++
			} else {
				out = append(out, ex)
			}
		case ex.Status.Phase == v1alpha1.AnalysisPhaseFailed || ex.Status.Phase == v1alpha1.AnalysisPhaseError ||
			ex.Status.Phase == v1alpha1.AnalysisPhaseInconclusive:
			if bad < limits.unsuccessful {
				bad++
			} else {
				out = append(out, ex)
			}
		}
	}
	return out
}

// validateExperimentStep is Argo's rule for template weights: they need
// traffic routing, and one of SMI, ALB, Istio or a plugin. Weights through
// those routers are not simulated yet.
func validateExperimentStep(path string, step *v1alpha1.RolloutExperimentStep, tr *v1alpha1.RolloutTrafficRouting) string {
	for j, t := range step.Templates {
		if t.Weight == nil {
			continue
		}
		field := fmt.Sprintf("%s.experiment.templates[%d].weight", path, j)
		switch {
		case tr == nil:
			return fmt.Sprintf("%s: Invalid value: %d: Experiment template weight cannot be set unless TrafficRouting is enabled", field, *t.Weight)
		case tr.ALB == nil && tr.SMI == nil && tr.Istio == nil && len(tr.Plugins) == 0:
			return fmt.Sprintf("%s: Invalid value: %d: Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time", field, *t.Weight)
		case !routesExperimentWeights(tr):
			return fmt.Sprintf("%s: %v: experiment template weight", field, ErrNotSupported)
		}
	}
	return ""
}

// routesExperimentWeights: the routers that send experiment templates their
// weight (the additional destinations of SetWeight) in rollsim.
func routesExperimentWeights(tr *v1alpha1.RolloutTrafficRouting) bool {
	return tr.Istio != nil && tr.ALB == nil && tr.SMI == nil && len(tr.Plugins) == 0
}

// ExperimentWeightDestinations is the traffic a router sends to the
// current experiment's template Services (Argo's
// calculateWeightDestinationsFromExperiment): one destination per template
// of the latest experiment step that has a weight, while that experiment is
// Running.
func ExperimentWeightDestinations(ro *v1alpha1.Rollout, current *v1alpha1.Experiment) []v1alpha1.WeightDestination {
	step := currentExperimentStep(ro)
	if step == nil || current == nil || current.Status.Phase != v1alpha1.AnalysisPhaseRunning {
		return nil
	}
	weights := map[string]*int32{}
	for _, t := range step.Templates {
		weights[t.Name] = t.Weight
	}
	var out []v1alpha1.WeightDestination
	for _, ts := range current.Status.TemplateStatuses {
		if w := weights[ts.Name]; w != nil {
			out = append(out, v1alpha1.WeightDestination{ServiceName: ts.ServiceName, PodTemplateHash: ts.PodTemplateHash, Weight: *w})
		}
	}
	return out
}
