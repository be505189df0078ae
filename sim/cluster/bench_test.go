package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Per-operation cost of the fake backend's store, for docs/performance.md.

func benchRollout() *v1alpha1.Rollout {
	r := int32(5)
	w := int32(20)
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"},
		Spec: v1alpha1.RolloutSpec{Replicas: &r, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{{SetWeight: &w}, {Pause: &v1alpha1.RolloutPause{}}}}}},
	}
}

func BenchmarkStoreGetRollout(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	if err := s.Client().Create(ctx, benchRollout()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ro := &v1alpha1.Rollout{}
		if err := s.Client().Get(ctx, client.ObjectKey{Namespace: "ns", Name: "ro"}, ro); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreRolloutStatusPatch(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	ro := benchRollout()
	if err := s.Client().Create(ctx, ro); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		orig := ro.DeepCopy()
		ro.Status.Message = fmt.Sprint(i)
		if err := s.Client().Status().Patch(ctx, ro, client.MergeFrom(orig)); err != nil {
			b.Fatal(err)
		}
	}
}

// The same patch through controller-runtime's full JSON merge path (a stale
// resourceVersion forces it), for comparison.
func BenchmarkStoreRolloutStatusPatchFullPath(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	ro := benchRollout()
	if err := s.Client().Create(ctx, ro); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		orig := ro.DeepCopy()
		ro.Status.Message = fmt.Sprint(i)
		ro.ResourceVersion = ""
		if err := s.Client().Status().Patch(ctx, ro, client.MergeFrom(orig)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreReplicaSetScale(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	r := rs("a", 1)
	if err := s.Client().Create(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		orig := r.DeepCopy()
		n := int32(i % 7)
		r.Spec.Replicas = &n
		if err := s.Client().Patch(ctx, r, client.MergeFrom(orig)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreListReplicaSets(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := s.Client().Create(ctx, rs(fmt.Sprint("rs", i), 1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l := &appsv1.ReplicaSetList{}
		if err := s.Client().List(ctx, l, client.InNamespace("ns")); err != nil || len(l.Items) != 5 {
			b.Fatal(err, len(l.Items))
		}
	}
}

// benchAnalysisRun is a run as the hour-long benchmark scenario keeps it:
// one metric with Argo's default 10 retained measurements.
func benchAnalysisRun() *v1alpha1.AnalysisRun {
	count := intstr.FromInt32(0)
	ar := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "ar", Namespace: "ns", Labels: map[string]string{"rollout-type": "Background", "rollouts-pod-template-hash": "74547c9c84"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "ro", UID: "u"}}},
		Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{Name: "error-rate", Interval: "10s", Count: &count, SuccessCondition: "result[0] < 0.05",
			Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "sum(rate(errors[1m]))"}}}}},
	}
	res := v1alpha1.MetricResult{Name: "error-rate", Phase: v1alpha1.AnalysisPhaseRunning}
	for i := 0; i < 10; i++ {
		at := metav1.NewTime(t0.Add(time.Duration(i) * 10 * time.Second))
		res.Measurements = append(res.Measurements, v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "[0.01]", StartedAt: &at, FinishedAt: &at})
		res.Count++
		res.Successful++
	}
	ar.Status = v1alpha1.AnalysisRunStatus{Phase: v1alpha1.AnalysisPhaseRunning, MetricResults: []v1alpha1.MetricResult{res}}
	return ar
}

// BenchmarkStoreAnalysisMeasurement is the store's share of one analysis
// measurement: read the run, record a measurement in its status (a status
// merge patch) and read its metadata on the re-queued reconcile.
func BenchmarkStoreAnalysisMeasurement(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	ar := benchAnalysisRun()
	if err := s.Client().Create(ctx, ar); err != nil {
		b.Fatal(err)
	}
	key := client.ObjectKeyFromObject(ar)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		run := &v1alpha1.AnalysisRun{}
		if err := s.Client().Get(ctx, key, run); err != nil {
			b.Fatal(err)
		}
		orig := &v1alpha1.AnalysisRun{ObjectMeta: run.ObjectMeta, Spec: run.Spec, Status: *run.Status.DeepCopy()}
		res := &run.Status.MetricResults[0]
		at := metav1.NewTime(t0.Add(time.Duration(i) * time.Second))
		res.Measurements = append(res.Measurements[1:], v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "[0.01]", StartedAt: &at, FinishedAt: &at})
		res.Count++
		if err := s.Client().Status().Patch(ctx, run, client.MergeFrom(orig)); err != nil {
			b.Fatal(err)
		}
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("AnalysisRun"))
		if err := s.Client().Get(ctx, key, m); err != nil || m.ResourceVersion != run.ResourceVersion {
			b.Fatal(err)
		}
	}
}
