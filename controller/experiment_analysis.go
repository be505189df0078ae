package controller

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reconcileAnalysis creates, follows or terminates the AnalysisRun of one
// experiment analysis (Argo's reconcileAnalysisRun). Runs start only once
// the experiment is available; before that the template is only checked to
// exist.
func (ec *experimentContext) reconcileAnalysis(a v1alpha1.ExperimentAnalysisTemplateRef) {
	prev := analysisStatusOf(ec.ex.Status, a.Name)
	if prev == nil {
		prev = &v1alpha1.ExperimentAnalysisRunStatus{Name: a.Name}
	}
	cur := *prev
	defer func() {
		if prev.Phase != cur.Phase && cur.Phase != "" {
			msg := fmt.Sprintf("AnalysisRun '%s' transitioned from %s -> %s", a.Name, prev.Phase, cur.Phase)
			if cur.Message != "" {
				msg += ": " + cur.Message
			}
			ec.note("experiment", ec.ex.Name, "event", "AnalysisRun"+string(cur.Phase), msg)
		}
		setAnalysisStatus(ec.st, cur)
	}()
	if ec.ex.Status.AvailableAt == nil {
		if err := ec.verifyAnalysisTemplate(a); err != nil {
			kind := "AnalysisTemplate"
			if a.IsClusterScope() {
				kind = "ClusterAnalysisTemplate"
			}
			cur.Phase = v1alpha1.AnalysisPhaseError
			cur.Message = fmt.Sprintf("%s verification failed for analysis '%s': %v", kind, a.Name, err)
		}
		return
	}
	if prev.AnalysisRun == "" {
		if ec.terminating {
			return
		}
		run, err := ec.createAnalysisRun(a)
		if err != nil {
			cur.Phase = v1alpha1.AnalysisPhaseError
			cur.Message = fmt.Sprintf("Failed to create AnalysisRun for analysis '%s': %v", a.Name, err)
			return
		}
		cur.Phase, cur.AnalysisRun = v1alpha1.AnalysisPhasePending, run.Name
		return
	}
	if prev.Phase.Completed() {
		return
	}
	run := &v1alpha1.AnalysisRun{}
	if err := ec.r.opts.Client.Get(ec.ctx, types.NamespacedName{Namespace: ec.ex.Namespace, Name: prev.AnalysisRun}, run); err != nil {
		cur.Phase, cur.Message = v1alpha1.AnalysisPhaseError, err.Error()
		return
	}
	if ec.terminating {
		if !run.Status.Phase.Completed() && !run.Spec.Terminate {
			cp := run.DeepCopy()
			patch := client.MergeFrom(run.DeepCopy())
			cp.Spec.Terminate = true
			if err := ec.r.opts.Client.Patch(ec.ctx, cp, patch); err != nil {
				cur.Phase, cur.Message = v1alpha1.AnalysisPhaseError, err.Error()
				return
			}
			ec.note("experiment", ec.ex.Name, "event", "AnalysisRunTerminating", fmt.Sprintf("Terminating %s (%s)", a.Name, run.Name))
		}
		return
	}
	cur.Phase, cur.Message = run.Status.Phase, run.Status.Message
}

// verifyAnalysisTemplate checks the analysis' template exists; a missing
// one reads as Argo's lister says it ("analysistemplate.argoproj.io "x" not
// found").
func (ec *experimentContext) verifyAnalysisTemplate(a v1alpha1.ExperimentAnalysisTemplateRef) error {
	var err error
	resource := "analysistemplate"
	if a.IsClusterScope() {
		resource = "clusteranalysistemplate"
		err = ec.r.opts.Client.Get(ec.ctx, types.NamespacedName{Name: a.TemplateName}, &v1alpha1.ClusterAnalysisTemplate{})
	} else {
		err = ec.r.opts.Client.Get(ec.ctx, types.NamespacedName{Namespace: ec.ex.Namespace, Name: a.TemplateName}, &v1alpha1.AnalysisTemplate{})
	}
	if apierrors.IsNotFound(err) {
		return apierrors.NewNotFound(v1alpha1.Resource(resource), a.TemplateName)
	}
	return err
}

// experimentArgs resolves the {{templates.<name>.podTemplateHash}},
// {{templates.<name>.replicaset.name}}, {{experiment.availableAt}} and
// {{experiment.finishedAt}} placeholders in the analysis' argument values;
// only values are kept (Argo drops valueFrom here).
func (ec *experimentContext) experimentArgs(args []v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	values := map[string]string{}
	if at := ec.ex.Status.AvailableAt; at != nil {
		values["experiment.availableAt"] = at.UTC().Format(time.RFC3339)
		if ec.ex.Spec.Duration != "" {
			d, err := ec.ex.Spec.Duration.Duration()
			if err != nil {
				return nil, err
			}
			values["experiment.finishedAt"] = at.Add(d).UTC().Format(time.RFC3339)
		}
	}
	for _, t := range ec.ex.Spec.Templates {
		if rs, ok := ec.rss[t.Name]; ok && rs != nil {
			values["templates."+t.Name+".podTemplateHash"] = rs.Labels[LabelPodTemplateHash]
			values["templates."+t.Name+".replicaset.name"] = rs.Name
		}
	}
	out := []v1alpha1.Argument{}
	for _, a := range args {
		r := v1alpha1.Argument{Name: a.Name}
		if a.Value != nil {
			v, err := substituteTags(*a.Value, values)
			if err != nil {
				return nil, err
			}
			r.Value = &v
		}
		out = append(out, r)
	}
	return out, nil
}

// substituteTags replaces each {{tag}} (whitespace-trimmed) by its value;
// an unknown tag becomes "" and is reported as `failed to resolve {{tag}}`.
func substituteTags(s string, values map[string]string) (string, error) {
	var b strings.Builder
	var unresolved error
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), unresolved
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return "", fmt.Errorf("Cannot find end tag=%q in the template=%q starting from %q", "}}", s, s[i+2:])
		}
		b.WriteString(s[:i])
		tag := s[i+2 : i+2+j]
		if v, ok := values[strings.TrimSpace(tag)]; ok {
			b.WriteString(v)
		} else {
			unresolved = fmt.Errorf("failed to resolve {{%s}}", tag)
		}
		s = s[i+2+j+2:]
	}
}

// createAnalysisRun creates the run <experiment>-<analysis> from the
// analysis' template, with Argo's .N suffix on a name collision (an
// unfinished equal run of this experiment is taken as its own).
func (ec *experimentContext) createAnalysisRun(a v1alpha1.ExperimentAnalysisTemplateRef) (*v1alpha1.AnalysisRun, error) {
	args, err := ec.experimentArgs(a.Args)
	if err != nil {
		return nil, err
	}
	getT := func(name string) (*v1alpha1.AnalysisTemplate, error) {
		t := &v1alpha1.AnalysisTemplate{}
		return t, ec.r.opts.Client.Get(ec.ctx, types.NamespacedName{Namespace: ec.ex.Namespace, Name: name}, t)
	}
	getCT := func(name string) (*v1alpha1.ClusterAnalysisTemplate, error) {
		t := &v1alpha1.ClusterAnalysisTemplate{}
		return t, ec.r.opts.Client.Get(ec.ctx, types.NamespacedName{Name: name}, t)
	}
	refs := []v1alpha1.AnalysisTemplateRef{{TemplateName: a.TemplateName, ClusterScope: a.ClusterScope}}
	templates, clusterTemplates, err := analysis.CollectTemplates(refs, getT, getCT)
	if err != nil {
		return nil, err
	}
	spec, err := analysis.BuildRunSpec(templates, clusterTemplates, args, ec.ex.Spec.DryRun, ec.ex.Spec.MeasurementRetention)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	annotations := map[string]string{}
	md := ec.ex.Spec.AnalysisRunMetadata
	for _, k := range slices.Sorted(maps.Keys(md.Labels)) {
		labels[k] = md.Labels[k]
	}
	for _, k := range slices.Sorted(maps.Keys(md.Annotations)) {
		annotations[k] = md.Annotations[k]
	}
	base := ec.ex.Name + "-" + a.Name
	isController := true
	for i := 0; i < 100; i++ {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s.%d", base, i)
		}
		run := &v1alpha1.AnalysisRun{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ec.ex.Namespace, Labels: labels, Annotations: annotations,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Experiment",
					Name: ec.ex.Name, UID: ec.ex.UID, Controller: &isController, BlockOwnerDeletion: &isController}}},
			Spec: *spec,
		}
		err := ec.r.opts.Client.Create(ec.ctx, run)
		if apierrors.IsAlreadyExists(err) {
			existing := &v1alpha1.AnalysisRun{}
			if gerr := ec.r.opts.Client.Get(ec.ctx, types.NamespacedName{Namespace: ec.ex.Namespace, Name: name}, existing); gerr == nil &&
				!existing.Status.Phase.Completed() && ownedByUID(existing.OwnerReferences, ec.ex.UID) &&
				equality.Semantic.DeepEqual(existing.Spec, run.Spec) {
				return existing, nil
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		ec.note("analysisrun", name, "created", "AnalysisRunCreated", fmt.Sprintf("experiment %s analysis '%s', template %s", ec.ex.Name, a.Name, a.TemplateName))
		return run, nil
	}
	return nil, fmt.Errorf("create analysis run %s: too many name collisions", base)
}

func ownedByUID(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid && r.Controller != nil && *r.Controller {
			return true
		}
	}
	return false
}
