// Package plan owns the neutral exchange format between rollsim and the
// differential oracle (oracle/, a separate Go module that runs the upstream
// Argo Rollouts controllers): a fully resolved scenario (Plan, written by
// `rollsim resolve`) and the decision-by-decision comparison of two run
// results (Diff, used by `rollsim diff`).
//
// The oracle is pinned to Argo's k8s.io modules (v0.34.x) while rollsim uses
// newer ones, so this package must stay free of k8s.io, controller-runtime
// and every other rollsim package: it may import the standard library only
// (TestNoDependencies checks it with `go list -deps`).
package plan
