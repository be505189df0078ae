package scenarios

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim/trace"
)

// sampler records each rollout's state after every settled instant at which
// it changed (for outcome metrics and charts).
type sampler struct {
	r       *runner
	samples []report.Sample
	last    map[string]report.Sample
	version uint64
	sampled bool
}

func (sp *sampler) sample() {
	h := sp.r.h
	if v := h.StateVersion(); sp.sampled && v == sp.version && sp.r.traffic == nil {
		return // nothing a sample reads has changed
	} else {
		sp.version, sp.sampled = v, true
	}
	ros, err := h.Rollouts()
	if err != nil {
		return
	}
	at := h.Now().Sub(sp.r.t0).Milliseconds()
	for i := range ros {
		ro := &ros[i]
		rss, _ := h.ReplicaSets(ro.Namespace, ro.Name)
		s := report.Sample{AtMs: at, Rollout: ro.Name, Phase: string(ro.Status.Phase)}
		for _, rs := range rss {
			switch roleOf(ro, rs.Labels[controller.LabelPodTemplateHash]) {
			case "stable":
				s.StablePods += rs.Status.AvailableReplicas
			case "canary":
				s.CanaryPods += rs.Status.AvailableReplicas
			default:
				s.OldPods += rs.Status.AvailableReplicas
			}
		}
		if ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil {
			if w := ro.Status.Canary.Weights; w != nil {
				s.Weight = w.Canary.Weight
			}
		} else if total := s.StablePods + s.CanaryPods + s.OldPods; total > 0 && ro.Status.StableRS != ro.Status.CurrentPodHash {
			s.Weight = s.CanaryPods * 100 / total
		}
		if ts := sp.r.traffic; ts != nil && len(ts.history) > 0 {
			split := ts.history[len(ts.history)-1].split
			var frac, errs float64
			for _, rt := range split.Routes(nil) {
				if rt.Rollout != ro.Name {
					continue
				}
				frac += rt.Fraction
				if rt.Unserved {
					errs += rt.Fraction
				} else {
					errs += rt.Fraction * sp.r.s.Spec.Versions[rt.Version].ErrorRate
				}
			}
			if frac > 0 {
				e := errs / frac
				s.ErrorRate = &e
			}
		}
		key := ro.Namespace + "/" + ro.Name
		if prev, ok := sp.last[key]; ok && sameSample(prev, s) {
			continue
		}
		sp.last[key] = s
		sp.samples = append(sp.samples, s)
	}
}

func sameSample(a, b report.Sample) bool {
	ea, eb := -1.0, -1.0
	if a.ErrorRate != nil {
		ea = *a.ErrorRate
	}
	if b.ErrorRate != nil {
		eb = *b.ErrorRate
	}
	return a.Weight == b.Weight && a.StablePods == b.StablePods && a.CanaryPods == b.CanaryPods &&
		a.OldPods == b.OldPods && a.Phase == b.Phase && ea == eb
}

func ms(d int64) *int64 { return &d }

// outcomes computes the outcome metrics of every rollout from the timeline,
// the samples and the traffic model.
func (r *runner) outcomes(records []trace.Record, samples []report.Sample) []report.Outcome {
	ros, err := r.h.Rollouts()
	if err != nil {
		return []report.Outcome{}
	}
	out := []report.Outcome{}
	var onset *int64
	if r.onset != nil {
		onset = ms(r.onset.Sub(r.t0).Milliseconds())
	}
	for _, ro := range ros {
		obj := "rollout/" + ro.Name
		o := report.Outcome{Rollout: ro.Name, FailureOnsetMs: onset, Exposure: []report.Exposure{}}
		var update *int64
		for _, rec := range records {
			if rec.Object == obj && rec.Verb == "action" && rec.Reason == "SetImage" && update == nil {
				update = ms(rec.AtMs)
			}
			if rec.Object == obj && rec.Verb == "promoted" && o.TimeToPromotionMs == nil && update != nil && rec.AtMs >= *update {
				o.TimeToPromotionMs = ms(rec.AtMs - *update)
			}
		}
		from := int64(0)
		if onset != nil {
			from = *onset
		}
		var abortAt *int64
		for _, rec := range records {
			if rec.Object == obj && rec.Verb == "aborted" && rec.AtMs >= from {
				abortAt = ms(rec.AtMs)
				o.TimeToAbortMs = ms(rec.AtMs - from)
				break
			}
		}
		if abortAt != nil {
			// The run that led to the abort: the last run that failed or
			// errored at or before it; detection is its first bad measurement.
			failedRun := ""
			for _, rec := range records {
				if rec.AtMs > *abortAt {
					break
				}
				if rec.Verb == "phase" && (rec.Reason == "AnalysisRunFailed" || rec.Reason == "AnalysisRunError") {
					failedRun = rec.Object
				}
			}
			for _, rec := range records {
				if failedRun != "" && rec.Object == failedRun && rec.Verb == "measured" &&
					(strings.Contains(rec.Detail, "→ Failed") || strings.Contains(rec.Detail, "→ Error")) && rec.AtMs >= from {
					o.TimeToDetectMs = ms(rec.AtMs - from)
					break
				}
			}
			replicas := int32(1)
			if ro.Spec.Replicas != nil {
				replicas = *ro.Spec.Replicas
			}
			for _, s := range samples {
				if s.Rollout != ro.Name || s.AtMs < *abortAt {
					continue
				}
				if s.CanaryPods == 0 && s.StablePods >= replicas && s.Weight == 0 {
					o.TimeToRollbackMs = ms(s.AtMs - *abortAt)
					break
				}
			}
		}
		for _, s := range samples {
			if s.Rollout == ro.Name && s.Weight > o.PeakCanaryWeight {
				o.PeakCanaryWeight = s.Weight
			}
		}
		if ts := r.traffic; ts != nil {
			ts.model.Advance(r.h.Now())
			agg := map[[2]string]*report.Exposure{}
			for _, e := range ts.model.Exposure() {
				if e.Rollout != ro.Name {
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
			for _, k := range keys {
				e := agg[k]
				if total > 0 {
					e.Share = math.Round(e.Requests/total*10000) / 10000
				}
				e.Requests = math.Round(e.Requests*1000) / 1000
				e.FailedRequests = math.Round(e.FailedRequests*1000) / 1000
				e.ShadowRequests = math.Round(e.ShadowRequests*1000) / 1000
				e.ShadowFailedRequests = math.Round(e.ShadowFailedRequests*1000) / 1000
				o.Exposure = append(o.Exposure, *e)
			}
		}
		out = append(out, o)
	}
	return out
}

// checkOutcome evaluates an outcome expectation.
func (r *runner) checkOutcome(e Expectation, outs []report.Outcome) report.Expectation {
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
	bound := func(name string, b *Bound, got *int64) {
		if b == nil {
			return
		}
		if b.Never {
			if got != nil {
				fails = append(fails, fmt.Sprintf("%s is %s, want never", name, time.Duration(*got)*time.Millisecond))
			}
			return
		}
		if got == nil {
			fails = append(fails, fmt.Sprintf("%s never happened", name))
			return
		}
		d := time.Duration(*got) * time.Millisecond
		if b.Max != nil && d > b.Max.Duration {
			fails = append(fails, fmt.Sprintf("%s is %s, want at most %s", name, d, b.Max.Duration))
		}
		if b.Min != nil && d < b.Min.Duration {
			fails = append(fails, fmt.Sprintf("%s is %s, want at least %s", name, d, b.Min.Duration))
		}
	}
	bound("timeToPromotion", oe.TimeToPromotion, o.TimeToPromotionMs)
	bound("timeToDetect", oe.TimeToDetect, o.TimeToDetectMs)
	bound("timeToAbort", oe.TimeToAbort, o.TimeToAbortMs)
	bound("timeToRollback", oe.TimeToRollback, o.TimeToRollbackMs)
	if oe.MaxPeakCanaryWeight != nil && o.PeakCanaryWeight > *oe.MaxPeakCanaryWeight {
		fails = append(fails, fmt.Sprintf("peak canary weight is %d, want at most %d", o.PeakCanaryWeight, *oe.MaxPeakCanaryWeight))
	}
	if x := oe.Exposure; x != nil {
		var req, failed, shadow float64
		for _, ex := range o.Exposure {
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
	}
	res.Passed = len(fails) == 0
	res.Message = strings.Join(fails, "; ")
	return res
}
