package plan

import (
	"encoding/json"
	"fmt"
)

// Engines a result can come from.
const (
	EngineRollsim = "rollsim"
	EngineArgo    = "argo-upstream"
)

// Result is the part of the JSON result (`rollsim run --output json`,
// docs/output.md) that engines share and `rollsim diff` reads. The oracle
// writes it with Engine and ArgoVersion set; rollsim's own output has no
// engine field and reads as EngineRollsim.
type Result struct {
	SchemaVersion int              `json:"schemaVersion"`
	Engine        string           `json:"engine,omitempty"`
	ArgoVersion   string           `json:"argoVersion,omitempty"`
	Scenarios     []ScenarioResult `json:"scenarios"`
}

// ScenarioResult is one scenario's run, in the fields of docs/output.md.
type ScenarioResult struct {
	Scenario     string            `json:"scenario"`
	File         string            `json:"file"`
	Passed       bool              `json:"passed"`
	Error        string            `json:"error,omitempty"`
	ErrorKind    string            `json:"errorKind,omitempty"`
	VirtualMs    int64             `json:"virtualMs"`
	Seed         int64             `json:"seed"`
	Expectations []json.RawMessage `json:"expectations"`
	Rollouts     []RolloutState    `json:"rollouts"`
	AnalysisRuns []AnalysisState   `json:"analysisRuns"`
	Outcomes     []json.RawMessage `json:"outcomes"`
	Timeline     []Record          `json:"timeline"`
}

// RolloutState is a rollout's final state (a subset of docs/output.md's).
type RolloutState struct {
	Namespace        string         `json:"namespace"`
	Name             string         `json:"name"`
	Phase            string         `json:"phase"`
	Message          string         `json:"message"`
	CurrentStepIndex *int32         `json:"currentStepIndex"`
	ReplicaSets      []ReplicaState `json:"replicaSets"`
}

// ReplicaState is one ReplicaSet of a rollout at the end.
type ReplicaState struct {
	Name              string   `json:"name"`
	Role              string   `json:"role"`
	Revision          int64    `json:"revision"`
	Images            []string `json:"images"`
	SpecReplicas      int32    `json:"specReplicas"`
	AvailableReplicas int32    `json:"availableReplicas"`
}

// AnalysisState is an AnalysisRun at the end.
type AnalysisState struct {
	Name    string `json:"name"`
	Phase   string `json:"phase"`
	Message string `json:"message"`
}

// Record is one timeline line (sim/trace.Record's JSON form).
type Record struct {
	AtMs   int64  `json:"atMs"`
	Actor  string `json:"actor"`
	Object string `json:"object"`
	Verb   string `json:"verb"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// DecodeResult reads a result document; name is used in errors.
func DecodeResult(name string, data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: expected a rollsim JSON result (rollsim run --output json or rollsim-oracle): %w", name, err)
	}
	if r.SchemaVersion != 1 {
		return nil, fmt.Errorf("%s: expected a rollsim JSON result with schemaVersion 1, got schemaVersion %d", name, r.SchemaVersion)
	}
	if len(r.Scenarios) == 0 {
		return nil, fmt.Errorf("%s: expected a rollsim JSON result with at least one scenario in \"scenarios\"", name)
	}
	if r.Engine == "" {
		r.Engine = EngineRollsim
	}
	return &r, nil
}
