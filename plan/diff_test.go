package plan

import (
	"os/exec"
	"strings"
	"testing"
)

func rec(at int64, actor, object, verb, reason, detail string) Record {
	return Record{AtMs: at, Actor: actor, Object: object, Verb: verb, Reason: reason, Detail: detail}
}

func TestDecisionsNormaliseBothEngines(t *testing.T) {
	rollsim := []Record{
		rec(0, "user", "rollout/ro", "action", "SetImage", "a → b"),
		rec(0, "rollout-controller", "replicaset/ro-1", "scaled", "ScalingReplicaSet", "5 → 4: scaled down (revision 1) stable"),
		rec(5000, "cluster", "pod/ro-2-0", "ready", "", ""),
		rec(5000, "rollout-controller", "rollout/ro", "step", "RolloutStepCompleted", "Rollout step 1/8 completed (setWeight: 20)"),
		rec(5000, "rollout-controller", "rollout/ro", "paused", "RolloutPaused", "Rollout is paused (CanaryPauseStep) at step 1 pause"),
		rec(9000, "analysis-controller", "analysisrun/ar", "phase", "AnalysisRunFailed", "Failed: x"),
	}
	argo := []Record{
		rec(6, "rollout-controller", "replicaset/ro-1", "scaled", "ScalingReplicaSet", "5 → 4"),
		rec(5008, "analysis-controller", "analysisrun/ar", "phase", "AnalysisRunRunning", "Running"),
		rec(5010, "rollout-controller", "rollout/ro", "step", "StepIndex", "step index 0 → 1"),
		rec(5012, "rollout-controller", "rollout/ro", "paused", "RolloutPaused", "Rollout is paused (CanaryPauseStep)"),
		rec(9990, "analysis-controller", "analysisrun/ar", "phase", "AnalysisRunFailed", "Failed: x"),
	}
	a, b := Decisions(rollsim), Decisions(argo)
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("want 4 decisions each (cluster, user and non-final run phases are context):\n%+v\n%+v", a, b)
	}
	for i := range a {
		if a[i].Stream != b[i].Stream || a[i].Value != b[i].Value {
			t.Errorf("decision %d: %s=%q vs %s=%q", i, a[i].Stream, a[i].Value, b[i].Stream, b[i].Value)
		}
	}
	if d := Compare(rollsim, argo, 1000); d != nil {
		t.Fatalf("want agreement within 1s, got %s", d.Explain("A", "B", rollsim, argo))
	}
	if d := Compare(rollsim, argo, 500); d == nil || d.Stream != "phase analysisrun/ar" || !strings.Contains(d.Why, "990ms apart") {
		t.Fatalf("want the run phase 990ms apart beyond a 500ms tolerance, got %+v", d)
	}
}

func TestCompareFindsEarliestDivergence(t *testing.T) {
	a := []Record{
		rec(0, "rollout-controller", "replicaset/s", "scaled", "", "5 → 4"),
		rec(0, "rollout-controller", "replicaset/c", "scaled", "", "0 → 1"),
		rec(60000, "rollout-controller", "rollout/ro", "aborted", "RolloutAborted", "x"),
	}
	b := []Record{
		rec(0, "rollout-controller", "replicaset/c", "scaled", "", "0 → 1"),
		rec(0, "rollout-controller", "replicaset/s", "scaled", "", "5 → 4"),
	}
	d := Compare(a, b, 1000)
	if d == nil || d.Stream != "scale" || d.AtMs != 0 || d.A.Value != "replicaset/s → 4" || d.B.Value != "replicaset/c → 1" {
		t.Fatalf("want the scale order at T+0 as first divergence, got %+v", d)
	}
	d = Compare(a[:1], a, 1000)
	if d == nil || d.A != nil || d.Why != "only B made this decision" {
		t.Fatalf("want a decision only B made, got %+v", d)
	}
}

// The oracle module compiles this package with Argo's k8s.io versions: it
// must not import anything but the standard library.
func TestNoDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/rollsim/rollsim/plan" {
			t.Errorf("plan imports %s; it may import the standard library only", p)
		}
	}
}

// Argo's first TrafficWeightUpdated event has no "from": "Traffic weight
// updated to 0" (trafficWeightUpdatedMessage with no previous weights);
// later ones are "from a to b". Both give the new weight; a first 0 is the
// weight every rollout starts at.
func TestWeightDecisionsReadArgosFirstMessage(t *testing.T) {
	argo := []Record{
		rec(16, "rollout-controller", "rollout/ro", "weight", "TrafficWeightUpdated", "Traffic weight updated to 0"),
		rec(5000, "rollout-controller", "rollout/ro", "weight", "TrafficWeightUpdated", "Traffic weight updated from 0 to 20"),
	}
	first := []Record{rec(16, "rollout-controller", "rollout/ro", "weight", "TrafficWeightUpdated", "Traffic weight updated to 30")}
	if ds := Decisions(first); len(ds) != 1 || ds[0].Value != "30" {
		t.Fatalf("a first weight without from: %+v", ds)
	}
	ds := Decisions(argo)
	if len(ds) != 1 || ds[0].Stream != "weight rollout/ro" || ds[0].Value != "20" {
		t.Fatalf("want one weight decision → 20 (the first 0 is the start), got %+v", ds)
	}
}
