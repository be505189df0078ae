package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumMissing is the failure when no browser is installed: the test
// fails rather than skips so that CI cannot pass without rendering the page.
const chromiumMissing = `chromium is not installed: run "apt-get install -y chromium" (the CI script installs it)`

func chromiumBinary() (string, bool) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// runChromium runs headless Chromium on page with extra flags, bounded by
// 60 s of wall-clock time, and returns its stdout.
func runChromium(t *testing.T, bin, profile, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile,
	}
	args = append(args, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v (context: %v)\nstderr:\n%s", bin, strings.Join(args, " "), err, ctx.Err(), stderr.String())
	}
	return stdout.Bytes()
}

// TestHTMLRendersInChromium renders a report in a real browser: the page
// must load from a file with networking off, paint a non-trivial
// screenshot and keep its charts and timeline in the live DOM. Set
// ROLLSIM_BROWSER_ARTIFACTS to a directory to keep report.html and
// shot.png.
func TestHTMLRendersInChromium(t *testing.T) {
	bin, ok := chromiumBinary()
	if !ok {
		t.Fatal(chromiumMissing)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	rs := fixtureResults()
	if err := WriteHTML(&b, rs[:1]); err != nil { // the failing canary
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	shot := filepath.Join(dir, "shot.png")
	runChromium(t, bin, filepath.Join(dir, "profile-shot"), page, "--screenshot="+shot, "--window-size=1280,2000")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if bd := img.Bounds(); bd.Dx() != 1280 || bd.Dy() != 2000 {
		t.Fatalf("screenshot is %dx%d, want 1280x2000", bd.Dx(), bd.Dy())
	}
	colors := map[[3]uint32]bool{}
	red := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X; x < bd.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r>>8 > 180 && g>>8 < 90 && bl>>8 < 90 {
				red++ // the FAIL badge, the abort line, failed markers
			}
		}
	}
	if len(colors) < 16 || red == 0 {
		t.Fatalf("screenshot looks blank: %d colors, %d red pixels", len(colors), red)
	}

	dom := string(runChromium(t, bin, filepath.Join(dir, "profile-dom"), page, "--dump-dom"))
	for _, want := range []string{
		`id="scenario-canary-error-aborted"`,
		`id="chart-weight-canary-error-aborted"`,
		`id="chart-pods-canary-error-aborted"`,
		`id="chart-errors-canary-error-aborted"`,
		`id="chart-analysis-canary-error-aborted"`,
		`<table class="timeline" id="timeline-canary-error-aborted">`,
		`class="series series-weight"`,
		`class="decision decision-aborted"`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %s", want)
		}
	}
	if n := strings.Count(dom, `<circle class="measurement `); n != 5 {
		t.Errorf("rendered DOM has %d measurement markers, want 5", n)
	}
	if n := strings.Count(dom, `<tr class="verb-`); n != len(rs[0].Timeline) {
		t.Errorf("rendered DOM has %d timeline rows, want %d", n, len(rs[0].Timeline))
	}
	if strings.Contains(dom, "<script") {
		t.Error("a script element made it into the DOM")
	}

	if out := os.Getenv("ROLLSIM_BROWSER_ARTIFACTS"); out != "" {
		for _, name := range []string{"report.html", "shot.png"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err == nil {
				err = os.WriteFile(filepath.Join(out, name), data, 0o644)
			}
			if err != nil {
				t.Errorf("keep %s: %v", name, err)
			}
		}
	}
}
