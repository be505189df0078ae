package main

import (
	"strings"
	"testing"
)

const workloadRefDir = "../../scenarios/testdata/spec/workloadref"

// replay, gate and validate on rollouts whose template is a referenced
// Deployment, as run handles them.
func TestWorkloadRefReplayGateValidate(t *testing.T) {
	code, out, errOut := run("replay", workloadRefDir+"/baseline", "--rollout", "web", "--image", "web:v2")
	if code != 0 || !strings.Contains(out, "1/2 setWeight: 25") || !strings.Contains(out, "2/2 pause: 1m") {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run("gate", "--baseline", workloadRefDir+"/baseline", "--candidate", workloadRefDir+"/candidate", workloadRefDir+"/suite")
	if code != 0 || !strings.Contains(out, "| time to promotion | 1m15.001s | 3m15.001s |") {
		t.Fatalf("gate: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run("validate", workloadRefDir+"/baseline", workloadRefDir+"/candidate")
	if code != 0 || !strings.Contains(out, "no problems found") {
		t.Fatalf("validate: exit %d\n%s\n%s", code, out, errOut)
	}
}
