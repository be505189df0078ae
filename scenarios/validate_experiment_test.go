package scenarios_test

import (
	"strings"
	"testing"

	"github.com/rollsim/rollsim/scenarios"
)

func TestValidateReportsExperimentMistakes(t *testing.T) {
	findings := scenarios.Validate("testdata/experiments/invalid")
	want := map[string]string{
		"spec.templates":                "repeated template name 'purple'",
		"spec.templates[0].selector":    "`selector` does not match template `labels`",
		"spec.analyses[0].templateName": `AnalysisTemplate "does-not-exist" is not in the manifests`,
		"spec.strategy.canary.steps[0].experiment.templates[0].selector":    "`selector` does not match template `labels`",
		"spec.strategy.canary.steps[0].experiment.analyses[0].templateName": `AnalysisTemplate "no-such-template" is not in the manifests`,
	}
	for field, msg := range want {
		found := false
		for _, f := range findings {
			found = found || (f.Field == field && f.Severity == "error" && strings.Contains(f.Msg, msg) && f.Line > 0)
		}
		if !found {
			t.Errorf("no error at %s containing %q; findings:\n%v", field, msg, findings)
		}
	}
	for _, f := range findings {
		if strings.Contains(f.Msg, "the ladder has no pause and no analysis") {
			t.Errorf("an experiment step is a gate: %s", f)
		}
	}
	if got := scenarios.Validate("testdata/experiments/rollout-experiment-step.yaml", "testdata/experiments/analysis-templates.yaml"); len(got) != 0 {
		t.Errorf("Argo's example has no problem, got %v", got)
	}
}
