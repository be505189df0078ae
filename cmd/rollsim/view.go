package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/report/view"
	"github.com/rollsim/rollsim/scenarios"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/trace"
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

// runForView runs a scenario for the page: once for its timeline, then
// again (the same deterministic run) capturing the rollout trees after each
// of its instants, with the steps and measurements the trees show.
func runForView(path string, seed *int64) (report.Scenario, error) {
	r := scenarios.RunFile(path, scenarios.RunOptions{Seed: seed})
	if r.Report.ErrorKind == scenarios.ErrInput {
		return report.Scenario{}, fmt.Errorf("%s", r.Report.Error)
	}
	if len(r.Report.Frames) > 0 || r.Harness == nil {
		return r.Report, nil
	}
	seen := map[int64]bool{}
	var at []time.Duration
	for _, rec := range append([]trace.Record{{AtMs: 0}}, r.Report.Timeline...) {
		if !seen[rec.AtMs] && rec.AtMs >= 0 {
			seen[rec.AtMs] = true
			at = append(at, time.Duration(rec.AtMs)*time.Millisecond)
		}
	}
	again := scenarios.RunFile(path, scenarios.RunOptions{Seed: seed, ShowAt: at})
	if again.Harness == nil || len(again.Report.Timeline) != len(r.Report.Timeline) {
		return report.Scenario{}, fmt.Errorf("%s: a second run of the scenario gave another timeline (%d records, then %d): it is not deterministic", path, len(r.Report.Timeline), len(again.Report.Timeline))
	}
	out := again.Report
	out.Frames = again.Snapshots
	steps := stepsOf(again.Harness)
	runs := measurementsOf(again.Harness, again.T0)
	for i := range out.Rollouts {
		out.Rollouts[i].Steps = steps[out.Rollouts[i].Namespace+"/"+out.Rollouts[i].Name]
	}
	withMeasurements(out.AnalysisRuns, runs, math.MaxInt64)
	for i := range out.Frames {
		f := &out.Frames[i]
		f.Rollout.Steps = steps[f.Rollout.Namespace+"/"+f.Rollout.Name]
		for j := range f.Revisions {
			withMeasurements(f.Revisions[j].AnalysisRuns, runs, f.AtMs)
			withMeasurements(f.Revisions[j].ExperimentRuns, runs, f.AtMs)
		}
	}
	return out, nil
}

// stepsOf names every rollout's canary steps as the controller's
// RolloutStepCompleted lines do.
func stepsOf(h *sim.Harness) map[string][]string {
	out := map[string][]string{}
	ros, _ := h.Rollouts()
	for _, ro := range ros {
		if ro.Spec.Strategy.Canary == nil {
			continue
		}
		for _, st := range ro.Spec.Strategy.Canary.Steps {
			out[ro.Namespace+"/"+ro.Name] = append(out[ro.Namespace+"/"+ro.Name], controller.StepString(st))
		}
	}
	return out
}

// measurementsOf reads the measurements every AnalysisRun retains at the
// end of the run, by run and metric name.
func measurementsOf(h *sim.Harness, t0 time.Time) map[string][]report.Measurement {
	out := map[string][]report.Measurement{}
	ros, _ := h.Rollouts()
	namespaces := map[string]bool{}
	for _, ro := range ros {
		namespaces[ro.Namespace] = true
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		ars, _ := h.AnalysisRuns(ns)
		for _, ar := range ars {
			for _, mr := range ar.Status.MetricResults {
				for _, m := range mr.Measurements {
					rm := report.Measurement{Phase: string(m.Phase), Value: m.Value, Message: m.Message}
					if m.StartedAt != nil {
						rm.StartedAtMs = ptr(m.StartedAt.Sub(t0).Milliseconds())
					}
					if m.FinishedAt != nil {
						rm.FinishedAtMs = ptr(m.FinishedAt.Sub(t0).Milliseconds())
					}
					out[ar.Name+"/"+mr.Name] = append(out[ar.Name+"/"+mr.Name], rm)
				}
			}
		}
	}
	return out
}

// withMeasurements gives each metric of runs the measurements started by
// atMs; one that had not finished by then is shown running.
func withMeasurements(runs []report.AnalysisRun, all map[string][]report.Measurement, atMs int64) {
	for i := range runs {
		for j := range runs[i].Metrics {
			m := &runs[i].Metrics[j]
			m.Measurements = nil
			for _, x := range all[runs[i].Name+"/"+m.Name] {
				if x.StartedAtMs != nil && *x.StartedAtMs > atMs {
					continue
				}
				if x.FinishedAtMs != nil && *x.FinishedAtMs > atMs {
					x = report.Measurement{Phase: "Running", StartedAtMs: x.StartedAtMs}
				}
				m.Measurements = append(m.Measurements, x)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
