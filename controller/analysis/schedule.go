package analysis

import (
	"time"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

// DefaultErrorRetryInterval is the delay before a metric is measured again
// after an Error measurement, whatever its interval (analysis/analysis.go).
const DefaultErrorRetryInterval = 10 * time.Second

func lastMeasurement(result *v1alpha1.MetricResult) *v1alpha1.Measurement {
	if result == nil || len(result.Measurements) == 0 {
		return nil
	}
	return &result.Measurements[len(result.Measurements)-1]
}

// NextMeasurementTime says when the metric should next be measured (or its
// in-flight measurement resumed), given the run's status.startedAt (§7.6):
//
//   - metric completed, or effective count reached: ok=false;
//   - no measurement yet: startedAt (+ initialDelay); due once now >= t;
//   - last measurement in flight: its resumeAt, due once now >= t; without
//     resumeAt ok=false (it is resumed at every reconcile, and only provider
//     events or other timers bring one about);
//   - last measurement Error: finishedAt + 10 s;
//   - otherwise finishedAt + interval (ok=false without interval);
//     these two are due only once now > t (strictly).
//
// An unparsable interval or initialDelay gives ok=false (Argo never measures
// it; validation rejects such a metric). MeasurementDue applies the
// comparisons; NextReconcileTime takes the earliest time over a run.
func NextMeasurementTime(metric v1alpha1.Metric, result *v1alpha1.MetricResult, startedAt time.Time) (t time.Time, ok bool) {
	if result != nil && result.Phase.Completed() {
		return time.Time{}, false
	}
	last := lastMeasurement(result)
	if last == nil {
		if metric.InitialDelay == "" {
			return startedAt, true
		}
		d, err := metric.InitialDelay.Duration()
		if err != nil {
			return time.Time{}, false
		}
		return startedAt.Add(d), true
	}
	if last.FinishedAt == nil {
		if last.ResumeAt == nil {
			return time.Time{}, false
		}
		return last.ResumeAt.Time, true
	}
	if CountReached(metric, *result) {
		return time.Time{}, false
	}
	if last.Phase == v1alpha1.AnalysisPhaseError {
		return last.FinishedAt.Add(DefaultErrorRetryInterval), true
	}
	if metric.Interval == "" {
		return time.Time{}, false
	}
	d, err := metric.Interval.Duration()
	if err != nil {
		return time.Time{}, false
	}
	return last.FinishedAt.Add(d), true
}

// MeasurementDue reports whether one analysis reconcile at now takes a new
// measurement of the metric (take) or continues its in-flight one (resume),
// as generateMetricTasks decides. When terminating, no new measurement is
// taken and an in-flight one is resumed at once (to be terminated). A zero
// startedAt means the run has not recorded its start yet, so a metric with an
// initialDelay is not due (Argo sets startedAt after generating the tasks of
// its first reconcile). Without an interval and without an Error the retry
// gap is DefaultErrorRetryInterval, as in Argo.
func MeasurementDue(metric v1alpha1.Metric, result *v1alpha1.MetricResult, startedAt, now time.Time, terminating bool) (take, resume bool) {
	if result != nil && result.Phase.Completed() {
		return false, false
	}
	last := lastMeasurement(result)
	if last != nil && last.FinishedAt == nil {
		if !terminating && last.ResumeAt != nil && last.ResumeAt.After(now) {
			return false, false
		}
		return false, true
	}
	if terminating {
		return false, false
	}
	if last == nil {
		if metric.InitialDelay != "" {
			if startedAt.IsZero() {
				return false, false
			}
			d, err := metric.InitialDelay.Duration()
			if err != nil || startedAt.Add(d).After(now) {
				return false, false
			}
		}
		return true, false
	}
	if CountReached(metric, *result) {
		return false, false
	}
	gap := DefaultErrorRetryInterval
	if last.Phase != v1alpha1.AnalysisPhaseError && metric.Interval != "" {
		d, err := metric.Interval.Duration()
		if err != nil {
			return false, false
		}
		gap = d
	}
	return now.After(last.FinishedAt.Add(gap)), false
}

// NextReconcileTime is the earliest wake-up over the run's metrics
// (calculateNextReconcileTime): completed metrics and count-reached metrics
// are skipped; a metric not yet measured counts only through its
// initialDelay, measured from status.startedAt (now when unset); an in-flight
// measurement counts through its resumeAt; otherwise finishedAt + interval
// (+10 s after an Error). ok=false when nothing is scheduled. metrics should be
// the resolved metrics (ResolveMetricsWithoutSecrets).
func NextReconcileTime(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, now time.Time) (t time.Time, ok bool) {
	startedAt := now
	if run.Status.StartedAt != nil {
		startedAt = run.Status.StartedAt.Time
	}
	for _, metric := range metrics {
		var result *v1alpha1.MetricResult
		if i := FindResult(run, metric.Name); i >= 0 {
			result = &run.Status.MetricResults[i]
		}
		if lastMeasurement(result) == nil && metric.InitialDelay == "" {
			continue // measured in the same reconcile; Argo does not requeue for it
		}
		mt, mok := NextMeasurementTime(metric, result, startedAt)
		if !mok {
			continue
		}
		if !ok || mt.Before(t) {
			t, ok = mt, true
		}
	}
	return t, ok
}
