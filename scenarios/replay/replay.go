package replay

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/fakeproviders"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/scenarios/runner"
	"github.com/rollsim/rollsim/sim/traffic"
)

// Plan is `rollsim replay`: roll a new image out over real manifests
// with healthy versions, without writing a scenario.
type Plan struct {
	Manifests string
	Rollout   string
	Image     string
	PromoteAt []time.Duration
	// Metrics answers, "template/metric" or "metric" → a number or
	// "traffic[:measure]".
	Metrics map[string]string
	// Bad, for --what-if: the value each metric returns once the version
	// turns bad.
	Bad map[string]string
}

// Build turns the plan into a scenario.
func (p Plan) Build() (*format.Scenario, error) {
	objs, err := manifests.Load(p.Manifests)
	if err != nil {
		return nil, err
	}
	var ro *v1alpha1.Rollout
	var names []string
	for _, o := range objs {
		if r, ok := o.Obj.(*v1alpha1.Rollout); ok {
			names = append(names, r.Name)
			if r.Name == p.Rollout || r.Namespace+"/"+r.Name == p.Rollout {
				ro = r
			}
		}
	}
	if ro == nil {
		return nil, &format.Error{File: p.Manifests, Field: "--rollout", Msg: fmt.Sprintf("rollout %q is not in the manifests (found: [%s])", p.Rollout, strings.Join(names, ", "))}
	}
	tmpl, err := podTemplate(ro, objs)
	if err != nil {
		return nil, &format.Error{File: p.Manifests, Field: "--rollout", Msg: err.Error()}
	}
	if len(tmpl.Spec.Containers) == 0 {
		return nil, &format.Error{File: p.Manifests, Msg: "rollout " + ro.Name + " has no container"}
	}
	abs, _ := filepath.Abs(p.Manifests)
	s := &format.Scenario{APIVersion: format.APIVersion, Kind: format.Kind, Metadata: format.Metadata{Name: "replay-" + ro.Name}}
	s.SetSource(p.Manifests, "/")
	s.Spec.Manifests = []string{abs}
	s.Spec.Initial = format.Initial{Rollout: p.Rollout, Image: tmpl.Spec.Containers[0].Image}
	s.Spec.Versions = map[string]format.Version{"default": {}}
	s.Spec.Actions = []format.Action{{SetImage: &format.SetImage{Rollout: p.Rollout, Image: p.Image}}}
	for _, d := range p.PromoteAt {
		s.Spec.Actions = append(s.Spec.Actions, format.Action{At: format.Duration{Duration: d}, Promote: &format.RolloutRef{Rollout: p.Rollout}})
	}
	timeout := format.Duration{Duration: 6 * time.Hour}
	if n := len(p.PromoteAt); n > 0 && p.PromoteAt[n-1]+time.Hour > timeout.Duration {
		timeout.Duration = p.PromoteAt[n-1] + time.Hour
	}
	s.Spec.Until = &format.Until{Rollout: p.Rollout, Phase: []string{"Healthy", "Degraded"}, For: &format.Duration{Duration: time.Minute}, Timeout: &timeout}
	s.Spec.Metrics = map[string]fakeproviders.Answer{}
	for _, k := range slices.Sorted(maps.Keys(p.Metrics)) {
		a, usesTraffic, err := answerFromFlag(k, p.Metrics[k])
		if err != nil {
			return nil, err
		}
		if usesTraffic && s.Spec.Traffic == nil {
			s.Spec.Traffic = &traffic.Config{RPS: 10}
		}
		s.Spec.Metrics[k] = a
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func answerFromFlag(key, v string) (fakeproviders.Answer, bool, error) {
	if v == "traffic" || strings.HasPrefix(v, "traffic:") {
		measure := strings.TrimPrefix(strings.TrimPrefix(v, "traffic"), ":")
		if measure == "" {
			measure = "successRate"
		}
		return fakeproviders.Answer{Traffic: &fakeproviders.TrafficQuery{Measure: measure, Scope: "canary"}}, true, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fakeproviders.Answer{}, false, &format.Error{File: "--metric", Field: key, Msg: fmt.Sprintf("expected a number or traffic[:measure], got %q", v)}
	}
	n := fakeproviders.Number(f)
	return fakeproviders.Answer{Script: &fakeproviders.Script{Outcome: fakeproviders.Outcome{Value: &n}}}, false, nil
}

// LadderRung is one completed step of a replay.
type LadderRung struct {
	AtMs   int64
	Step   string
	Weight int32
	Stable int32
	Canary int32
}

// Ladder reads the step ladder from a run: each completed step with the
// weight and available pods by role at that moment.
func Ladder(r *runner.Result) []LadderRung {
	var out []LadderRung
	for _, rec := range r.Report.Timeline {
		if rec.Verb != "step" || rec.Reason != "RolloutStepCompleted" {
			continue
		}
		// "Rollout step 1/7 completed (setWeight: 20)" → "1/7 setWeight: 20"
		rung := LadderRung{AtMs: rec.AtMs, Step: rec.Detail}
		d := strings.TrimPrefix(rec.Detail, "Rollout step ")
		if n, rest, ok := strings.Cut(d, " completed ("); ok {
			rung.Step = n + " " + strings.TrimSuffix(rest, ")")
		}
		for _, s := range r.Report.Samples {
			if s.AtMs <= rec.AtMs {
				rung.Weight, rung.Stable, rung.Canary = s.Weight, s.StablePods, s.CanaryPods
			}
		}
		out = append(out, rung)
	}
	return out
}

// WhatIf runs the plan once per step with the version turning bad (its
// metrics returning plan.Bad) when that step starts in the healthy run.
func WhatIf(p Plan, healthy *runner.Result) ([]report.Outcome, []string, error) {
	ladder := Ladder(healthy)
	starts := []int64{0}
	labels := []string{"step 0 (from the start)"}
	for i, r := range ladder {
		if i == len(ladder)-1 {
			break
		}
		starts = append(starts, r.AtMs)
		labels = append(labels, fmt.Sprintf("step %d (at T+%s)", i+1, (time.Duration(r.AtMs)*time.Millisecond).Truncate(time.Second)))
	}
	var outs []report.Outcome
	for _, at := range starts {
		s, err := p.Build()
		if err != nil {
			return nil, nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(p.Bad)) {
			good, ok := s.Spec.Metrics[k]
			if !ok || good.Script == nil {
				return nil, nil, &format.Error{File: "--bad-metric", Field: k, Msg: "needs a numeric --metric answer for the same metric"}
			}
			f, err := strconv.ParseFloat(p.Bad[k], 64)
			if err != nil {
				return nil, nil, &format.Error{File: "--bad-metric", Field: k, Msg: fmt.Sprintf("expected a number, got %q", p.Bad[k])}
			}
			bad := fakeproviders.Number(f)
			goodV := good.Script.Outcome.Value
			steps := []fakeproviders.Step{{At: "0s", Outcome: fakeproviders.Outcome{Value: goodV}}}
			if at == 0 {
				steps[0].Outcome.Value = &bad
			} else {
				steps = append(steps, fakeproviders.Step{At: (time.Duration(at) * time.Millisecond).String(), Outcome: fakeproviders.Outcome{Value: &bad}})
			}
			s.Spec.Metrics[k] = fakeproviders.Answer{Script: &fakeproviders.Script{Steps: steps}}
		}
		bad := true
		s.Spec.Versions = map[string]format.Version{"default": {}, format.Tag(p.Image): {Bad: &bad}}
		onset := time.Duration(at) * time.Millisecond
		r := runner.Run(s, runner.RunOptions{FailureOnset: &onset})
		if r.Report.ErrorKind == runner.ErrInput {
			return nil, nil, fmt.Errorf("what-if run: %s", r.Report.Error)
		}
		o := report.Outcome{}
		if len(r.Report.Outcomes) > 0 {
			o = r.Report.Outcomes[0]
		}
		outs = append(outs, o)
	}
	return outs, labels, nil
}
