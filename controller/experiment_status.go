package controller

import (
	"fmt"
	"reflect"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The Experiment's pure rules (Argo: utils/experiment, utils/conditions
// experiments.go, experiments/experiment.go calculateStatus): phases,
// termination, the replicas a template wants, conditions and the wake-up.

const (
	defaultExperimentProgressDeadline = int32(600)
	defaultExperimentScaleDownDelay   = int32(30)
	requiredAnalysisCompletedMessage  = "Required AnalysisRuns completed"
)

func experimentProgressDeadline(ex *v1alpha1.Experiment) int32 {
	if ex.Spec.ProgressDeadlineSeconds != nil {
		return *ex.Spec.ProgressDeadlineSeconds
	}
	return defaultExperimentProgressDeadline
}

func experimentScaleDownDelay(ex *v1alpha1.Experiment) int32 {
	if ex.Spec.ScaleDownDelaySeconds != nil {
		return *ex.Spec.ScaleDownDelaySeconds
	}
	return defaultExperimentScaleDownDelay
}

func templateStatusOf(st v1alpha1.ExperimentStatus, name string) *v1alpha1.TemplateStatus {
	for i := range st.TemplateStatuses {
		if st.TemplateStatuses[i].Name == name {
			return st.TemplateStatuses[i].DeepCopy()
		}
	}
	return nil
}

func setTemplateStatus(st *v1alpha1.ExperimentStatus, ts v1alpha1.TemplateStatus) {
	for i := range st.TemplateStatuses {
		if st.TemplateStatuses[i].Name == ts.Name {
			st.TemplateStatuses[i] = ts
			return
		}
	}
	st.TemplateStatuses = append(st.TemplateStatuses, ts)
}

func analysisStatusOf(st v1alpha1.ExperimentStatus, name string) *v1alpha1.ExperimentAnalysisRunStatus {
	for i := range st.AnalysisRuns {
		if st.AnalysisRuns[i].Name == name {
			cp := st.AnalysisRuns[i]
			return &cp
		}
	}
	return nil
}

func setAnalysisStatus(st *v1alpha1.ExperimentStatus, as v1alpha1.ExperimentAnalysisRunStatus) {
	for i := range st.AnalysisRuns {
		if st.AnalysisRuns[i].Name == as.Name {
			st.AnalysisRuns[i] = as
			return
		}
	}
	st.AnalysisRuns = append(st.AnalysisRuns, as)
}

// requiredAnalysesSuccessful: at least one analysis is requiredForCompletion
// and every such analysis is Successful.
func requiredAnalysesSuccessful(ex *v1alpha1.Experiment, st *v1alpha1.ExperimentStatus) bool {
	has, all := false, true
	for _, a := range ex.Spec.Analyses {
		if !a.RequiredForCompletion {
			continue
		}
		has = true
		if s := analysisStatusOf(*st, a.Name); s == nil || s.Phase != v1alpha1.AnalysisPhaseSuccessful {
			all = false
		}
	}
	return has && all
}

func hasRequiredAnalyses(ex *v1alpha1.Experiment) bool {
	for _, a := range ex.Spec.Analyses {
		if a.RequiredForCompletion {
			return true
		}
	}
	return false
}

// experimentTerminating: terminate was asked for, the experiment ended, a
// template failed or errored, an analysis failed, errored or was
// inconclusive, or every required analysis succeeded.
func experimentTerminating(ex *v1alpha1.Experiment) bool {
	if ex.Spec.Terminate || ex.Status.Phase.Completed() {
		return true
	}
	for _, ts := range ex.Status.TemplateStatuses {
		if ts.Status == v1alpha1.TemplateStatusFailed || ts.Status == v1alpha1.TemplateStatusError {
			return true
		}
	}
	for _, a := range ex.Status.AnalysisRuns {
		switch a.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true
		}
	}
	return requiredAnalysesSuccessful(ex, &ex.Status)
}

// passedDuration reports whether spec.duration has passed since the
// templates became available, and the time left otherwise.
func passedDuration(ex *v1alpha1.Experiment, now time.Time) (bool, time.Duration) {
	if ex.Spec.Duration == "" || ex.Status.AvailableAt == nil {
		return false, 0
	}
	d, err := ex.Spec.Duration.Duration()
	if err != nil {
		return false, 0
	}
	end := ex.Status.AvailableAt.Add(d)
	return now.After(end), end.Sub(now)
}

// templateReplicas is the replica count a template wants now: 0 once the
// experiment ends or terminates or the template completed, else replicas
// (default 1).
func templateReplicas(ex *v1alpha1.Experiment, t v1alpha1.TemplateSpec) int32 {
	if experimentTerminating(ex) {
		return 0
	}
	if ts := templateStatusOf(ex.Status, t.Name); ts != nil && ts.Status.Completed() {
		return 0
	}
	if t.Replicas == nil {
		return 1
	}
	return *t.Replicas
}

var templateStatusOrder = []v1alpha1.TemplateStatusCode{
	v1alpha1.TemplateStatusSuccessful, v1alpha1.TemplateStatusRunning, v1alpha1.TemplateStatusProgressing,
	v1alpha1.TemplateStatusError, v1alpha1.TemplateStatusFailed,
}

func templateIsWorse(cur, next v1alpha1.TemplateStatusCode) bool {
	ci, ni := 0, 0
	for i, c := range templateStatusOrder {
		if c == cur {
			ci = i
		}
		if c == next {
			ni = i
		}
	}
	return ni > ci
}

// assessTemplates is the worst template status as an experiment phase.
func assessTemplates(ex *v1alpha1.Experiment, st *v1alpha1.ExperimentStatus) (v1alpha1.AnalysisPhase, string) {
	worst := v1alpha1.TemplateStatusSuccessful
	msg := ""
	for _, t := range ex.Spec.Templates {
		ts := templateStatusOf(*st, t.Name)
		if ts == nil {
			if templateIsWorse(worst, v1alpha1.TemplateStatusProgressing) {
				worst = v1alpha1.TemplateStatusProgressing
			}
			continue
		}
		if templateIsWorse(worst, ts.Status) {
			worst, msg = ts.Status, ts.Message
		}
	}
	switch worst {
	case v1alpha1.TemplateStatusProgressing:
		return v1alpha1.AnalysisPhasePending, msg
	case v1alpha1.TemplateStatusFailed:
		return v1alpha1.AnalysisPhaseFailed, msg
	case v1alpha1.TemplateStatusError:
		return v1alpha1.AnalysisPhaseError, msg
	case v1alpha1.TemplateStatusSuccessful:
		return v1alpha1.AnalysisPhaseSuccessful, msg
	}
	return v1alpha1.AnalysisPhaseRunning, msg
}

// assessAnalyses is the worst analysis phase (Successful with none).
func assessAnalyses(ex *v1alpha1.Experiment, st *v1alpha1.ExperimentStatus) (v1alpha1.AnalysisPhase, string) {
	worst := v1alpha1.AnalysisPhaseSuccessful
	msg := ""
	for _, a := range ex.Spec.Analyses {
		as := analysisStatusOf(*st, a.Name)
		if as != nil && analysis.IsWorse(worst, as.Phase) {
			worst, msg = as.Phase, as.Message
		}
	}
	if requiredAnalysesSuccessful(ex, st) && analysis.IsWorse(worst, v1alpha1.AnalysisPhaseRunning) {
		return v1alpha1.AnalysisPhaseSuccessful, requiredAnalysisCompletedMessage
	}
	if worst == v1alpha1.AnalysisPhasePending {
		worst = v1alpha1.AnalysisPhaseRunning
	}
	return worst, msg
}

// experimentPhase decides the phase of a Pending or Running experiment
// from its templates and analyses, and marks availableAt.
func experimentPhase(ex *v1alpha1.Experiment, st *v1alpha1.ExperimentStatus, now metav1.Time) {
	switch st.Phase {
	case "":
		st.Phase = v1alpha1.AnalysisPhasePending
		return
	case v1alpha1.AnalysisPhasePending, v1alpha1.AnalysisPhaseRunning:
	default:
		return
	}
	tPhase, tMsg := assessTemplates(ex, st)
	aPhase, aMsg := assessAnalyses(ex, st)
	if tPhase == v1alpha1.AnalysisPhaseRunning && st.AvailableAt == nil {
		st.AvailableAt = &now
	}
	switch {
	case tPhase.Completed():
		if tPhase == v1alpha1.AnalysisPhaseSuccessful && (aPhase.Completed() || hasRequiredAnalyses(ex)) {
			st.Phase, st.Message = aPhase, aMsg
		} else {
			st.Phase, st.Message = tPhase, tMsg
		}
	case aPhase.Completed() && aPhase != v1alpha1.AnalysisPhaseSuccessful:
		st.Phase, st.Message = aPhase, aMsg
	case requiredAnalysesSuccessful(ex, st):
		st.Phase, st.Message = aPhase, aMsg
	default:
		st.Phase, st.Message = tPhase, tMsg
	}
}

func experimentCondition(st v1alpha1.ExperimentStatus, t v1alpha1.ExperimentConditionType) *v1alpha1.ExperimentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func removeExperimentCondition(st *v1alpha1.ExperimentStatus, t v1alpha1.ExperimentConditionType) {
	var keep []v1alpha1.ExperimentCondition
	for _, c := range st.Conditions {
		if c.Type != t {
			keep = append(keep, c)
		}
	}
	st.Conditions = keep
}

// setExperimentCondition changes nothing when status and reason are the
// same; the transition time is kept while the status is.
func setExperimentCondition(st *v1alpha1.ExperimentStatus, c v1alpha1.ExperimentCondition) {
	cur := experimentCondition(*st, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	removeExperimentCondition(st, c.Type)
	st.Conditions = append(st.Conditions, c)
}

func newExperimentCondition(t v1alpha1.ExperimentConditionType, s corev1.ConditionStatus, reason, msg string, now metav1.Time) v1alpha1.ExperimentCondition {
	return v1alpha1.ExperimentCondition{Type: t, Status: s, Reason: reason, Message: msg, LastUpdateTime: now, LastTransitionTime: now}
}

// templatesProgressed: a template status was added or a replica count moved.
func templatesProgressed(old, cur v1alpha1.ExperimentStatus) bool {
	if len(old.TemplateStatuses) < len(cur.TemplateStatuses) {
		return true
	}
	for _, o := range old.TemplateStatuses {
		n := templateStatusOf(cur, o.Name)
		if n == nil {
			continue
		}
		if o.Replicas != n.Replicas || o.UpdatedReplicas != n.UpdatedReplicas || o.ReadyReplicas != n.ReadyReplicas || o.AvailableReplicas != n.AvailableReplicas {
			return true
		}
	}
	return false
}

// experimentConditions is Argo's calculateExperimentConditions: the
// Progressing condition says completed, progressing or running.
func experimentConditions(ex *v1alpha1.Experiment, st *v1alpha1.ExperimentStatus, now metav1.Time, precise time.Time) {
	if experimentCondition(ex.Status, v1alpha1.InvalidExperimentSpec) != nil && verifyExperimentSpec(ex) == "" {
		removeExperimentCondition(st, v1alpha1.InvalidExperimentSpec)
	}
	switch {
	case st.Phase == v1alpha1.AnalysisPhaseSuccessful:
		setExperimentCondition(st, newExperimentCondition(v1alpha1.ExperimentProgressing, corev1.ConditionFalse, "ExperimentCompleted",
			fmt.Sprintf("Experiment %q has successfully ran and completed.", ex.Name), now))
	case templatesProgressed(ex.Status, *st):
		c := newExperimentCondition(v1alpha1.ExperimentProgressing, corev1.ConditionTrue, "ReplicaSetUpdated",
			fmt.Sprintf("Experiment %q is progressing.", ex.Name), now)
		if cur := experimentCondition(ex.Status, v1alpha1.ExperimentProgressing); cur != nil {
			if cur.Status == corev1.ConditionTrue {
				c.LastTransitionTime = cur.LastTransitionTime
			}
			removeExperimentCondition(st, v1alpha1.ExperimentProgressing)
		}
		setExperimentCondition(st, c)
	case ex.Status.AvailableAt != nil:
		if passed, _ := passedDuration(ex, precise); !passed {
			setExperimentCondition(st, newExperimentCondition(v1alpha1.ExperimentProgressing, corev1.ConditionTrue, "NewReplicaSetAvailable",
				fmt.Sprintf("Experiment %q is running.", ex.Name), now))
		}
	}
}

// verifyExperimentSpec is Argo's VerifyExperimentSpec: "" when valid.
func verifyExperimentSpec(ex *v1alpha1.Experiment) string {
	seen := map[string]bool{}
	pds := experimentProgressDeadline(ex)
	for i, t := range ex.Spec.Templates {
		switch {
		case t.Selector == nil:
			return fmt.Sprintf("Rollout has missing field '.Spec.Templates[%d].Selector'", i) // Argo's wording
		case reflect.DeepEqual(t.Selector, &metav1.LabelSelector{}):
			return fmt.Sprintf("This experiment is selecting all pods at index %d. A non-empty selector is required.", i)
		case t.MinReadySeconds > pds:
			return fmt.Sprintf("MinReadySeconds cannot be longer than ProgressDeadlineSeconds. Check template index %d", i)
		case t.Name == "":
			return fmt.Sprintf("Experiment %s has empty template name at index %d", ex.Name, i)
		case seen[t.Name]:
			return fmt.Sprintf("Experiment %s has repeated template name '%s' in templates", ex.Name, t.Name)
		}
		seen[t.Name] = true
	}
	return ""
}

// experimentWakeUp is the earliest of availableAt + duration and, for a
// template short of its replicas, lastTransitionTime + progressDeadline;
// ok=false when the experiment is terminating or nothing is due.
func experimentWakeUp(ex *v1alpha1.Experiment, st *v1alpha1.ExperimentStatus, now time.Time) (time.Duration, bool) {
	cp := ex.DeepCopy()
	cp.Status = *st.DeepCopy()
	if experimentTerminating(cp) {
		return 0, false
	}
	var best time.Duration
	ok := false
	if cp.Status.AvailableAt != nil && cp.Spec.Duration != "" {
		if passed, left := passedDuration(cp, now); !passed {
			best, ok = left, true
		}
	}
	pds := time.Duration(experimentProgressDeadline(cp)) * time.Second
	for _, t := range cp.Spec.Templates {
		ts := templateStatusOf(cp.Status, t.Name)
		if ts == nil || (ts.Status != v1alpha1.TemplateStatusProgressing && ts.Status != v1alpha1.TemplateStatusRunning) {
			continue
		}
		if ts.AvailableReplicas != templateReplicas(cp, t) && ts.LastTransitionTime != nil {
			d := ts.LastTransitionTime.Add(pds).Sub(now)
			if !ok || d < best {
				best, ok = d, true
			}
		}
	}
	return best, ok
}

// VerifyExperimentSpec is Argo's experiment spec check ("" when valid):
// the message of the InvalidExperimentSpec condition.
func VerifyExperimentSpec(ex *v1alpha1.Experiment) string { return verifyExperimentSpec(ex) }

// TemplateSelectorError is what the API server answers when the template's
// ReplicaSet would not select its own pods (nil when it would).
func TemplateSelectorError(rsName string, t v1alpha1.TemplateSpec) error {
	if t.Selector == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(t.Selector)
	if err != nil {
		return fmt.Errorf("ReplicaSet.apps %q is invalid: spec.selector: Invalid value: %v", rsName, err)
	}
	if !sel.Matches(labels.Set(t.Template.Labels)) {
		return fmt.Errorf("ReplicaSet.apps %q is invalid: spec.template.metadata.labels: Invalid value: %v: `selector` does not match template `labels`", rsName, t.Template.Labels)
	}
	return nil
}
