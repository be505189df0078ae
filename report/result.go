package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/rollsim/rollsim/sim/trace"
)

// SchemaVersion of the JSON output.
const SchemaVersion = 1

// Output is the whole JSON document `rollsim run --output json` prints.
type Output struct {
	SchemaVersion int        `json:"schemaVersion"`
	Scenarios     []Scenario `json:"scenarios"`
}

// Scenario is the result of one scenario.
type Scenario struct {
	Scenario string `json:"scenario"`
	File     string `json:"file"`
	Passed   bool   `json:"passed"`
	// Error is set when the scenario could not run (bad input) or the run
	// failed (timeout, step budget, livelock).
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"errorKind,omitempty"` // input | timeout | budget | run
	VirtualMs int64  `json:"virtualMs"`
	Seed      int64  `json:"seed"`
	// Backend is "envtest" when the run went through a real API server;
	// empty on the default fake backend.
	Backend      string        `json:"backend,omitempty"`
	Expectations []Expectation `json:"expectations"`
	Rollouts     []Rollout     `json:"rollouts"`
	AnalysisRuns []AnalysisRun `json:"analysisRuns"`
	// Experiments are the experiments' final states (none: omitted).
	Experiments []Experiment `json:"experiments,omitempty"`
	// Outcomes are the per-rollout outcome metrics (time to promote,
	// detect, abort, roll back; exposure).
	Outcomes []Outcome `json:"outcomes"`
	// Samples are the state after every instant at which it changed, for
	// charts.
	Samples []Sample `json:"samples,omitempty"`
	// Frames are the rollout trees (as --show-at captures them) after every
	// instant at which the simulation's state changed, one snapshot per
	// rollout and instant, in time order: what `rollsim view` scrubs
	// through. Filled when the run asks for them (RunOptions.Frames; the
	// JSON output does); absent otherwise.
	Frames   []Snapshot     `json:"frames,omitempty"`
	Timeline []trace.Record `json:"timeline"`
	// NotModelled are the objects of the manifests that the simulation
	// holds but does not model (kinds outside rollsim's scheme that no
	// traffic router of the rollouts reads), sorted by kind, namespace,
	// name.
	NotModelled []NotModelled `json:"notModelled,omitempty"`
}

// NotModelled is one object the simulation holds but does not model.
type NotModelled struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	File       string `json:"file"`
	Line       int    `json:"line,omitempty"`
}

// String is the listing line: "not modelled by the simulation: <kind>
// <namespace/name> (file:line)".
func (n NotModelled) String() string {
	name := n.Name
	if n.Namespace != "" {
		name = n.Namespace + "/" + name
	}
	src := n.File
	if n.Line > 0 {
		src += ":" + strconv.Itoa(n.Line)
	}
	return fmt.Sprintf("not modelled by the simulation: %s %s (%s)", n.Kind, name, src)
}

// Outcome answers the questions users bring, for one rollout. Durations are
// milliseconds; null when the thing never happened.
type Outcome struct {
	Rollout string `json:"rollout"`
	// TimeToPromotionMs: from the first update after T+0 until the new
	// version was declared stable.
	TimeToPromotionMs *int64 `json:"timeToPromotionMs"`
	// FailureOnsetMs: when the scenario says a bad version appeared.
	FailureOnsetMs *int64 `json:"failureOnsetMs"`
	// TimeToDetectMs: from the onset to the first Failed/Error measurement
	// of the run that led to the abort.
	TimeToDetectMs *int64 `json:"timeToDetectMs"`
	// TimeToAbortMs: from the onset to the abort.
	TimeToAbortMs *int64 `json:"timeToAbortMs"`
	// TimeToRollbackMs: from the abort until the canary has no available
	// pod, the stable has spec.replicas available and, under traffic
	// routing, the router weight is 0.
	TimeToRollbackMs *int64 `json:"timeToRollbackMs"`
	// PeakCanaryWeight is the highest router weight (or pod share without
	// traffic routing) the canary reached.
	PeakCanaryWeight int32 `json:"peakCanaryWeight"`
	// Exposure: requests served by each version and cohort (traffic model).
	Exposure []Exposure `json:"exposure"`
}

// Exposure is what one version served to one cohort.
type Exposure struct {
	Version        string  `json:"version"`
	Cohort         string  `json:"cohort"`
	Requests       float64 `json:"requests"`
	FailedRequests float64 `json:"failedRequests"`
	// Share is the fraction of all the rollout's requests this version
	// served to this cohort (the share of users it reached).
	Share float64 `json:"share"`
	// ShadowRequests and ShadowFailedRequests are mirrored copies of the
	// cohort's requests this version served (a setMirrorRoute): errors
	// nobody saw, not part of Requests or Share.
	ShadowRequests       float64 `json:"shadowRequests,omitempty"`
	ShadowFailedRequests float64 `json:"shadowFailedRequests,omitempty"`
}

// Sample is one rollout's state from AtMs until the next sample.
type Sample struct {
	AtMs       int64    `json:"atMs"`
	Rollout    string   `json:"rollout"`
	Weight     int32    `json:"weight"`
	StablePods int32    `json:"stablePods"`
	CanaryPods int32    `json:"canaryPods"`
	OldPods    int32    `json:"oldPods"`
	Phase      string   `json:"phase"`
	ErrorRate  *float64 `json:"errorRate,omitempty"`
}

// Expectation is one checked expectation.
type Expectation struct {
	Description string `json:"description"`
	Passed      bool   `json:"passed"`
	Message     string `json:"message,omitempty"`
}

// Rollout is a rollout's state at the end.
type Rollout struct {
	Namespace        string          `json:"namespace"`
	Name             string          `json:"name"`
	Phase            string          `json:"phase"`
	Message          string          `json:"message"`
	CurrentStepIndex *int32          `json:"currentStepIndex"`
	SetWeight        int32           `json:"setWeight"`
	ActualWeight     int32           `json:"actualWeight"`
	TrafficWeights   *TrafficWeights `json:"trafficWeights,omitempty"`
	Conditions       []Condition     `json:"conditions"`
	ReplicaSets      []ReplicaSet    `json:"replicaSets"`
	// Steps are the canary steps as the controller names them in its
	// RolloutStepCompleted lines ("setWeight: 20", "pause: 30s",
	// "analysis", …); absent without canary steps.
	Steps []string `json:"steps,omitempty"`
}

// TrafficWeights are the router's recorded weights (traffic routing only).
type TrafficWeights struct {
	Canary int32 `json:"canary"`
	Stable int32 `json:"stable"`
}

// Condition is a rollout status condition.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// ReplicaSet is one ReplicaSet of a rollout; role is stable, canary or old.
type ReplicaSet struct {
	Name              string   `json:"name"`
	Role              string   `json:"role"`
	Revision          int64    `json:"revision"`
	Images            []string `json:"images"`
	SpecReplicas      int32    `json:"specReplicas"`
	AvailableReplicas int32    `json:"availableReplicas"`
}

// AnalysisRun is a run's final state.
type AnalysisRun struct {
	Name    string   `json:"name"`
	Phase   string   `json:"phase"`
	Message string   `json:"message,omitempty"`
	Metrics []Metric `json:"metrics"`
}

// Metric counts a metric's measurements.
type Metric struct {
	Name         string `json:"name"`
	Phase        string `json:"phase"`
	Successful   int32  `json:"successful"`
	Failed       int32  `json:"failed"`
	Inconclusive int32  `json:"inconclusive"`
	Errors       int32  `json:"errors"`
	// Measurements are the measurements the run's status retains (Argo
	// trims to the metric's measurementRetention, 10 by default), oldest
	// first.
	Measurements []Measurement `json:"measurements,omitempty"`
}

// Measurement is one measurement of a metric. Times are offsets from T+0
// in milliseconds (negative before T+0); finishedAtMs is absent while the
// measurement runs.
type Measurement struct {
	Phase        string `json:"phase"`
	Value        string `json:"value,omitempty"`
	Message      string `json:"message,omitempty"`
	StartedAtMs  *int64 `json:"startedAtMs,omitempty"`
	FinishedAtMs *int64 `json:"finishedAtMs,omitempty"`
}

// WriteJSON writes the results sorted by file path.
func WriteJSON(w io.Writer, results []Scenario) error {
	out := Output{SchemaVersion: SchemaVersion, Scenarios: sorted(results)}
	if out.Scenarios == nil {
		out.Scenarios = []Scenario{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

func sorted(results []Scenario) []Scenario {
	out := append([]Scenario(nil), results...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Scenario < out[j].Scenario
	})
	return out
}

// Timeline renders the golden text form of a timeline.
func Timeline(records []trace.Record) string { return trace.Text(records) }

// WriteText writes a human-readable report: per scenario a verdict line,
// the expectations, the final state and the timeline.
func WriteText(w io.Writer, results []Scenario) error {
	var b strings.Builder
	for i, r := range sorted(results) {
		if i > 0 {
			b.WriteString("\n")
		}
		verdict := "PASS"
		if !r.Passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "=== %s %s (%s) virtual %s, seed %d%s\n", verdict, r.Scenario, r.File, virtual(r.VirtualMs), r.Seed, backendNote(r.Backend))
		if r.Error != "" {
			fmt.Fprintf(&b, "error (%s): %s\n", r.ErrorKind, r.Error)
		}
		for _, n := range r.NotModelled {
			b.WriteString(n.String() + "\n")
		}
		if len(r.Timeline) > 0 {
			b.WriteString("--- timeline\n")
			b.WriteString(trace.Text(r.Timeline))
		}
		if len(r.Rollouts) > 0 {
			b.WriteString("--- final state\n")
			for _, ro := range r.Rollouts {
				step := "-"
				if ro.CurrentStepIndex != nil {
					step = fmt.Sprint(*ro.CurrentStepIndex)
				}
				fmt.Fprintf(&b, "rollout %s/%s: %s %q step %s setWeight %d actualWeight %d\n", ro.Namespace, ro.Name, ro.Phase, ro.Message, step, ro.SetWeight, ro.ActualWeight)
				for _, rs := range ro.ReplicaSets {
					fmt.Fprintf(&b, "  replicaset %s rev %d %-6s %s spec %d available %d\n", rs.Name, rs.Revision, rs.Role, strings.Join(rs.Images, ","), rs.SpecReplicas, rs.AvailableReplicas)
				}
			}
			for _, ar := range r.AnalysisRuns {
				fmt.Fprintf(&b, "analysisrun %s: %s", ar.Name, ar.Phase)
				for _, m := range ar.Metrics {
					fmt.Fprintf(&b, " [%s %s ✔%d ✖%d ?%d ⚠%d]", m.Name, m.Phase, m.Successful, m.Failed, m.Inconclusive, m.Errors)
				}
				b.WriteString("\n")
			}
			for _, ex := range r.Experiments {
				experimentText(&b, ex)
			}
		}
		if len(r.Expectations) > 0 {
			b.WriteString("--- expectations\n")
			for _, e := range r.Expectations {
				mark := "ok  "
				if !e.Passed {
					mark = "FAIL"
				}
				fmt.Fprintf(&b, "%s %s", mark, e.Description)
				if e.Message != "" {
					fmt.Fprintf(&b, ": %s", e.Message)
				}
				b.WriteString("\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func virtual(ms int64) string {
	s := ms / 1000
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}

func backendNote(b string) string {
	if b == "" {
		return ""
	}
	return ", backend " + b
}
