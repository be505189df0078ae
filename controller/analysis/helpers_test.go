package analysis

import (
	"time"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ios(i int) *intstr.IntOrString {
	v := intstr.FromInt32(int32(i))
	return &v
}

func iosStr(s string) *intstr.IntOrString {
	v := intstr.FromString(s)
	return &v
}

func sp(s string) *string { return &s }

func mt(t time.Time) *metav1.Time {
	v := metav1.NewTime(t)
	return &v
}

// promMetric is a valid metric with a prometheus provider.
func promMetric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{
		Name:     name,
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prom", Query: "up"}},
	}
}

// done returns a completed measurement finished at t.
func done(phase v1alpha1.AnalysisPhase, t time.Time) v1alpha1.Measurement {
	return v1alpha1.Measurement{Phase: phase, StartedAt: mt(t), FinishedAt: mt(t)}
}

// resultOf builds a metric result by recording completed measurements.
func resultOf(name string, phases ...v1alpha1.AnalysisPhase) v1alpha1.MetricResult {
	r := v1alpha1.MetricResult{Name: name, Phase: v1alpha1.AnalysisPhaseRunning}
	for i, p := range phases {
		RecordMeasurement(&r, done(p, t0.Add(time.Duration(i)*time.Minute)), false, t0)
	}
	return r
}
