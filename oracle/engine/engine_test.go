package engine

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/oracle/internal/plan"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The plans in testdata were written by `rollsim resolve` for the library
// scenarios of the same name.
func loadPlan(t *testing.T, name string) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name + ".plan.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func find(tl []plan.Record, verb, object, reasonOrValue string) *plan.Record {
	for i := range tl {
		r := &tl[i]
		if r.Verb == verb && r.Object == object && (r.Reason == reasonOrValue || strings.HasPrefix(r.Detail, reasonOrValue)) {
			return r
		}
	}
	return nil
}

func TestSeed003OnArgo(t *testing.T) {
	res := Run(loadPlan(t, "seed003-blue-to-yellow-manual-gate"))
	if res.Error != "" {
		t.Fatalf("run failed: %s", res.Error)
	}
	tl := res.Timeline
	ds := plan.Decisions(tl)
	if len(ds) < 2 || ds[0].Stream != "created replicaset/rollouts-demo-76ddfb4f47" {
		t.Fatalf("first decision should create revision 2's ReplicaSet, got %+v", ds)
	}
	// Argo scales the stable ReplicaSet down before it scales the canary up.
	var scales []string
	for _, d := range ds {
		if d.Stream == "scale" && d.AtMs < 1000 {
			scales = append(scales, d.Value)
		}
	}
	if strings.Join(scales, ", ") != "replicaset/rollouts-demo-5cd66ff7ff → 4, replicaset/rollouts-demo-76ddfb4f47 → 1" {
		t.Fatalf("scales at T+0: %v", scales)
	}
	paused := find(tl, "paused", "rollout/rollouts-demo", "RolloutPaused")
	if paused == nil || paused.AtMs < 5000 || paused.AtMs > 5100 {
		t.Fatalf("want the first pause a few ms after the canary pod is ready at T+5s, got %+v", paused)
	}
	done := find(tl, "promoted", "rollout/rollouts-demo", "RolloutCompleted")
	if done == nil || done.AtMs < 169900 || done.AtMs > 170100 {
		t.Fatalf("want RolloutCompleted at T+2m50s, got %+v", done)
	}
	if len(res.Rollouts) != 1 || res.Rollouts[0].Phase != "Healthy" {
		t.Fatalf("final state: %+v", res.Rollouts)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	p := loadPlan(t, "lifecycle-restart")
	a, err := json.Marshal(Run(p))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Run(p))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatal("two runs of one plan differ")
	}
	if !strings.Contains(string(a), `"reason":"Restart"`) {
		t.Fatal("the restart action is not in the timeline")
	}
}

func TestStoreServerSemantics(t *testing.T) {
	e, err := New(&plan.Plan{SchemaVersion: plan.SchemaVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	ros := e.argo.ArgoprojV1alpha1().Rollouts("ns")
	ro, err := ros.Create(ctx, &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro"},
		Status: v1alpha1.RolloutStatus{Phase: "Healthy"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ro.Generation != 1 || ro.ResourceVersion == "" || ro.UID == "" || ro.CreationTimestamp.IsZero() {
		t.Fatalf("server-set fields missing: %+v", ro.ObjectMeta)
	}
	// A spec write keeps the stored status and bumps the generation.
	ro.Spec.Paused = true
	ro.Status.Phase = "Degraded"
	up, err := ros.Update(ctx, ro, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if up.Generation != 2 || up.Status.Phase != "Healthy" || !up.Spec.Paused {
		t.Fatalf("spec update: generation %d, phase %q, paused %v", up.Generation, up.Status.Phase, up.Spec.Paused)
	}
	// A status write changes only the status.
	up.Spec.Paused = false
	up.Status.Phase = "Paused"
	st, err := ros.UpdateStatus(ctx, up, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Generation != 2 || st.Status.Phase != "Paused" || !st.Spec.Paused {
		t.Fatalf("status update: generation %d, phase %q, paused %v", st.Generation, st.Status.Phase, st.Spec.Paused)
	}
	// A write that changes nothing is not a write.
	same, err := ros.Update(ctx, st, metav1.UpdateOptions{})
	if err != nil || same.ResourceVersion != st.ResourceVersion {
		t.Fatalf("no-op update: rv %s → %s, err %v", st.ResourceVersion, same.ResourceVersion, err)
	}
	// A stale resourceVersion conflicts.
	_, err = ros.Update(ctx, up, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("stale update: want a conflict, got %v", err)
	}
}

// Argo's experiment controller runs beside the rollout and analysis
// controllers: the step's experiment starts its template ReplicaSets, its
// required analysis fails, the experiment fails and the rollout aborts.
func TestExperimentStepOnArgo(t *testing.T) {
	res := Run(loadPlan(t, "experiment-analysis-fails-aborts"))
	if res.Error != "" {
		t.Fatalf("run failed: %s", res.Error)
	}
	tl := res.Timeline
	ex := "experiment/rollout-experiment-69f46ff6c8-2-0"
	for _, want := range []struct{ verb, object, reason string }{
		{"created", ex, "ExperimentCreated"},
		{"created", "replicaset/rollout-experiment-69f46ff6c8-2-0-baseline", "NewReplicaSetCreated"},
		{"created", "analysisrun/rollout-experiment-69f46ff6c8-2-0-echo-pod-hash", "AnalysisRunCreated"},
		{"phase", ex, "ExperimentRunning"},
		{"phase", ex, "ExperimentFailed"},
		{"aborted", "rollout/rollout-experiment", "RolloutAborted"},
	} {
		r := find(tl, want.verb, want.object, want.reason)
		if r == nil {
			t.Fatalf("no %s %s %s in Argo's timeline", want.verb, want.object, want.reason)
		}
		if r.Actor == actorUser {
			t.Fatalf("%s %s recorded as the user's", want.verb, want.object)
		}
	}
	if r := find(tl, "aborted", "rollout/rollout-experiment", "RolloutAborted"); !strings.Contains(r.Detail, "Experiment analysis phase is error/failed") {
		t.Fatalf("abort message %q", r.Detail)
	}
}
