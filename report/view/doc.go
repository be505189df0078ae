// Package view renders a run as one self-contained HTML page with a time
// scrubber (`rollsim view`): drag through virtual time and see, at each
// instant, the rollout tree (revisions, ReplicaSets, pods by readiness,
// weights, AnalysisRuns and their measurements), the step ladder with the
// current step and the timeline up to that instant. The page carries its
// data, script and style inline: no server, no network.
//
// It reads plain results only (report.Scenario: frames, samples, the
// timeline). May import: report, sim/trace and the standard library.
package view
