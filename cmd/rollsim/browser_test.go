package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The HTML report of the four seed scenarios, rendered in headless
// Chromium: every scenario section, its charts and its timeline are in the
// live DOM.
func TestSeedHTMLReportInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatal(`chromium is not installed: run "apt-get install -y chromium" (the CI script installs it)`)
	}
	lib := "../../scenarios/library/"
	seeds := []string{"seed000-v1-to-v2-succeeds", "seed000-v2-to-error-aborted", "seed003-blue-to-yellow-manual-gate", "seed003-yellow-to-red-abort-then-fast-rollback"}
	args := []string{"run", "--output", "html"}
	for _, s := range seeds {
		args = append(args, lib+s+".yaml")
	}
	code, page, errOut := run(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // wall-clock ok: a real browser
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+file)
	cmd.WaitDelay = 5 * time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := out.String()
	for _, s := range seeds {
		for _, id := range []string{"scenario-", "chart-weight-", "chart-pods-", "chart-analysis-", "timeline-"} {
			if !strings.Contains(dom, `id="`+id+s+`"`) {
				t.Errorf("rendered DOM lacks id=%q", id+s)
			}
		}
	}
	if !strings.Contains(dom, "RolloutAborted") || !strings.Contains(dom, "RolloutCompleted") {
		t.Error("the timelines are not in the rendered page")
	}
}
