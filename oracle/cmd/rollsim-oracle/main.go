package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/rollsim/rollsim/oracle/engine"
	"github.com/rollsim/rollsim/oracle/internal/plan"
	log "github.com/sirupsen/logrus"
)

const usage = `usage: rollsim-oracle PLAN.json

Runs a plan written by 'rollsim resolve SCENARIO.yaml' on the upstream Argo
Rollouts controllers (imported as a library) in virtual time and prints the
result as JSON in rollsim's format (docs/output.md), with "engine":
"argo-upstream" and "argoVersion". Compare it with 'rollsim diff'.

Exit code: 2 bad input, 1 the run failed or timed out, 0 otherwise.
`

// argoVersion is the Argo Rollouts module this binary was built with.
func argoVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/argoproj/argo-rollouts" {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if args[0] == "--version" {
		fmt.Fprintln(stdout, argoVersion())
		return 0
	}
	// Argo logs every reconcile at info level; the timeline has what matters.
	// ROLLSIM_ORACLE_LOG=info shows them (debugging the oracle).
	log.SetLevel(log.ErrorLevel)
	if lvl, err := log.ParseLevel(os.Getenv("ROLLSIM_ORACLE_LOG")); err == nil {
		log.SetLevel(lvl)
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "rollsim-oracle: %v\n", err)
		return 2
	}
	p, err := plan.Decode(data)
	if err != nil {
		fmt.Fprintf(stderr, "rollsim-oracle: %s: %v (expected the output of 'rollsim resolve')\n", args[0], err)
		return 2
	}
	res := engine.Run(p)
	out := plan.Result{SchemaVersion: 1, Engine: plan.EngineArgo, ArgoVersion: argoVersion(), Scenarios: []plan.ScenarioResult{res}}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "rollsim-oracle: %v\n", err)
		return 1
	}
	switch {
	case res.ErrorKind == engine.ErrInput:
		fmt.Fprintf(stderr, "rollsim-oracle: %s: %s\n", args[0], res.Error)
		return 2
	case res.Error != "":
		fmt.Fprintf(stderr, "rollsim-oracle: %s: %s\n", args[0], res.Error)
		return 1
	}
	return 0
}
