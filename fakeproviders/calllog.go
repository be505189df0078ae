package fakeproviders

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Call is one provider call as the call log records it.
type Call struct {
	// Seq numbers the calls from 1 in the order they were made.
	Seq int `json:"seq"`
	// Offset is the virtual time of the call since T+0 (whole seconds);
	// negative for a call made during the set-up, before T+0.
	Offset time.Duration `json:"offset"`
	// Run is the AnalysisRun as namespace/name.
	Run    string `json:"run"`
	Metric string `json:"metric"`
	// Kind is the provider kind as controller.ProviderType names it.
	Kind string `json:"kind"`
	// Op is "run", "resume" (Kayenta), "terminate" (Kayenta) or "new" (the
	// provider could not be made: no answer, invalid answer, plugin).
	Op string `json:"op"`
	// Query is what the provider sends (its query, URL, NRQL, …) after
	// {{args}} substitution, with secret args shown as *****.
	Query string `json:"query"`
	// Answer is the answer key used ("" when none).
	Answer string `json:"answer,omitempty"`
	// Phase, Value and Error are the measurement's phase, value and (for
	// phase Error) message.
	Phase string `json:"phase"`
	Value string `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}

// String formats a call on one line, e.g.
//
//	T+5m0s default/ro-6b9f-2-1 success-rate Prometheus run "sum(...)" → Successful [0.99]
func (c Call) String() string {
	var b strings.Builder
	if c.Offset < 0 {
		fmt.Fprintf(&b, "T-%s", -c.Offset)
	} else {
		fmt.Fprintf(&b, "T+%s", c.Offset)
	}
	fmt.Fprintf(&b, " %s %s %s %s %q → %s", c.Run, c.Metric, c.Kind, c.Op, c.Query, c.Phase)
	if c.Value != "" {
		fmt.Fprintf(&b, " %s", c.Value)
	}
	if c.Error != "" {
		fmt.Fprintf(&b, ": %s", c.Error)
	}
	return b.String()
}

// CallLog records provider calls in the order they are made. The zero value
// is ready; it is safe for concurrent use.
type CallLog struct {
	mu    sync.Mutex
	t0    time.Time
	calls []Call
	ats   []time.Time // each call's virtual time, for its Offset
}

// setT0 sets T+0, the origin of every call's Offset (calls recorded before
// it is known get theirs then).
func (l *CallLog) setT0(t0 time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t0 = t0
}

func (l *CallLog) add(c Call, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.Seq = len(l.calls) + 1
	l.calls = append(l.calls, c)
	l.ats = append(l.ats, at)
}

// Calls returns a copy of the recorded calls, with offsets from T+0 (zero
// while T+0 is not known).
func (l *CallLog) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]Call(nil), l.calls...)
	for i := range out {
		if !l.t0.IsZero() && !l.ats[i].IsZero() {
			out[i].Offset = l.ats[i].Sub(l.t0)
		}
	}
	return out
}

// String is one line per call.
func (l *CallLog) String() string {
	var b strings.Builder
	for _, c := range l.Calls() {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}
