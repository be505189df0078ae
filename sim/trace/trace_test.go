package trace

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestRecordTextFormat(t *testing.T) {
	r := Record{AtMs: 146_500, Actor: "rollout-controller", Object: "rollout/x", Verb: "aborted", Reason: "RolloutAborted", Detail: "why"}
	got := r.Text()
	if !strings.HasPrefix(got, "T+02m26s ") {
		t.Fatalf("time not truncated to whole seconds: %q", got)
	}
	if !strings.HasSuffix(got, "aborted   RolloutAborted: why") {
		t.Fatalf("unexpected tail: %q", got)
	}
	if got := (Record{AtMs: 3_600_000, Actor: "a", Object: "o", Verb: "ready"}).Text(); !strings.HasPrefix(got, "T+60m00s") || strings.HasSuffix(got, " ") {
		t.Fatalf("hour offsets print as minutes, no trailing space: %q", got)
	}
}

func TestRecorderDropsSetupAndStampsOffsets(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := NewRecorder(func() time.Time { return now })
	rec.Add("a", "o", "ready", "", "before T+0")
	now = now.Add(90 * time.Second)
	rec.Start()
	now = now.Add(1500 * time.Millisecond)
	rec.Add("a", "o", "ready", "", "after")
	rec.Add("a", "o", "no-such-verb", "", "x")
	got := rec.Records()
	if len(got) != 2 || got[0].AtMs != 1500 || got[0].Detail != "after" {
		t.Fatalf("records: %+v", got)
	}
	if got[1].Verb != "event" || got[1].Reason != "UnknownVerb" {
		t.Fatalf("an unknown verb must be kept visible, not dropped: %+v", got[1])
	}
	if rec.SetupRecords() != 1 {
		t.Fatalf("setup records: %d", rec.SetupRecords())
	}
}

// Every verb of the closed list is documented in docs/output.md.
func TestVerbsAreDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/output.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Verbs {
		if !strings.Contains(string(b), "| `"+v+"` |") {
			t.Errorf("verb %q is not documented in docs/output.md", v)
		}
	}
}
