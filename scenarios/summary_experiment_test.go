package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios"
)

// Experiments reach the result (final state) and the rollout tree.
func TestExperimentsInResultAndTree(t *testing.T) {
	r := scenarios.RunFile("library/experiment-step-passes.yaml", scenarios.RunOptions{ShowAt: []time.Duration{30 * time.Second}})
	if !r.Passed() {
		t.Fatalf("scenario failed: %s", r.Report.Error)
	}
	if len(r.Report.Experiments) != 1 {
		t.Fatalf("experiments %+v", r.Report.Experiments)
	}
	ex := r.Report.Experiments[0]
	if ex.Phase != "Successful" || ex.Owner != "rollout-experiment-step" || len(ex.Templates) != 1 || ex.Templates[0].Status != "Successful" ||
		ex.Templates[0].ReplicaSet != ex.Name+"-canary" || ex.Templates[0].SpecReplicas != 0 || len(ex.Analyses) != 1 || ex.Analyses[0].Phase != "Successful" {
		t.Fatalf("final experiment %+v", ex)
	}
	if len(r.Snapshots) != 1 {
		t.Fatalf("snapshots %d", len(r.Snapshots))
	}
	var b strings.Builder
	if err := report.WriteTree(&b, r.Snapshots[0]); err != nil {
		t.Fatal(err)
	}
	tree := b.String()
	for _, want := range []string{"Σ " + ex.Name, "Experiment   ◌ Running", "⧉ " + ex.Name + "-canary", "template canary", "α " + ex.Name + "-random-fail"} {
		if !strings.Contains(tree, want) {
			t.Errorf("tree has no %q:\n%s", want, tree)
		}
	}
}
