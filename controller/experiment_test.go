package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/api"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func testExperiment() *v1alpha1.Experiment {
	return &v1alpha1.Experiment{
		ObjectMeta: metav1.ObjectMeta{Name: "ex", Namespace: "ns", UID: "ex-uid"},
		Spec: v1alpha1.ExperimentSpec{
			Duration: "1m",
			Templates: []v1alpha1.TemplateSpec{{
				Name:     "canary",
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "demo"}},
				Service:  &v1alpha1.TemplateService{},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "demo"}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "demo:v2",
						Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
				},
			}},
		},
	}
}

type exWorld struct {
	t   *testing.T
	c   client.Client
	clk *clock.Mock
	r   *ExperimentReconciler
	rec *notes
}

func newExWorld(t *testing.T, objs ...client.Object) *exWorld {
	c := crfake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Experiment{}, &appsv1.ReplicaSet{}).Build()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := &notes{}
	r, err := NewExperimentReconciler(Options{Client: c, Clock: clk, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return &exWorld{t: t, c: c, clk: clk, r: r, rec: rec}
}

func (w *exWorld) reconcile() reconcile.Result {
	w.t.Helper()
	res, err := w.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "ex"}})
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *exWorld) experiment() *v1alpha1.Experiment {
	w.t.Helper()
	ex := &v1alpha1.Experiment{}
	if err := w.c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "ex"}, ex); err != nil {
		w.t.Fatal(err)
	}
	return ex
}

func (w *exWorld) rs() *appsv1.ReplicaSet {
	w.t.Helper()
	rs := &appsv1.ReplicaSet{}
	if err := w.c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "ex-canary"}, rs); err != nil {
		w.t.Fatal(err)
	}
	return rs
}

// The life of an experiment: ReplicaSet created at 0 then scaled to 1,
// Running and its Service once the pod is available, Successful after the
// duration, scaled down only after the 30 s scale-down delay.
func TestExperimentLifecycle(t *testing.T) {
	w := newExWorld(t, testExperiment())
	w.reconcile()
	rs := w.rs()
	if specReplicas(rs) != 0 || rs.Labels[LabelPodTemplateHash] == "" || rs.Spec.Selector.MatchLabels[LabelPodTemplateHash] != rs.Labels[LabelPodTemplateHash] ||
		rs.Annotations[AnnotationExperimentTemplate] != "canary" {
		t.Fatalf("template ReplicaSet: replicas %d labels %v selector %v annotations %v", specReplicas(rs), rs.Labels, rs.Spec.Selector, rs.Annotations)
	}
	if got := w.experiment().Status.Phase; got != v1alpha1.AnalysisPhasePending {
		t.Fatalf("phase %s, want Pending", got)
	}
	w.reconcile()
	rs = w.rs()
	if specReplicas(rs) != 1 {
		t.Fatalf("replicas %d after the second reconcile, want 1", specReplicas(rs))
	}
	rs.Status = appsv1.ReplicaSetStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
	if err := w.c.Status().Update(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	w.clk.Add(5 * time.Second)
	res := w.reconcile()
	ex := w.experiment()
	if ex.Status.Phase != v1alpha1.AnalysisPhaseRunning || ex.Status.AvailableAt == nil {
		t.Fatalf("phase %s availableAt %v, want Running with availableAt", ex.Status.Phase, ex.Status.AvailableAt)
	}
	if res.RequeueAfter < 59*time.Second || res.RequeueAfter > time.Minute {
		t.Fatalf("requeue %s, want the rest of the 1m duration", res.RequeueAfter)
	}
	svc := &corev1.Service{}
	if err := w.c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "ex-canary"}, svc); err != nil {
		t.Fatalf("template service: %v", err)
	}
	if svc.Spec.Selector[LabelPodTemplateHash] != rs.Labels[LabelPodTemplateHash] || svc.Spec.Ports[0].Port != 8080 {
		t.Fatalf("service selector %v ports %v", svc.Spec.Selector, svc.Spec.Ports)
	}
	w.clk.Add(61 * time.Second)
	w.reconcile()
	if got := w.experiment().Status.Phase; got != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("phase %s after the duration, want Successful", got)
	}
	res = w.reconcile()
	rs = w.rs()
	if _, ok := rs.Annotations[AnnotationScaleDownDeadline]; !ok || specReplicas(rs) != 1 {
		t.Fatalf("want a scale-down deadline and 1 replica still, got %v, %d", rs.Annotations, specReplicas(rs))
	}
	if res.RequeueAfter <= 0 || res.RequeueAfter > 30*time.Second {
		t.Fatalf("requeue %s, want ≤ 30s (the scale-down delay)", res.RequeueAfter)
	}
	w.clk.Add(31 * time.Second)
	w.reconcile()
	if specReplicas(w.rs()) != 0 {
		t.Fatalf("replicas %d after the delay, want 0", specReplicas(w.rs()))
	}
}

func TestExperimentTerminateScalesDownAfterDelay(t *testing.T) {
	ex := testExperiment()
	zero := int32(0)
	ex.Spec.ScaleDownDelaySeconds = &zero
	w := newExWorld(t, ex)
	w.reconcile()
	w.reconcile()
	cur := w.experiment()
	cur.Spec.Terminate = true
	if err := w.c.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	w.reconcile()
	if specReplicas(w.rs()) != 0 {
		t.Fatalf("terminated with scaleDownDelaySeconds 0: replicas %d, want 0", specReplicas(w.rs()))
	}
	st := w.experiment().Status
	if st.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("terminated experiment phase %s, want Successful (templates end Successful)", st.Phase)
	}
}

func TestExperimentProgressDeadlineFailsTemplate(t *testing.T) {
	ex := testExperiment()
	pds := int32(60)
	ex.Spec.ProgressDeadlineSeconds = &pds
	w := newExWorld(t, ex)
	w.reconcile()
	w.reconcile()
	w.clk.Add(61 * time.Second)
	w.reconcile()
	st := w.experiment().Status
	if st.Phase != v1alpha1.AnalysisPhaseFailed || !strings.Contains(st.Message, "exceeded its progressDeadlineSeconds (60)") {
		t.Fatalf("phase %s %q, want Failed on the progress deadline", st.Phase, st.Message)
	}
}

func TestExperimentInvalidSpec(t *testing.T) {
	ex := testExperiment()
	ex.Spec.Templates = append(ex.Spec.Templates, ex.Spec.Templates[0])
	w := newExWorld(t, ex)
	w.reconcile()
	c := experimentCondition(w.experiment().Status, v1alpha1.InvalidExperimentSpec)
	if c == nil || c.Message != "Experiment ex has repeated template name 'canary' in templates" {
		t.Fatalf("condition %+v", c)
	}
}

func TestExperimentPhaseRules(t *testing.T) {
	required := func(r bool) *v1alpha1.Experiment {
		ex := testExperiment()
		ex.Spec.Analyses = []v1alpha1.ExperimentAnalysisTemplateRef{{Name: "a", TemplateName: "t", RequiredForCompletion: r}}
		return ex
	}
	cases := []struct {
		name     string
		ex       *v1alpha1.Experiment
		template v1alpha1.TemplateStatusCode
		analysis v1alpha1.AnalysisPhase
		want     v1alpha1.AnalysisPhase
	}{
		{"running templates, optional analysis passed", required(false), v1alpha1.TemplateStatusRunning, v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseRunning},
		{"running templates, required analysis passed", required(true), v1alpha1.TemplateStatusRunning, v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseSuccessful},
		{"running templates, analysis failed", required(false), v1alpha1.TemplateStatusRunning, v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseFailed},
		{"running templates, analysis inconclusive", required(false), v1alpha1.TemplateStatusRunning, v1alpha1.AnalysisPhaseInconclusive, v1alpha1.AnalysisPhaseInconclusive},
		{"templates done, optional analysis running", required(false), v1alpha1.TemplateStatusSuccessful, v1alpha1.AnalysisPhaseRunning, v1alpha1.AnalysisPhaseSuccessful},
		{"templates done, required analysis running", required(true), v1alpha1.TemplateStatusSuccessful, v1alpha1.AnalysisPhaseRunning, v1alpha1.AnalysisPhaseRunning},
		{"template failed", required(false), v1alpha1.TemplateStatusFailed, v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseFailed},
		{"template progressing", required(false), v1alpha1.TemplateStatusProgressing, v1alpha1.AnalysisPhasePending, v1alpha1.AnalysisPhasePending},
	}
	for _, tc := range cases {
		st := &v1alpha1.ExperimentStatus{Phase: v1alpha1.AnalysisPhaseRunning,
			TemplateStatuses: []v1alpha1.TemplateStatus{{Name: "canary", Status: tc.template}},
			AnalysisRuns:     []v1alpha1.ExperimentAnalysisRunStatus{{Name: "a", Phase: tc.analysis}}}
		experimentPhase(tc.ex, st, metav1.Now())
		if st.Phase != tc.want {
			t.Errorf("%s: phase %s, want %s", tc.name, st.Phase, tc.want)
		}
	}
}

func TestExperimentsToDeleteKeepsHistoryLimits(t *testing.T) {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{LabelPodTemplateHash: "h"}}}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var exs []*v1alpha1.Experiment
	for i, ph := range []v1alpha1.AnalysisPhase{"Successful", "Successful", "Failed", "Inconclusive", "Running"} {
		exs = append(exs, &v1alpha1.Experiment{ObjectMeta: metav1.ObjectMeta{Name: string(rune('a' + i)),
			Labels: map[string]string{LabelPodTemplateHash: "h"}, CreationTimestamp: metav1.NewTime(base.Add(time.Duration(i) * time.Second))},
			Status: v1alpha1.ExperimentStatus{Phase: ph}})
	}
	orphan := &v1alpha1.Experiment{ObjectMeta: metav1.ObjectMeta{Name: "z", Labels: map[string]string{LabelPodTemplateHash: "gone"}}}
	got := experimentsToDelete(append(exs, orphan), []*appsv1.ReplicaSet{rs}, experimentHistory{successful: 1, unsuccessful: 1})
	var names []string
	for _, ex := range got {
		names = append(names, ex.Name)
	}
	// newest first: b kept (successful), a deleted; d kept (unsuccessful),
	// c deleted; e running is kept; z (oldest) has no ReplicaSet.
	if strings.Join(names, ",") != "c,a,z" {
		t.Fatalf("deleted %v, want [c a z]", names)
	}
}

func TestSubstituteTags(t *testing.T) {
	got, err := substituteTags("{{templates.canary.podTemplateHash}}-{{ experiment.availableAt }}", map[string]string{
		"templates.canary.podTemplateHash": "abc", "experiment.availableAt": "t0"})
	if err != nil || got != "abc-t0" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := substituteTags("{{templates.x.podTemplateHash}}", nil); err == nil || err.Error() != "failed to resolve {{templates.x.podTemplateHash}}" {
		t.Fatalf("unknown tag: %v", err)
	}
}

func TestExperimentStepValidation(t *testing.T) {
	w := int32(10)
	step := &v1alpha1.RolloutExperimentStep{Templates: []v1alpha1.RolloutExperimentTemplate{{Name: "c", SpecRef: v1alpha1.CanarySpecRef, Weight: &w}}}
	if msg := validateExperimentStep("spec.strategy.steps[0]", step, nil); !strings.Contains(msg, "Experiment template weight cannot be set unless TrafficRouting is enabled") {
		t.Fatalf("no traffic routing: %q", msg)
	}
	nginx := &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{}}
	if msg := validateExperimentStep("spec.strategy.steps[0]", step, nginx); !strings.Contains(msg, "only available for TrafficRouting with SMI, ALB, Istio and Plugins") {
		t.Fatalf("nginx: %q", msg)
	}
	step.Templates[0].Weight = nil
	if msg := validateExperimentStep("spec.strategy.steps[0]", step, nil); msg != "" {
		t.Fatalf("no weight: %q", msg)
	}
}

func TestExperimentWeightDestinations(t *testing.T) {
	w := int32(5)
	ro := canaryRollout(v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{Templates: []v1alpha1.RolloutExperimentTemplate{
		{Name: "canary", SpecRef: v1alpha1.CanarySpecRef, Weight: &w}, {Name: "baseline", SpecRef: v1alpha1.StableSpecRef}}}})
	ex := &v1alpha1.Experiment{Status: v1alpha1.ExperimentStatus{Phase: v1alpha1.AnalysisPhaseRunning, TemplateStatuses: []v1alpha1.TemplateStatus{
		{Name: "canary", ServiceName: "svc-c", PodTemplateHash: "hc"}, {Name: "baseline", ServiceName: "svc-b", PodTemplateHash: "hb"}}}}
	got := ExperimentWeightDestinations(ro, ex)
	if len(got) != 1 || got[0].ServiceName != "svc-c" || got[0].PodTemplateHash != "hc" || got[0].Weight != 5 {
		t.Fatalf("destinations %+v", got)
	}
	ex.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
	if got := ExperimentWeightDestinations(ro, ex); len(got) != 0 {
		t.Fatalf("a finished experiment gets no traffic: %+v", got)
	}
}

func TestExperimentSelectorNotMatchingLabelsErrors(t *testing.T) {
	ex := testExperiment()
	ex.Spec.Templates[0].Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	w := newExWorld(t, ex)
	w.reconcile()
	w.reconcile()
	st := w.experiment().Status
	if st.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(st.Message, "Failed to create ReplicaSet for template 'canary'") ||
		!strings.Contains(st.Message, "`selector` does not match template `labels`") {
		t.Fatalf("phase %s %q, want Error on the ReplicaSet the API server rejects", st.Phase, st.Message)
	}
}

func TestExperimentFromStep(t *testing.T) {
	two := int32(2)
	weight := int32(5)
	step := &v1alpha1.RolloutExperimentStep{
		Duration: "1m",
		Templates: []v1alpha1.RolloutExperimentTemplate{
			{Name: "canary", SpecRef: v1alpha1.CanarySpecRef, Replicas: &two, Weight: &weight,
				Metadata: v1alpha1.PodTemplateMetadata{Labels: map[string]string{"exp": "yes"}}},
			{Name: "baseline", SpecRef: v1alpha1.StableSpecRef},
		},
		Analyses: []v1alpha1.RolloutExperimentStepAnalysisTemplateRef{{Name: "a", TemplateName: "t", RequiredForCompletion: true,
			Args: []v1alpha1.AnalysisRunArgument{{Name: "stable", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: ptrTo(v1alpha1.Stable)}}}}},
	}
	ro := canaryRollout(v1alpha1.CanaryStep{Experiment: step})
	ro.Labels = map[string]string{"team": "x"}
	mk := func(hash, image, rev string) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "demo-" + hash, Labels: map[string]string{LabelPodTemplateHash: hash},
			Annotations: map[string]string{AnnotationRevision: rev}},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "demo", LabelPodTemplateHash: hash}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "demo", LabelPodTemplateHash: hash}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}}}}}
	}
	ex, err := experimentFromStep(ro, step, 0, mk("stablehash", "demo:v1", "1"), mk("newhash", "demo:v2", "2"))
	if err != nil {
		t.Fatal(err)
	}
	if ex.Name != "demo-newhash-2-0" || ex.Labels[LabelPodTemplateHash] != "newhash" || ex.Labels["team"] != "x" || ex.Spec.Duration != "1m" {
		t.Fatalf("experiment meta %s %v %s", ex.Name, ex.Labels, ex.Spec.Duration)
	}
	c, b := ex.Spec.Templates[0], ex.Spec.Templates[1]
	if c.Template.Spec.Containers[0].Image != "demo:v2" || b.Template.Spec.Containers[0].Image != "demo:v1" || *c.Replicas != 2 {
		t.Fatalf("templates copy the canary and the stable ReplicaSet: %+v / %+v", c, b)
	}
	if c.Service == nil || b.Service != nil {
		t.Fatal("a template with a weight gets a Service, one without none")
	}
	if c.Template.Labels["exp"] != "yes" || c.Selector.MatchLabels["exp"] != "yes" {
		t.Fatalf("step metadata goes to labels and selector: %v %v", c.Template.Labels, c.Selector)
	}
	a := ex.Spec.Analyses[0]
	if !a.RequiredForCompletion || len(a.Args) != 1 || a.Args[0].Value == nil || *a.Args[0].Value != "stablehash" {
		t.Fatalf("analysis %+v", a)
	}
}

func ptrTo[T any](v T) *T { return &v }
