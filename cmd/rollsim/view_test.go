package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim/trace"
)

const viewScenario = "../../scenarios/library/seed000-v2-to-error-aborted.yaml"

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal(`chromium is not installed: run "apt-get install -y chromium" (the CI script installs it)`)
	return ""
}

// browse runs headless Chromium on url with extra flags (60 s wall-clock
// bound: a real browser) and returns its stdout.
func browse(t *testing.T, bin, profile, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.WaitDelay = 5 * time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, stderr.String())
	}
	return out.String()
}

// shown is what the replay page shows of its (single) rollout.
type shown struct {
	Clock, Phase, Step, SetWeight, ActualWeight, LastLine string
	CurrentStep                                           string // data-step of the highlighted ladder rung
}

var (
	reClock   = regexp.MustCompile(`<span class="clock" id="clock">([^<]*)</span>`)
	rePhase   = regexp.MustCompile(`<span class="badge phase-\w+" data-field="phase"><span class="icon">[^<]*</span> (\w+)</span>`)
	reLast    = regexp.MustCompile(`<div class="lastline" id="last-event">([^<]*)</div>`)
	reCurrent = regexp.MustCompile(`<li class="step current[^"]*" data-step="(\d+)">`)
)

func field(dom, name string) string {
	m := regexp.MustCompile(`data-field="` + name + `">([^<]*)<`).FindStringSubmatch(dom)
	if m == nil {
		return "(absent)"
	}
	return html.UnescapeString(m[1])
}

func read(dom string) shown {
	get := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(dom); m != nil {
			return html.UnescapeString(m[1])
		}
		return "(absent)"
	}
	return shown{Clock: get(reClock), Phase: get(rePhase), Step: field(dom, "step"), SetWeight: field(dom, "setWeight"),
		ActualWeight: field(dom, "actualWeight"), LastLine: get(reLast), CurrentStep: get(reCurrent)}
}

// expected is what the page must show at instant atMs, read from the
// result the page was made from: the rollout's last frame at or before it
// and the last timeline record up to it.
func expected(t *testing.T, r report.Scenario, atMs int64) shown {
	t.Helper()
	var snap *report.Snapshot
	for i := range r.Frames {
		if r.Frames[i].AtMs <= atMs {
			snap = &r.Frames[i]
		}
	}
	if snap == nil {
		t.Fatalf("no frame at or before %dms", atMs)
	}
	var last *trace.Record
	for i, rec := range r.Timeline {
		if rec.AtMs <= atMs {
			last = &r.Timeline[i]
		}
	}
	ro := snap.Rollout
	s := shown{Clock: clockOf(atMs), Phase: ro.Phase,
		SetWeight: fmt.Sprint(ro.SetWeight), ActualWeight: fmt.Sprint(ro.ActualWeight), Step: "-", CurrentStep: "(absent)"}
	if ro.CurrentStepIndex != nil {
		s.Step = fmt.Sprintf("%d/%d", *ro.CurrentStepIndex, len(ro.Steps))
		if int(*ro.CurrentStepIndex) < len(ro.Steps) {
			s.CurrentStep = fmt.Sprint(*ro.CurrentStepIndex)
		}
	}
	if rec := last; rec != nil {
		what := rec.Reason
		if rec.Detail != "" {
			what = strings.TrimPrefix(what+": "+rec.Detail, ": ")
		}
		s.LastLine = fmt.Sprintf("T+%02dm%02ds  %s  %s  %s", rec.AtMs/60000, rec.AtMs/1000%60, rec.Object, rec.Verb, what)
	}
	return s
}

// pageData decodes the results a replay page carries.
func pageData(t *testing.T, page string) report.Scenario {
	t.Helper()
	const open = `<script type="application/json" id="rollsim-data">`
	_, rest, ok := strings.Cut(page, open)
	body, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 {
		t.Fatal("the page carries no #rollsim-data")
	}
	var doc report.Output
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("#rollsim-data: %v", err)
	}
	if len(doc.Scenarios) != 1 {
		t.Fatalf("page carries %d scenarios, want 1", len(doc.Scenarios))
	}
	return doc.Scenarios[0]
}

// instants are the page's stops: T+0, every record and every frame.
func instants(r report.Scenario) []int64 {
	seen := map[int64]bool{0: true}
	for _, rec := range r.Timeline {
		seen[rec.AtMs] = true
	}
	for _, f := range r.Frames {
		seen[f.AtMs] = true
	}
	out := slices.Sorted(maps.Keys(seen))
	return out
}

// withDriver is the page with a script run after the viewer's: it plays a
// user's input (key presses, a drag of the scrubber) and records the URL
// fragment on <body data-hash>.
func withDriver(page, script string) string {
	return strings.Replace(page, "</body>", "<script>"+script+
		";document.body.setAttribute('data-hash', location.hash);</script>\n</body>", 1)
}

// TestViewScrubberInChromium replays the aborted seed scenario in a real
// browser and checks what the page shows at three instants, reached the
// three ways a user gets there: a linked instant (#t=2m35s), the left
// arrow key from it, and a drag of the scrubber.
func TestViewScrubberInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "replay.html")
	if code, _, errOut := run("view", viewScenario, "-o", file); code != 0 {
		t.Fatalf("view: exit %d: %s", code, errOut)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	for _, banned := range []string{"http://", "https://", "<link", " src="} {
		if strings.Contains(page, banned) {
			t.Errorf("the page is not self-contained: it holds %q", banned)
		}
	}
	r := pageData(t, page)
	stops := instants(r)
	abortAt := int64(-1)
	for _, rec := range r.Timeline {
		if rec.Verb == "aborted" {
			abortAt = rec.AtMs
			break
		}
	}
	if abortAt/1000 != 155 {
		t.Fatalf("the scenario aborts at %dms, want T+2m35s (its golden)", abortAt)
	}
	// stopAt is the instant the page shows for a time: the last at or
	// before it.
	stopAt := func(ms int64) int64 {
		at := stops[0]
		for _, s := range stops {
			if s <= ms {
				at = s
			}
		}
		return at
	}
	linked := stopAt(155999) // #t=2m35s names the second T+02m35s
	before := stops[slices.Index(stops, linked)-1]
	dragTo := int64(100000) // T+1m40s, between two instants
	dragStop := stopAt(dragTo)

	cases := []struct {
		name, fragment, driver string
		at                     int64
		wantPhase, wantHash    string
	}{
		{"linked", "#t=2m35s", "", linked, "Degraded", "#t=2m35s"},
		{"arrow-left", "#t=2m35s", "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}))", before, "Paused", "#t=" + fragmentOf(before)},
		{"dragged", "", fmt.Sprintf("var s = document.getElementById('scrubber'); s.value = %d; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'))", dragTo),
			dragStop, "Paused", "#t=" + fragmentOf(dragStop)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := file
			if c.driver != "" {
				target = filepath.Join(dir, fmt.Sprintf("driven-%d.html", i))
				if err := os.WriteFile(target, []byte(withDriver(page, c.driver)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dom := browse(t, bin, filepath.Join(dir, fmt.Sprintf("profile-%d", i)), "file://"+target+c.fragment, "--dump-dom")
			got, want := read(dom), expected(t, r, c.at)
			if got != want {
				t.Errorf("at %dms the page shows\n  %+v\nwant\n  %+v", c.at, got, want)
			}
			if got.Phase != c.wantPhase {
				t.Errorf("phase %s, want %s", got.Phase, c.wantPhase)
			}
			if c.driver != "" && !strings.Contains(dom, `data-hash="`+c.wantHash+`"`) {
				t.Errorf("the URL fragment is not %s after the move", c.wantHash)
			}
			if n := strings.Count(dom, `<tr class="verb-`); n == 0 || n > len(r.Timeline) {
				t.Errorf("%d timeline rows", n)
			}
			for _, rec := range r.Timeline {
				if rec.AtMs > c.at && strings.Contains(dom, `data-at="`+fmt.Sprint(rec.AtMs)+`"`) {
					t.Errorf("the timeline shows a record of %dms, after the instant", rec.AtMs)
					break
				}
			}
			if !strings.Contains(dom, `class="pod ready"`) {
				t.Error("no ready pod in the tree")
			}
		})
	}
}

// clockOf is the page's clock: the timeline's T+02m35s, with the
// milliseconds of an instant that is not on a whole second.
func clockOf(ms int64) string {
	c := fmt.Sprintf("T+%02dm%02d", ms/60000, ms/1000%60)
	if f := ms % 1000; f != 0 {
		c += strings.TrimRight(fmt.Sprintf(".%03d", f), "0")
	}
	return c + "s"
}

func fragmentOf(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).String()
}

// A JSON result replays as its scenario file does: `run --output json`
// carries the frames, steps and measurements the page scrubs through.
func TestViewFromJSONResult(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run("run", "--output", "json", viewScenario)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	var doc report.Output
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Scenarios) != 1 || len(doc.Scenarios[0].Frames) == 0 {
		t.Fatal("run --output json carries no frames")
	}
	result := filepath.Join(dir, "result.json")
	if err := os.WriteFile(result, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, page, errOut := run("view", result, "-o", "-")
	if code != 0 {
		t.Fatalf("view: exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "no frames") {
		t.Errorf("view fell back to the samples: %s", errOut)
	}
	r := pageData(t, page)
	if len(r.Frames) < 2 || len(r.Rollouts) != 1 || len(r.Rollouts[0].Steps) != 7 {
		t.Fatalf("the result carries %d frames and steps %v, want several frames and the 7 steps", len(r.Frames), r.Rollouts[0].Steps)
	}
	measured := 0
	for _, ar := range r.AnalysisRuns {
		for _, m := range ar.Metrics {
			measured += len(m.Measurements)
		}
	}
	if measured == 0 {
		t.Error("no measurement in the result")
	}
	for i := 1; i < len(r.Frames); i++ {
		if r.Frames[i].AtMs < r.Frames[i-1].AtMs {
			t.Fatalf("frames out of order at %d: %d after %d", i, r.Frames[i].AtMs, r.Frames[i-1].AtMs)
		}
	}
	if last := r.Frames[len(r.Frames)-1].Rollout; last.Phase != r.Rollouts[0].Phase || last.ActualWeight != r.Rollouts[0].ActualWeight {
		t.Errorf("the last frame (%s, weight %d) is not the final state (%s, weight %d)", last.Phase, last.ActualWeight, r.Rollouts[0].Phase, r.Rollouts[0].ActualWeight)
	}
}

func TestViewBadInput(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notJSON, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	oldSchema := filepath.Join(dir, "old.json")
	if err := os.WriteFile(oldSchema, []byte(`{"schemaVersion": 7, "scenarios": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"view", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"view", notJSON}, "expected a scenario (.yaml) or the JSON of rollsim run --output json"},
		{[]string{"view", oldSchema}, "schemaVersion 7, expected 1"},
		{[]string{"view", "testdata/syntax.yaml", "-o", "-"}, "syntax.yaml"},
		{[]string{"view", viewScenario, "--scenario", "nope", "-o", "-"}, `--scenario: no scenario "nope" in the result (it holds seed000-v2-to-error-aborted)`},
	}
	for _, c := range cases {
		code, out, errOut := run(c.args...)
		if code != exitBadInput || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q; want exit 2 and %q", c.args, code, len(out), errOut, c.want)
		}
	}
}

// A result without frames whose scenario file is gone still gives a page
// (final tree, samples), and view says so.
func TestViewResultWithoutFramesFallsBack(t *testing.T) {
	dir := t.TempDir()
	_, out, _ := run("run", "--output", "json", viewScenario)
	var doc report.Output
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Scenarios[0].File = filepath.Join(dir, "moved-away.yaml")
	doc.Scenarios[0].Frames = nil
	b, _ := json.Marshal(doc)
	result := filepath.Join(dir, "old.json")
	if err := os.WriteFile(result, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, page, errOut := run("view", result, "-o", "-")
	if code != 0 || !strings.Contains(errOut, "carries no frames") {
		t.Fatalf("exit %d, stderr %q; want 0 and a note on the missing frames", code, errOut)
	}
	if r := pageData(t, page); len(r.Frames) != 0 || len(r.Samples) == 0 {
		t.Errorf("page data has %d frames and %d samples, want none and the samples", len(r.Frames), len(r.Samples))
	}
}
