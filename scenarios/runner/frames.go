package runner

import (
	"encoding/json"
	"regexp"
	"time"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim"
)

// framer records the rollout trees after every settled instant at which
// one of them changed (RunOptions.Frames): what `rollsim view` scrubs
// through.
type framer struct {
	frames []report.Snapshot
	last   map[string]string // rollout → its last frame without ages, as JSON
	at     map[string]int    // rollout → the index of its last frame
}

func newFramer() *framer { return &framer{last: map[string]string{}, at: map[string]int{}} }

func (f *framer) capture(h *sim.Harness, t0 time.Time) {
	for _, s := range snapshots(h, t0) {
		key := s.Rollout.Namespace + "/" + s.Rollout.Name
		sig := signature(s)
		if prev, ok := f.last[key]; ok && prev == sig {
			continue
		}
		f.last[key] = sig
		// A later settle of the same instant replaces that instant's frame.
		if i, ok := f.at[key]; ok && f.frames[i].AtMs == s.AtMs {
			f.frames[i] = s
			continue
		}
		f.at[key] = len(f.frames)
		f.frames = append(f.frames, s)
	}
}

var ages = regexp.MustCompile(`"ageSec":-?\d+`)

// signature is a frame without what changes with time alone: its instant
// and the ages of its objects.
func signature(s report.Snapshot) string {
	s.AtMs = 0
	b, _ := json.Marshal(s)
	return ages.ReplaceAllString(string(b), "")
}
