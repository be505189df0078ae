package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := execute(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunGoodScenarioExitsZero(t *testing.T) {
	code, out, _ := run("run", "testdata/good.yaml")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	if !strings.Contains(out, "=== PASS good") || !strings.Contains(out, "RolloutCompleted") {
		t.Fatalf("text report lacks verdict or timeline:\n%s", out)
	}
}

func TestFailedExpectationExitsOne(t *testing.T) {
	code, out, _ := run("run", "testdata/failing.yaml")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "=== FAIL failing") || !strings.Contains(out, "timeout") {
		t.Fatalf("report should say the run timed out waiting at the manual gate:\n%s", out)
	}
}

func TestBadInputExitsTwoWithFileLineField(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"testdata/syntax.yaml", []string{"testdata/syntax.yaml:5:", "YAML syntax error"}},
		{"testdata/unknown-field.yaml", []string{"testdata/unknown-field.yaml:8:", "spec.actoins", `unknown field "actoins"`}},
		{"testdata/unknown-step.yaml", []string{"bad-rollout/rollout.yaml:13:", "spec.strategy.canary.steps[2].setWieght", "unknown field"}},
		{"testdata/unmatched-image.yaml", []string{"testdata/unmatched-image.yaml:9:", "spec.actions[0].setImage.image", "matches no version"}},
		{"testdata/does-not-exist.yaml", []string{"testdata/does-not-exist.yaml", "no such file"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			code, _, errOut := run("run", c.file)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// A bad file does not stop the others: they run and are reported, and the
// exit code is 2.
func TestBadInputDoesNotStopOtherScenarios(t *testing.T) {
	code, out, _ := run("run", "--output", "json", "testdata/unknown-field.yaml", "testdata/good.yaml")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	var doc struct {
		SchemaVersion int `json:"schemaVersion"`
		Scenarios     []struct {
			Scenario  string `json:"scenario"`
			File      string `json:"file"`
			Passed    bool   `json:"passed"`
			ErrorKind string `json:"errorKind"`
			Timeline  []struct {
				AtMs int64  `json:"atMs"`
				Verb string `json:"verb"`
			} `json:"timeline"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, out)
	}
	if doc.SchemaVersion != 1 || len(doc.Scenarios) != 2 {
		t.Fatalf("unexpected document: %+v", doc)
	}
	// sorted by file path
	if doc.Scenarios[0].File != "testdata/good.yaml" || !doc.Scenarios[0].Passed || len(doc.Scenarios[0].Timeline) == 0 {
		t.Fatalf("good scenario not run or not first: %+v", doc.Scenarios[0])
	}
	if doc.Scenarios[1].ErrorKind != "input" || doc.Scenarios[1].Passed {
		t.Fatalf("bad scenario not reported as input error: %+v", doc.Scenarios[1])
	}
}

func TestUnknownOutputFormat(t *testing.T) {
	code, _, errOut := run("run", "--output", "yaml", "testdata/good.yaml")
	if code != 2 || !strings.Contains(errOut, "--output") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestValidateReportsErrorsAndTraps(t *testing.T) {
	code, out, _ := run("validate", "testdata/traps")
	if code != 0 {
		t.Fatalf("warnings alone must exit 0, got %d:\n%s", code, out)
	}
	for _, want := range []string{"it can never fail", "longer than the 2m0s of pauses", "no pause and no analysis"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing warning %q:\n%s", want, out)
		}
	}
	if code, _, _ := run("validate", "--strict", "testdata/traps"); code != 1 {
		t.Fatalf("--strict with warnings: exit %d, want 1", code)
	}
	code, out, _ = run("validate", "testdata/bad-rollout", "../../scenarios/testdata/lifecycle/invalid/missing-canary-service.yaml")
	if code != 2 || !strings.Contains(out, "rollout.yaml:13: error: spec.strategy.canary.steps[2].setWieght") ||
		!strings.Contains(out, "InvalidSpec") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if code, out, _ := run("validate", "../../scenarios/testdata/seeds/04_Progressive"); code != 0 || !strings.Contains(out, "no problems found") {
		t.Fatalf("the seed manifests are clean: exit %d\n%s", code, out)
	}
}

func TestReplayLadderAndWhatIf(t *testing.T) {
	manifests := "../../scenarios/testdata/seeds/guestbook/background-analysis.yaml"
	code, out, errOut := run("replay", manifests, "--rollout", "guestbook", "--image", "guestbook:v2",
		"--metric", "success-rate=0.99", "--what-if", "--bad-metric", "success-rate=0.5")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"T+5s       1/8 setWeight: 20", "8/8 pause: 10m", "Time to full promotion: 40m25s"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q:\n%s", want, out)
		}
	}
	// Every row of the what-if table. The analysis starts at step 2
	// (T+10m5s), measures every 5m (T+10m5s, 15m5s, …) and fails on the
	// fourth failed measurement (failureLimit 3); the version turns bad at
	// the row's instant, so the first failed measurement is the first one
	// after it, and a version that turns bad after T+25m5s is promoted
	// (T+40m25s) before four measurements fail.
	rows := []string{
		"step 0 (from the start)      10m5s        25m5s        5s",
		"step 1 (at T+5s)             10m0s        25m0s        5s",
		"step 2 (at T+10m5s)          5m0s         20m0s        5s",
		"step 3 (at T+10m10s)         4m55s        19m55s       5s",
		"step 4 (at T+20m10s)         4m55s        19m55s       10s",
		"step 5 (at T+20m15s)         4m50s        19m50s       10s",
		"step 6 (at T+30m15s)         never        never        never",
		"step 7 (at T+30m20s)         never        never        never",
	}
	_, table, ok := strings.Cut(out, "BAD FROM")
	if !ok {
		t.Fatalf("no what-if table:\n%s", out)
	}
	var got []string
	for _, l := range strings.Split(table, "\n")[1:] {
		if strings.HasPrefix(l, "step ") {
			got = append(got, strings.TrimRight(strings.TrimSuffix(strings.TrimRight(l, " "), "–"), " "))
		}
	}
	if strings.Join(got, "\n") != strings.Join(rows, "\n") {
		t.Errorf("what-if rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(rows, "\n"))
	}
	code, _, errOut = run("replay", manifests, "--rollout", "guestbook", "--image", "guestbook:v2")
	if code != 2 || !strings.Contains(errOut, "success-rate") {
		t.Fatalf("a metric without an answer must exit 2 naming it: %d %q", code, errOut)
	}
}

func TestRunOutputFormats(t *testing.T) {
	for format, want := range map[string]string{"markdown": "good", "junit": "<testsuite", "html": "<svg"} {
		code, out, errOut := run("run", "--output", format, "testdata/good.yaml")
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--output %s: exit %d, lacks %q\n%s", format, code, want, errOut)
		}
	}
}
