package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/rollsim/rollsim/scenarios"
	"github.com/spf13/cobra"
)

func newResolveCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "resolve SCENARIO.yaml",
		Short: "Print the fully resolved plan of a scenario as JSON (the input of rollsim-oracle)",
		Long: `Resolve a scenario into the neutral plan another engine runs: its objects
(manifests loaded, namespaces defaulted), the initial images, the cluster
timings and version behaviour, the actions with their times, the metric
answers and the end condition (docs/oracle.md). Expectations are not part of
it.

Exit code: 2 if the scenario or a manifest is bad, else 0.`,
		Example: `  rollsim resolve scenarios/library/seed000-v2-to-error-aborted.yaml > plan.json
  rollsim-oracle plan.json > argo.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := scenarios.LoadFile(args[0])
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{exitBadInput}
			}
			p, err := scenarios.Plan(s)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitError{exitBadInput}
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(p); err != nil {
				return fmt.Errorf("resolve %s: %w", args[0], err)
			}
			return nil
		},
	}
}
