package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/sim/trace"
)

func sample() []Scenario {
	step := int32(2)
	return []Scenario{
		{Scenario: "b", File: "z.yaml", Passed: false, Expectations: []Expectation{{Description: "phase", Passed: false, Message: "phase is Paused"}}},
		{Scenario: "a", File: "a.yaml", Passed: true, VirtualMs: 146_000, Seed: 1,
			Rollouts: []Rollout{{Namespace: "ns", Name: "ro", Phase: "Healthy", CurrentStepIndex: &step,
				ReplicaSets: []ReplicaSet{{Name: "ro-1", Role: "stable", Revision: 1, Images: []string{"img:v1"}, SpecReplicas: 5, AvailableReplicas: 5}}}},
			Timeline: []trace.Record{{AtMs: 5000, Actor: "cluster", Object: "pod/p", Verb: "ready"}}},
	}
}

func TestJSONIsSortedByFileAndVersioned(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schemaVersion"].(float64) != 1 {
		t.Fatal("schemaVersion")
	}
	sc := doc["scenarios"].([]any)
	if sc[0].(map[string]any)["file"] != "a.yaml" || sc[1].(map[string]any)["file"] != "z.yaml" {
		t.Fatalf("not sorted by file: %v", sc)
	}
	first := sc[0].(map[string]any)
	for _, k := range []string{"scenario", "file", "passed", "virtualMs", "expectations", "rollouts", "analysisRuns", "timeline"} {
		if _, ok := first[k]; !ok && k != "expectations" && k != "analysisRuns" {
			t.Errorf("missing key %q", k)
		}
	}
	rs := first["rollouts"].([]any)[0].(map[string]any)["replicaSets"].([]any)[0].(map[string]any)
	if rs["role"] != "stable" || rs["specReplicas"].(float64) != 5 {
		t.Fatalf("replicaSet %v", rs)
	}
	tl := first["timeline"].([]any)[0].(map[string]any)
	if tl["atMs"].(float64) != 5000 || tl["verb"] != "ready" {
		t.Fatalf("timeline record %v", tl)
	}
}

func TestTextShowsVerdictsAndFailures(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sample()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Index(out, "=== PASS a") > strings.Index(out, "=== FAIL b") {
		t.Fatal("text report not sorted by file")
	}
	if !strings.Contains(out, "FAIL phase: phase is Paused") || !strings.Contains(out, "virtual 2m26s") {
		t.Fatalf("text report:\n%s", out)
	}
	if !strings.Contains(out, "T+00m05s") {
		t.Fatal("timeline missing")
	}
}
