// Package scenarios owns the scenario format (a strict YAML file: manifests,
// the initial state, version behaviour, timed actions, until-conditions and
// expectations), its loader and validation (errors name file, line and
// field), the runner that drives the sim harness from T+0 and evaluates
// expectations, the shipped library with golden timelines
// (scenarios/library), and the Go API tests use (LoadFile, Run, RunFile,
// Result; Gomega matchers in scenarios/match).
//
// May import: sim (and its sub-packages), controller (constants and pure
// functions), api/manifests, report. Never cmd.
package scenarios
