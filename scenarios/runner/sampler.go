package runner

import (
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/check"
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
			switch check.RoleOf(ro, rs.Labels[controller.LabelPodTemplateHash]) {
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
