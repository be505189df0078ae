package analysis

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DefaultConsecutiveErrorLimit is the consecutiveErrorLimit used when a metric
// leaves it unset (utils/defaults): the fifth error in a row makes the metric Error.
const DefaultConsecutiveErrorLimit int32 = 4

// DefaultMeasurementHistoryLimit is the number of measurements Argo keeps per
// metric when no measurementRetention rule applies.
const DefaultMeasurementHistoryLimit = 10

// RunTerminatedMessage is the run message Argo starts from when spec.terminate is set.
const RunTerminatedMessage = "Run Terminated"

// MetricTerminatedMessage is the measurement message Argo writes when an
// in-flight measurement is terminated and ends Successful or Inconclusive.
const MetricTerminatedMessage = "Metric Terminated"

// phaseOrder lists phases from best to worst (utils/analysis: IsWorse).
var phaseOrder = []v1alpha1.AnalysisPhase{
	v1alpha1.AnalysisPhaseSuccessful,
	v1alpha1.AnalysisPhaseRunning,
	v1alpha1.AnalysisPhasePending,
	v1alpha1.AnalysisPhaseInconclusive,
	v1alpha1.AnalysisPhaseError,
	v1alpha1.AnalysisPhaseFailed,
}

func phaseRank(p v1alpha1.AnalysisPhase) int {
	for i, q := range phaseOrder {
		if p == q {
			return i
		}
	}
	return 0 // unknown phases (including "") rank as Successful, as in Argo
}

// IsWorse reports whether next is a worse phase than current in the order
// Successful < Running < Pending < Inconclusive < Error < Failed.
func IsWorse(current, next v1alpha1.AnalysisPhase) bool {
	return phaseRank(next) > phaseRank(current)
}

// WorstPhase returns the worse of two phases (a on ties).
func WorstPhase(a, b v1alpha1.AnalysisPhase) v1alpha1.AnalysisPhase {
	if IsWorse(a, b) {
		return b
	}
	return a
}

// intOr returns the integer value of an IntOrString (a string that is not an
// integer counts as 0, as IntOrString.IntValue does), or def when unset.
func intOr(v *intstr.IntOrString, def int32) int32 {
	if v == nil {
		return def
	}
	return int32(v.IntValue())
}

// EffectiveCount is the number of measurements a metric takes (§7.3,
// Metric.EffectiveCount): an explicit non-zero count is used as is; otherwise
// a metric with an interval is unbounded (it measures until the run
// terminates or the metric completes on a limit), and one without is
// measured once. A negative count is returned as is, as Argo does (it is
// reached after the first measurement).
func EffectiveCount(metric v1alpha1.Metric) (count int32, unbounded bool) {
	if c := intOr(metric.Count, 0); c != 0 {
		return c, false
	}
	if metric.Interval != "" {
		return 0, true
	}
	return 1, false
}

// CountReached reports whether the metric has taken its effective count of
// (non-Error) measurements.
func CountReached(metric v1alpha1.Metric, result v1alpha1.MetricResult) bool {
	count, unbounded := EffectiveCount(metric)
	return !unbounded && result.Count >= count
}

// CountMeasurement updates a metric result's counters for one completed
// measurement phase (§7.5). Error does not increment Count. Phases that are
// not completed change nothing.
func CountMeasurement(result *v1alpha1.MetricResult, phase v1alpha1.AnalysisPhase) {
	switch phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		result.Successful++
		result.Count++
		result.ConsecutiveError = 0
		result.ConsecutiveSuccess++
	case v1alpha1.AnalysisPhaseFailed:
		result.Failed++
		result.Count++
		result.ConsecutiveError = 0
		result.ConsecutiveSuccess = 0
	case v1alpha1.AnalysisPhaseInconclusive:
		result.Inconclusive++
		result.Count++
		result.ConsecutiveError = 0
		result.ConsecutiveSuccess = 0
	case v1alpha1.AnalysisPhaseError:
		result.Error++
		result.ConsecutiveError++
		result.ConsecutiveSuccess = 0
	}
}

// RecordMeasurement stores a measurement in a metric result the way the
// analysis controller does after running, resuming or terminating it: a
// completed measurement without finishedAt gets finishedAt = now and is
// counted (CountMeasurement); then the measurement is appended, or replaces
// the last one when resumed is true (it continues an in-flight measurement).
// now is stored as given; Argo persists whole seconds.
func RecordMeasurement(result *v1alpha1.MetricResult, m v1alpha1.Measurement, resumed bool, now time.Time) {
	if m.Phase.Completed() {
		if m.FinishedAt == nil {
			t := metav1.NewTime(now)
			m.FinishedAt = &t
		}
		CountMeasurement(result, m.Phase)
	}
	if resumed && len(result.Measurements) > 0 {
		result.Measurements[len(result.Measurements)-1] = m
		return
	}
	result.Measurements = append(result.Measurements, m)
}

// TrimMeasurements keeps the newest limit measurements (Argo's measurement
// retention; limit <= 0 means DefaultMeasurementHistoryLimit). It reslices:
// the result shares its backing array with the slice it had.
func TrimMeasurements(result *v1alpha1.MetricResult, limit int) {
	if limit <= 0 {
		limit = DefaultMeasurementHistoryLimit
	}
	if n := len(result.Measurements); n > limit {
		result.Measurements = result.Measurements[n-limit:]
	}
}

// AssessLimits checks the failure, inconclusive and consecutive-error limits
// in that order; the last one exceeded wins (so Error beats Inconclusive beats
// Failed). It returns "" and "" when none is exceeded, else the phase and
// Argo's reason, e.g. "failed (1) > failureLimit (0)",
// "inconclusive (2) > inconclusiveLimit (1)",
// "consecutiveErrors (5) > consecutiveErrorLimit (4)". failureLimit -1
// disables the failure check.
func AssessLimits(metric v1alpha1.Metric, result v1alpha1.MetricResult) (v1alpha1.AnalysisPhase, string) {
	var phase v1alpha1.AnalysisPhase
	var reason string
	if failureLimit := intOr(metric.FailureLimit, 0); failureLimit >= 0 && result.Failed > failureLimit {
		phase = v1alpha1.AnalysisPhaseFailed
		reason = fmt.Sprintf("failed (%d) > failureLimit (%d)", result.Failed, failureLimit)
	}
	if inconclusiveLimit := intOr(metric.InconclusiveLimit, 0); result.Inconclusive > inconclusiveLimit {
		phase = v1alpha1.AnalysisPhaseInconclusive
		reason = fmt.Sprintf("inconclusive (%d) > inconclusiveLimit (%d)", result.Inconclusive, inconclusiveLimit)
	}
	if errorLimit := intOr(metric.ConsecutiveErrorLimit, DefaultConsecutiveErrorLimit); result.ConsecutiveError > errorLimit {
		phase = v1alpha1.AnalysisPhaseError
		reason = fmt.Sprintf("consecutiveErrors (%d) > consecutiveErrorLimit (%d)", result.ConsecutiveError, errorLimit)
	}
	return phase, reason
}

// AssessMetric returns a metric's phase from its result (§7.5,
// assessMetricStatus). A completed phase never changes. Otherwise:
//
//  1. no measurement: Pending (Successful when terminating); last measurement
//     not completed: Running;
//  2. a limit exceeded (AssessLimits): that phase;
//  3. consecutiveSuccessLimit > 0 reached: Successful;
//  4. effective count reached: Inconclusive when both failureLimit (unset or
//     >= 0) and consecutiveSuccessLimit (> 0) apply, Failed when only
//     consecutiveSuccessLimit applies (failureLimit -1), else Successful;
//  5. Running, or Successful when terminating.
func AssessMetric(metric v1alpha1.Metric, result v1alpha1.MetricResult, terminating bool) v1alpha1.AnalysisPhase {
	if result.Phase.Completed() {
		return result.Phase
	}
	if len(result.Measurements) == 0 {
		if terminating {
			return v1alpha1.AnalysisPhaseSuccessful
		}
		return v1alpha1.AnalysisPhasePending
	}
	if !result.Measurements[len(result.Measurements)-1].Phase.Completed() {
		return v1alpha1.AnalysisPhaseRunning
	}
	if phase, _ := AssessLimits(metric, result); phase != "" {
		return phase
	}
	successLimit := intOr(metric.ConsecutiveSuccessLimit, 0)
	if successLimit > 0 && result.ConsecutiveSuccess >= successLimit {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if CountReached(metric, result) {
		failureApplies := metric.FailureLimit == nil || metric.FailureLimit.IntValue() >= 0
		successApplies := successLimit > 0
		switch {
		case failureApplies && successApplies:
			return v1alpha1.AnalysisPhaseInconclusive
		case successApplies:
			return v1alpha1.AnalysisPhaseFailed
		default:
			return v1alpha1.AnalysisPhaseSuccessful
		}
	}
	if terminating {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	return v1alpha1.AnalysisPhaseRunning
}

// MetricMessage is the run message Argo writes for a metric assessed with the
// given (completed) phase, e.g.
// `Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`,
// followed by `: "Error Message: <result.Message>"` when the metric result
// carries a message. It is "" when no limit was exceeded (a metric that
// completed on its count or consecutiveSuccessLimit has no message).
func MetricMessage(metric v1alpha1.Metric, result v1alpha1.MetricResult, phase v1alpha1.AnalysisPhase) string {
	_, reason := AssessLimits(metric, result)
	if reason == "" {
		return ""
	}
	msg := fmt.Sprintf("Metric %q assessed %s due to %s", metric.Name, phase, reason)
	if result.Message != "" {
		msg += fmt.Sprintf(": \"Error Message: %s\"", result.Message)
	}
	return msg
}

// DryRunMetricMessage is the message Argo stores on a dry-run metric's result
// when a limit was exceeded: "Metric assessed Failed due to failed (1) >
// failureLimit (0)"; "" when no limit was exceeded.
func DryRunMetricMessage(metric v1alpha1.Metric, result v1alpha1.MetricResult, phase v1alpha1.AnalysisPhase) string {
	_, reason := AssessLimits(metric, result)
	if reason == "" {
		return ""
	}
	return fmt.Sprintf("Metric assessed %s due to %s", phase, reason)
}

// IsTerminating reports whether a run stops taking new measurements:
// spec.terminate, or any non-dry-run metric result already Failed, Error or
// Inconclusive.
func IsTerminating(run *v1alpha1.AnalysisRun) bool {
	if run.Spec.Terminate {
		return true
	}
	for _, r := range run.Status.MetricResults {
		if r.DryRun {
			continue
		}
		switch r.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true
		}
	}
	return false
}

// FindResult returns the index of the named metric result, or -1.
func FindResult(run *v1alpha1.AnalysisRun, name string) int {
	for i := range run.Status.MetricResults {
		if run.Status.MetricResults[i].Name == name {
			return i
		}
	}
	return -1
}

// matchRules maps every metric matched by at least one rule (an unanchored
// regular expression on the metric name) to the last matching rule index.
// A rule matching no metric is an error worded by noMatch.
func matchRules(patterns []string, metrics []v1alpha1.Metric, noMatch func(int) error) (map[string]int, error) {
	matched := map[string]int{}
	for i, pattern := range patterns {
		re, err := regexp.Compile(pattern)
		n := 0
		if err == nil {
			for _, m := range metrics {
				if re.MatchString(m.Name) {
					matched[m.Name] = i
					n++
				}
			}
		}
		if n == 0 { // an invalid expression matches nothing, as in Argo
			return matched, noMatch(i)
		}
	}
	return matched, nil
}

// DryRunMetrics returns the names of the metrics selected by the dry-run
// rules (unanchored regular expressions, ".*" = all). A rule that matches no
// metric is an error: "dryRun[i]: Rule didn't match any metric name(s)".
func DryRunMetrics(rules []v1alpha1.DryRun, metrics []v1alpha1.Metric) (map[string]bool, error) {
	patterns := make([]string, len(rules))
	for i, r := range rules {
		patterns[i] = r.MetricName
	}
	matched, err := matchRules(patterns, metrics, func(i int) error {
		return fmt.Errorf("dryRun[%d]: Rule didn't match any metric name(s)", i)
	})
	out := make(map[string]bool, len(matched))
	for name := range matched {
		out[name] = true
	}
	return out, err
}

// MeasurementRetentionLimits returns, per metric name, the retention limit of
// the last rule matching it. A rule that matches no metric is an error:
// "measurementRetention[i]: Rule didn't match any metric name(s)".
func MeasurementRetentionLimits(rules []v1alpha1.MeasurementRetention, metrics []v1alpha1.Metric) (map[string]int32, error) {
	patterns := make([]string, len(rules))
	for i, r := range rules {
		patterns[i] = r.MetricName
	}
	matched, err := matchRules(patterns, metrics, func(i int) error {
		return fmt.Errorf("measurementRetention[%d]: Rule didn't match any metric name(s)", i)
	})
	out := make(map[string]int32, len(matched))
	for name, i := range matched {
		out[name] = rules[i].Limit
	}
	return out, err
}

// AssessRun decides an AnalysisRun's phase and message the way one analysis
// reconcile does after its measurements (§7.6). A run already completed keeps
// its phase and message. Otherwise the metrics are resolved against the run's
// args (secretKeyRef args replaced by a placeholder), validated, and matched
// against the dry-run and measurement-retention rules; a failure there gives
// phase Error with "Unable to resolve metric arguments: …" or
// "Analysis spec invalid: …". Then AssessRunMetrics runs.
//
// Like Argo, AssessRun updates run.Status.MetricResults (phase and message of
// each metric), RunSummary and DryRunSummary. It does not set StartedAt,
// Phase, Message or CompletedAt: Argo sets StartedAt at the first reconcile,
// and copies phase and message into the status only when the phase changed
// (then CompletedAt when the phase is completed).
func AssessRun(run *v1alpha1.AnalysisRun) (v1alpha1.AnalysisPhase, string) {
	if run.Status.Phase.Completed() {
		return run.Status.Phase, run.Status.Message
	}
	metrics, err := ResolveMetricsWithoutSecrets(run.Spec.Metrics, run.Spec.Args)
	if err != nil {
		return v1alpha1.AnalysisPhaseError, fmt.Sprintf("Unable to resolve metric arguments: %v", err)
	}
	if err := ValidateMetrics(metrics); err != nil {
		return v1alpha1.AnalysisPhaseError, fmt.Sprintf("Analysis spec invalid: %v", err)
	}
	dryRun, err := DryRunMetrics(run.Spec.DryRun, metrics)
	if err != nil {
		return v1alpha1.AnalysisPhaseError, fmt.Sprintf("Analysis spec invalid: %v", err)
	}
	if _, err := MeasurementRetentionLimits(run.Spec.MeasurementRetention, metrics); err != nil {
		return v1alpha1.AnalysisPhaseError, fmt.Sprintf("Analysis spec invalid: %v", err)
	}
	return AssessRunMetrics(run, metrics, dryRun)
}

// AssessRunMetrics is AssessRun for already-resolved metrics and a dry-run set
// (assessRunStatus). Each metric with a result is assessed (AssessMetric);
// on a phase change the result takes that phase and its last measurement's
// message. The run phase is the worst completed phase of the non-dry-run
// metrics; dry-run metrics count as Successful. While a metric is not
// completed (or has no result yet) the run is Running, with message "",
// unless the run is terminating: then the worst completed phase is returned
// (Successful when none). The message is the MetricMessage of the metric that
// set the worst phase ("Run Terminated" when spec.terminate and no such
// message), trimmed.
func AssessRunMetrics(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, dryRun map[string]bool) (v1alpha1.AnalysisPhase, string) {
	var worst v1alpha1.AnalysisPhase
	var message string
	terminating := IsTerminating(run)
	allCompleted := true
	if run.Spec.Terminate {
		message = RunTerminatedMessage
	}
	var summary, drySummary v1alpha1.RunSummary

	for _, metric := range metrics {
		isDry := dryRun[metric.Name]
		if isDry {
			drySummary.Count++
		} else {
			summary.Count++
		}
		idx := FindResult(run, metric.Name)
		if idx < 0 {
			allCompleted = false // not started yet (e.g. waiting for initialDelay)
			continue
		}
		result := &run.Status.MetricResults[idx]
		phase := AssessMetric(metric, *result, terminating)
		if phase != result.Phase {
			if n := len(result.Measurements); n > 0 {
				result.Message = result.Measurements[n-1].Message
			}
			result.Phase = phase
		}
		if !phase.Completed() {
			allCompleted = false
			continue
		}
		limitPhase, reason := AssessLimits(metric, *result)
		tally := &summary
		if isDry {
			tally = &drySummary
			if worst == "" {
				worst = v1alpha1.AnalysisPhaseSuccessful
			}
			if reason != "" {
				result.Message = fmt.Sprintf("Metric assessed %s due to %s", phase, reason)
			}
		} else if worst == "" || IsWorse(worst, phase) {
			worst = phase
			if reason != "" {
				message = MetricMessage(metric, *result, phase)
			}
		}
		switch limitPhase {
		case v1alpha1.AnalysisPhaseError:
			tally.Error++
		case v1alpha1.AnalysisPhaseFailed:
			tally.Failed++
		case v1alpha1.AnalysisPhaseInconclusive:
			tally.Inconclusive++
		default: // no limit exceeded counts as successful, whatever the metric phase
			tally.Successful++
		}
	}
	message = strings.TrimSpace(message)
	run.Status.RunSummary = summary
	run.Status.DryRunSummary = &drySummary
	if terminating {
		if worst == "" {
			return v1alpha1.AnalysisPhaseSuccessful, message
		}
		return worst, message
	}
	if !allCompleted || worst == "" {
		return v1alpha1.AnalysisPhaseRunning, ""
	}
	return worst, message
}
