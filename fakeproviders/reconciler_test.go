package fakeproviders

import (
	"context"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TestWithAnalysisRunReconciler drives the real AnalysisRun reconciler with
// the simulated providers: a Prometheus metric measured twice a minute
// apart (its answer changes in between), a Kayenta judgement polled 15 s
// after it starts, and an unanswered plugin metric in dry-run.
func TestWithAnalysisRunReconciler(t *testing.T) {
	two := intstr.FromInt32(2)
	rate := withConditions(prom("rate"), "result[0] >= 0.95", "")
	rate.Count, rate.Interval = &two, "1m"
	judge := kayenta("judge")
	plug := plugin("plug")
	run := newRun(rate, judge, plug)
	run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "plug"}}

	c := crfake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(run).WithStatusSubresource(&v1alpha1.AnalysisRun{}).Build()
	clk := clock.NewMock()
	clk.Set(t0)
	f := &Factory{
		Answers: answers(t, `
rate:
  script:
    steps:
      - {at: 0s, value: 0.99}
      - {at: 30s, value: 0.97}
judge: {script: {value: 93}}
`),
		Clock: clk, T0: t0, Rand: rand.New(rand.NewSource(1)), Log: &CallLog{},
	}
	r, err := controller.NewAnalysisRunReconciler(controller.Options{Client: c, Clock: clk, Providers: f})
	if err != nil {
		t.Fatal(err)
	}
	got := &v1alpha1.AnalysisRun{}
	for i := 0; i < 200; i++ {
		res, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: run.Namespace, Name: run.Name}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: run.Namespace, Name: run.Name}, got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase.Completed() {
			break
		}
		// As the harness: the wake-up fires 1 ms after the deadline. A
		// requeue that is already due (the controller compares whole
		// seconds) jumps to the next whole second instead of crawling there
		// 1 ms at a time.
		d := res.RequeueAfter + time.Millisecond
		if res.RequeueAfter <= time.Millisecond {
			d = clk.Now().Truncate(time.Second).Add(time.Second + time.Millisecond).Sub(clk.Now())
		}
		clk.Add(d)
	}
	if got.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("run phase %s (%s): %+v", got.Status.Phase, got.Status.Message, got.Status.MetricResults)
	}
	results := map[string]v1alpha1.MetricResult{}
	for _, mr := range got.Status.MetricResults {
		results[mr.Name] = mr
	}
	if ms := results["rate"].Measurements; len(ms) != 2 || ms[0].Value != "[0.99]" || ms[1].Value != "[0.97]" ||
		ms[1].StartedAt.Time.Before(t0.Add(time.Minute)) || ms[1].StartedAt.Time.After(t0.Add(61*time.Second)) {
		t.Errorf("rate measurements %+v", ms)
	}
	if ms := results["judge"].Measurements; len(ms) != 1 || ms[0].Value != "93" || ms[0].Phase != v1alpha1.AnalysisPhaseSuccessful ||
		!ms[0].FinishedAt.Time.Equal(t0.Add(15*time.Second)) {
		t.Errorf("judge measurements %+v", ms)
	}
	if ms := results["plug"].Measurements; len(ms) == 0 || ms[0].Message != "plugin providers: not supported yet" {
		t.Errorf("plug measurements %+v", ms)
	}
	var ops []string
	for _, call := range f.Log.Calls() {
		ops = append(ops, call.Metric+":"+call.Op+"@"+call.Offset.String())
	}
	want := "rate:run@0s judge:run@0s plug:new@0s"
	if got := strings.Join(ops, " "); !strings.HasPrefix(got, want) || !strings.Contains(got, "judge:resume@15s") ||
		strings.Count(got, "plug:new@") != 5 || strings.Count(got, "rate:run@") != 2 {
		t.Errorf("call order %s, want prefix %s, judge:resume@15s, 5 plug and 2 rate calls", got, want)
	}
}
