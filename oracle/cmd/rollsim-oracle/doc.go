// Command rollsim-oracle runs resolved scenario plans (`rollsim resolve`) on
// the upstream Argo Rollouts controllers in virtual time and prints the
// result in rollsim's JSON format with "engine": "argo-upstream" and the
// Argo version (docs/oracle.md).
//
// May import: github.com/rollsim/rollsim/oracle/engine, the plan package
// (oracle/internal/plan), logrus (to quiet Argo's logs) and the standard
// library.
package main
