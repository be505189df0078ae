// Package check owns the verdicts: each expectation form of a scenario
// (state at a time: State; an event within a window of an anchor: Within;
// an event that must never happen: Never; outcome bounds: Outcome) turned
// into a report.Expectation whose message says what was expected and what
// happened, and the outcome metrics themselves (Outcomes: time to promote,
// detect, abort, roll back, peak canary weight, exposure), computed from
// the timeline, the samples and the traffic model's exposure.
//
// It reads the cluster only through the small Cluster interface and
// plain data handed in by the runner; it never drives a run.
//
// May import: scenarios/format, controller (constants, replica maths),
// report, sim/trace, sim/traffic (exposure type). Never scenarios/runner,
// the other scenarios packages, or cmd.
package check
