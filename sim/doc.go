// Package sim is the harness: it wires the engine (virtual time), the
// simulated cluster, the rollout, analysis and experiment reconcilers and the metric
// providers; turns object changes into reconciles (sorted, until quiet) and
// RequeueAfter into engine events; applies user actions (the kubectl argo
// rollouts verbs) and records the timeline. It is the layer scenarios and
// Go tests drive.
//
// May import: controller (and its sub-packages), sim/engine, sim/cluster,
// sim/trace, api, the upstream API types, controller-runtime's client.
// Never scenarios, report or cmd.
package sim
