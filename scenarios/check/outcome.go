package check

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim/trace"
	"github.com/rollsim/rollsim/sim/traffic"
)

// Observed is what a finished run saw, for the outcome metrics.
type Observed struct {
	// Rollouts are the rollouts at the end of the run.
	Rollouts []v1alpha1.Rollout
	// Records is the timeline; Samples the rollouts' sampled states.
	Records []trace.Record
	Samples []report.Sample
	// OnsetMs is the failure-onset anchor after T+0 (nil: none).
	OnsetMs *int64
	// Exposure is the traffic model's exposure (nil without one).
	Exposure []traffic.Exposure
}

func ms(d int64) *int64 { return &d }

// Outcomes computes the outcome metrics of every rollout from the timeline,
// the samples and the traffic model.
func Outcomes(obs Observed) []report.Outcome {
	out := []report.Outcome{}
	for _, ro := range obs.Rollouts {
		o := report.Outcome{Rollout: ro.Name, FailureOnsetMs: obs.OnsetMs, Exposure: []report.Exposure{}}
		o.TimeToPromotionMs = timeToPromotion(obs.Records, "rollout/"+ro.Name)
		abortAndRollback(&o, ro, obs)
		for _, s := range obs.Samples {
			if s.Rollout == ro.Name && s.Weight > o.PeakCanaryWeight {
				o.PeakCanaryWeight = s.Weight
			}
		}
		o.Exposure = append(o.Exposure, exposure(obs.Exposure, ro.Name)...)
		out = append(out, o)
	}
	return out
}

// timeToPromotion: from the first SetImage action on the rollout to its
// first promotion after it.
func timeToPromotion(records []trace.Record, obj string) *int64 {
	var update *int64
	for _, rec := range records {
		if rec.Object == obj && rec.Verb == "action" && rec.Reason == "SetImage" && update == nil {
			update = ms(rec.AtMs)
		}
		if rec.Object == obj && rec.Verb == "promoted" && update != nil && rec.AtMs >= *update {
			return ms(rec.AtMs - *update)
		}
	}
	return nil
}

// abortAndRollback sets the times to abort, to detect and to roll back,
// from the failure onset (T+0 without one).
func abortAndRollback(o *report.Outcome, ro v1alpha1.Rollout, obs Observed) {
	obj := "rollout/" + ro.Name
	from := int64(0)
	if obs.OnsetMs != nil {
		from = *obs.OnsetMs
	}
	var abortAt *int64
	for _, rec := range obs.Records {
		if rec.Object == obj && rec.Verb == "aborted" && rec.AtMs >= from {
			abortAt = ms(rec.AtMs)
			o.TimeToAbortMs = ms(rec.AtMs - from)
			break
		}
	}
	if abortAt == nil {
		return
	}
	o.TimeToDetectMs = timeToDetect(obs.Records, *abortAt, from)
	replicas := int32(1)
	if ro.Spec.Replicas != nil {
		replicas = *ro.Spec.Replicas
	}
	for _, s := range obs.Samples {
		if s.Rollout != ro.Name || s.AtMs < *abortAt {
			continue
		}
		if s.CanaryPods == 0 && s.StablePods >= replicas && s.Weight == 0 {
			o.TimeToRollbackMs = ms(s.AtMs - *abortAt)
			break
		}
	}
}

// timeToDetect: the run that led to the abort is the last run that failed
// or errored at or before it; detection is its first bad measurement.
func timeToDetect(records []trace.Record, abortAt, from int64) *int64 {
	failedRun := ""
	for _, rec := range records {
		if rec.AtMs > abortAt {
			break
		}
		if rec.Verb == "phase" && (rec.Reason == "AnalysisRunFailed" || rec.Reason == "AnalysisRunError") {
			failedRun = rec.Object
		}
	}
	for _, rec := range records {
		if failedRun != "" && rec.Object == failedRun && rec.Verb == "measured" &&
			(strings.Contains(rec.Detail, "→ Failed") || strings.Contains(rec.Detail, "→ Error")) && rec.AtMs >= from {
			return ms(rec.AtMs - from)
		}
	}
	return nil
}

// exposure sums the traffic model's exposure of one rollout by version and
// cohort, sorted, with shares and rounded counts.
func exposure(all []traffic.Exposure, rollout string) []report.Exposure {
	agg := map[[2]string]*report.Exposure{}
	for _, e := range all {
		if e.Rollout != rollout {
			continue
		}
		k := [2]string{e.Version, e.Cohort}
		if agg[k] == nil {
			agg[k] = &report.Exposure{Version: e.Version, Cohort: e.Cohort}
		}
		agg[k].Requests += e.Requests
		agg[k].FailedRequests += e.Errors
		agg[k].ShadowRequests += e.ShadowRequests
		agg[k].ShadowFailedRequests += e.ShadowErrors
	}
	keys := make([][2]string, 0, len(agg))
	for k := range agg {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	var total float64
	for _, e := range agg {
		total += e.Requests
	}
	var out []report.Exposure
	for _, k := range keys {
		e := agg[k]
		if total > 0 {
			e.Share = math.Round(e.Requests/total*10000) / 10000
		}
		e.Requests = math.Round(e.Requests*1000) / 1000
		e.FailedRequests = math.Round(e.FailedRequests*1000) / 1000
		e.ShadowRequests = math.Round(e.ShadowRequests*1000) / 1000
		e.ShadowFailedRequests = math.Round(e.ShadowFailedRequests*1000) / 1000
		out = append(out, *e)
	}
	return out
}

// Outcome evaluates an outcome expectation against the run's outcomes.
func Outcome(e format.Expectation, outs []report.Outcome) report.Expectation {
	res := report.Expectation{Description: e.Describe()}
	oe := e.Outcome
	var o *report.Outcome
	for i := range outs {
		if oe.Rollout == "" || outs[i].Rollout == oe.Rollout || strings.HasSuffix(oe.Rollout, "/"+outs[i].Rollout) {
			o = &outs[i]
			break
		}
	}
	if o == nil {
		res.Message = fmt.Sprintf("no rollout %q", oe.Rollout)
		return res
	}
	var fails []string
	fails = bound(fails, "timeToPromotion", oe.TimeToPromotion, o.TimeToPromotionMs)
	fails = bound(fails, "timeToDetect", oe.TimeToDetect, o.TimeToDetectMs)
	fails = bound(fails, "timeToAbort", oe.TimeToAbort, o.TimeToAbortMs)
	fails = bound(fails, "timeToRollback", oe.TimeToRollback, o.TimeToRollbackMs)
	if oe.MaxPeakCanaryWeight != nil && o.PeakCanaryWeight > *oe.MaxPeakCanaryWeight {
		fails = append(fails, fmt.Sprintf("peak canary weight is %d, want at most %d", o.PeakCanaryWeight, *oe.MaxPeakCanaryWeight))
	}
	if x := oe.Exposure; x != nil {
		fails = append(fails, exposureFails(x, o.Exposure)...)
	}
	res.Passed = len(fails) == 0
	res.Message = strings.Join(fails, "; ")
	return res
}

// bound adds to fails what got (milliseconds; nil: never happened) breaks
// of b.
func bound(fails []string, name string, b *format.Bound, got *int64) []string {
	if b == nil {
		return fails
	}
	if b.Never {
		if got != nil {
			fails = append(fails, fmt.Sprintf("%s is %s, want never", name, time.Duration(*got)*time.Millisecond))
		}
		return fails
	}
	if got == nil {
		return append(fails, fmt.Sprintf("%s never happened", name))
	}
	d := time.Duration(*got) * time.Millisecond
	if b.Max != nil && d > b.Max.Duration {
		fails = append(fails, fmt.Sprintf("%s is %s, want at most %s", name, d, b.Max.Duration))
	}
	if b.Min != nil && d < b.Min.Duration {
		fails = append(fails, fmt.Sprintf("%s is %s, want at least %s", name, d, b.Min.Duration))
	}
	return fails
}

func exposureFails(x *format.ExposureExpect, exps []report.Exposure) []string {
	var fails []string
	var req, failed, shadow float64
	for _, ex := range exps {
		if ex.Version == x.Version && (x.Cohort == "" || ex.Cohort == x.Cohort) {
			req += ex.Requests
			failed += ex.FailedRequests
			shadow += ex.ShadowRequests
		}
	}
	if x.MinShadowRequests != nil && shadow < *x.MinShadowRequests {
		fails = append(fails, fmt.Sprintf("version %s served %.1f shadow requests, want at least %v", x.Version, shadow, *x.MinShadowRequests))
	}
	if x.MaxShadowRequests != nil && shadow > *x.MaxShadowRequests {
		fails = append(fails, fmt.Sprintf("version %s served %.1f shadow requests, want at most %v", x.Version, shadow, *x.MaxShadowRequests))
	}
	if x.MaxRequests != nil && req > *x.MaxRequests {
		fails = append(fails, fmt.Sprintf("version %s served %.1f requests, want at most %v", x.Version, req, *x.MaxRequests))
	}
	if x.MaxFailedRequests != nil && failed > *x.MaxFailedRequests {
		fails = append(fails, fmt.Sprintf("version %s failed %.1f requests, want at most %v", x.Version, failed, *x.MaxFailedRequests))
	}
	if x.MinRequests != nil && req < *x.MinRequests {
		fails = append(fails, fmt.Sprintf("version %s served %.1f requests, want at least %v", x.Version, req, *x.MinRequests))
	}
	return fails
}
