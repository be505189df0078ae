package scenarios_test

import (
	"context"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/scenarios"
	"k8s.io/apimachinery/pkg/types"
)

// A plugin step with no scripted result is an input error naming the file,
// the field and the step, in run and in validate alike.
func TestStepPluginWithoutScriptIsInputError(t *testing.T) {
	const f = "testdata/spec/plugins-bad/no-script.yaml"
	r := scenarios.RunFile(f, scenarios.RunOptions{})
	if r.Report.ErrorKind != scenarios.ErrInput {
		t.Fatalf("error kind %q, want input: %s", r.Report.ErrorKind, r.Report.Error)
	}
	for _, want := range []string{f, "spec.stepPlugins", `steps[1].plugin "argoproj-labs/step-plugin-sample" has no scripted result`} {
		if !strings.Contains(r.Report.Error, want) {
			t.Errorf("error %q lacks %q", r.Report.Error, want)
		}
	}
	found := false
	for _, fd := range scenarios.Validate(f) {
		found = found || (fd.Severity == "error" && fd.Field == "spec.stepPlugins" && fd.File == f)
	}
	if !found {
		t.Fatalf("validate does not report the missing script: %v", scenarios.Validate(f))
	}
}

// The Run operation is recorded in status.canary.stepPluginStatuses in
// Argo's shape: Successful after 3 executions (Running at 5 s and 40 s).
func TestStepPluginStatusShape(t *testing.T) {
	r := scenarios.RunFile("library/spec-step-plugin-succeeds.yaml", scenarios.RunOptions{})
	if !r.Passed() {
		t.Fatalf("scenario failed: %s", r.Report.Error)
	}
	ro := &v1alpha1.Rollout{}
	if err := r.Harness.Client().Get(context.Background(), types.NamespacedName{Namespace: "default", Name: "plugin-demo"}, ro); err != nil {
		t.Fatal(err)
	}
	sts := ro.Status.Canary.StepPluginStatuses
	if len(sts) != 1 {
		t.Fatalf("statuses %+v", sts)
	}
	s := sts[0]
	if s.Index != 1 || s.Name != "argoproj-labs/step-plugin-sample" || s.Operation != v1alpha1.StepPluginOperationRun ||
		s.Phase != v1alpha1.StepPluginPhaseSuccessful || s.Message != "load test passed" || s.Executions != 3 ||
		s.FinishedAt == nil || s.StartedAt == nil || s.FinishedAt.Sub(s.StartedAt.Time).Seconds() != 70 || s.Backoff != "" {
		t.Fatalf("status %+v", s)
	}
}

// An RPC error is phase Error with the message and Argo's 30 s backoff; Run
// is retried every 35 s (at 5 s, 40 s, 75 s, … of the 3-minute run).
func TestStepPluginErrorIsRetried(t *testing.T) {
	r := scenarios.RunFile("library/spec-step-plugin-error-retries.yaml", scenarios.RunOptions{})
	if !r.Passed() {
		t.Fatalf("scenario failed: %s", r.Report.Error)
	}
	ro := &v1alpha1.Rollout{}
	if err := r.Harness.Client().Get(context.Background(), types.NamespacedName{Namespace: "default", Name: "plugin-demo"}, ro); err != nil {
		t.Fatal(err)
	}
	sts := ro.Status.Canary.StepPluginStatuses
	if len(sts) != 1 || sts[0].Phase != v1alpha1.StepPluginPhaseError || sts[0].Message != "rpc error: connection refused" ||
		sts[0].Backoff != "30s" || sts[0].Executions < 5 || sts[0].FinishedAt != nil {
		t.Fatalf("statuses %+v", sts)
	}
}
