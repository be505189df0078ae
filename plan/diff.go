package plan

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Decision is one controller decision taken from a timeline: a stream (what
// kind of decision, about which object) and its value at a time.
type Decision struct {
	AtMs   int64
	Stream string
	Value  string
	Record Record
}

var (
	fromTo      = regexp.MustCompile(`^(-?\d+) → (-?\d+)`)
	stepIndex   = regexp.MustCompile(`step index (?:\S+) → (\d+)`)
	stepDone    = regexp.MustCompile(`Rollout step (\d+)/\d+ completed`)
	weightTo    = regexp.MustCompile(`updated from \d+ to (\d+)`)
	selectorTo  = regexp.MustCompile(`to '([^']*)'`)
	pauseCause  = regexp.MustCompile(`^Rollout is paused \((\w+)\)`)
	terminalRun = map[string]bool{"AnalysisRunSuccessful": true, "AnalysisRunFailed": true, "AnalysisRunError": true,
		"AnalysisRunInconclusive": true}
	controllers = map[string]bool{"rollout-controller": true, "analysis-controller": true, "experiment-controller": true}
)

// Decisions extracts the compared decisions from a timeline:
//
//   - scale: every ReplicaSet scale, in order, as "replicaset/<name> → n"
//     (one stream, so the order of scales at one instant is compared too);
//   - step <rollout>: the current step index after each change;
//   - weight <rollout>: the router's canary weight after each change;
//   - selector <service>: the pod-template hash a Service was switched to;
//   - phase <rollout>: phase and message;
//   - phase <analysisrun>: the phase it ended in;
//   - phase <experiment>: each phase it moves to (Pending, Running, and the
//     one it ends in);
//   - aborted / promoted <rollout>: Argo's reason and message;
//   - paused / resumed <rollout>: the reason and the pause cause
//     (CanaryPauseStep, BlueGreenPause, …);
//   - created <object>: a ReplicaSet, AnalysisRun or Experiment created (by
//     name).
//
// Cluster records (pods, jobs), user actions and the other Kubernetes events
// are context, not decisions. Repeated values in a stream are collapsed.
func Decisions(tl []Record) []Decision {
	var out []Decision
	last := map[string]string{}
	add := func(r Record, stream, value string) {
		if v, ok := last[stream]; ok && v == value {
			return
		}
		last[stream] = value
		out = append(out, Decision{AtMs: r.AtMs, Stream: stream, Value: value, Record: r})
	}
	for _, r := range tl {
		if !controllers[r.Actor] {
			continue
		}
		kind := r.Object[:max(0, strings.IndexByte(r.Object, '/'))]
		switch r.Verb {
		case "scaled":
			if m := fromTo.FindStringSubmatch(r.Detail); m != nil {
				// Every scale is a decision, even to the same count as the
				// previous scale of another ReplicaSet.
				out = append(out, Decision{AtMs: r.AtMs, Stream: "scale", Value: r.Object + " → " + m[2], Record: r})
			}
		case "step":
			if m := stepIndex.FindStringSubmatch(r.Detail); m != nil {
				add(r, "step "+r.Object, m[1])
			} else if m := stepDone.FindStringSubmatch(r.Detail); m != nil {
				add(r, "step "+r.Object, m[1])
			}
		case "weight":
			if m := weightTo.FindStringSubmatch(r.Detail); m != nil {
				add(r, "weight "+r.Object, m[1])
			}
		case "selector":
			if m := selectorTo.FindStringSubmatch(r.Detail); m != nil {
				add(r, "selector "+r.Object, m[1])
			}
		case "phase":
			if kind == "analysisrun" && !terminalRun[r.Reason] {
				// rollsim's timeline has an AnalysisRun's phase once it ends.
				continue
			}
			v := r.Reason
			if kind == "rollout" && r.Detail != "" {
				v += ": " + r.Detail
			}
			add(r, "phase "+r.Object, v)
		case "aborted", "promoted":
			if kind == "rollout" {
				out = append(out, Decision{AtMs: r.AtMs, Stream: r.Verb + " " + r.Object, Value: r.Reason + ": " + r.Detail, Record: r})
			}
		case "paused", "resumed":
			// Compared by reason and pause cause: rollsim's event text
			// names the step too (docs/oracle.md).
			if kind == "rollout" {
				v := r.Reason
				if m := pauseCause.FindStringSubmatch(r.Detail); m != nil {
					v += " (" + m[1] + ")"
				}
				out = append(out, Decision{AtMs: r.AtMs, Stream: r.Verb + " " + r.Object, Value: v, Record: r})
			}
		case "created":
			if kind == "replicaset" || kind == "analysisrun" || kind == "experiment" {
				add(r, "created "+r.Object, "created")
			}
		}
	}
	return out
}

// Divergence is the first place two runs decided differently.
type Divergence struct {
	AtMs   int64
	Stream string
	// A and B are the decisions at the divergence (nil: that run made no
	// such decision).
	A, B *Decision
	// Why says what differs: the value, the time, or a missing decision.
	Why string
}

// Compare compares the decisions of two timelines stream by stream. Two
// decisions agree when their values are equal and their times differ by
// at most toleranceMs (rollsim's documented offsets: deadlines fire 1 ms
// late, persisted times are whole seconds). It returns the earliest
// divergence, or nil when every stream agrees.
func Compare(a, b []Record, toleranceMs int64) *Divergence {
	da, db := group(Decisions(a)), group(Decisions(b))
	streams := map[string]bool{}
	for s := range da {
		streams[s] = true
	}
	for s := range db {
		streams[s] = true
	}
	var first *Divergence
	for s := range streams {
		d := compareStream(s, da[s], db[s], toleranceMs)
		if d != nil && (first == nil || d.AtMs < first.AtMs || d.AtMs == first.AtMs && d.Stream < first.Stream) {
			first = d
		}
	}
	return first
}

func group(ds []Decision) map[string][]Decision {
	m := map[string][]Decision{}
	for _, d := range ds {
		m[d.Stream] = append(m[d.Stream], d)
	}
	return m
}

func compareStream(stream string, a, b []Decision, tol int64) *Divergence {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return &Divergence{AtMs: b[i].AtMs, Stream: stream, B: &b[i], Why: "only B made this decision"}
		case i >= len(b):
			return &Divergence{AtMs: a[i].AtMs, Stream: stream, A: &a[i], Why: "only A made this decision"}
		}
		x, y := a[i], b[i]
		at := min(x.AtMs, y.AtMs)
		if x.Value != y.Value {
			return &Divergence{AtMs: at, Stream: stream, A: &x, B: &y, Why: "different decisions"}
		}
		if d := x.AtMs - y.AtMs; d > tol || -d > tol {
			return &Divergence{AtMs: at, Stream: stream, A: &x, B: &y,
				Why: fmt.Sprintf("same decision %s apart (tolerance %dms)", fmtMs(abs(d)), tol)}
		}
	}
	return nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// FmtOffset formats a time since T+0 as the text timeline does (T+02m26s),
// with milliseconds when there are any.
func FmtOffset(ms int64) string {
	s := fmt.Sprintf("T+%02dm%02ds", ms/60000, ms/1000%60)
	if ms%1000 != 0 {
		s += fmt.Sprintf(".%03d", ms%1000)
	}
	return s
}

func fmtMs(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%dms", ms)
	}
	return fmt.Sprintf("%.3fs", float64(ms)/1000)
}

// FormatRecord is one timeline line.
func FormatRecord(r Record) string {
	line := fmt.Sprintf("%-13s %-20s %-46s %-9s %s", FmtOffset(r.AtMs), r.Actor, r.Object, r.Verb, r.Reason)
	if r.Detail != "" {
		line += ": " + r.Detail
	}
	return strings.TrimRight(line, " ")
}

// Context returns the records of tl within windowMs of atMs, in order.
func Context(tl []Record, atMs, windowMs int64) []Record {
	var out []Record
	for _, r := range tl {
		if r.AtMs >= atMs-windowMs && r.AtMs <= atMs+windowMs {
			out = append(out, r)
		}
	}
	return out
}

// Explain formats a divergence with the decisions of both runs and the
// timelines around it; nameA and nameB label the runs.
func (d *Divergence) Explain(nameA, nameB string, a, b []Record) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "first divergence at %s in %s: %s\n", FmtOffset(d.AtMs), d.Stream, d.Why)
	show := func(name string, x *Decision) {
		if x == nil {
			fmt.Fprintf(&sb, "  %-14s (no such decision)\n", name+":")
			return
		}
		fmt.Fprintf(&sb, "  %-14s %s  %s\n", name+":", FmtOffset(x.AtMs), x.Value)
	}
	show(nameA, d.A)
	show(nameB, d.B)
	for _, side := range []struct {
		name string
		tl   []Record
	}{{nameA, a}, {nameB, b}} {
		fmt.Fprintf(&sb, "  %s timeline around %s:\n", side.name, FmtOffset(d.AtMs))
		ctx := Context(side.tl, d.AtMs, 5000)
		if len(ctx) == 0 {
			sb.WriteString("    (nothing within 5s)\n")
		}
		for _, r := range ctx {
			sb.WriteString("    " + FormatRecord(r) + "\n")
		}
	}
	return sb.String()
}

// Streams lists the distinct decision streams of a timeline, sorted.
func Streams(tl []Record) []string {
	m := map[string]bool{}
	for _, d := range Decisions(tl) {
		m[d.Stream] = true
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
