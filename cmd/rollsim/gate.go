package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios"
	"github.com/spf13/cobra"
)

func newGateCmd(stdout, stderr io.Writer) *cobra.Command {
	var baseline, candidate, policyFile, mdFile, junitFile, backend string
	cmd := &cobra.Command{
		Use:   "gate --baseline DIR --candidate DIR [--policy FILE] SCENARIO|DIR...",
		Short: "Compare a scenario suite on baseline and candidate manifests and apply a policy",
		Long: `Run every scenario twice — with its spec.manifests replaced by the baseline
and by the candidate manifests — compare the outcomes (verdict, time to
promote, detect, abort and roll back, exposure) and apply the policy.

Exit code: 2 for bad input, 1 when a scenario violates the policy, else 0.
The Markdown comparison goes to stdout (or --markdown FILE); --junit FILE
writes one testcase per scenario and rule. Progress goes to stderr.`,
		Example: `  rollsim gate --baseline main/rollout --candidate pr/rollout --policy gate-policy.yaml scenarios/gate/`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if baseline == "" || candidate == "" {
				return errors.New("--baseline and --candidate are required")
			}
			for _, d := range []string{baseline, candidate} {
				if _, err := os.Stat(d); err != nil {
					return fmt.Errorf("%s: no such file or directory", d)
				}
			}
			policy := &scenarios.Policy{ForbidVerdictChange: true}
			if policyFile != "" {
				p, err := scenarios.LoadPolicy(policyFile)
				if err != nil {
					return err
				}
				policy = p
			}
			if err := useBackend(backend, stderr); err != nil {
				return err
			}
			files, errs := scenarios.Expand(args...)
			if len(errs) > 0 {
				for _, e := range errs {
					fmt.Fprintln(stderr, "rollsim:", e)
				}
				return exitError{exitBadInput}
			}
			code := exitOK
			var results []report.GateScenario
			for i, f := range files {
				s, err := scenarios.LoadFile(f)
				if err != nil {
					fmt.Fprintln(stderr, "rollsim:", err)
					code = exitBadInput
					continue
				}
				fmt.Fprintf(stderr, "[%d/%d] %s: baseline…", i+1, len(files), f)
				base := scenarios.Run(s, scenarios.RunOptions{Manifests: []string{filepath.Clean(baseline)}, Backend: backend})
				fmt.Fprint(stderr, " candidate…")
				cand := scenarios.Run(s, scenarios.RunOptions{Manifests: []string{filepath.Clean(candidate)}, Backend: backend})
				g := scenarios.Compare(s.Metadata.Name, f, base, cand, policy)
				verdict := "within policy"
				if !g.Passed {
					verdict = "VIOLATES policy"
				}
				fmt.Fprintf(stderr, " %s\n", verdict)
				if base.Report.ErrorKind == scenarios.ErrInput || cand.Report.ErrorKind == scenarios.ErrInput {
					fmt.Fprintf(stderr, "rollsim: %s: baseline: %s; candidate: %s\n", f, base.Report.Error, cand.Report.Error)
					code = exitBadInput
				} else if !g.Passed && code == exitOK {
					code = exitFailed
				}
				results = append(results, g)
			}
			scenarios.SortGate(results)
			out := stdout
			if mdFile != "" {
				fh, err := os.Create(mdFile)
				if err != nil {
					return err
				}
				defer fh.Close()
				out = fh
			}
			if err := report.WriteGateMarkdown(out, results); err != nil {
				return err
			}
			if junitFile != "" {
				fh, err := os.Create(junitFile)
				if err != nil {
					return err
				}
				defer fh.Close()
				if err := report.WriteGateJUnit(fh, results); err != nil {
					return err
				}
			}
			if code != exitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&baseline, "baseline", "", "baseline manifests (file, directory or kustomize directory)")
	cmd.Flags().StringVar(&candidate, "candidate", "", "candidate manifests")
	cmd.Flags().StringVar(&policyFile, "policy", "", "policy file (default: forbidVerdictChange only)")
	cmd.Flags().StringVar(&mdFile, "markdown", "", "write the Markdown comparison to this file instead of stdout")
	cmd.Flags().StringVar(&junitFile, "junit", "", "write JUnit XML to this file")
	backendFlag(cmd, &backend)
	return cmd
}
