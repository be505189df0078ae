package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller/analysis"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/cluster"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Finding is one problem `rollsim validate` reports.
type Finding struct {
	File     string
	Line     int
	Field    string
	Severity string // error | warning
	Msg      string
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += fmt.Sprintf(":%d", f.Line)
	}
	s := loc + ": " + f.Severity + ": "
	if f.Field != "" {
		s += f.Field + ": "
	}
	return s + f.Msg
}

type healthy struct{}

func (healthy) Pod(string) cluster.PodBehavior { return cluster.PodBehavior{Startup: time.Second} }
func (healthy) JobPod(string, string, int) cluster.JobPodBehavior {
	return cluster.JobPodBehavior{Startup: time.Second, Duration: time.Second, Succeed: true}
}

// Paths lints scenario files and manifests: everything the loaders and
// Argo's validation reject (errors), and classic traps (warnings).
func Paths(paths ...string) []Finding {
	var out []Finding
	var manifestPaths []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			out = append(out, Finding{File: p, Severity: "error", Msg: "no such file or directory"})
			continue
		}
		if !st.IsDir() && isScenarioFile(p) {
			s, err := format.LoadFile(p)
			if err != nil {
				out = append(out, errFinding(err)...)
				continue
			}
			for _, m := range s.Spec.Manifests {
				manifestPaths = append(manifestPaths, s.Resolve(m))
			}
			out = append(out, lintStepPlugins(s)...)
			continue
		}
		manifestPaths = append(manifestPaths, p)
	}
	var all []manifests.Object
	for _, p := range dedupe(manifestPaths) {
		out = append(out, validateManifests(p)...)
		if objs, err := manifests.Load(p); err == nil {
			all = append(all, objs...)
		}
	}
	// Experiments may name templates from any of the given files.
	out = append(out, experimentFindings(all)...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range in {
		c := filepath.Clean(p)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

func isScenarioFile(p string) bool {
	b, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	return strings.Contains(string(b), "kind: Scenario") && strings.Contains(string(b), format.APIVersion)
}

func errFinding(err error) []Finding {
	var out []Finding
	type multi interface{ Unwrap() []error }
	if m, ok := err.(multi); ok {
		for _, e := range m.Unwrap() {
			out = append(out, errFinding(e)...)
		}
		return out
	}
	if e, ok := err.(*format.Error); ok {
		return []Finding{{File: e.File, Line: e.Line, Field: e.Field, Severity: "error", Msg: e.Msg}}
	}
	return []Finding{{Severity: "error", Msg: err.Error()}}
}

// validateManifests loads manifests, applies them to a fresh simulated
// cluster, lets the controller reconcile once, and reports the rollouts it
// finds invalid, then the traps.
func validateManifests(path string) []Finding {
	objs, err := manifests.Load(path)
	if err != nil {
		return errFinding(err)
	}
	var out []Finding
	h, err := sim.New(sim.Config{Seed: 1, Behavior: healthy{}, StepPlugins: pluginsSucceed{}})
	if err != nil {
		return []Finding{{File: path, Severity: "error", Msg: err.Error()}}
	}
	var rest, rollouts []client.Object
	src := map[string]manifests.Source{}
	templates := map[string]*v1alpha1.AnalysisTemplate{}
	manifests.DefaultNamespaces(objs, "default")
	if err := format.MetadataErrors(objs); err != nil {
		return errFinding(err)
	}
	for _, n := range format.AddNotModelled(nil, objs) {
		name := n.Name
		if n.Namespace != "" {
			name = n.Namespace + "/" + name
		}
		out = append(out, Finding{File: n.File, Line: n.Line, Severity: "warning", Msg: fmt.Sprintf("not modelled by the simulation: %s %s", n.Kind, name)})
	}
	for _, o := range objs {
		if _, ok := o.Obj.(*v1alpha1.Rollout); ok {
			rollouts = append(rollouts, o.Obj)
			src[o.Obj.GetNamespace()+"/"+o.Obj.GetName()] = o.Source
			continue
		}
		if t, ok := o.Obj.(*v1alpha1.AnalysisTemplate); ok {
			templates[t.Name] = t
			src["AnalysisTemplate/"+t.Name] = o.Source
		}
		rest = append(rest, o.Obj)
	}
	sort.SliceStable(rest, func(i, j int) bool {
		_, a := rest[i].(*corev1.Namespace)
		_, b := rest[j].(*corev1.Namespace)
		return a && !b
	})
	if err := h.Apply(append(rest, rollouts...)...); err != nil {
		return []Finding{{File: path, Severity: "error", Msg: err.Error()}}
	}
	if err := h.Settle(); err != nil {
		return []Finding{{File: path, Severity: "error", Msg: err.Error()}}
	}
	for _, o := range rollouts {
		ro, err := h.Rollout(o.GetNamespace(), o.GetName())
		if err != nil {
			continue
		}
		s := src[o.GetNamespace()+"/"+o.GetName()]
		for _, c := range ro.Status.Conditions {
			if c.Type == v1alpha1.InvalidSpec {
				out = append(out, Finding{File: s.File, Line: s.Line, Severity: "error", Msg: "Argo would reject this Rollout (InvalidSpec): " + c.Message})
			}
		}
		out = append(out, traps(o.(*v1alpha1.Rollout), templates, s, src)...)
	}
	return out
}

// traps warns about strategies that are valid but rarely what was meant.
func traps(ro *v1alpha1.Rollout, templates map[string]*v1alpha1.AnalysisTemplate, s manifests.Source, src map[string]manifests.Source) []Finding {
	var out []Finding
	cs := ro.Spec.Strategy.Canary
	if cs == nil {
		return nil
	}
	warn := func(file string, line int, field, msg string) {
		out = append(out, Finding{File: file, Line: line, Field: field, Severity: "warning", Msg: msg})
	}
	var refs []v1alpha1.AnalysisTemplateRef
	if cs.Analysis != nil {
		refs = append(refs, cs.Analysis.Templates...)
	}
	hasPause := false
	var ladder time.Duration
	for _, st := range cs.Steps {
		if st.Analysis != nil {
			refs = append(refs, st.Analysis.Templates...)
		}
		if st.Experiment != nil {
			hasPause = true // the step waits for its experiment
		}
		if st.Pause != nil {
			hasPause = true
			if st.Pause.Duration != nil {
				ladder += time.Duration(st.Pause.DurationSeconds()) * time.Second
			}
		}
	}
	if len(cs.Steps) > 0 && !hasPause && len(refs) == 0 {
		warn(s.File, s.Line, "spec.strategy.canary.steps", "the ladder has no pause and no analysis: every step completes as soon as pods are ready, so nothing can stop a bad version")
	}
	for _, ref := range refs {
		t, ok := templates[ref.TemplateName]
		if !ok {
			continue
		}
		ts := src["AnalysisTemplate/"+t.Name]
		for i, m := range t.Spec.Metrics {
			field := fmt.Sprintf("spec.metrics[%d]", i)
			if m.SuccessCondition == "" && m.FailureCondition == "" && m.Provider.Job == nil && m.Provider.Kayenta == nil && m.Provider.Plugin == nil {
				warn(ts.File, ts.Line, field, fmt.Sprintf("metric %q has neither successCondition nor failureCondition: every measurement is Successful, it can never fail", m.Name))
			}
			if m.FailureLimit != nil && m.FailureLimit.IntValue() == -1 && (m.ConsecutiveSuccessLimit == nil || m.ConsecutiveSuccessLimit.IntValue() == 0) {
				warn(ts.File, ts.Line, field, fmt.Sprintf("metric %q has failureLimit -1 without consecutiveSuccessLimit: it can never fail", m.Name))
			}
			if m.Interval != "" && ladder > 0 {
				iv, err := time.ParseDuration(string(m.Interval))
				limit := 0
				if m.FailureLimit != nil {
					limit = m.FailureLimit.IntValue()
				}
				if err == nil && limit >= 0 {
					detect := iv * time.Duration(limit)
					if _, unbounded := analysis.EffectiveCount(m); unbounded && detect >= ladder {
						warn(ts.File, ts.Line, field, fmt.Sprintf("metric %q needs %d failures %s apart (≥ %s) to fail, longer than the %s of pauses in the ladder: a bad version can be fully promoted before it is detected", m.Name, limit+1, iv, detect, ladder))
					}
				}
			}
		}
	}
	return out
}
