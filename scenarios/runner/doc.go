// Package runner runs a loaded scenario on the sim harness, from YAML to
// verdict in named steps:
//
//   - run.go: Run and RunFile, the options and the Result;
//   - setup.go: load the manifests, find the initial rollout, check the
//     inputs, build the harness (fake or envtest backend), deploy the
//     history up to T+0 (each deploy settled and Healthy), start the
//     timeline, the sampler and the traffic model;
//   - actions.go: the timed actions;
//   - loop.go: the event loop, timed state checks and snapshots, then the
//     verdicts (scenarios/check computes them);
//   - until.go: the end condition;
//   - behavior.go, providers.go, stepplugins.go, traffic.go: what the
//     simulated cluster, the metric providers and the step plugins answer,
//     from the scenario's versions, metrics and scripts;
//   - sampler.go, summary*.go: the sampled states and the final report;
//   - frames.go: the rollout trees after every changed instant
//     (RunOptions.Frames, for rollsim view).
//
// May import: scenarios/format, scenarios/check, sim (and its
// sub-packages), controller, fakeproviders, api, report. Never the
// commands (validate, replay, gate, resolve), the scenarios facade, or cmd.
package runner
