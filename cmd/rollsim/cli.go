package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/go-logr/logr"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios"
	"github.com/rollsim/rollsim/sim/cluster"
	"github.com/spf13/cobra"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1 // an expectation failed, or a run timed out / hit its budget
	exitBadInput = 2 // a scenario file or manifest could not be read or decoded
)

type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func execute(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if serr := cluster.StopSharedEnvtest(); serr != nil {
		fmt.Fprintln(stderr, "rollsim:", serr)
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		fmt.Fprintln(stderr, "rollsim:", err)
		return exitBadInput
	}
	return exitOK
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "rollsim",
		Short:         "Simulate Argo Rollouts strategies in virtual time, deterministically",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(stdout, stderr))
	root.AddCommand(newGateCmd(stdout, stderr))
	root.AddCommand(newValidateCmd(stdout, stderr))
	root.AddCommand(newReplayCmd(stdout, stderr))
	root.AddCommand(newResolveCmd(stdout, stderr), newDiffCmd(stdout, stderr))
	root.AddCommand(newViewCmd(stdout, stderr))
	return root
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	var output string
	var seed int64
	var showAt []time.Duration
	var backend string
	cmd := &cobra.Command{
		Use:   "run FILE|DIR...",
		Short: "Run scenario files (a directory runs every *.yaml in it)",
		Long: `Run scenario files and print their timelines and verdicts.

Exit code: 2 if any input is bad (the other scenarios still run and are
reported), else 1 if an expectation failed or a run hit its timeout or step
budget, else 0.`,
		Example: `  rollsim run scenarios/library/seed000-v2-to-error-aborted.yaml
  rollsim run scenarios/library --output json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch output {
			case "text", "json", "markdown", "junit", "html":
			default:
				return fmt.Errorf("--output: expected text, json, markdown, junit or html, got %q", output)
			}
			var opts scenarios.RunOptions
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			opts.ShowAt = showAt
			opts.Frames = output == "json" // for rollsim view
			if err := useBackend(backend, stderr); err != nil {
				return err
			}
			opts.Backend = backend
			var trees []report.Snapshot
			files, errs := scenarios.Expand(args...)
			var results []report.Scenario
			code := exitOK
			for _, err := range errs {
				fmt.Fprintln(stderr, "rollsim:", err)
				code = exitBadInput
			}
			for i, f := range files {
				if len(files) > 1 {
					fmt.Fprintf(stderr, "[%d/%d] %s\n", i+1, len(files), f)
				}
				r := scenarios.RunFile(f, opts)
				for _, w := range r.ServerWarnings {
					fmt.Fprintf(stderr, "rollsim: %s: API server warning: %s\n", f, w)
				}
				results = append(results, r.Report)
				trees = append(trees, r.Snapshots...)
				if len(showAt) > 0 && len(r.Snapshots) == 0 && r.Report.ErrorKind != scenarios.ErrInput {
					fmt.Fprintf(stderr, "rollsim: %s: the run ended before --show-at\n", f)
				}
				switch {
				case r.Report.ErrorKind == scenarios.ErrInput:
					fmt.Fprintln(stderr, "rollsim:", r.Report.Error)
					code = exitBadInput
				case !r.Report.Passed && code == exitOK:
					code = exitFailed
				}
			}
			sort.SliceStable(results, func(i, j int) bool { return results[i].File < results[j].File })
			var err error
			switch output {
			case "json":
				err = report.WriteJSON(stdout, results)
			case "markdown":
				err = report.WriteMarkdown(stdout, results)
			case "junit":
				err = report.WriteJUnit(stdout, results)
			case "html":
				err = report.WriteHTML(stdout, results)
			default:
				err = report.WriteText(stdout, results)
			}
			if err != nil {
				return err
			}
			if output == "text" {
				for _, t := range trees {
					fmt.Fprintln(stdout)
					if err := report.WriteTree(stdout, t); err != nil {
						return err
					}
				}
			}
			if code != exitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, json, markdown (PR comment), junit (CI test report) or html (self-contained page with charts)")
	cmd.Flags().Int64Var(&seed, "seed", 1, "override every scenario's seed")
	cmd.Flags().DurationSliceVar(&showAt, "show-at", nil, "print the rollout tree (as kubectl argo rollouts get) at these times after T+0, e.g. 5m30s")
	backendFlag(cmd, &backend)
	return cmd
}

func backendFlag(cmd *cobra.Command, backend *string) {
	cmd.Flags().StringVar(backend, "backend", scenarios.BackendFake, "cluster to run on: fake (in-process, no set-up) or envtest (a real kube-apiserver and etcd with the upstream CRDs; needs `make envtest-bins`)")
}

// useBackend checks --backend and gets the envtest backend ready to start.
func useBackend(backend string, stderr io.Writer) error {
	switch backend {
	case scenarios.BackendFake:
		return nil
	case scenarios.BackendEnvtest:
		// envtest logs through controller-runtime; nothing of it is for the
		// user (errors come back as errors).
		ctrllog.SetLogger(logr.Discard())
		fmt.Fprintln(stderr, "rollsim: starting kube-apiserver and etcd (envtest)…")
		return nil
	}
	return fmt.Errorf("--backend: expected %s or %s, got %q", scenarios.BackendFake, scenarios.BackendEnvtest, backend)
}
