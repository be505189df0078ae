// Command rollsim-oracle runs resolved scenario plans (`rollsim resolve`) on
// the upstream Argo Rollouts controllers in virtual time and prints the
// result in rollsim's JSON format with "engine": "argo-upstream" and the
// Argo version (docs/oracle.md).
//
// May import: github.com/rollsim/rollsim/oracle/engine,
// github.com/rollsim/rollsim/plan and the standard library.
package main
