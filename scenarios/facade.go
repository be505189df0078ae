package scenarios

import (
	"github.com/rollsim/rollsim/plan"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/scenarios/gate"
	"github.com/rollsim/rollsim/scenarios/replay"
	"github.com/rollsim/rollsim/scenarios/resolve"
	"github.com/rollsim/rollsim/scenarios/runner"
	"github.com/rollsim/rollsim/scenarios/validate"
)

// The format (scenarios/format).
type (
	Scenario         = format.Scenario
	Error            = format.Error
	Duration         = format.Duration
	Metadata         = format.Metadata
	Spec             = format.Spec
	Initial          = format.Initial
	ClusterSpec      = format.ClusterSpec
	Version          = format.Version
	JobOutcome       = format.JobOutcome
	JobTraffic       = format.JobTraffic
	Action           = format.Action
	RolloutRef       = format.RolloutRef
	SetImage         = format.SetImage
	ScaleAction      = format.ScaleAction
	RestartAction    = format.RestartAction
	ApplyAction      = format.ApplyAction
	Until            = format.Until
	Expectation      = format.Expectation
	OutcomeExpect    = format.OutcomeExpect
	Bound            = format.Bound
	ExposureExpect   = format.ExposureExpect
	RoleCounts       = format.RoleCounts
	Within           = format.Within
	EventSelector    = format.EventSelector
	StepPluginScript = format.StepPluginScript
)

// APIVersion and Kind of a scenario file.
const (
	APIVersion = format.APIVersion
	Kind       = format.Kind
)

// LoadFile reads and validates one scenario file.
func LoadFile(path string) (*Scenario, error) { return format.LoadFile(path) }

// Parse decodes and validates scenario data; file names it in errors and
// anchors relative paths.
func Parse(file string, data []byte) (*Scenario, error) { return format.Parse(file, data) }

// Expand turns files and directories into scenario files (format.Expand).
func Expand(paths ...string) ([]string, []error) { return format.Expand(paths...) }

// Tag returns the tag of an image reference ("" without one).
func Tag(image string) string { return format.Tag(image) }

// The runner (scenarios/runner).
type (
	RunOptions = runner.RunOptions
	Result     = runner.Result
)

// Error kinds in a report, and backends.
const (
	ErrInput       = runner.ErrInput
	ErrTimeout     = runner.ErrTimeout
	ErrBudget      = runner.ErrBudget
	ErrRun         = runner.ErrRun
	BackendFake    = runner.BackendFake
	BackendEnvtest = runner.BackendEnvtest
)

// Run runs a loaded scenario (runner.Run).
func Run(s *Scenario, opts RunOptions) *Result { return runner.Run(s, opts) }

// RunFile loads and runs one scenario file (runner.RunFile).
func RunFile(path string, opts RunOptions) *Result { return runner.RunFile(path, opts) }

// The commands: validate, gate, replay, resolve.
type (
	Finding      = validate.Finding
	Policy       = gate.Policy
	VersionLimit = gate.VersionLimit
	ReplayPlan   = replay.Plan
	LadderRung   = replay.LadderRung
)

// Validate lints scenario files and manifests (validate.Paths).
func Validate(paths ...string) []Finding { return validate.Paths(paths...) }

// LoadPolicy reads a gate policy file strictly.
func LoadPolicy(path string) (*Policy, error) { return gate.LoadPolicy(path) }

// Verdict summarises how a run ended.
func Verdict(r *Result) string { return gate.Verdict(r) }

// Compare applies a policy to one scenario's baseline and candidate runs.
func Compare(name, file string, base, cand *Result, p *Policy) report.GateScenario {
	return gate.Compare(name, file, base, cand, p)
}

// SortGate orders gate results by file.
func SortGate(gs []report.GateScenario) { gate.SortGate(gs) }

// Ladder reads the step ladder from a run.
func Ladder(r *Result) []LadderRung { return replay.Ladder(r) }

// WhatIf runs the replay once per step with the version turning bad.
func WhatIf(p ReplayPlan, healthy *Result) ([]report.Outcome, []string, error) {
	return replay.WhatIf(p, healthy)
}

// Plan resolves the scenario into the neutral plan the oracle runs
// (resolve.Plan).
func Plan(s *Scenario) (*plan.Plan, error) { return resolve.Plan(s) }
