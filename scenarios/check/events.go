package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim/trace"
)

// Matches reports whether a timeline record matches an event selector.
func Matches(rec trace.Record, sel format.EventSelector) bool {
	if sel.Event != "" && rec.Reason != sel.Event {
		return false
	}
	if sel.Verb != "" && rec.Verb != sel.Verb {
		return false
	}
	if sel.Object != "" && rec.Object != sel.Object && !strings.HasSuffix(rec.Object, "/"+sel.Object) {
		return false
	}
	return true
}

func fmtOffset(ms int64) string {
	return strings.TrimSpace(strings.Fields(trace.Record{AtMs: ms}.Text())[0])
}

// Never checks a `never` expectation over the whole timeline.
func Never(e format.Expectation, records []trace.Record) report.Expectation {
	out := report.Expectation{Description: e.Describe(), Passed: true}
	for _, rec := range records {
		if Matches(rec, *e.Never) {
			out.Passed = false
			out.Message = fmt.Sprintf("happened at %s: %s %s %s", fmtOffset(rec.AtMs), rec.Object, rec.Verb, rec.Detail)
			break
		}
	}
	return out
}

// Within checks a `within` expectation: the event happens within the
// window after its anchor (anchors: start, failureOnset, named actions, as
// instants; t0 is T+0).
func Within(e format.Expectation, records []trace.Record, anchors map[string]time.Time, t0 time.Time) report.Expectation {
	out := report.Expectation{Description: e.Describe()}
	anchor, ok := anchors[e.Within.Of]
	if !ok {
		out.Message = fmt.Sprintf("anchor %q never happened (no bad version was deployed)", e.Within.Of)
		return out
	}
	from := anchor.Sub(t0).Milliseconds()
	to := from + e.Within.Duration.Milliseconds()
	sel := format.EventSelector{Event: e.Event, Object: e.Object}
	for _, rec := range records {
		if Matches(rec, sel) {
			if rec.AtMs >= from && rec.AtMs <= to {
				out.Passed = true
				out.Message = "at " + fmtOffset(rec.AtMs)
				return out
			}
			out.Message = fmt.Sprintf("happened at %s, outside %s..%s", fmtOffset(rec.AtMs), fmtOffset(from), fmtOffset(to))
		}
	}
	if out.Message == "" {
		out.Message = "never happened"
	}
	return out
}
