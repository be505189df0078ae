package view

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim/trace"
)

func fixture() report.Scenario {
	step := int32(1)
	ro := report.Rollout{Namespace: "default", Name: "demo", Phase: "Paused", CurrentStepIndex: &step, SetWeight: 20,
		Steps: []string{"setWeight: 20", "pause: 30s"}, Conditions: []report.Condition{}, ReplicaSets: []report.ReplicaSet{}}
	return report.Scenario{Scenario: "demo", File: "demo.yaml", VirtualMs: 30000,
		Rollouts: []report.Rollout{ro},
		Frames:   []report.Snapshot{{AtMs: 5000, Rollout: ro, Strategy: "Canary", Steps: 2}},
		Timeline: []trace.Record{{AtMs: 5000, Actor: "user", Object: "rollout/demo", Verb: "action", Reason: "SetImage", Detail: `</script><script>alert(1)</script>`}},
	}
}

// The page is one file: style, script and data inline, nothing fetched,
// and data that cannot end its script element early.
func TestWriteIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, []report.Scenario{fixture()}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, banned := range []string{"http://", "https://", "<link", " src=", "<script>alert"} {
		if strings.Contains(page, banned) {
			t.Errorf("page holds %q", banned)
		}
	}
	if n := strings.Count(page, "</script>"); n != 2 {
		t.Errorf("page has %d </script>, want 2 (the data and the viewer)", n)
	}
	_, rest, _ := strings.Cut(page, `<script type="application/json" id="rollsim-data">`)
	body, _, _ := strings.Cut(rest, "</script>")
	var d Data
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("the embedded data is not JSON: %v", err)
	}
	if len(d.Scenarios) != 1 || len(d.Scenarios[0].Frames) != 1 || d.Scenarios[0].Timeline[0].Detail != fixture().Timeline[0].Detail {
		t.Errorf("the embedded data lost the result: %+v", d)
	}
	if !strings.Contains(page, "<title>demo · rollsim view</title>") {
		t.Error("no title naming the scenario")
	}
}

func TestWriteNeedsAScenario(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil); err == nil || !strings.Contains(err.Error(), "no scenario") {
		t.Fatalf("err = %v, want no scenario", err)
	}
}
