package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios"
	"github.com/spf13/cobra"
)

func parseKV(flag string, in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%s %q: expected TEMPLATE/METRIC=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

func newReplayCmd(stdout, stderr io.Writer) *cobra.Command {
	var p scenarios.ReplayPlan
	var metrics, bad []string
	var whatIf bool
	cmd := &cobra.Command{
		Use:   "replay MANIFESTS --rollout NAME --image IMAGE [--promote-at 5m]... [--metric TEMPLATE/METRIC=VALUE|traffic]...",
		Short: "Replay a rollout plan against real manifests without writing a scenario",
		Long: `Roll IMAGE out over the manifests (file, directory or kustomize directory)
with healthy versions and print the step ladder (time, step, weight, pods by
role) and the time to full promotion. Every analysis metric other than Job
needs an answer (--metric KEY=0.99, or KEY=traffic[:measure]); a metric
without one is reported and the command exits 2. Indefinite pauses need
--promote-at.

--what-if with --bad-metric KEY=VALUE replays once per step with the version
turning bad (the metric answering VALUE) when that step starts, and prints
the time to detect, to roll back, and the exposure.`,
		Example: `  rollsim replay scenarios/testdata/seeds/guestbook/background-analysis.yaml --rollout guestbook \
    --image guestbook:v2 --metric success-rate=0.99 --what-if --bad-metric success-rate=0.5`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p.Manifests = args[0]
			if p.Rollout == "" || p.Image == "" {
				return fmt.Errorf("--rollout and --image are required")
			}
			var err error
			if p.Metrics, err = parseKV("--metric", metrics); err != nil {
				return err
			}
			if p.Bad, err = parseKV("--bad-metric", bad); err != nil {
				return err
			}
			if whatIf && len(p.Bad) == 0 {
				return fmt.Errorf("--what-if needs at least one --bad-metric KEY=VALUE")
			}
			s, err := p.Build()
			if err != nil {
				return err
			}
			fmt.Fprintln(stderr, "replaying with healthy versions…")
			r := scenarios.Run(s, scenarios.RunOptions{})
			if r.Report.ErrorKind == scenarios.ErrInput {
				return fmt.Errorf("%s", r.Report.Error)
			}
			fmt.Fprintf(stdout, "Replay of %s → %s\n\n", p.Rollout, p.Image)
			fmt.Fprintf(stdout, "%-10s %-42s %6s %7s %7s\n", "TIME", "STEP", "WEIGHT", "STABLE", "CANARY")
			for _, rung := range scenarios.Ladder(r) {
				fmt.Fprintf(stdout, "%-10s %-42s %6d %7d %7d\n", "T+"+fmtMs(rung.AtMs), rung.Step, rung.Weight, rung.Stable, rung.Canary)
			}
			final := "?"
			if len(r.Report.Rollouts) > 0 {
				final = r.Report.Rollouts[0].Phase + " " + r.Report.Rollouts[0].Message
			}
			promo := "never"
			if len(r.Report.Outcomes) > 0 && r.Report.Outcomes[0].TimeToPromotionMs != nil {
				promo = fmtMs(*r.Report.Outcomes[0].TimeToPromotionMs)
			}
			fmt.Fprintf(stdout, "\nTime to full promotion: %s (final phase: %s)\n", promo, strings.TrimSpace(final))
			if r.Report.ErrorKind != "" {
				fmt.Fprintf(stdout, "Run ended early: %s\n", r.Report.Error)
			}
			if !whatIf {
				if promo == "never" {
					return exitError{exitFailed}
				}
				return nil
			}
			fmt.Fprintln(stderr, "what-if: one run per step…")
			outs, labels, err := scenarios.WhatIf(p, r)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\nWhat if %s turns bad at…\n", p.Image)
			fmt.Fprintf(stdout, "%-28s %-12s %-12s %-12s %s\n", "BAD FROM", "DETECTED IN", "ABORTED IN", "ROLLED BACK", "EXPOSURE")
			for i, o := range outs {
				fmt.Fprintf(stdout, "%-28s %-12s %-12s %-12s %s\n", labels[i], optMs(o.TimeToDetectMs), optMs(o.TimeToAbortMs), optMs(o.TimeToRollbackMs), exposureLine(o))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&p.Rollout, "rollout", "", "the rollout to update")
	cmd.Flags().StringVar(&p.Image, "image", "", "the new image")
	cmd.Flags().DurationSliceVar(&p.PromoteAt, "promote-at", nil, "promote (kubectl argo rollouts promote) at these times after T+0")
	cmd.Flags().StringArrayVar(&metrics, "metric", nil, "answer a metric: TEMPLATE/METRIC=VALUE or =traffic[:measure] (repeatable)")
	cmd.Flags().BoolVar(&whatIf, "what-if", false, "for a bad version appearing at each step, print detection, rollback and exposure")
	cmd.Flags().StringArrayVar(&bad, "bad-metric", nil, "with --what-if: the value a metric returns once the version is bad")
	return cmd
}

func fmtMs(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Truncate(time.Second).String()
}

func optMs(p *int64) string {
	if p == nil {
		return "never"
	}
	return fmtMs(*p)
}

func exposureLine(o report.Outcome) string {
	var parts []string
	for _, e := range o.Exposure {
		parts = append(parts, fmt.Sprintf("%s/%s %.0f", e.Version, e.Cohort, e.Requests))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}
