package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/plan"
)

// The committed results in testdata/oracle were produced by the oracle
// (oracle/hack/run-library.sh, Argo Rollouts v1.10.1), so these tests run
// without the oracle module: they compare rollsim as it is now with what
// Argo's own controllers decided for the same plan.

const seed003 = "../../scenarios/library/seed003-blue-to-yellow-manual-gate.yaml"

// rollsimJSON runs a scenario on rollsim and returns its JSON result.
func rollsimJSON(t *testing.T, scenario string) []byte {
	t.Helper()
	code, out, errOut := run("run", scenario, "--output", "json")
	if code != 0 {
		t.Fatalf("rollsim run %s: exit %d: %s", scenario, code, errOut)
	}
	return []byte(out)
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDiffRollsimAgreesWithRecordedArgoResult(t *testing.T) {
	a := writeTemp(t, "rollsim.json", rollsimJSON(t, seed003))
	code, out, errOut := run("diff", a, "testdata/oracle/seed003-blue-to-yellow-manual-gate.argo.json")
	if code != 0 {
		t.Fatalf("exit %d, want 0 (rollsim should decide as Argo v1.10.1 did):\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "AGREE  seed003-blue-to-yellow-manual-gate") {
		t.Fatalf("want an AGREE line:\n%s", out)
	}
}

// canaryFirst rewrites a timeline as a controller that skipped the
// stable-first ordering of a canary step would have written it: at each
// instant where the stable ReplicaSet was scaled down and then the canary
// scaled up, the canary scale comes first. This is the injected fault:
// controller/ has no test hook, so the bug is injected into rollsim's
// result, exactly where its decisions are recorded.
func canaryFirst(t *testing.T, data []byte, stable, canary string) ([]byte, int) {
	t.Helper()
	var res map[string]any
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	sc := res["scenarios"].([]any)[0].(map[string]any)
	tl := sc["timeline"].([]any)
	swapped := 0
	for i := 0; i+1 < len(tl); i++ {
		a, b := tl[i].(map[string]any), tl[i+1].(map[string]any)
		if a["verb"] == "scaled" && b["verb"] == "scaled" && a["atMs"] == b["atMs"] &&
			a["object"] == "replicaset/"+stable && b["object"] == "replicaset/"+canary {
			tl[i], tl[i+1] = b, a
			swapped++
			i++
		}
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return out, swapped
}

func TestDiffCatchesInjectedCanaryFirstOrdering(t *testing.T) {
	faulty, swapped := canaryFirst(t, rollsimJSON(t, seed003), "rollouts-demo-5cd66ff7ff", "rollouts-demo-76ddfb4f47")
	if swapped == 0 {
		t.Fatal("the scenario has no stable-then-canary scale at one instant to reorder")
	}
	a := writeTemp(t, "faulty.json", faulty)
	code, out, _ := run("diff", a, "testdata/oracle/seed003-blue-to-yellow-manual-gate.argo.json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a divergence):\n%s", code, out)
	}
	for _, want := range []string{
		"DIFFER seed003-blue-to-yellow-manual-gate",
		"first divergence at T+00m00s in scale: different decisions",
		"replicaset/rollouts-demo-76ddfb4f47 → 1", // the faulty run scaled the canary first
		"replicaset/rollouts-demo-5cd66ff7ff → 4", // Argo scaled the stable first
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDiffAgreesWithArgoOnJobPolls(t *testing.T) {
	// rollsim polls a running Job measurement at the truncated resume time,
	// as Argo does (docs/fidelity.md): the abort of seed 000 lands when
	// Argo's own controllers put it (recorded by the oracle).
	a := writeTemp(t, "rollsim.json", rollsimJSON(t, "../../scenarios/library/seed000-v2-to-error-aborted.yaml"))
	code, out, _ := run("diff", "--table", a, "testdata/oracle/seed000-v2-to-error-aborted.argo.json")
	if code != 0 {
		t.Fatalf("exit %d, want 0 (agreement):\n%s", code, out)
	}
	if !strings.HasPrefix(out, "| seed000-v2-to-error-aborted | agree |") {
		t.Fatalf("want an agreement row:\n%s", out)
	}
}

func TestDiffBadInputExitsTwo(t *testing.T) {
	good := "testdata/oracle/seed003-blue-to-yellow-manual-gate.argo.json"
	notJSON := writeTemp(t, "x.json", []byte("not json"))
	other := writeTemp(t, "other.json", []byte(`{"schemaVersion":1,"scenarios":[{"scenario":"other","timeline":[]}]}`))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"diff", "missing.json", good}, "missing.json"},
		{[]string{"diff", notJSON, good}, "x.json: expected a rollsim JSON result"},
		{[]string{"diff", other, good}, `scenario "other" of ` + other + " is not in " + good},
	}
	for _, c := range cases {
		code, _, errOut := run(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

func TestResolveWritesPlan(t *testing.T) {
	code, out, errOut := run("resolve", "../../scenarios/library/seed003-manual-pause-and-resume.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	p, err := plan.Decode([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if p.Initial.Rollout != "default/rollouts-demo" || len(p.Objects) == 0 || len(p.Actions) == 0 {
		t.Fatalf("plan lacks the rollout, objects or actions: %+v", p.Initial)
	}
	for i := 1; i < len(p.Actions); i++ {
		if p.Actions[i].AtMs < p.Actions[i-1].AtMs {
			t.Fatalf("actions not in time order: %+v", p.Actions)
		}
	}
	// Job outcomes rollsim derives from its traffic model are recorded from
	// rollsim's own run, per job and attempt, for the oracle to replay.
	code, out, errOut = run("resolve", "../../scenarios/library/seed000-v2-to-error-aborted-traffic.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if p, err = plan.Decode([]byte(out)); err != nil {
		t.Fatal(err)
	}
	if got := p.RecordedJobs["success-rate#1"]; len(got) != 2 || got[0] || got[1] {
		t.Fatalf("want two failed attempts recorded for success-rate#1, got %v", p.RecordedJobs)
	}
	code, _, errOut = run("resolve", "testdata/unknown-field.yaml")
	if code != 2 || !strings.Contains(errOut, "unknown-field.yaml") {
		t.Fatalf("bad scenario: exit %d, stderr %q; want 2 naming the file", code, errOut)
	}
}
