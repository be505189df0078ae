package scenarios_test

import (
	"reflect"
	"testing"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios"
)

// Frames (for rollsim view) follow the run: one per rollout and changed
// instant, in order, from T+0 to the final state, with the measurements
// the AnalysisRun held at that instant.
func TestFramesFollowTheRun(t *testing.T) {
	const file = "library/seed000-v2-to-error-aborted.yaml"
	if r := scenarios.RunFile(file, scenarios.RunOptions{}); len(r.Report.Frames) != 0 {
		t.Fatalf("%d frames without RunOptions.Frames", len(r.Report.Frames))
	}
	r := scenarios.RunFile(file, scenarios.RunOptions{Frames: true})
	fr := r.Report.Frames
	// T+0, the canary ready and paused (5s), the analysis measuring
	// (10s), the abort (2m35s): the job attempts between change nothing
	// a frame holds.
	if len(fr) != 4 || fr[0].AtMs != 0 {
		t.Fatalf("%d frames, want 4 from T+0", len(fr))
	}
	for i := 1; i < len(fr); i++ {
		if fr[i].AtMs <= fr[i-1].AtMs {
			t.Fatalf("frame %d at %dms after one at %dms (one rollout: one frame per instant)", i, fr[i].AtMs, fr[i-1].AtMs)
		}
	}
	last := fr[len(fr)-1].Rollout
	final := r.Report.Rollouts[0]
	last.Conditions, final.Conditions = nil, nil // condition times move on without a change of state
	if !reflect.DeepEqual(last, final) {
		t.Errorf("last frame's rollout\n  %+v\nis not the final state\n  %+v", last, final)
	}
	if len(final.Steps) != 7 || final.Steps[1] != "pause: 3m" {
		t.Errorf("steps %q, want the 7 canary steps with pause: 3m second", final.Steps)
	}
	var abortAt int64 = -1
	for _, rec := range r.Report.Timeline {
		if rec.Verb == "aborted" {
			abortAt = rec.AtMs
			break
		}
	}
	for _, f := range fr {
		if f.AtMs == abortAt {
			if f.Rollout.Phase != "Degraded" {
				t.Errorf("phase %s at the abort, want Degraded", f.Rollout.Phase)
			}
			if got := measurementsOf(f, "success-rate"); len(got) != 1 || got[0].Phase != "Failed" || got[0].FinishedAtMs == nil {
				t.Errorf("measurements at the abort %+v, want the one Failed", got)
			}
		}
		if f.AtMs < abortAt && f.AtMs > 12000 {
			for _, m := range measurementsOf(f, "success-rate") {
				if m.Phase == "Failed" {
					t.Errorf("a Failed measurement at %dms, before the abort", f.AtMs)
				}
			}
		}
	}
}

func measurementsOf(f report.Snapshot, metric string) []report.Measurement {
	var out []report.Measurement
	for _, rev := range f.Revisions {
		for _, ar := range rev.AnalysisRuns {
			for _, m := range ar.Metrics {
				if m.Name == metric {
					out = append(out, m.Measurements...)
				}
			}
		}
	}
	return out
}
