package runner

import (
	"strings"
	"time"

	"github.com/rollsim/rollsim/fakeproviders"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/trace"
)

// Error kinds in a report.
const (
	ErrInput   = "input"
	ErrTimeout = "timeout"
	ErrBudget  = "budget"
	ErrRun     = "run"
)

// RunOptions tune a run.
type RunOptions struct {
	// Seed overrides spec.seed when set.
	Seed *int64
	// MaxEvents bounds the engine (0 = 1,000,000).
	MaxEvents int
	// FailureOnset overrides the failure-onset anchor (offset after T+0).
	FailureOnset *time.Duration
	// Manifests, when set, replaces spec.manifests (paths as given, not
	// relative to the scenario file): rollsim gate runs one suite against
	// two sets of manifests this way.
	Manifests []string
	// ShowAt captures the rollout tree at these offsets after T+0 (as
	// `kubectl argo rollouts get rollout` shows it) into Result.Snapshots.
	ShowAt []time.Duration
	// Frames records the rollout trees after every settled instant at
	// which one changed into Report.Frames (what `rollsim view` scrubs
	// through; `rollsim run --output json` asks for them).
	Frames bool
	// Backend is the cluster the scenario runs on: "" or BackendFake (the
	// in-process fake store), or BackendEnvtest (a real kube-apiserver and
	// etcd, shared by the scenarios of a process; see docs/envtest.md).
	Backend string
}

// Backends.
const (
	BackendFake    = "fake"
	BackendEnvtest = "envtest"
)

// Result is a finished run: the report and the harness, for Go tests that
// want to look further (objects, the client, the clientset).
type Result struct {
	Report  report.Scenario
	Harness *sim.Harness
	T0      time.Time
	// Calls are the metric providers' calls (set-up calls at negative
	// offsets).
	Calls []fakeproviders.Call
	// Snapshots are the trees asked for with RunOptions.ShowAt.
	Snapshots []report.Snapshot
	// ServerWarnings are the API server's warnings about the scenario's
	// writes (envtest backend only): not part of the timeline, which is the
	// same on both backends.
	ServerWarnings []string
}

// Passed reports whether every expectation held and the run ended cleanly.
func (r *Result) Passed() bool { return r.Report.Passed }

// Timeline is the text timeline.
func (r *Result) Timeline() string { return trace.Text(r.Report.Timeline) }

// emptyReport is a report with every list present (JSON: [] not null).
func emptyReport(name, file string) report.Scenario {
	return report.Scenario{Scenario: name, File: file,
		Expectations: []report.Expectation{}, Rollouts: []report.Rollout{}, AnalysisRuns: []report.AnalysisRun{}, Outcomes: []report.Outcome{}, Timeline: []trace.Record{}}
}

// RunFile loads and runs one scenario file.
func RunFile(path string, opts RunOptions) *Result {
	s, err := format.LoadFile(path)
	if err != nil {
		rep := emptyReport(baseName(path), path)
		rep.ErrorKind, rep.Error = ErrInput, err.Error()
		return &Result{Report: rep}
	}
	return Run(s, opts)
}

func baseName(p string) string {
	p = p[strings.LastIndex(p, "/")+1:]
	return strings.TrimSuffix(strings.TrimSuffix(p, ".yaml"), ".yml")
}

// Run runs a loaded scenario: set-up to T+0 (setup.go), the event loop
// with actions, timed checks and the until-condition (loop.go), then the
// verdicts (check package). Input problems found while running (manifests
// that do not decode, a rollout that is not there) are reported with
// ErrorKind "input"; a run that times out or exhausts its budget fails.
func Run(s *format.Scenario, opts RunOptions) *Result {
	seed := int64(1)
	if s.Spec.Seed != nil {
		seed = *s.Spec.Seed
	}
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	res := &Result{Report: emptyReport(s.Metadata.Name, s.File)}
	res.Report.Seed = seed
	if opts.Backend == BackendEnvtest {
		res.Report.Backend = BackendEnvtest
	}
	r := &runner{s: s, res: res, anchors: map[string]time.Time{}, backend: opts.Backend}
	kind, err := r.run(seed, opts)
	if err != nil {
		res.Report.Error = err.Error()
		res.Report.ErrorKind = kind
	}
	r.report(kind)
	return res
}

// report fills the result from the harness once the run ended.
func (r *runner) report(kind string) {
	res := r.res
	if r.remote != nil {
		res.ServerWarnings = r.remote.Warnings()
	}
	if r.h != nil {
		res.Harness = r.h
		res.T0 = r.t0
		if r.factory != nil && r.factory.Log != nil {
			res.Calls = r.factory.Log.Calls()
		}
		res.Report.Timeline = r.h.Recorder().Records()
		if res.Report.Timeline == nil {
			res.Report.Timeline = []trace.Record{}
		}
		if !r.t0.IsZero() {
			res.Report.VirtualMs = r.h.Now().Sub(r.t0).Milliseconds()
		}
		if kind != ErrInput {
			res.Report.Rollouts, res.Report.AnalysisRuns = summarize(r.h, r.t0)
			res.Report.Experiments = summarizeExperiments(r.h, false)
		}
	}
	res.Report.NotModelled = r.notModelled
	res.Report.Expectations = append(res.Report.Expectations, r.results...)
	passed := res.Report.Error == ""
	for _, e := range res.Report.Expectations {
		passed = passed && e.Passed
	}
	res.Report.Passed = passed
}
