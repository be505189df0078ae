package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/scenarios"
	"github.com/rollsim/rollsim/sim/cluster"
)

// TestMain stops the envtest server the envtest tests share, so that no
// kube-apiserver or etcd outlives the test binary.
func TestMain(m *testing.M) { os.Exit(cluster.RunThenStopEnvtest(m)) }

// envtestServer starts (once) the real kube-apiserver and etcd; without
// the binaries the test fails saying how to build them.
func envtestServer(t *testing.T) {
	t.Helper()
	if _, err := cluster.SharedEnvtest(); err != nil {
		t.Fatalf("envtest backend: %v", err)
	}
}

// TestEnvtestTimelinesMatchFake runs every library scenario on both
// backends: each must pass on both, with byte-identical timelines.
func TestEnvtestTimelinesMatchFake(t *testing.T) {
	envtestServer(t)
	for _, f := range libraryFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fake := scenarios.RunFile(f, scenarios.RunOptions{})
			real := scenarios.RunFile(f, scenarios.RunOptions{Backend: scenarios.BackendEnvtest})
			if !fake.Passed() {
				t.Errorf("fails on the fake backend: %s", fake.Report.Error)
			}
			if !real.Passed() {
				var fails []string
				for _, e := range real.Report.Expectations {
					if !e.Passed {
						fails = append(fails, e.Description+": "+e.Message)
					}
				}
				t.Errorf("fails on the envtest backend: %s\n%s", real.Report.Error, strings.Join(fails, "\n"))
			}
			if got, want := real.Timeline(), fake.Timeline(); got != want {
				t.Errorf("envtest timeline differs from the fake backend's:\n%s", diff(want, got))
			}
			if real.Harness.Writes() == 0 {
				t.Errorf("no write reached the API server")
			}
		})
	}
}

// TestEnvtestRejectsWhatTheServerRejects: setWeight "forty" is rejected by
// the API server's schema check (its message names the field, at the
// field's line); the fake backend's own loader rejects it too, with its
// own message. Both are input errors.
func TestEnvtestRejectsWhatTheServerRejects(t *testing.T) {
	envtestServer(t)
	const f = "testdata/envtest/setweight-forty.yaml"
	real := scenarios.RunFile(f, scenarios.RunOptions{Backend: scenarios.BackendEnvtest})
	if real.Report.ErrorKind != scenarios.ErrInput {
		t.Fatalf("envtest: error kind %q (%s), want input", real.Report.ErrorKind, real.Report.Error)
	}
	for _, want := range []string{
		"testdata/lifecycle/invalid/setweight-forty.yaml:11: spec.strategy.canary.steps[0].setWeight: the API server rejected Rollout rollouts-demo",
		"spec.strategy.canary.steps[0].setWeight in body must be of type integer",
	} {
		if !strings.Contains(real.Report.Error, want) {
			t.Errorf("envtest error lacks %q:\n%s", want, real.Report.Error)
		}
	}
	fake := scenarios.RunFile(f, scenarios.RunOptions{})
	if fake.Report.ErrorKind != scenarios.ErrInput || !strings.Contains(fake.Report.Error,
		`setweight-forty.yaml:11: spec.strategy.canary.steps[0].setWeight: expected integer (int32), got string "forty"`) {
		t.Errorf("fake: %s: %s", fake.Report.ErrorKind, fake.Report.Error)
	}
}

// TestEnvtestMissingSelectorIsInvalidSpec: the server stores a Rollout
// without a selector (the CRD schema does not require one); Argo's
// validation makes it InvalidSpec, on both backends alike.
func TestEnvtestMissingSelectorIsInvalidSpec(t *testing.T) {
	envtestServer(t)
	const f = "library/lifecycle-invalid-spec-missing-selector.yaml"
	for _, b := range []string{scenarios.BackendFake, scenarios.BackendEnvtest} {
		r := scenarios.RunFile(f, scenarios.RunOptions{Backend: b})
		if r.Report.Error != "" || !r.Passed() {
			t.Errorf("%s: %s %v", b, r.Report.Error, r.Report.Expectations)
			continue
		}
		ro, err := r.Harness.Rollout("default", "rollouts-demo")
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if ro.Spec.Selector != nil {
			t.Errorf("%s: the stored rollout has a selector: %v", b, ro.Spec.Selector)
		}
		var found bool
		for _, c := range ro.Status.Conditions {
			found = found || (c.Type == "InvalidSpec" && strings.Contains(c.Message, "spec.selector: Required value"))
		}
		if !found {
			t.Errorf("%s: no InvalidSpec condition about the selector: %+v", b, ro.Status.Conditions)
		}
	}
}

// TestEnvtestUnknownBackend: a misspelt backend is an input error.
func TestEnvtestUnknownBackend(t *testing.T) {
	r := scenarios.RunFile("library/seed000-v1-to-v2-succeeds.yaml", scenarios.RunOptions{Backend: "kind"})
	if r.Report.ErrorKind != scenarios.ErrInput || !strings.Contains(r.Report.Error, `backend "kind": expected "fake" or "envtest"`) {
		t.Errorf("got %s: %s", r.Report.ErrorKind, r.Report.Error)
	}
}
