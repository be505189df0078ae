package analysis

import (
	"testing"
	"time"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

func TestNextMeasurementTime(t *testing.T) {
	fin := t0.Add(5 * time.Minute)
	withLast := func(ms ...v1alpha1.Measurement) *v1alpha1.MetricResult {
		r := &v1alpha1.MetricResult{Name: "m", Phase: running}
		for _, m := range ms {
			RecordMeasurement(r, m, false, fin)
		}
		return r
	}
	tests := []struct {
		name   string
		metric v1alpha1.Metric
		result *v1alpha1.MetricResult
		want   time.Time
		wantOK bool
	}{
		{name: "first measurement right away", metric: v1alpha1.Metric{Interval: "1m"}, want: t0, wantOK: true},
		{name: "first measurement after initialDelay", metric: v1alpha1.Metric{InitialDelay: "30s", Interval: "1m"}, want: t0.Add(30 * time.Second), wantOK: true},
		{name: "empty result counts as none", metric: v1alpha1.Metric{InitialDelay: "2m"}, result: &v1alpha1.MetricResult{Name: "m"}, want: t0.Add(2 * time.Minute), wantOK: true},
		{name: "bad initialDelay never", metric: v1alpha1.Metric{InitialDelay: "30"}},
		{name: "interval from finishedAt", metric: v1alpha1.Metric{Interval: "1m"}, result: withLast(done(successful, fin)), want: fin.Add(time.Minute), wantOK: true},
		{name: "interval after failure too", metric: v1alpha1.Metric{Interval: "1m", FailureLimit: ios(3)}, result: withLast(done(failed, fin)), want: fin.Add(time.Minute), wantOK: true},
		{name: "error retries after 10s regardless of interval", metric: v1alpha1.Metric{Interval: "5m"}, result: withLast(done(errored, fin)), want: fin.Add(10 * time.Second), wantOK: true},
		{name: "error retries after 10s without interval", metric: v1alpha1.Metric{}, result: withLast(done(errored, fin)), want: fin.Add(10 * time.Second), wantOK: true},
		{name: "count reached => none", metric: v1alpha1.Metric{Count: ios(2), Interval: "1m"}, result: withLast(done(successful, t0), done(successful, fin))},
		{name: "count 1 reached => none", metric: v1alpha1.Metric{}, result: withLast(done(successful, fin))},
		{
			name: "completed metric => none", metric: v1alpha1.Metric{Interval: "1m"},
			result: func() *v1alpha1.MetricResult { r := withLast(done(successful, fin)); r.Phase = successful; return r }(),
		},
		{
			name: "completed without measurements => none", metric: v1alpha1.Metric{InitialDelay: "1m"},
			result: &v1alpha1.MetricResult{Name: "m", Phase: successful},
		},
		{
			name: "in flight with resumeAt", metric: v1alpha1.Metric{Interval: "1m"},
			result: withLast(v1alpha1.Measurement{Phase: running, StartedAt: mt(fin), ResumeAt: mt(fin.Add(7 * time.Second))}),
			want:   fin.Add(7 * time.Second), wantOK: true,
		},
		{
			name: "in flight without resumeAt => no timer", metric: v1alpha1.Metric{Interval: "1m"},
			result: withLast(v1alpha1.Measurement{Phase: running, StartedAt: mt(fin)}),
		},
		{name: "no interval and count not reached => none", metric: v1alpha1.Metric{Count: ios(3)}, result: withLast(done(successful, fin))},
		{name: "bad interval => none", metric: v1alpha1.Metric{Interval: "30"}, result: withLast(done(successful, fin))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := NextMeasurementTime(tc.metric, tc.result, t0)
			if ok != tc.wantOK || (ok && !got.Equal(tc.want)) {
				t.Fatalf("got (%v, %v), want (%v, %v)", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestMeasurementDue(t *testing.T) {
	fin := t0.Add(5 * time.Minute)
	after := func(m v1alpha1.Measurement) *v1alpha1.MetricResult {
		r := &v1alpha1.MetricResult{Name: "m", Phase: running}
		RecordMeasurement(r, m, false, fin)
		return r
	}
	interval := v1alpha1.Metric{Interval: "1m"}
	delayed := v1alpha1.Metric{Interval: "1m", InitialDelay: "30s"}
	inFlight := v1alpha1.Measurement{Phase: running, StartedAt: mt(fin), ResumeAt: mt(fin.Add(10 * time.Second))}
	tests := []struct {
		name        string
		metric      v1alpha1.Metric
		result      *v1alpha1.MetricResult
		startedAt   time.Time
		now         time.Time
		terminating bool
		take        bool
		resume      bool
	}{
		{name: "first measurement at once", metric: interval, startedAt: t0, now: t0, take: true},
		{name: "first measurement even before startedAt is recorded", metric: interval, now: t0, take: true},
		{name: "initialDelay not elapsed", metric: delayed, startedAt: t0, now: t0.Add(29 * time.Second)},
		{name: "initialDelay exactly elapsed (not strict)", metric: delayed, startedAt: t0, now: t0.Add(30 * time.Second), take: true},
		{name: "initialDelay without startedAt", metric: delayed, now: t0.Add(time.Hour)},
		{name: "terminating takes nothing new", metric: interval, startedAt: t0, now: t0, terminating: true},
		{name: "interval exactly elapsed is not due (strict)", metric: interval, result: after(done(successful, fin)), startedAt: t0, now: fin.Add(time.Minute)},
		{name: "interval elapsed", metric: interval, result: after(done(successful, fin)), startedAt: t0, now: fin.Add(time.Minute + time.Nanosecond), take: true},
		{name: "error retry at 10s strict", metric: interval, result: after(done(errored, fin)), startedAt: t0, now: fin.Add(10 * time.Second)},
		{name: "error retry after 10s", metric: interval, result: after(done(errored, fin)), startedAt: t0, now: fin.Add(11 * time.Second), take: true},
		{name: "count reached", metric: v1alpha1.Metric{}, result: after(done(successful, fin)), startedAt: t0, now: fin.Add(time.Hour)},
		{name: "no interval, count not reached: 10s default gap", metric: v1alpha1.Metric{Count: ios(2)}, result: after(done(successful, fin)), startedAt: t0, now: fin.Add(11 * time.Second), take: true},
		{name: "in flight before resumeAt", metric: interval, result: after(inFlight), startedAt: t0, now: fin.Add(9 * time.Second)},
		{name: "in flight at resumeAt", metric: interval, result: after(inFlight), startedAt: t0, now: fin.Add(10 * time.Second), resume: true},
		{name: "in flight terminating resumes at once", metric: interval, result: after(inFlight), startedAt: t0, now: fin, terminating: true, resume: true},
		{
			name: "in flight without resumeAt resumes every reconcile", metric: interval,
			result: after(v1alpha1.Measurement{Phase: running, StartedAt: mt(fin)}), startedAt: t0, now: fin, resume: true,
		},
		{
			name: "completed metric", metric: interval,
			result: func() *v1alpha1.MetricResult { r := after(done(failed, fin)); r.Phase = failed; return r }(), startedAt: t0, now: fin.Add(time.Hour),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			take, resume := MeasurementDue(tc.metric, tc.result, tc.startedAt, tc.now, tc.terminating)
			if take != tc.take || resume != tc.resume {
				t.Fatalf("got (take %v, resume %v), want (%v, %v)", take, resume, tc.take, tc.resume)
			}
		})
	}
}

func TestNextReconcileTime(t *testing.T) {
	a, b, c := promMetric("a"), promMetric("b"), promMetric("c")
	a.Interval = "1m"
	b.Interval, b.InitialDelay = "1m", "45s"
	c.Interval = "30s"
	run := newRun(a, b, c)
	ra := v1alpha1.MetricResult{Name: "a", Phase: running}
	RecordMeasurement(&ra, done(successful, t0), false, t0)
	run.Status.MetricResults = []v1alpha1.MetricResult{ra}

	// a: t0+1m; b: startedAt+45s; c: never measured and no delay => ignored.
	got, ok := NextReconcileTime(run, run.Spec.Metrics, t0.Add(time.Hour))
	if !ok || !got.Equal(t0.Add(45*time.Second)) {
		t.Fatalf("got %v %v, want t0+45s", got, ok)
	}

	// Without startedAt the delay counts from now.
	run.Status.StartedAt = nil
	got, ok = NextReconcileTime(run, run.Spec.Metrics, t0.Add(20*time.Second))
	if !ok || !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("got %v %v, want t0+1m (a) before now+45s (b)", got, ok)
	}

	// Nothing scheduled once every metric is completed.
	run.Status.MetricResults = []v1alpha1.MetricResult{
		{Name: "a", Phase: successful}, {Name: "b", Phase: successful}, {Name: "c", Phase: successful},
	}
	if _, ok := NextReconcileTime(run, run.Spec.Metrics, t0); ok {
		t.Fatal("completed metrics must not schedule anything")
	}
}
