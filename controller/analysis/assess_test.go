package analysis

import (
	"testing"
	"time"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

func TestEffectiveCount(t *testing.T) {
	tests := []struct {
		name          string
		count         *int
		countStr      string
		interval      string
		want          int32
		wantUnbounded bool
	}{
		{name: "neither => 1", want: 1},
		{name: "count only", count: new(3), want: 3},
		{name: "count and interval", count: new(5), interval: "1m", want: 5},
		{name: "interval only => unbounded", interval: "30s", wantUnbounded: true},
		{name: "count 0 with interval => unbounded", count: new(0), interval: "30s", wantUnbounded: true},
		{name: "count 0 without interval => 1", count: new(0), want: 1},
		{name: "negative count kept", count: new(-2), want: -2},
		{name: "string count", countStr: "4", interval: "1m", want: 4},
		{name: "unresolved string count counts as 0", countStr: "{{args.n}}", interval: "1m", wantUnbounded: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := v1alpha1.Metric{Interval: v1alpha1.DurationString(tc.interval)}
			if tc.count != nil {
				m.Count = ios(*tc.count)
			}
			if tc.countStr != "" {
				m.Count = iosStr(tc.countStr)
			}
			got, unbounded := EffectiveCount(m)
			if got != tc.want || unbounded != tc.wantUnbounded {
				t.Fatalf("got (%d, %v), want (%d, %v)", got, unbounded, tc.want, tc.wantUnbounded)
			}
		})
	}
}

func TestCountMeasurement(t *testing.T) {
	type counters struct{ count, ok, fail, inc, err, consErr, consOK int32 }
	tests := []struct {
		name   string
		phases []v1alpha1.AnalysisPhase
		want   counters
	}{
		{name: "successes", phases: []v1alpha1.AnalysisPhase{successful, successful}, want: counters{count: 2, ok: 2, consOK: 2}},
		{name: "error does not count", phases: []v1alpha1.AnalysisPhase{errored, errored}, want: counters{err: 2, consErr: 2}},
		{name: "success resets consecutive errors", phases: []v1alpha1.AnalysisPhase{errored, errored, successful}, want: counters{count: 1, ok: 1, err: 2, consOK: 1}},
		{name: "failure resets consecutive success", phases: []v1alpha1.AnalysisPhase{successful, successful, failed}, want: counters{count: 3, ok: 2, fail: 1}},
		{name: "inconclusive resets both", phases: []v1alpha1.AnalysisPhase{errored, inconclusive}, want: counters{count: 1, inc: 1, err: 1}},
		{name: "error resets consecutive success", phases: []v1alpha1.AnalysisPhase{successful, errored}, want: counters{count: 1, ok: 1, err: 1, consErr: 1}},
		{name: "incomplete phases ignored", phases: []v1alpha1.AnalysisPhase{running, pending, successful}, want: counters{count: 1, ok: 1, consOK: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r v1alpha1.MetricResult
			for _, p := range tc.phases {
				CountMeasurement(&r, p)
			}
			got := counters{r.Count, r.Successful, r.Failed, r.Inconclusive, r.Error, r.ConsecutiveError, r.ConsecutiveSuccess}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRecordMeasurement(t *testing.T) {
	var r v1alpha1.MetricResult
	inFlight := v1alpha1.Measurement{Phase: running, StartedAt: mt(t0), ResumeAt: mt(t0.Add(time.Minute))}
	RecordMeasurement(&r, inFlight, false, t0)
	if len(r.Measurements) != 1 || r.Count != 0 || r.Measurements[0].FinishedAt != nil {
		t.Fatalf("in-flight measurement recorded wrongly: %+v", r)
	}
	finished := inFlight
	finished.Phase = failed
	RecordMeasurement(&r, finished, true, t0.Add(2*time.Minute))
	if len(r.Measurements) != 1 {
		t.Fatalf("resume must replace the last measurement, got %d", len(r.Measurements))
	}
	if r.Failed != 1 || r.Count != 1 {
		t.Fatalf("counters not updated: %+v", r)
	}
	if fa := r.Measurements[0].FinishedAt; fa == nil || !fa.Time.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("finishedAt = %v", fa)
	}
	RecordMeasurement(&r, done(successful, t0.Add(3*time.Minute)), false, t0.Add(9*time.Minute))
	if len(r.Measurements) != 2 || !r.Measurements[1].FinishedAt.Time.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("existing finishedAt must be kept: %+v", r.Measurements)
	}
}

func TestTrimMeasurements(t *testing.T) {
	r := resultOf("m")
	for i := 0; i < 12; i++ {
		r.Measurements = append(r.Measurements, done(successful, t0.Add(time.Duration(i)*time.Second)))
	}
	TrimMeasurements(&r, 0)
	if len(r.Measurements) != DefaultMeasurementHistoryLimit || !r.Measurements[0].FinishedAt.Time.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("default trim kept %d, first %v", len(r.Measurements), r.Measurements[0].FinishedAt)
	}
	TrimMeasurements(&r, 3)
	if len(r.Measurements) != 3 || !r.Measurements[2].FinishedAt.Time.Equal(t0.Add(11*time.Second)) {
		t.Fatalf("trim to 3 kept %+v", r.Measurements)
	}
}

func TestAssessLimits(t *testing.T) {
	tests := []struct {
		name       string
		metric     v1alpha1.Metric
		result     v1alpha1.MetricResult
		wantPhase  v1alpha1.AnalysisPhase
		wantReason string
	}{
		{name: "nothing exceeded", result: v1alpha1.MetricResult{Successful: 3}},
		{name: "default failureLimit 0", result: v1alpha1.MetricResult{Failed: 1}, wantPhase: failed, wantReason: "failed (1) > failureLimit (0)"},
		{name: "failureLimit 2 not exceeded", metric: v1alpha1.Metric{FailureLimit: ios(2)}, result: v1alpha1.MetricResult{Failed: 2}},
		{name: "failureLimit 2 exceeded", metric: v1alpha1.Metric{FailureLimit: ios(2)}, result: v1alpha1.MetricResult{Failed: 3}, wantPhase: failed, wantReason: "failed (3) > failureLimit (2)"},
		{name: "failureLimit -1 disables", metric: v1alpha1.Metric{FailureLimit: ios(-1)}, result: v1alpha1.MetricResult{Failed: 9}},
		{name: "string failureLimit", metric: v1alpha1.Metric{FailureLimit: iosStr("1")}, result: v1alpha1.MetricResult{Failed: 2}, wantPhase: failed, wantReason: "failed (2) > failureLimit (1)"},
		{name: "inconclusive", result: v1alpha1.MetricResult{Inconclusive: 1}, wantPhase: inconclusive, wantReason: "inconclusive (1) > inconclusiveLimit (0)"},
		{
			name: "last exceeded wins: inconclusive over failed", result: v1alpha1.MetricResult{Failed: 1, Inconclusive: 1},
			wantPhase: inconclusive, wantReason: "inconclusive (1) > inconclusiveLimit (0)",
		},
		{
			name: "last exceeded wins: error over both", result: v1alpha1.MetricResult{Failed: 1, Inconclusive: 1, ConsecutiveError: 5},
			wantPhase: errored, wantReason: "consecutiveErrors (5) > consecutiveErrorLimit (4)",
		},
		{name: "default consecutiveErrorLimit 4 not exceeded", result: v1alpha1.MetricResult{ConsecutiveError: 4}},
		{
			name: "consecutiveErrorLimit 0", metric: v1alpha1.Metric{ConsecutiveErrorLimit: ios(0)}, result: v1alpha1.MetricResult{ConsecutiveError: 1},
			wantPhase: errored, wantReason: "consecutiveErrors (1) > consecutiveErrorLimit (0)",
		},
		{name: "total errors do not matter", result: v1alpha1.MetricResult{Error: 50, ConsecutiveError: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			phase, reason := AssessLimits(tc.metric, tc.result)
			if phase != tc.wantPhase || reason != tc.wantReason {
				t.Fatalf("got (%q, %q), want (%q, %q)", phase, reason, tc.wantPhase, tc.wantReason)
			}
		})
	}
}

func TestAssessMetric(t *testing.T) {
	interval := func(m v1alpha1.Metric) v1alpha1.Metric { m.Interval = "1m"; return m }
	inFlight := resultOf("m", successful)
	inFlight.Measurements = append(inFlight.Measurements, v1alpha1.Measurement{Phase: running, StartedAt: mt(t0)})
	tests := []struct {
		name        string
		metric      v1alpha1.Metric
		result      v1alpha1.MetricResult
		terminating bool
		want        v1alpha1.AnalysisPhase
	}{
		{name: "no measurements => pending", result: resultOf("m"), want: pending},
		{name: "no measurements terminating => successful", result: resultOf("m"), terminating: true, want: successful},
		{name: "in flight => running", metric: interval(v1alpha1.Metric{}), result: inFlight, want: running},
		{name: "in flight terminating stays running", metric: interval(v1alpha1.Metric{}), result: inFlight, terminating: true, want: running},
		{
			name: "completed phase never changes", metric: v1alpha1.Metric{},
			result: func() v1alpha1.MetricResult { r := resultOf("m", successful); r.Phase = failed; return r }(), want: failed,
		},
		{name: "count 1 success", result: resultOf("m", successful), want: successful},
		{name: "count 1 failure", result: resultOf("m", failed), want: failed},
		{name: "count 1 inconclusive", result: resultOf("m", inconclusive), want: inconclusive},
		{name: "error does not reach count", result: resultOf("m", errored), want: running},
		{name: "error terminating => successful", result: resultOf("m", errored), terminating: true, want: successful},
		{name: "five consecutive errors => error", metric: interval(v1alpha1.Metric{}), result: resultOf("m", errored, errored, errored, errored, errored), want: errored},
		{name: "four consecutive errors => running", metric: interval(v1alpha1.Metric{}), result: resultOf("m", errored, errored, errored, errored), want: running},
		{
			name:   "failures under failureLimit then count reached => successful",
			metric: v1alpha1.Metric{Count: ios(5), Interval: "1m", FailureLimit: ios(2)},
			result: resultOf("m", failed, errored, failed, successful, errored, successful, successful), want: successful,
		},
		{
			name: "failure over limit before count", metric: v1alpha1.Metric{Count: ios(5), Interval: "1m", FailureLimit: ios(1)},
			result: resultOf("m", failed, failed), want: failed,
		},
		{
			name: "last exceeded wins in metric phase", metric: v1alpha1.Metric{Count: ios(5), Interval: "1m"},
			result: resultOf("m", failed, inconclusive), want: inconclusive,
		},
		{
			name: "consecutiveSuccessLimit reached before count", metric: v1alpha1.Metric{Count: ios(10), Interval: "1m", FailureLimit: ios(3), ConsecutiveSuccessLimit: ios(3)},
			result: resultOf("m", failed, successful, successful, successful), want: successful,
		},
		{
			name: "consecutiveSuccessLimit not yet reached", metric: v1alpha1.Metric{Count: ios(10), Interval: "1m", FailureLimit: ios(3), ConsecutiveSuccessLimit: ios(3)},
			result: resultOf("m", successful, successful, failed, successful), want: running,
		},
		{
			name: "count reached, both limits apply => inconclusive", metric: v1alpha1.Metric{Count: ios(4), Interval: "1m", FailureLimit: ios(2), ConsecutiveSuccessLimit: ios(3)},
			result: resultOf("m", successful, failed, successful, successful), want: inconclusive,
		},
		{
			name: "count reached, failureLimit unset and consecutiveSuccessLimit => inconclusive", metric: v1alpha1.Metric{Count: ios(2), Interval: "1m", ConsecutiveSuccessLimit: ios(3)},
			result: resultOf("m", successful, successful), want: inconclusive,
		},
		{
			name: "count reached, failureLimit -1 => failed", metric: v1alpha1.Metric{Count: ios(3), Interval: "1m", FailureLimit: ios(-1), ConsecutiveSuccessLimit: ios(2)},
			result: resultOf("m", failed, successful, failed), want: failed,
		},
		{
			name: "failureLimit -1 ignores failures until count", metric: v1alpha1.Metric{Count: ios(5), Interval: "1m", FailureLimit: ios(-1), ConsecutiveSuccessLimit: ios(2)},
			result: resultOf("m", failed, failed, failed), want: running,
		},
		{
			name: "failureLimit -1 succeeds on streak", metric: v1alpha1.Metric{Count: ios(5), Interval: "1m", FailureLimit: ios(-1), ConsecutiveSuccessLimit: ios(2)},
			result: resultOf("m", failed, failed, successful, successful), want: successful,
		},
		{name: "unbounded keeps running", metric: interval(v1alpha1.Metric{}), result: resultOf("m", successful, successful), want: running},
		{name: "unbounded terminating => successful", metric: interval(v1alpha1.Metric{}), result: resultOf("m", successful), terminating: true, want: successful},
		{name: "unbounded failure => failed", metric: interval(v1alpha1.Metric{}), result: resultOf("m", successful, failed), want: failed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AssessMetric(tc.metric, tc.result, tc.terminating); got != tc.want {
				t.Fatalf("got %s, want %s (result %+v)", got, tc.want, tc.result)
			}
		})
	}
}

func TestMetricMessage(t *testing.T) {
	m := promMetric("success-rate")
	r := resultOf("success-rate", failed)
	if got, want := MetricMessage(m, r, failed), `Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	r.Message = "provider said no"
	if got, want := MetricMessage(m, r, failed), `Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0): "Error Message: provider said no"`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	inc := resultOf("success-rate", inconclusive)
	if got, want := MetricMessage(m, inc, inconclusive), `Metric "success-rate" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	errs := resultOf("success-rate", errored, errored, errored, errored, errored)
	if got, want := MetricMessage(m, errs, errored), `Metric "success-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := MetricMessage(m, resultOf("success-rate", successful), successful); got != "" {
		t.Fatalf("no limit exceeded must give no message, got %q", got)
	}
	if got, want := DryRunMetricMessage(m, r, failed), "Metric assessed Failed due to failed (1) > failureLimit (0)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestIsWorse(t *testing.T) {
	order := []v1alpha1.AnalysisPhase{successful, running, pending, inconclusive, errored, failed}
	for i := range order {
		for j := range order {
			if got := IsWorse(order[i], order[j]); got != (j > i) {
				t.Fatalf("IsWorse(%s, %s) = %v", order[i], order[j], got)
			}
		}
	}
	if WorstPhase(errored, inconclusive) != errored || WorstPhase(inconclusive, failed) != failed {
		t.Fatal("WorstPhase wrong")
	}
}

func TestIsTerminating(t *testing.T) {
	run := &v1alpha1.AnalysisRun{}
	run.Status.MetricResults = []v1alpha1.MetricResult{{Name: "a", Phase: successful}, {Name: "b", Phase: failed, DryRun: true}}
	if IsTerminating(run) {
		t.Fatal("a dry-run failure must not terminate the run")
	}
	run.Status.MetricResults[0].Phase = inconclusive
	if !IsTerminating(run) {
		t.Fatal("an inconclusive metric terminates the run")
	}
	run.Status.MetricResults[0].Phase = running
	run.Spec.Terminate = true
	if !IsTerminating(run) {
		t.Fatal("spec.terminate terminates the run")
	}
}

func newRun(metrics ...v1alpha1.Metric) *v1alpha1.AnalysisRun {
	run := &v1alpha1.AnalysisRun{}
	run.Spec.Metrics = metrics
	run.Status.Phase = running
	run.Status.StartedAt = mt(t0)
	return run
}

func TestAssessRunPhaseOrder(t *testing.T) {
	tests := []struct {
		name   string
		phases []v1alpha1.AnalysisPhase // each metric gets one measurement of this phase
		want   v1alpha1.AnalysisPhase
	}{
		{name: "all successful", phases: []v1alpha1.AnalysisPhase{successful, successful}, want: successful},
		{name: "inconclusive beats successful", phases: []v1alpha1.AnalysisPhase{successful, inconclusive}, want: inconclusive},
		{name: "failed beats error", phases: []v1alpha1.AnalysisPhase{failed, inconclusive}, want: failed},
		{name: "failed beats error regardless of order", phases: []v1alpha1.AnalysisPhase{inconclusive, failed, successful}, want: failed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var metrics []v1alpha1.Metric
			var results []v1alpha1.MetricResult
			for i, p := range tc.phases {
				name := string(rune('a' + i))
				metrics = append(metrics, promMetric(name))
				results = append(results, resultOf(name, p))
			}
			run := newRun(metrics...)
			run.Status.MetricResults = results
			got, _ := AssessRun(run)
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			for i, r := range run.Status.MetricResults {
				if r.Phase != tc.phases[i] {
					t.Fatalf("metric %s phase %s, want %s", r.Name, r.Phase, tc.phases[i])
				}
			}
		})
	}
}

func TestAssessRunErrorBeatsInconclusive(t *testing.T) {
	a, b := promMetric("a"), promMetric("b")
	a.Interval, b.Interval = "1m", "1m"
	run := newRun(a, b)
	run.Status.MetricResults = []v1alpha1.MetricResult{
		resultOf("a", inconclusive),
		resultOf("b", errored, errored, errored, errored, errored),
	}
	got, msg := AssessRun(run)
	if got != errored || msg != `Metric "b" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)` {
		t.Fatalf("got %s %q", got, msg)
	}
	if run.Status.RunSummary != (v1alpha1.RunSummary{Count: 2, Inconclusive: 1, Error: 1}) {
		t.Fatalf("summary %+v", run.Status.RunSummary)
	}
}

func TestAssessRunRunningAndTermination(t *testing.T) {
	fast, slow := promMetric("fast"), promMetric("slow")
	slow.Interval, slow.Count = "1m", ios(3)

	// One metric done, the other still counting: Running, no message.
	run := newRun(fast, slow)
	run.Status.MetricResults = []v1alpha1.MetricResult{resultOf("fast", successful), resultOf("slow", successful)}
	if got, msg := AssessRun(run); got != running || msg != "" {
		t.Fatalf("got %s %q, want Running", got, msg)
	}

	// A metric without any result yet keeps the run Running.
	run = newRun(fast, slow)
	run.Status.MetricResults = []v1alpha1.MetricResult{resultOf("fast", successful)}
	if got, _ := AssessRun(run); got != running {
		t.Fatalf("got %s, want Running while a metric has not started", got)
	}

	// A failed metric: the first assessment marks it Failed; the run is
	// terminating from then on and completes Failed, siblings Successful.
	run = newRun(fast, slow)
	failedFast := resultOf("fast", failed)
	failedFast.Measurements[0].Message = "p99 too high"
	run.Status.MetricResults = []v1alpha1.MetricResult{failedFast, resultOf("slow", successful)}
	got, _ := AssessRun(run)
	if got != running {
		t.Fatalf("first assessment: got %s, want Running (terminating is computed before metrics are assessed)", got)
	}
	if run.Status.MetricResults[0].Phase != failed || run.Status.MetricResults[0].Message != "p99 too high" {
		t.Fatalf("failed metric result %+v", run.Status.MetricResults[0])
	}
	if !IsTerminating(run) {
		t.Fatal("run must now be terminating")
	}
	got, msg := AssessRun(run)
	wantMsg := `Metric "fast" assessed Failed due to failed (1) > failureLimit (0): "Error Message: p99 too high"`
	if got != failed || msg != wantMsg {
		t.Fatalf("second assessment: got %s %q, want Failed %q", got, msg, wantMsg)
	}
	if run.Status.MetricResults[1].Phase != successful {
		t.Fatalf("sibling must be assessed Successful when terminating, got %s", run.Status.MetricResults[1].Phase)
	}

	// spec.terminate before any measurement: Successful, "Run Terminated".
	run = newRun(fast, slow)
	run.Spec.Terminate = true
	if got, msg := AssessRun(run); got != successful || msg != RunTerminatedMessage {
		t.Fatalf("got %s %q", got, msg)
	}
}

func TestAssessRunDryRun(t *testing.T) {
	real, dry := promMetric("real"), promMetric("dry-latency")
	run := newRun(real, dry)
	run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "dry-.*"}}
	dryResult := resultOf("dry-latency", failed)
	dryResult.DryRun = true
	run.Status.MetricResults = []v1alpha1.MetricResult{resultOf("real", successful), dryResult}
	got, msg := AssessRun(run)
	if got != successful || msg != "" {
		t.Fatalf("dry-run failure leaked into run phase: %s %q", got, msg)
	}
	if m := run.Status.MetricResults[1]; m.Phase != failed || m.Message != "Metric assessed Failed due to failed (1) > failureLimit (0)" {
		t.Fatalf("dry-run metric result %+v", m)
	}
	if run.Status.RunSummary != (v1alpha1.RunSummary{Count: 1, Successful: 1}) {
		t.Fatalf("run summary %+v", run.Status.RunSummary)
	}
	if run.Status.DryRunSummary == nil || *run.Status.DryRunSummary != (v1alpha1.RunSummary{Count: 1, Failed: 1}) {
		t.Fatalf("dry-run summary %+v", run.Status.DryRunSummary)
	}

	// Only dry-run metrics: the run is Successful even if they all fail.
	run = newRun(dry)
	run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: ".*"}}
	dryResult = resultOf("dry-latency", failed)
	dryResult.DryRun = true
	run.Status.MetricResults = []v1alpha1.MetricResult{dryResult}
	if got, _ := AssessRun(run); got != successful {
		t.Fatalf("got %s, want Successful", got)
	}
}

func TestAssessRunSummaryCountsLimitPhase(t *testing.T) {
	// A metric Failed because consecutiveSuccessLimit was never reached has no
	// exceeded limit: Argo counts it as successful in the summary, and the
	// run message stays empty.
	m := promMetric("streak")
	m.Count, m.Interval, m.FailureLimit, m.ConsecutiveSuccessLimit = ios(2), "1m", ios(-1), ios(2)
	run := newRun(m)
	run.Status.MetricResults = []v1alpha1.MetricResult{resultOf("streak", failed, successful)}
	got, msg := AssessRun(run)
	if got != failed || msg != "" {
		t.Fatalf("got %s %q", got, msg)
	}
	if run.Status.RunSummary != (v1alpha1.RunSummary{Count: 1, Successful: 1}) {
		t.Fatalf("summary %+v", run.Status.RunSummary)
	}
}

func TestAssessRunResolvesArgsAndValidates(t *testing.T) {
	m := promMetric("rate")
	m.Interval, m.FailureLimit = "1m", iosStr("{{args.limit}}")
	run := newRun(m)
	run.Spec.Args = []v1alpha1.Argument{{Name: "limit", Value: sp("2")}}
	run.Status.MetricResults = []v1alpha1.MetricResult{resultOf("rate", failed, failed)}
	if got, _ := AssessRun(run); got != running {
		t.Fatalf("failureLimit from args not applied: got %s", got)
	}
	run.Status.MetricResults = []v1alpha1.MetricResult{resultOf("rate", failed, failed, failed)}
	// The only metric completes, so the run completes in the same assessment.
	if got, msg := AssessRun(run); got != failed || msg != `Metric "rate" assessed Failed due to failed (3) > failureLimit (2)` {
		t.Fatalf("third failure must fail the metric and the run: got %s %q", got, msg)
	}

	tests := []struct {
		name string
		edit func(run *v1alpha1.AnalysisRun)
		want string
	}{
		{
			name: "unknown arg",
			edit: func(run *v1alpha1.AnalysisRun) {
				run.Spec.Metrics[0].Provider.Prometheus.Query = "up{pod='{{args.pod}}'}"
			},
			want: "Unable to resolve metric arguments: failed to resolve {{args.pod}}",
		},
		{
			name: "no provider",
			edit: func(run *v1alpha1.AnalysisRun) { run.Spec.Metrics[0].Provider = v1alpha1.MetricProvider{} },
			want: "Analysis spec invalid: metrics[0]: no provider specified",
		},
		{
			name: "dry-run rule matches nothing",
			edit: func(run *v1alpha1.AnalysisRun) { run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "nope"}} },
			want: "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)",
		},
		{
			name: "retention rule matches nothing",
			edit: func(run *v1alpha1.AnalysisRun) {
				run.Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "rate"}, {MetricName: "x"}}
			},
			want: "Analysis spec invalid: measurementRetention[1]: Rule didn't match any metric name(s)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := newRun(promMetric("rate"))
			tc.edit(run)
			got, msg := AssessRun(run)
			if got != errored || msg != tc.want {
				t.Fatalf("got %s %q, want Error %q", got, msg, tc.want)
			}
		})
	}

	done := newRun(promMetric("rate"))
	done.Status.Phase, done.Status.Message = failed, "kept"
	if got, msg := AssessRun(done); got != failed || msg != "kept" {
		t.Fatalf("completed run must keep its phase: %s %q", got, msg)
	}
}

func TestMeasurementRetentionLimits(t *testing.T) {
	metrics := []v1alpha1.Metric{promMetric("a-1"), promMetric("a-2"), promMetric("b")}
	got, err := MeasurementRetentionLimits([]v1alpha1.MeasurementRetention{{MetricName: "a-.*", Limit: 5}, {MetricName: "2$", Limit: 7}}, metrics)
	if err != nil {
		t.Fatal(err)
	}
	if got["a-1"] != 5 || got["a-2"] != 7 || len(got) != 2 {
		t.Fatalf("limits %v (last matching rule wins)", got)
	}
	dry, err := DryRunMetrics([]v1alpha1.DryRun{{MetricName: "a"}}, metrics) // unanchored
	if err != nil || !dry["a-1"] || !dry["a-2"] || dry["b"] {
		t.Fatalf("dry %v %v", dry, err)
	}
	if _, err := DryRunMetrics([]v1alpha1.DryRun{{MetricName: "("}}, metrics); err == nil {
		t.Fatal("an invalid regexp matches nothing")
	}
}
