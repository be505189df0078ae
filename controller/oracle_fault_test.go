package controller_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/plan"
	"github.com/rollsim/rollsim/scenarios"
)

// TestOracleCatchesInjectedControllerBug runs the seed 003 scenario through
// the real controller with a deliberate bug (the canary scaled before the
// stable, against Argo's stable-first order) and compares the decisions
// with Argo v1.10.1's own, recorded by the oracle: the diff must name the
// first wrong scale. Without the bug the same comparison agrees.
func TestOracleCatchesInjectedControllerBug(t *testing.T) {
	const scenario = "../scenarios/library/seed003-blue-to-yellow-manual-gate.yaml"
	data, err := os.ReadFile("../cmd/rollsim/testdata/oracle/seed003-blue-to-yellow-manual-gate.argo.json")
	if err != nil {
		t.Fatal(err)
	}
	argo, err := plan.DecodeResult("argo", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(argo.Scenarios) != 1 || argo.Engine != plan.EngineArgo {
		t.Fatalf("recorded oracle result: engine %q, %d scenarios", argo.Engine, len(argo.Scenarios))
	}
	want := argo.Scenarios[0].Timeline
	timeline := func() []plan.Record {
		r := scenarios.RunFile(scenario, scenarios.RunOptions{})
		var out []plan.Record
		for _, rec := range r.Report.Timeline {
			out = append(out, plan.Record{AtMs: rec.AtMs, Actor: rec.Actor, Object: rec.Object, Verb: rec.Verb, Reason: rec.Reason, Detail: rec.Detail})
		}
		return out
	}

	if d := plan.Compare(timeline(), want, 1000); d != nil {
		t.Fatalf("without the bug rollsim should agree with Argo: %s", d.Explain("rollsim", "argo", nil, nil))
	}

	restore := controller.InjectCanaryFirst()
	faulty := timeline()
	restore()
	d := plan.Compare(faulty, want, 1000)
	if d == nil {
		t.Fatal("the diff did not catch the canary-first bug")
	}
	msg := d.Explain("rollsim", "argo", faulty, want)
	for _, w := range []string{"scale", "different decisions", "replicaset/rollouts-demo-76ddfb4f47 → 1"} {
		if !strings.Contains(msg, w) {
			t.Errorf("divergence lacks %q:\n%s", w, msg)
		}
	}
}
