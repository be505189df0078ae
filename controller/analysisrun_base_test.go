package controller

import (
	"context"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/api"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// resumingProvider starts a measurement Running, keeps it Running with a
// later resumeAt on the first resume and finishes it on the next.
type resumingProvider struct {
	now     func() time.Time
	resumes *int
}

func (p resumingProvider) Type() string { return "test" }
func (p resumingProvider) Run(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric) v1alpha1.Measurement {
	at := metav1.NewTime(p.now())
	resume := metav1.NewTime(p.now().Add(10 * time.Second))
	return v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, StartedAt: &at, ResumeAt: &resume}
}
func (p resumingProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	*p.resumes++
	if *p.resumes == 1 {
		later := metav1.NewTime(p.now().Add(10 * time.Second))
		m.ResumeAt = &later
		return m
	}
	m.Phase, m.Value, m.ResumeAt = v1alpha1.AnalysisPhaseSuccessful, "1", nil
	return m
}
func (p resumingProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

type resumingFactory resumingProvider

func (f resumingFactory) NewProvider(context.Context, RunContext) (Provider, error) {
	return resumingProvider(f), nil
}

// The status patch base shares the measurements with the run being
// reconciled; a measurement updated on resume (overwritten in place by
// RecordMeasurement) must still be seen as a change and reach the store
// through a real JSON merge patch computed from that base.
func TestResumedMeasurementReachesTheStoreThroughAMergePatch(t *testing.T) {
	ar := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "ar", Namespace: "ns"},
		Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{Name: "m", SuccessCondition: "true",
			Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "q"}}}}}}
	c := crfake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ar).WithStatusSubresource(&v1alpha1.AnalysisRun{}).Build()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r, err := NewAnalysisRunReconciler(Options{Client: c, Clock: clk, Providers: resumingFactory{now: clk.Now, resumes: new(int)}})
	if err != nil {
		t.Fatal(err)
	}
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "ar"}}
	get := func() *v1alpha1.AnalysisRun {
		got := &v1alpha1.AnalysisRun{}
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(ar), got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if ms := get().Status.MetricResults[0].Measurements; len(ms) != 1 || ms[0].Phase != v1alpha1.AnalysisPhaseRunning {
		t.Fatalf("after the first reconcile: %+v", ms)
	}
	clk.Add(11 * time.Second)
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	ms := get().Status.MetricResults[0].Measurements
	if len(ms) != 1 || ms[0].ResumeAt == nil || !ms[0].ResumeAt.Time.Equal(clk.Now().Add(10*time.Second)) {
		t.Fatalf("the still-running measurement's new resumeAt did not reach the store: %+v", ms)
	}
	clk.Add(11 * time.Second)
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := get()
	res := got.Status.MetricResults[0]
	if len(res.Measurements) != 1 || res.Measurements[0].Phase != v1alpha1.AnalysisPhaseSuccessful || res.Measurements[0].Value != "1" || res.Successful != 1 {
		t.Fatalf("the resumed measurement did not reach the store: %+v", res)
	}
}
