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
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// countingFactory counts the providers asked for: a run whose spec is
// invalid must not measure.
type countingFactory struct{ n *int }

func (f countingFactory) NewProvider(context.Context, RunContext) (Provider, error) {
	*f.n++
	return resumingProvider{now: time.Now, resumes: new(int)}, nil
}

// Argo's reconcileAnalysisRun validates the resolved metrics
// (utils/analysis ValidateMetrics) before measuring and, on an error, puts
// the run in phase Error with "Analysis spec invalid: <err>"
// (analysis/analysis_test.go TestReconcileAnalysisRunInvalid: a metric
// without a provider).
func TestInvalidAnalysisRunSpecErrorsBeforeMeasuring(t *testing.T) {
	prom := v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: "q"}}
	two, minus2 := intstr.FromInt32(2), intstr.FromInt32(-2)
	cases := map[string]struct {
		metrics []v1alpha1.Metric
		args    []v1alpha1.Argument
		want    string
	}{
		"no provider": {metrics: []v1alpha1.Metric{{Name: "m"}},
			want: "Analysis spec invalid: metrics[0]: no provider specified"},
		"count > 1 without interval": {metrics: []v1alpha1.Metric{{Name: "m", Count: &two, Provider: prom}},
			want: "Analysis spec invalid: metrics[0]: interval must be specified when count > 1"},
		"duplicate name": {metrics: []v1alpha1.Metric{{Name: "m", Provider: prom}, {Name: "m", Provider: prom}},
			want: "Analysis spec invalid: metrics[1]: duplicate name 'm'"},
		"bad interval": {metrics: []v1alpha1.Metric{{Name: "m", Interval: "5 minutes", Provider: prom}},
			want: `Analysis spec invalid: metrics[0]: invalid interval string: time: unknown unit " minutes" in duration "5 minutes"`},
		"negative failureLimit": {metrics: []v1alpha1.Metric{{Name: "m", FailureLimit: &minus2, Provider: prom}},
			want: "Analysis spec invalid: metrics[0]: failureLimit must be >= 0, or -1 to be disabled"},
		"interval from an arg": {metrics: []v1alpha1.Metric{{Name: "m", Interval: "{{args.every}}", Provider: prom}},
			args: []v1alpha1.Argument{{Name: "every", Value: strp("often")}},
			want: `Analysis spec invalid: metrics[0]: invalid interval string: time: invalid duration "often"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ar := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "ar", Namespace: "ns", UID: "u"},
				Spec: v1alpha1.AnalysisRunSpec{Metrics: c.metrics, Args: c.args}}
			cl := crfake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ar).WithStatusSubresource(&v1alpha1.AnalysisRun{}).Build()
			clk := clock.NewMock()
			clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			made := 0
			rec := &notes{}
			r, err := NewAnalysisRunReconciler(Options{Client: cl, Clock: clk, Recorder: rec, Providers: countingFactory{n: &made}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "ar"}})
			if err != nil {
				t.Fatal(err)
			}
			got := &v1alpha1.AnalysisRun{}
			if err := cl.Get(context.Background(), client.ObjectKeyFromObject(ar), got); err != nil {
				t.Fatal(err)
			}
			if got.Status.Phase != v1alpha1.AnalysisPhaseError || got.Status.Message != c.want {
				t.Fatalf("phase %s message %q, want Error %q", got.Status.Phase, got.Status.Message, c.want)
			}
			if made != 0 || len(got.Status.MetricResults) != 0 || res.RequeueAfter != 0 {
				t.Fatalf("an invalid run measured: %d providers, results %+v, requeue %s", made, got.Status.MetricResults, res.RequeueAfter)
			}
			if len(*rec) != 1 || (*rec)[0].Reason != "AnalysisRunError" || (*rec)[0].Detail != c.want {
				t.Fatalf("notes %+v", *rec)
			}
		})
	}
}

func strp(s string) *string { return &s }
