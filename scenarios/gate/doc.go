// Package gate is `rollsim gate`: a policy (LoadPolicy) over the runs of
// one suite against baseline and candidate manifests (Compare: verdict
// change, time to roll back, promotion slowdown, failed requests).
//
// May import: scenarios/format, scenarios/runner (the Result it reads),
// api/manifests, report. Never the other commands, the scenarios facade,
// or cmd.
package gate
