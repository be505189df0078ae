package main

import (
	"fmt"
	"io"

	"github.com/rollsim/rollsim/scenarios"
	"github.com/spf13/cobra"
)

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "validate FILE|DIR...",
		Short: "Lint scenarios and manifests: what the loaders and Argo's validation reject, and classic traps",
		Long: `Check scenario files and manifests (files, directories, kustomize
directories) without running a rollout: strict decoding (file:line: field),
Argo's spec validation against the objects given (missing Services,
templates that do not merge, …), and warnings for classic traps: a metric
that can never fail, a failureLimit that makes detection slower than the
whole ladder, a ladder with no pause and no analysis.

Exit code: 2 if anything is an error, 1 with --strict if anything is a
warning, else 0.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			findings := scenarios.Validate(args...)
			code := exitOK
			for _, f := range findings {
				fmt.Fprintln(stdout, f.String())
				switch {
				case f.Severity == "error":
					code = exitBadInput
				case strict && code == exitOK:
					code = exitFailed
				}
			}
			if len(findings) == 0 {
				fmt.Fprintln(stdout, "no problems found")
			}
			if code != exitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 on warnings")
	return cmd
}
