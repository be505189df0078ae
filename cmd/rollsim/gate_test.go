package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const gateDir = "../../scenarios/testdata/gate"

// The candidate removes the 3-minute pause and raises failureLimit to 1:
// the single failed job measurement no longer fails the metric, so the
// error image is promoted; the gate shows the verdict change, "never" for
// the rollback, the error version reaching the default cohort, and fails.
func TestGateCatchesWeakerStrategy(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "gate.xml")
	code, out, errOut := run("gate", "--baseline", gateDir+"/baseline", "--candidate", gateDir+"/candidate", "--junit", junit, gateDir+"/suite")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"| verdict | Degraded, aborted, stable v2 | Healthy, stable error |",
		"| time to roll back | 0s | never |",
		"error/default",
		"❌ `forbidVerdictChange`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.SplitN(out, "| exposure", 2)[1], "| error/default") {
		t.Error("the baseline must not expose the default cohort to the error version")
	}
	if !strings.Contains(errOut, "[1/1]") || !strings.Contains(errOut, "VIOLATES policy") {
		t.Errorf("no progress line on stderr: %q", errOut)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Suites) != 1 || doc.Suites[0].Failures != 1 {
		t.Fatalf("junit: %v %+v\n%s", err, doc, b)
	}
}

func TestGateIdenticalManifestsPass(t *testing.T) {
	code, out, errOut := run("gate", "--baseline", gateDir+"/baseline", "--candidate", gateDir+"/baseline", gateDir+"/suite")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "1/1 scenarios within policy") {
		t.Fatalf("comparison:\n%s", out)
	}
}

func TestGatePolicyFileAndBadInput(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("maxTimeToRollback: 1m\nmaxFailedRequests: [{version: error, max: 200}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run("gate", "--baseline", gateDir+"/baseline", "--candidate", gateDir+"/candidate", "--policy", policy, gateDir+"/suite")
	if code != 1 || !strings.Contains(out, "never rolled back") || !strings.Contains(out, "maxFailedRequests[error]") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("maxTimeToRolback: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run("gate", "--baseline", gateDir+"/baseline", "--candidate", gateDir+"/candidate", "--policy", bad, gateDir+"/suite")
	if code != 2 || !strings.Contains(errOut, "maxTimeToRolback") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestGateOnEnvtest: the gate through a real API server reaches the same
// comparison as on the fake backend, and says which backend it ran on.
func TestGateOnEnvtest(t *testing.T) {
	code, out, errOut := run("gate", "--backend", "envtest", "--baseline", gateDir+"/baseline", "--candidate", gateDir+"/candidate", gateDir+"/suite")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	_, fakeOut, _ := run("gate", "--baseline", gateDir+"/baseline", "--candidate", gateDir+"/candidate", gateDir+"/suite")
	if out != fakeOut {
		t.Errorf("the envtest comparison differs from the fake one:\n%s\n---\n%s", out, fakeOut)
	}
	if !strings.Contains(errOut, "starting kube-apiserver and etcd (envtest)") {
		t.Errorf("no envtest progress line on stderr: %q", errOut)
	}
}

// TestUnknownBackend: a misspelt --backend is bad input, exit 2.
func TestUnknownBackend(t *testing.T) {
	for _, cmd := range [][]string{
		{"run", "--backend", "kind", "../../scenarios/library/seed000-v1-to-v2-succeeds.yaml"},
		{"gate", "--backend", "kind", "--baseline", gateDir + "/baseline", "--candidate", gateDir + "/baseline", gateDir + "/suite"},
	} {
		code, _, errOut := run(cmd...)
		if code != 2 || !strings.Contains(errOut, `--backend: expected fake or envtest, got "kind"`) {
			t.Errorf("%v: exit %d, stderr %q", cmd, code, errOut)
		}
	}
}
