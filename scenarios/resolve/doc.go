// Package resolve is `rollsim resolve`: it turns a scenario into the
// neutral plan (package plan) another engine runs — the oracle module
// runs Argo's own controllers on it. Objects are loaded as the runner
// loads them; job outcomes the traffic model derives are recorded from a
// rollsim run.
//
// May import: scenarios/format, scenarios/runner, plan, api, report.
// Never the other commands, the scenarios facade, or cmd.
package resolve
