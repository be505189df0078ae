package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/report/view"
	"github.com/rollsim/rollsim/scenarios"
	"github.com/spf13/cobra"
)

func newViewCmd(stdout, stderr io.Writer) *cobra.Command {
	var out, only string
	var seed int64
	cmd := &cobra.Command{
		Use:   "view RESULT.json|SCENARIO.yaml",
		Short: "Write a replay page: scrub through virtual time and see the rollout tree, the step ladder and the timeline",
		Long: `Write one self-contained HTML file (no server, no network: data, script and
style inline) that replays a run. A time scrubber selects an instant; the page
shows the rollout tree at that instant (revisions, ReplicaSets, pods by
readiness, weights, AnalysisRuns with their measurements), the step ladder
with the current step and the timeline up to it. Arrow keys step from instant
to instant; the URL fragment (#t=2m35s) links an instant.

The input is a JSON result (rollsim run --output json, which carries the
frames the page scrubs through) or a scenario file, which is run first.
See docs/viewer.md.

Exit code: 2 if the input cannot be read or the scenario cannot be run, else
0 (a scenario whose expectations fail is still shown).`,
		Example: `  rollsim view scenarios/library/seed000-v2-to-error-aborted.yaml -o replay.html
  rollsim run --output json scenarios/library > results.json && rollsim view results.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seedp *int64
			if cmd.Flags().Changed("seed") {
				seedp = &seed
			}
			results, err := viewInput(args[0], seedp, stderr)
			if err == nil {
				results, err = pickScenario(results, only)
			}
			if err != nil {
				fmt.Fprintln(stderr, "rollsim:", err)
				return exitError{exitBadInput}
			}
			var page bytes.Buffer
			if err := view.Write(&page, results); err != nil {
				return err
			}
			if out == "-" {
				_, err := stdout.Write(page.Bytes())
				return err
			}
			if out == "" {
				out = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0])) + ".html"
			}
			if err := os.WriteFile(out, page.Bytes(), 0o644); err != nil {
				return fmt.Errorf("view: %w", err)
			}
			fmt.Fprintf(stderr, "rollsim: wrote %s (open it in a browser; add #t=2m35s to the URL to start at an instant)\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", `the HTML file to write ("-" for stdout; default: the input's name with .html, in the current directory)`)
	cmd.Flags().StringVar(&only, "scenario", "", "of a JSON result with several scenarios, show only this one (metadata.name); default: all, with a selector")
	cmd.Flags().Int64Var(&seed, "seed", 1, "override the scenario's seed (scenario input only)")
	return cmd
}

// viewInput reads a JSON result or runs a scenario file.
func viewInput(path string, seed *int64, stderr io.Writer) ([]report.Scenario, error) {
	if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
		r, err := runForView(path, seed)
		if err != nil {
			return nil, err
		}
		return []report.Scenario{r}, nil
	}
	if seed != nil {
		return nil, fmt.Errorf("--seed: only for a scenario file; %s is a result", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	var doc report.Output
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: expected a scenario (.yaml) or the JSON of rollsim run --output json: %w", path, err)
	}
	if doc.SchemaVersion != report.SchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %d, expected %d (the JSON of rollsim run --output json)", path, doc.SchemaVersion, report.SchemaVersion)
	}
	if len(doc.Scenarios) == 0 {
		return nil, fmt.Errorf("%s: the result holds no scenario", path)
	}
	for i, sc := range doc.Scenarios {
		doc.Scenarios[i] = withFrames(sc, stderr)
	}
	return doc.Scenarios, nil
}

// withFrames gives a result without frames (written by a rollsim that did
// not record them) the frames of a re-run of its scenario file with its
// seed, when the file is at hand and the re-run's timeline is the
// result's; else the result stays as it is and the page falls back to its
// samples.
func withFrames(sc report.Scenario, stderr io.Writer) report.Scenario {
	if len(sc.Frames) > 0 || sc.ErrorKind == scenarios.ErrInput || sc.File == "" {
		return sc
	}
	seed := sc.Seed
	again, err := runForView(sc.File, &seed)
	if err == nil && slices.Equal(again.Timeline, sc.Timeline) {
		return again
	}
	fmt.Fprintf(stderr, "rollsim: %s: the result carries no frames and a re-run of %s does not give its timeline: the page shows the final tree with the samples\n", sc.Scenario, sc.File)
	return sc
}

func pickScenario(results []report.Scenario, name string) ([]report.Scenario, error) {
	if name == "" {
		return results, nil
	}
	var names []string
	for _, r := range results {
		if r.Scenario == name {
			return []report.Scenario{r}, nil
		}
		names = append(names, r.Scenario)
	}
	return nil, fmt.Errorf("--scenario: no scenario %q in the result (it holds %s)", name, strings.Join(names, ", "))
}

// runForView runs a scenario, recording the frames the page scrubs
// through.
func runForView(path string, seed *int64) (report.Scenario, error) {
	r := scenarios.RunFile(path, scenarios.RunOptions{Seed: seed, Frames: true})
	if r.Report.ErrorKind == scenarios.ErrInput {
		return report.Scenario{}, fmt.Errorf("%s", r.Report.Error)
	}
	return r.Report, nil
}
