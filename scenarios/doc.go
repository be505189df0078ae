// Package scenarios is the entry point to rollsim's scenarios: a thin
// facade (facade.go) over the packages that do the work, so cmd/rollsim
// and Go tests keep one import (LoadFile, Run, RunFile, Result, Validate,
// Compare, ReplayPlan, Plan, …). A scenario goes from YAML to verdict
// through:
//
//   - scenarios/format: the file's types, the strict loader, validation
//     (errors name file, line and field), the JSON Schema's Go side;
//   - scenarios/runner: set-up to T+0 on the sim harness, the timed
//     actions, the event loop, the until-condition;
//   - scenarios/check: expectations and outcome metrics, the verdicts;
//   - the commands: scenarios/validate, scenarios/replay, scenarios/gate,
//     scenarios/resolve.
//
// It also holds the shipped library with golden timelines
// (scenarios/library), the JSON Schema (scenario.schema.json), and the
// tests over all of them; Gomega matchers are in scenarios/match.
//
// May import: the scenarios sub-packages, plan, report. Never cmd.
package scenarios
