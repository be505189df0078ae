// Package controller is rollsim's Argo Rollouts controller for the
// argoproj.io/v1alpha1 API: the Rollout reconciler (canary and blue-green
// strategies, with ephemeral metadata, rollbackWindow, pod restarts through
// evictions, canary plugin steps answered through the StepPlugins interface
// and the canary experiment step), the Experiment reconciler (template
// ReplicaSets and Services, analyses, phases; experiment*.go), the
// AnalysisRun reconciler, the metric Provider interface and the Job
// provider. It runs on controller-runtime's
// client.Client, reads time only from an injected clock.Clock, never starts
// goroutines and never waits: it returns reconcile.Result{RequeueAfter} and
// the caller (the simulator, or a controller-runtime Manager when live) turns
// that into a wake-up. Decisions are planned first (intents with reasons) and
// applied second; every decision is reported to a Recorder.
//
// Sub-packages: controller/replicas (pure replica math) and
// controller/analysis (pure analysis semantics).
//
// May import: api, the upstream API types, controller-runtime's client and
// reconcile packages, k8s.io/api and apimachinery, benbjohnson/clock,
// expr-lang/expr (through controller/analysis). Never sim, fakeproviders,
// scenarios, report or cmd.
package controller
