package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rollsim/rollsim/plan"
	"github.com/spf13/cobra"
)

func newDiffCmd(stdout, stderr io.Writer) *cobra.Command {
	var tolerance time.Duration
	var table bool
	cmd := &cobra.Command{
		Use:   "diff A.json B.json",
		Short: "Compare two JSON results decision by decision (e.g. rollsim and the Argo oracle)",
		Long: `Compare two results (rollsim run --output json, or rollsim-oracle) scenario
by scenario, decision by decision: ReplicaSet scales (and their order),
step changes, router weights, Service selector switches, rollout and
analysis-run phases and messages, aborts, promotions, pauses and resumes,
created ReplicaSets and AnalysisRuns. Decisions agree when their values are
equal and their times differ by at most --tolerance (rollsim's documented
offsets, docs/fidelity.md). The first divergence is printed with both
timelines around it (docs/oracle.md).

Exit code: 2 if an input is not a result or the two cover different
scenarios, else 1 if any scenario diverges (or failed to run on one side),
else 0.`,
		Example: `  rollsim run scenarios/library/seed000-v2-to-error-aborted.yaml --output json > rollsim.json
  rollsim resolve scenarios/library/seed000-v2-to-error-aborted.yaml > plan.json
  rollsim-oracle plan.json > argo.json
  rollsim diff rollsim.json argo.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res [2]*plan.Result
			for i, f := range args {
				data, err := os.ReadFile(f)
				if err != nil {
					fmt.Fprintf(stderr, "rollsim diff: %v\n", err)
					return exitError{exitBadInput}
				}
				if res[i], err = plan.DecodeResult(f, data); err != nil {
					fmt.Fprintf(stderr, "rollsim diff: %v\n", err)
					return exitError{exitBadInput}
				}
			}
			rows, err := diffResults(args[0], args[1], res[0], res[1], tolerance.Milliseconds())
			if err != nil {
				fmt.Fprintf(stderr, "rollsim diff: %v\n", err)
				return exitError{exitBadInput}
			}
			code := exitOK
			for _, r := range rows {
				if table {
					fmt.Fprintf(stdout, "| %s | %s | %s |\n", r.scenario, r.verdict, strings.ReplaceAll(r.first, "|", "\\|"))
				} else {
					fmt.Fprint(stdout, r.text)
				}
				if r.verdict != "agree" {
					code = exitFailed
				}
			}
			if code != exitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&tolerance, "tolerance", time.Second, "largest time difference between two equal decisions")
	cmd.Flags().BoolVar(&table, "table", false, "print one Markdown table row per scenario: scenario | agree/differ | first divergence")
	return cmd
}

type diffRow struct {
	scenario string
	verdict  string // agree | differ | error
	first    string // one line: the first divergence or the error
	text     string // the full report
}

// diffResults pairs the scenarios of two results by name and compares each.
func diffResults(fileA, fileB string, a, b *plan.Result, tolMs int64) ([]diffRow, error) {
	nameA, nameB := label(a, "A"), label(b, "B")
	if nameA == nameB {
		nameA, nameB = nameA+" (A)", nameB+" (B)"
	}
	byName := map[string]*plan.ScenarioResult{}
	for i := range b.Scenarios {
		byName[b.Scenarios[i].Scenario] = &b.Scenarios[i]
	}
	if len(a.Scenarios) != len(b.Scenarios) {
		return nil, fmt.Errorf("%s has %d scenarios and %s has %d: expected results of the same scenarios", fileA, len(a.Scenarios), fileB, len(b.Scenarios))
	}
	var rows []diffRow
	for i := range a.Scenarios {
		sa := &a.Scenarios[i]
		sb, ok := byName[sa.Scenario]
		if !ok {
			return nil, fmt.Errorf("scenario %q of %s is not in %s: expected results of the same scenarios", sa.Scenario, fileA, fileB)
		}
		rows = append(rows, diffScenario(sa, sb, nameA, nameB, tolMs))
	}
	return rows, nil
}

func label(r *plan.Result, def string) string {
	switch {
	case r.Engine == plan.EngineArgo && r.ArgoVersion != "":
		return "argo " + r.ArgoVersion
	case r.Engine != "":
		return r.Engine
	}
	return def
}

func diffScenario(a, b *plan.ScenarioResult, nameA, nameB string, tolMs int64) diffRow {
	row := diffRow{scenario: a.Scenario}
	for _, side := range []struct {
		name string
		s    *plan.ScenarioResult
	}{{nameA, a}, {nameB, b}} {
		if side.s.Error != "" {
			row.verdict = "error"
			row.first = fmt.Sprintf("%s did not run to the end: %s", side.name, firstLine(side.s.Error))
			row.text = fmt.Sprintf("ERROR  %s: %s\n", a.Scenario, row.first)
			return row
		}
	}
	d := plan.Compare(a.Timeline, b.Timeline, tolMs)
	if d == nil {
		row.verdict = "agree"
		row.text = fmt.Sprintf("AGREE  %s (%d decisions, tolerance %dms)\n", a.Scenario, len(plan.Decisions(a.Timeline)), tolMs)
		return row
	}
	row.verdict = "differ"
	row.first = fmt.Sprintf("%s %s: %s — %s: %s; %s: %s", plan.FmtOffset(d.AtMs), d.Stream, d.Why,
		nameA, decisionText(d.A), nameB, decisionText(d.B))
	row.text = fmt.Sprintf("DIFFER %s\n%s", a.Scenario, indent(d.Explain(nameA, nameB, a.Timeline, b.Timeline)))
	return row
}

func decisionText(d *plan.Decision) string {
	if d == nil {
		return "none"
	}
	return fmt.Sprintf("%s at %s", d.Value, plan.FmtOffset(d.AtMs))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "  " + strings.Join(lines, "\n  ") + "\n"
}
