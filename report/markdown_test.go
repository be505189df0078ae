package report

import (
	"bytes"
	"strings"
	"testing"
)

func markdown(t *testing.T, results []Scenario) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMarkdown(&b, results); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestMarkdownSummaryTable(t *testing.T) {
	out := markdown(t, fixtureResults())
	if !strings.HasPrefix(out, "## ❌ rollsim: 4 scenarios, 1 passed, 3 failed\n") {
		t.Fatalf("headline:\n%s", out)
	}
	wantRows := []string{
		"| ✅ | two-rollouts | 1m35s | api: Healthy<br>ui: Healthy | api: 1h2m5s<br>ui: 1m30s | api: never<br>ui: never | api: never<br>ui: never | api: 50%<br>ui: 100% | api: –<br>ui: – |",
		"| ❌ | canary-error-aborted | 3m20s | Degraded | never | 2m30s | 10s | 40% | 120.3 (error) |",
		"| ❌ | stuck | 1h | Paused | – | – | – | – | – |",
		"| ❌ | scenarios/d-broken.yaml | 0s | error (input) | – | – | – | – | – |",
	}
	last := -1
	for _, row := range wantRows {
		i := strings.Index(out, row+"\n")
		if i < 0 {
			t.Fatalf("missing row %q in:\n%s", row, out)
		}
		if i < last {
			t.Errorf("row %q out of file order", row)
		}
		last = i
	}
	// Markdown table header and separator have the same number of cells
	// as the rows.
	lines := strings.Split(out, "\n")
	cells := strings.Count(wantRows[0], " | ") + 1
	for _, l := range lines {
		if strings.HasPrefix(l, "|") {
			if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|") - 1; n != cells {
				t.Errorf("row with %d cells, want %d: %s", n, cells, l)
			}
		}
	}
}

func TestMarkdownFailingScenarioDetails(t *testing.T) {
	out := markdown(t, fixtureResults())
	if strings.Contains(out, "### ❌ two") || strings.Contains(out, "Timeline (1 record)") {
		t.Error("passing scenario has a failure section")
	}
	sec := out[strings.Index(out, "### ❌ canary-error-aborted"):]
	sec = sec[:strings.Index(sec[1:], "### ")+1]
	for _, want := range []string{
		"`scenarios/b-canary.yaml` · virtual 3m20s · seed 7",
		"- ❌ phase Healthy \\| \"quoted\" \\& \\<b\\>bold\\</b\\> — phase is Degraded; see https://example.com/runbook\n",
		"<details><summary>Timeline (12 records)</summary>\n\n```\nT+00m00s  user",
		"RolloutAborted: Rollout aborted update to revision 2: <script>alert(1)</script> & more\n",
		"```\n\n</details>\n",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("failing section lacks %q:\n%s", want, sec)
		}
	}
	if strings.Contains(sec, "within 2m of failureOnset") {
		t.Error("a passed expectation is listed among the failures")
	}
	// The run error, and a fence longer than the ``` in the timeline.
	for _, want := range []string{"**Error (timeout):** timeout after 1h0m0s of virtual time", "- ❌ phase Healthy — phase is Paused", "````\nT+00m01s", "fence\n````\n", "### ❌ scenarios/d-broken.yaml\n", "**Error (input):** scenarios/d-broken.yaml:3: spec: unknown field \"bogus\""} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestMarkdownEmptyAndDeterministic(t *testing.T) {
	if out := markdown(t, nil); !strings.Contains(out, "0 scenarios, 0 passed, 0 failed") || !strings.Contains(out, "No scenarios were run.") {
		t.Fatalf("empty report:\n%s", out)
	}
	// Null everything: no panic, placeholders.
	out := markdown(t, []Scenario{{Scenario: "bare", Passed: true, Outcomes: []Outcome{{Rollout: "r"}}}})
	if !strings.Contains(out, "| ✅ | bare | 0s | – | never | never | never | 0% | – |") {
		t.Fatalf("bare scenario:\n%s", out)
	}
	rs := fixtureResults()
	a := markdown(t, rs)
	rs[0], rs[3] = rs[3], rs[0]
	if b := markdown(t, rs); a != b {
		t.Fatal("output depends on input order")
	}
}

func TestHumanDurations(t *testing.T) {
	for ms, want := range map[int64]string{
		0: "0s", 850: "850ms", 1_000: "1s", 59_999: "59s", 60_000: "1m", 146_000: "2m26s", 3_600_000: "1h",
		3_660_000: "1h1m", 3_601_000: "1h0m1s", 3_725_000: "1h2m5s", -5_000: "-5s",
	} {
		if got := human(ms); got != want {
			t.Errorf("human(%d) = %q, want %q", ms, got, want)
		}
	}
	if humanPtr(nil) != "never" {
		t.Error("nil is not never")
	}
	for ms, want := range map[int64]string{0: "T+00:00", 146_999: "T+02:26", 6_000_000: "T+100:00"} {
		if got := tplus(ms); got != want {
			t.Errorf("tplus(%d) = %q, want %q", ms, got, want)
		}
	}
}
