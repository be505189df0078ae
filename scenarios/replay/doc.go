// Package replay is `rollsim replay`: it builds a scenario from real
// manifests and a new image (Plan.Build: healthy versions, optional
// promotions and metric answers), reads the step ladder of a run
// (Ladder), and runs the what-if series (WhatIf: the version turns bad at
// each step in turn).
//
// May import: scenarios/format, scenarios/runner, fakeproviders (metric
// answers), sim/traffic, api/manifests, report. Never the other commands,
// the scenarios facade, or cmd.
package replay
