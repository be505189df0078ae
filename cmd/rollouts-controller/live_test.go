package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/scenarios"
	"github.com/rollsim/rollsim/sim/cluster"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// decision is what is compared between the live and the simulated run:
// which object, what happened and why — not when.
func decision(object, verb, reason string) string { return object + " " + verb + " " + reason }

// TestLiveControllerMakesTheSimulatedDecisions starts the controller under
// a Manager against a real API server (envtest) with the simulated
// workloads beside it, takes a rollout from v1 to v2 through a canary with
// seconds-long pauses in real time, and requires the same decisions in the
// same order as the simulated run of the same manifests. Generous
// deadlines; no assertion on wall time.
func TestLiveControllerMakesTheSimulatedDecisions(t *testing.T) {
	sim := scenarios.RunFile("testdata/short-canary.yaml", scenarios.RunOptions{})
	if !sim.Passed() {
		t.Fatalf("simulated run failed: %s\n%s", sim.Report.Error, sim.Timeline())
	}
	var want []string
	for _, r := range sim.Report.Timeline {
		if r.Actor == "rollout-controller" {
			want = append(want, decision(r.Object, r.Verb, r.Reason))
		}
	}

	srv, err := cluster.StartEnvtest()
	if err != nil {
		t.Fatalf("envtest: %v", err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	}()
	c, err := client.New(srv.Config(), client.Options{Scheme: api.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifests.Load("testdata/manifests")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var notes atomic.Int64
	var got []string
	recording := false
	var log strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, srv.Config(), Options{SimulateWorkloads: true, PodStartup: time.Second, Log: &lockedWriter{mu: &mu, w: &log},
			OnNote: func(n controller.Note) {
				notes.Add(1)
				mu.Lock()
				defer mu.Unlock()
				if recording && n.Actor == "rollout-controller" {
					got = append(got, decision(n.Kind+"/"+n.Name, n.Verb, n.Reason))
				}
			}})
	}()
	for _, o := range objs {
		if err := c.Create(ctx, o.Obj); err != nil {
			t.Fatalf("create %s: %v", o.Obj.GetName(), err)
		}
	}
	key := types.NamespacedName{Namespace: "default", Name: "live-demo"}
	waitFor := func(what string, cond func(ro *v1alpha1.Rollout) bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			ro := &v1alpha1.Rollout{}
			if err := c.Get(ctx, key, ro); err == nil && cond(ro) {
				return
			}
			select {
			case err := <-done:
				t.Fatalf("controller stopped while waiting for %s: %v", what, err)
			default:
			}
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("timed out waiting for %s; controller log:\n%s", what, log.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	healthyAt := func(image string) func(ro *v1alpha1.Rollout) bool {
		return func(ro *v1alpha1.Rollout) bool {
			return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.ObservedGeneration == fmt.Sprint(ro.Generation) &&
				ro.Status.StableRS != "" && ro.Status.StableRS == ro.Status.CurrentPodHash &&
				ro.Spec.Template.Spec.Containers[0].Image == image && ro.Status.AvailableReplicas == 2
		}
	}
	waitFor("v1 healthy", healthyAt("example.com/live-demo:v1"))
	// Let the controller go quiet (no note for 1.5 s) before recording: a
	// reconcile already under way when v1 turned Healthy may still note.
	quietSince, seen := time.Now(), notes.Load()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if n := notes.Load(); n != seen {
			quietSince, seen = time.Now(), n
		}
		if time.Since(quietSince) > 1500*time.Millisecond {
			break
		}
	}

	mu.Lock()
	recording = true
	mu.Unlock()
	ro := &v1alpha1.Rollout{}
	if err := c.Get(ctx, key, ro); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(ro.DeepCopy())
	ro.Spec.Template.Spec.Containers[0].Image = "example.com/live-demo:v2"
	if err := c.Patch(ctx, ro, patch); err != nil {
		t.Fatal(err)
	}
	waitFor("v2 healthy", healthyAt("example.com/live-demo:v2"))
	// The last decisions of the completing reconcile are noted before its
	// status write lands; wait until the sequence is as long as expected or
	// a deadline passes.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Stop recording before stopping the controller: a reconcile cut short
	// by the shutdown notes a "context canceled" error, not a decision.
	mu.Lock()
	recording = false
	mu.Unlock()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("controller: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// A live reconcile that read a slightly stale object may note the same
	// decision twice in a row; that is one decision.
	got, want = collapse(got), collapse(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("live decisions differ from the simulated run's\nlive:\n  %s\nsimulated:\n  %s\ncontroller log:\n%s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "), log.String())
	}
	if len(got) < 10 {
		t.Errorf("only %d decisions recorded", len(got))
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// collapse drops immediate repeats.
func collapse(ds []string) []string {
	var out []string
	for _, d := range ds {
		if len(out) == 0 || out[len(out)-1] != d {
			out = append(out, d)
		}
	}
	return out
}
