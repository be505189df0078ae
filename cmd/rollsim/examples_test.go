package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// argoExamples is the examples/ folder of the pinned argo-rollouts module:
// Argo's own manifests, the acceptance set of issue 11.
func argoExamples(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-rollouts").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/argoproj/argo-rollouts: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "examples")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("argo-rollouts examples: %v (run go mod download)", err)
	}
	return dir
}

// TestArgoExamplesReplay replays Argo's own example Rollouts, unchanged,
// each with the companion files it names (the AnalysisTemplates of
// analysis-templates.yaml), and checks where each ends.
func TestArgoExamplesReplay(t *testing.T) {
	ex := argoExamples(t)
	cases := []struct {
		files   []string
		rollout string
		flags   []string
		want    string
		code    int
	}{
		{[]string{"rollout-canary.yaml"}, "rollout-canary", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		{[]string{"rollout-bluegreen.yaml"}, "rollout-bluegreen", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		{[]string{"rollout-rolling-update.yaml"}, "rollout-rollingupdate", nil, "final phase: Healthy", 0},
		{[]string{"rollout-canary-preview.yaml"}, "rollout-canary-preview", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		{[]string{"rollout-baseline-vs-canary.yaml"}, "rollout-baseline-vs-canary", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		{[]string{"rollout-template-ref.yaml"}, "rollout-ref-deployment", nil, "final phase: Healthy", 0},
		{[]string{"rollout-analysis-step.yaml", "analysis-templates.yaml", "cluster-analysis-templates.yaml"}, "rollout-analysis-step", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		{[]string{"rollout-background-analysis.yaml", "analysis-templates.yaml"}, "rollout-background-analysis", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		// The example's experiment has neither a duration nor an analysis
		// requiredForCompletion: Argo runs it until it is terminated, and
		// the rollout waits at the step.
		{[]string{"rollout-experiment-step.yaml", "analysis-templates.yaml"}, "rollout-experiment-step", nil,
			"Time to full promotion: never (final phase: Progressing", 1},
		{[]string{"istio/istio-subset-split.yaml"}, "istio-subset-split", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		{[]string{"istio/istio-mirror.yaml"}, "istio-host-split", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
		{[]string{"traffic-routing-experiment-step/istio-host-split-experiment-step.yaml"}, "istio-host-split", []string{"--promote-at", "1m"}, "final phase: Healthy", 0},
	}
	for _, tc := range cases {
		t.Run(tc.files[0], func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				b, err := os.ReadFile(filepath.Join(ex, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"replay", dir, "--rollout", tc.rollout, "--image", "example:v2"}, tc.flags...)
			code, out, errOut := run(args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("%s: exit %d (want %d), want %q\n%s\n%s", strings.Join(tc.files, " + "), code, tc.code, tc.want, out, errOut)
			}
		})
	}
}
