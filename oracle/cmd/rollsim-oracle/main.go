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

const usage = `usage: rollsim-oracle PLAN.json...

Runs plans written by 'rollsim resolve SCENARIO.yaml' on the upstream Argo
Rollouts controllers (imported as a library) in virtual time and prints the
result as JSON in rollsim's format (docs/output.md), with "engine":
"argo-upstream" and "argoVersion". Compare it with 'rollsim diff'.

Several plans give one result with a scenario each, in the order given.
Exit code: 2 if a plan is bad, else 1 if a run failed or timed out, else 0.
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
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
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
	out := plan.Result{SchemaVersion: 1, Engine: plan.EngineArgo, ArgoVersion: argoVersion(), Scenarios: []plan.ScenarioResult{}}
	code := 0
	for _, file := range args {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "rollsim-oracle: %v\n", err)
			return 2
		}
		p, err := plan.Decode(data)
		if err != nil {
			fmt.Fprintf(stderr, "rollsim-oracle: %s: %v (expected the output of 'rollsim resolve')\n", file, err)
			return 2
		}
		res := engine.Run(p)
		out.Scenarios = append(out.Scenarios, res)
		switch {
		case res.ErrorKind == engine.ErrInput:
			fmt.Fprintf(stderr, "rollsim-oracle: %s: %s\n", file, res.Error)
			code = 2
		case res.Error != "":
			fmt.Fprintf(stderr, "rollsim-oracle: %s: %s\n", file, res.Error)
			if code == 0 {
				code = 1
			}
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "rollsim-oracle: %v\n", err)
		return 1
	}
	return code
}
