package report

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rollsim/rollsim/sim/trace"
)

// WriteMarkdown writes a summary sized for a pull-request comment: a
// headline, one table row per scenario (sorted by file), then for every
// failing scenario its run error, its failed expectations and its timeline
// in a collapsed <details> block. Passing scenarios contribute only their
// table row. The output is deterministic.
//
// Cells: durations are human-readable (2m26s); "never" means the outcome
// metric is null (the thing did not happen); "–" means there is no data
// (no rollout, or no outcome computed for it).
func WriteMarkdown(w io.Writer, results []Scenario) error {
	rs := sorted(results)
	var b strings.Builder
	passed := 0
	for _, r := range rs {
		if r.Passed {
			passed++
		}
	}
	failed := len(rs) - passed
	headline := "✅"
	if failed > 0 {
		headline = "❌"
	}
	fmt.Fprintf(&b, "## %s rollsim: %d %s, %d passed, %d failed\n\n", headline, len(rs), plural(len(rs), "scenario", "scenarios"), passed, failed)
	if len(rs) == 0 {
		b.WriteString("No scenarios were run.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}

	b.WriteString("| | Scenario | Virtual time | Final phase | Time to promote | Time to detect | Time to roll back | Peak canary weight | Failed requests (version) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		mark := "✅"
		if !r.Passed {
			mark = "❌"
		}
		name := mdText(r.Scenario)
		if name == "" {
			name = mdText(r.File)
		}
		cells := []string{
			mark,
			name,
			human(r.VirtualMs),
			mdPerRollout(r, func(name string) string {
				for _, ro := range r.Rollouts {
					if ro.Name == name {
						return mdText(ro.Phase)
					}
				}
				return "–"
			}, phaseCell(r)),
			outcomeCell(r, func(o Outcome) string { return humanPtr(o.TimeToPromotionMs) }),
			outcomeCell(r, func(o Outcome) string { return humanPtr(o.TimeToDetectMs) }),
			outcomeCell(r, func(o Outcome) string { return humanPtr(o.TimeToRollbackMs) }),
			outcomeCell(r, func(o Outcome) string { return fmt.Sprintf("%d%%", o.PeakCanaryWeight) }),
			outcomeCell(r, failedRequestsCell),
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}

	for _, r := range rs {
		if r.Passed {
			continue
		}
		name := r.Scenario
		if name == "" {
			name = r.File
		}
		fmt.Fprintf(&b, "\n### ❌ %s\n\n", mdText(name))
		fmt.Fprintf(&b, "`%s` · virtual %s · seed %d%s\n\n", mdCode(r.File), human(r.VirtualMs), r.Seed, strings.ReplaceAll(backendNote(r.Backend), ",", " ·"))
		if r.Error != "" {
			kind := r.ErrorKind
			if kind == "" {
				kind = "run"
			}
			fmt.Fprintf(&b, "**Error (%s):** %s\n\n", mdText(kind), mdText(r.Error))
		}
		nFailed := 0
		for _, e := range r.Expectations {
			if e.Passed {
				continue
			}
			nFailed++
			fmt.Fprintf(&b, "- ❌ %s", mdText(e.Description))
			if e.Message != "" {
				fmt.Fprintf(&b, " — %s", mdText(e.Message))
			}
			b.WriteString("\n")
		}
		if nFailed > 0 {
			b.WriteString("\n")
		}
		if len(r.Timeline) > 0 {
			text := trace.Text(r.Timeline)
			fence := codeFence(text)
			fmt.Fprintf(&b, "<details><summary>Timeline (%d %s)</summary>\n\n%s\n%s%s\n\n</details>\n",
				len(r.Timeline), plural(len(r.Timeline), "record", "records"), fence, text, fence)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// phaseCell is the final-phase fallback when a scenario has no rollouts.
func phaseCell(r Scenario) string {
	if r.Error != "" {
		kind := r.ErrorKind
		if kind == "" {
			kind = "run"
		}
		return "error (" + mdText(kind) + ")"
	}
	return "–"
}

// mdPerRollout renders one value per rollout of the scenario, prefixed by
// the rollout name when there are several; fallback when there is none.
func mdPerRollout(r Scenario, value func(name string) string, fallback string) string {
	names := rolloutNames(r)
	if len(names) == 0 {
		return fallback
	}
	if len(names) == 1 {
		return value(names[0])
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = mdText(n) + ": " + value(n)
	}
	return strings.Join(parts, "<br>")
}

// outcomeCell renders one outcome value per rollout; "–" without outcomes.
func outcomeCell(r Scenario, value func(Outcome) string) string {
	if len(r.Outcomes) == 0 {
		return "–"
	}
	if len(r.Outcomes) == 1 {
		return value(r.Outcomes[0])
	}
	outs := append([]Outcome(nil), r.Outcomes...)
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].Rollout < outs[j].Rollout })
	parts := make([]string, len(outs))
	for i, o := range outs {
		parts[i] = mdText(o.Rollout) + ": " + value(o)
	}
	return strings.Join(parts, "<br>")
}

// failedRequestsCell sums the failed requests of every version that failed
// any, naming those versions: "412 (error)". "0" when the traffic model
// recorded requests but none failed; "–" without exposure data.
func failedRequestsCell(o Outcome) string {
	if len(o.Exposure) == 0 {
		return "–"
	}
	total, versions := failedByVersion(o.Exposure)
	if total == 0 {
		return "0"
	}
	names := make([]string, len(versions))
	for i, v := range versions {
		names[i] = mdText(v)
	}
	return fmt.Sprintf("%s (%s)", formatCount(total), strings.Join(names, ", "))
}

// failedByVersion returns the total failed requests and the sorted names
// of the versions with at least one failed request.
func failedByVersion(exp []Exposure) (float64, []string) {
	total := 0.0
	seen := map[string]bool{}
	for _, e := range exp {
		if e.FailedRequests > 0 {
			total += e.FailedRequests
			seen[e.Version] = true
		}
	}
	return total, slices.Sorted(maps.Keys(seen))
}

// rolloutNames are the names of the scenario's rollouts (final state),
// sorted.
func rolloutNames(r Scenario) []string {
	seen := map[string]bool{}
	for _, ro := range r.Rollouts {
		seen[ro.Name] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// formatCount prints an expected request count: whole numbers as integers,
// others with one decimal.
func formatCount(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// human renders milliseconds as 2m26s, 1h5m, 45s or 850ms (seconds
// truncated, zero trailing units dropped).
func human(ms int64) string {
	if ms < 0 {
		return "-" + human(-ms)
	}
	if ms < 1000 {
		if ms == 0 {
			return "0s"
		}
		return fmt.Sprintf("%dms", ms)
	}
	s := ms / 1000
	h, m, sec := s/3600, (s/60)%60, s%60
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || (h > 0 && sec > 0) {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || (h == 0 && m == 0) {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// humanPtr is human, or "never" for nil.
func humanPtr(ms *int64) string {
	if ms == nil {
		return "never"
	}
	return human(*ms)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdText escapes text for a Markdown table cell or list item: ASCII
// punctuation Markdown could interpret is backslash-escaped and line
// breaks become spaces.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~', '&', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes s safe inside a single-backtick code span.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(s)
}

// codeFence returns a backtick fence longer than any backtick run in text.
func codeFence(text string) string {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	if longest < 3 {
		return "```"
	}
	return strings.Repeat("`", longest+1)
}
