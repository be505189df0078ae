package scenarios_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/scenarios"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The outcome metrics of the seed 000 v2 → error scenario agree with its
// timeline: detection is the failed measurement, the abort is the
// RolloutAborted record, and the error version's exposure is the header
// cohort (5 % of 20 rps = 1 rps) from the moment its pod was ready until the
// canary Service was switched back at the abort.
func TestOutcomeMatchesTimeline(t *testing.T) {
	r := scenarios.RunFile("library/seed000-v2-to-error-aborted-traffic.yaml", scenarios.RunOptions{})
	if !r.Passed() {
		t.Fatalf("scenario failed: %s", r.Report.Error)
	}
	if len(r.Report.Outcomes) != 1 {
		t.Fatalf("outcomes: %+v", r.Report.Outcomes)
	}
	o := r.Report.Outcomes[0]
	var measuredFailed, aborted, canaryReady, switchedBack int64 = -1, -1, -1, -1
	for _, rec := range r.Report.Timeline {
		switch {
		case rec.Verb == "measured" && strings.Contains(rec.Detail, "→ Failed") && measuredFailed < 0:
			measuredFailed = rec.AtMs
		case rec.Verb == "aborted" && aborted < 0:
			aborted = rec.AtMs
		case rec.Verb == "ready" && strings.HasPrefix(rec.Object, "pod/progressive-demo-695bfcb67b") && canaryReady < 0:
			canaryReady = rec.AtMs
		case rec.Verb == "selector" && rec.Object == "service/progressive-demo-canary" && aborted >= 0:
			switchedBack = rec.AtMs
		}
	}
	if o.FailureOnsetMs == nil || *o.FailureOnsetMs != 0 {
		t.Fatalf("failure onset %v, want T+0 (the setImage)", o.FailureOnsetMs)
	}
	if o.TimeToDetectMs == nil || *o.TimeToDetectMs != measuredFailed {
		t.Fatalf("time to detect %v, want the failed measurement at %d ms", o.TimeToDetectMs, measuredFailed)
	}
	// The Job fails at T+2m24s (2m20s of attempts plus two job-pod
	// start-ups of 2 s); Argo's polls at sqrt(2·elapsed) (truncated to the
	// second) see it at T+2m35s, as Argo v1.10.1 does (docs/fidelity.md).
	if d := *o.TimeToDetectMs; d < 144_000 || d > 160_000 {
		t.Fatalf("time to detect %d ms, want ≈ 2m35s", d)
	}
	if o.TimeToAbortMs == nil || *o.TimeToAbortMs != aborted {
		t.Fatalf("time to abort %v, want %d", o.TimeToAbortMs, aborted)
	}
	if o.TimeToRollbackMs == nil || *o.TimeToRollbackMs < 0 {
		t.Fatalf("time to roll back %v", o.TimeToRollbackMs)
	}
	if o.TimeToPromotionMs != nil {
		t.Fatal("the error version must never be promoted")
	}
	var errReq, errFailed, errDefault float64
	for _, e := range o.Exposure {
		if e.Version == "error" && e.Cohort == "canary-header" {
			errReq, errFailed = e.Requests, e.FailedRequests
		}
		if e.Version == "error" && e.Cohort == "default" {
			errDefault = e.Requests
		}
	}
	want := float64(switchedBack-canaryReady) / 1000 // 1 rps
	if canaryReady < 0 || switchedBack < 0 || math.Abs(errReq-want) > 0.01 {
		t.Fatalf("error version served %.3f header requests, want %.3f (ready at %d, switched back at %d)", errReq, want, canaryReady, switchedBack)
	}
	if math.Abs(errFailed-errReq*0.5) > 0.01 {
		t.Fatalf("failed %.3f of %.3f at error rate 0.5", errFailed, errReq)
	}
	if errDefault != 0 {
		t.Fatalf("the default cohort must never reach the error version (weight stays 0), got %.3f", errDefault)
	}
}

// workloadRef with scaleDown: progressively: the Deployment ends at 0
// replicas once the Rollout took over, and no pod of it is left.
func TestWorkloadRefDeploymentScaledDown(t *testing.T) {
	r := scenarios.RunFile("library/lifecycle-workloadref-deployment.yaml", scenarios.RunOptions{})
	if !r.Passed() {
		t.Fatalf("scenario failed: %s", r.Report.Error)
	}
	d, err := r.Harness.Clientset().AppsV1().Deployments("default").Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 0 || d.Status.Replicas != 0 {
		t.Fatalf("Deployment app: spec %v, status %d; want 0 and 0", d.Spec.Replicas, d.Status.Replicas)
	}
	if got := d.Spec.Template.Spec.Containers[0].Image; got != "app:v2" {
		t.Fatalf("set image must edit the Deployment's template, got %s", got)
	}
}

func TestExposureSharesAddUp(t *testing.T) {
	r := scenarios.RunFile("library/seed000-v2-to-error-aborted-traffic.yaml", scenarios.RunOptions{})
	var sum, errShare float64
	for _, e := range r.Report.Outcomes[0].Exposure {
		sum += e.Share
		if e.Version == "error" {
			errShare += e.Share
		}
	}
	if math.Abs(sum-1) > 0.001 {
		t.Fatalf("shares sum to %v", sum)
	}
	// Only the header cohort (5 %) reached the error version, and only for
	// part of the run.
	if errShare <= 0 || errShare >= 0.05 {
		t.Fatalf("error version reached %.4f of requests, want between 0 and the 5 %% header cohort", errShare)
	}
}
