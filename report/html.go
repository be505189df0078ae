package report

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rollsim/rollsim/sim/trace"
)

// WriteHTML writes one self-contained HTML page (inline CSS and SVG; no
// script, no external URL) for the results, sorted by file. Per scenario:
// a verdict header, the run error, the expectations, the outcome metrics,
// the final state, SVG charts over virtual time and the full timeline.
//
// Charts are step functions of Samples (each sample holds until the next):
// the router canary weight, available pods by role (stable, canary, old)
// and, when samples carry it, the error rate (a fraction, shown in %). A
// last chart has one lane per analysis run and metric with a marker per
// measurement (timeline verb "measured", colored by the phase after "→" in
// the detail). Decision points (reasons RolloutAborted, RolloutCompleted,
// RolloutStepCompleted, RolloutPaused, RolloutResumed) are vertical lines
// on every chart, labelled on the first. Axes read T+mm:ss.
//
// Stable hooks for tests and styling, with <s> the scenario's slug
// (its name, lower-cased, runs of other characters than a-z0-9 as "-",
// made unique with -2, -3, … in file order): id="scenario-<s>",
// id="chart-weight-<s>", id="chart-pods-<s>", id="chart-errors-<s>",
// id="chart-analysis-<s>", id="timeline-<s>" (a table with
// class="timeline"), class="measurement measurement-<phase>",
// class="decision decision-<kind>".
//
// All text goes through html/template; control characters become U+FFFD.
// The output is also well-formed XML (void elements are self-closed, no
// named entities).
func WriteHTML(w io.Writer, results []Scenario) error {
	rs := sorted(results)
	page := htmlPage{Total: len(rs)}
	ids := map[string]int{}
	for _, r := range rs {
		if r.Passed {
			page.Passed++
		}
		page.Scenarios = append(page.Scenarios, htmlScenarioOf(r, uniqueSlug(r, ids)))
	}
	page.Failed = page.Total - page.Passed
	var b strings.Builder
	if err := htmlTemplate.Execute(&b, page); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	// Control characters in user text are parse errors in HTML and XML.
	_, err := io.WriteString(w, xmlChars(b.String()))
	return err
}

type htmlPage struct {
	Total, Passed, Failed int
	Scenarios             []htmlScenario
}

type htmlScenario struct {
	Slug, Name, File      string
	Passed                bool
	VirtualTime           string
	Seed                  int64
	Error, ErrorKind      string
	Expectations          []Expectation
	ExpectationsPassed    int
	Outcomes              []htmlOutcome
	Exposure              []htmlExposure
	Rollouts              []htmlRollout
	ReplicaSets           []htmlReplicaSet
	AnalysisRuns          []htmlAnalysisRun
	Charts                []htmlChart
	NoSamples             bool
	Timeline              []htmlRecord
	HasOutcomes, HasState bool
}

type htmlOutcome struct {
	Rollout                                 string
	Promotion, Onset, Detect, Abort, Rollbk string
	PeakWeight                              string
}

type htmlExposure struct {
	Rollout, Version, Cohort, Requests, Failed, Rate string
}

type htmlRollout struct {
	Name, Phase, Step, SetWeight, ActualWeight, Traffic, Message string
}

type htmlReplicaSet struct {
	Rollout, Name, Role, Revision, Images, Spec, Available string
}

type htmlAnalysisRun struct {
	Name, Phase, Metrics, Message string
}

type htmlRecord struct {
	At, Actor, Object, Verb, Reason, Detail string
	Decision                                bool
}

type htmlChart struct {
	ID, Kind, Title string
	Width, Height   int
	PlotX, PlotY    string
	PlotW, PlotH    string
	XTicks, YTicks  []htmlTick
	Series          []htmlSeries
	Lanes           []htmlLane
	Markers         []htmlMarker
	Decisions       []htmlDecision
	Legend          []htmlLegend
	Note            string
	NoteX, NoteY    string
}

type htmlTick struct{ X, Y, X2, Y2, T, LX, LY, Label string }

type htmlSeries struct{ Class, Color, Dash, Path, Title string }

type htmlLane struct{ X1, X2, Y, LX, LY, Label string }

type htmlMarker struct{ Class, Color, CX, CY, Title string }

type htmlDecision struct {
	Class, Color, Dash, X, Y1, Y2, Title string
	Label, LX, LY, Anchor                string
}

type htmlLegend struct {
	X1, X2, Y, CX, TX, TY, Label, Color, Dash string
	Marker                                    bool
}

// Chart geometry (SVG user units; the SVG scales to the page width).
const (
	chartW      = 960
	chartLeft   = 56
	chartRight  = 20
	chartPlotH  = 150
	chartBottom = 44 // x tick labels and the legend
	laneH       = 30
	labelRowH   = 14
	maxLabelRow = 4
)

var decisionKinds = map[string]struct {
	kind, color, dash string
	rank              int
}{
	"RolloutAborted":       {"aborted", "#dc2626", "none", 5},
	"RolloutCompleted":     {"completed", "#16a34a", "none", 4},
	"RolloutPaused":        {"paused", "#d97706", "4 3", 3},
	"RolloutResumed":       {"resumed", "#2563eb", "4 3", 2},
	"RolloutStepCompleted": {"step", "#6b7280", "2 3", 1},
}

var measurementColors = map[string]string{
	"Successful":   "#16a34a",
	"Failed":       "#dc2626",
	"Error":        "#7c3aed",
	"Inconclusive": "#d97706",
}

var roleColors = []struct{ role, color string }{
	{"stable", "#2563eb"}, {"canary", "#ea580c"}, {"old", "#9ca3af"},
}

var rolloutDashes = []string{"none", "7 4", "2 3", "9 3 2 3"}

func uniqueSlug(r Scenario, used map[string]int) string {
	name := r.Scenario
	if name == "" {
		name = r.File
	}
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		s = "scenario"
	}
	used[s]++
	if n := used[s]; n > 1 {
		s = fmt.Sprintf("%s-%d", s, n)
		used[s]++
	}
	return s
}

// tplus renders a virtual instant as T+mm:ss (seconds truncated).
func tplus(ms int64) string {
	sign := "+"
	if ms < 0 {
		sign, ms = "-", -ms
	}
	s := ms / 1000
	return fmt.Sprintf("T%s%02d:%02d", sign, s/60, s%60)
}

func f1(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func htmlScenarioOf(r Scenario, slug string) htmlScenario {
	s := htmlScenario{
		Slug: slug, Name: r.Scenario, File: r.File, Passed: r.Passed,
		VirtualTime: human(r.VirtualMs), Seed: r.Seed,
		Error: r.Error, ErrorKind: r.ErrorKind,
		Expectations: r.Expectations,
	}
	if s.Name == "" {
		s.Name = r.File
	}
	if s.Error != "" && s.ErrorKind == "" {
		s.ErrorKind = "run"
	}
	for _, e := range r.Expectations {
		if e.Passed {
			s.ExpectationsPassed++
		}
	}
	outs := append([]Outcome(nil), r.Outcomes...)
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].Rollout < outs[j].Rollout })
	for _, o := range outs {
		s.Outcomes = append(s.Outcomes, htmlOutcome{
			Rollout:   o.Rollout,
			Promotion: humanPtr(o.TimeToPromotionMs),
			Onset: func() string {
				if o.FailureOnsetMs == nil {
					return "none"
				}
				return tplus(*o.FailureOnsetMs)
			}(),
			Detect:     humanPtr(o.TimeToDetectMs),
			Abort:      humanPtr(o.TimeToAbortMs),
			Rollbk:     humanPtr(o.TimeToRollbackMs),
			PeakWeight: fmt.Sprintf("%d%%", o.PeakCanaryWeight),
		})
		for _, e := range o.Exposure {
			rate := "–"
			if e.Requests > 0 {
				rate = f1(100*e.FailedRequests/e.Requests) + "%"
			}
			s.Exposure = append(s.Exposure, htmlExposure{
				Rollout: o.Rollout, Version: e.Version, Cohort: e.Cohort,
				Requests: formatCount(e.Requests), Failed: formatCount(e.FailedRequests), Rate: rate,
			})
		}
	}
	s.HasOutcomes = len(s.Outcomes) > 0
	for _, ro := range r.Rollouts {
		step := "–"
		if ro.CurrentStepIndex != nil {
			step = fmt.Sprint(*ro.CurrentStepIndex)
		}
		traffic := "–"
		if ro.TrafficWeights != nil {
			traffic = fmt.Sprintf("canary %d / stable %d", ro.TrafficWeights.Canary, ro.TrafficWeights.Stable)
		}
		name := ro.Name
		if ro.Namespace != "" {
			name = ro.Namespace + "/" + ro.Name
		}
		s.Rollouts = append(s.Rollouts, htmlRollout{
			Name: name, Phase: ro.Phase, Step: step, Message: ro.Message, Traffic: traffic,
			SetWeight: fmt.Sprint(ro.SetWeight), ActualWeight: fmt.Sprint(ro.ActualWeight),
		})
		for _, rs := range ro.ReplicaSets {
			s.ReplicaSets = append(s.ReplicaSets, htmlReplicaSet{
				Rollout: ro.Name, Name: rs.Name, Role: rs.Role, Revision: fmt.Sprint(rs.Revision),
				Images: strings.Join(rs.Images, ", "), Spec: fmt.Sprint(rs.SpecReplicas), Available: fmt.Sprint(rs.AvailableReplicas),
			})
		}
	}
	for _, ar := range r.AnalysisRuns {
		var ms []string
		for _, m := range ar.Metrics {
			ms = append(ms, fmt.Sprintf("%s %s ✔%d ✖%d ?%d ⚠%d", m.Name, m.Phase, m.Successful, m.Failed, m.Inconclusive, m.Errors))
		}
		s.AnalysisRuns = append(s.AnalysisRuns, htmlAnalysisRun{Name: ar.Name, Phase: ar.Phase, Metrics: strings.Join(ms, "; "), Message: ar.Message})
	}
	s.HasState = len(s.Rollouts) > 0 || len(s.AnalysisRuns) > 0
	for _, rec := range r.Timeline {
		_, dec := decisionKinds[rec.Reason]
		s.Timeline = append(s.Timeline, htmlRecord{
			At: tplus(rec.AtMs), Actor: rec.Actor, Object: rec.Object, Verb: rec.Verb,
			Reason: rec.Reason, Detail: rec.Detail, Decision: dec,
		})
	}
	s.Charts, s.NoSamples = chartsOf(r, slug)
	return s
}

// timeAxis maps virtual milliseconds onto the plot.
type timeAxis struct {
	endMs      int64
	left, span float64
}

func (a timeAxis) x(ms int64) float64 {
	if ms < 0 {
		ms = 0
	}
	if ms > a.endMs {
		ms = a.endMs
	}
	return a.left + a.span*float64(ms)/float64(a.endMs)
}

// tickStep picks a round tick interval giving at most 8 ticks.
func (a timeAxis) tickStep() int64 {
	for _, s := range []int64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if a.endMs/(s*1000) <= 8 {
			return s * 1000
		}
	}
	return (a.endMs/8/86400000 + 1) * 86400000
}

type decisionPoint struct {
	atMs                     int64
	kind, color, dash, label string
	rank                     int
	title                    []string
	labelX                   float64
	anchor                   string
	row                      int
}

func decisionLabel(rec trace.Record, kind string) string {
	if kind == "step" {
		// "Rollout step 1/7 completed (…)" → "step 1/7"
		f := strings.Fields(rec.Detail)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "step" && strings.Contains(f[i+1], "/") {
				return "step " + f[i+1]
			}
		}
		return "step"
	}
	return kind
}

// decisionsOf groups the decision records by instant.
func decisionsOf(records []trace.Record) []*decisionPoint {
	var out []*decisionPoint
	byAt := map[int64]*decisionPoint{}
	for _, rec := range records {
		k, ok := decisionKinds[rec.Reason]
		if !ok {
			continue
		}
		title := rec.Reason
		if rec.Detail != "" {
			title += ": " + rec.Detail
		}
		title = tplus(rec.AtMs) + " " + rec.Object + " " + title
		label := decisionLabel(rec, k.kind)
		d := byAt[rec.AtMs]
		if d == nil {
			d = &decisionPoint{atMs: rec.AtMs, kind: k.kind, color: k.color, dash: k.dash, rank: k.rank, label: label}
			byAt[rec.AtMs] = d
			out = append(out, d)
		} else {
			if !strings.Contains(" · "+d.label+" · ", " · "+label+" · ") {
				d.label += " · " + label
			}
			if k.rank > d.rank {
				d.kind, d.color, d.dash, d.rank = k.kind, k.color, k.dash, k.rank
			}
		}
		d.title = append(d.title, title)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].atMs < out[j].atMs })
	return out
}

// layoutLabels packs decision labels into rows above the plot; it returns
// the number of rows used.
func layoutLabels(ds []*decisionPoint, ax timeAxis) int {
	var rowEnd []float64
	right := ax.left + ax.span
	for _, d := range ds {
		x := ax.x(d.atMs)
		w := 6.2*float64(len([]rune(d.label))) + 4
		d.anchor, d.labelX = "start", x+3
		start, end := x+3, x+3+w
		if end > right+chartRight-2 {
			d.anchor, d.labelX = "end", x-3
			start, end = x-3-w, x-3
		}
		row := -1
		for i, e := range rowEnd {
			if start >= e+6 {
				row = i
				break
			}
		}
		if row < 0 && len(rowEnd) < maxLabelRow {
			rowEnd = append(rowEnd, math.Inf(-1))
			row = len(rowEnd) - 1
		}
		if row < 0 {
			row = 0
			for i, e := range rowEnd {
				if e < rowEnd[row] {
					row = i
				}
			}
		}
		rowEnd[row] = math.Max(rowEnd[row], end)
		d.row = row
	}
	return len(rowEnd)
}

type measurement struct {
	atMs         int64
	lane, phase  string
	object, text string
}

// measurementsOf reads "metric → Phase …" details of "measured" records.
func measurementsOf(records []trace.Record) ([]measurement, []string) {
	var ms []measurement
	var lanes []string
	seen := map[string]bool{}
	for _, rec := range records {
		if rec.Verb != "measured" {
			continue
		}
		metric, rest, ok := strings.Cut(rec.Detail, "→")
		phase := "Unknown"
		if ok {
			rest = strings.TrimSpace(rest)
			end := strings.IndexFunc(rest, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') })
			if end < 0 {
				end = len(rest)
			}
			if _, known := measurementColors[rest[:end]]; known {
				phase = rest[:end]
			}
		}
		run := strings.TrimPrefix(rec.Object, "analysisrun/")
		lane := run
		if m := strings.TrimSpace(metric); ok && m != "" {
			lane = run + " · " + m
		}
		if !seen[lane] {
			seen[lane] = true
			lanes = append(lanes, lane)
		}
		ms = append(ms, measurement{atMs: rec.AtMs, lane: lane, phase: phase, object: rec.Object, text: rec.Detail})
	}
	return ms, lanes
}

func chartsOf(r Scenario, slug string) ([]htmlChart, bool) {
	end := r.VirtualMs
	for _, s := range r.Samples {
		end = max(end, s.AtMs)
	}
	for _, rec := range r.Timeline {
		end = max(end, rec.AtMs)
	}
	if end < 1000 {
		end = 1000
	}
	ax := timeAxis{endMs: end, left: chartLeft, span: chartW - chartLeft - chartRight}
	decisions := decisionsOf(r.Timeline)
	rows := layoutLabels(decisions, ax)
	measurements, lanes := measurementsOf(r.Timeline)

	// Samples by rollout, in time order.
	byRollout := map[string][]Sample{}
	for _, s := range r.Samples {
		byRollout[s.Rollout] = append(byRollout[s.Rollout], s)
	}
	names := slices.Sorted(maps.Keys(byRollout))
	for _, n := range names {
		sort.SliceStable(byRollout[n], func(i, j int) bool { return byRollout[n][i].AtMs < byRollout[n][j].AtMs })
	}
	multi := len(names) > 1
	seriesName := func(rollout, what string) string {
		if multi {
			return rollout + " " + what
		}
		return what
	}

	var charts []htmlChart
	if len(names) > 0 {
		weight := newChart("chart-weight-"+slug, "weight", "Canary weight (%)", chartPlotH, ax, decisions, rows, len(charts) == 0)
		weight.yAxis(100, 25, func(v float64) string { return f1(v) + "%" })
		for i, n := range names {
			weight.addStep(byRollout[n], func(s Sample) (float64, bool) { return float64(s.Weight), true }, 100,
				"weight", "#7c3aed", rolloutDashes[i%len(rolloutDashes)], seriesName(n, "canary weight"))
		}
		charts = append(charts, weight.finish())

		maxPods := 1.0
		for _, s := range r.Samples {
			maxPods = math.Max(maxPods, float64(max(s.StablePods, s.CanaryPods, s.OldPods)))
		}
		step := math.Max(1, niceCeil(maxPods/5))
		top := math.Ceil(maxPods/step) * step
		pods := newChart("chart-pods-"+slug, "pods", "Available pods by role", chartPlotH, ax, decisions, rows, len(charts) == 0)
		pods.yAxis(top, step, func(v float64) string { return f1(v) })
		for i, n := range names {
			for _, rc := range roleColors {
				role := rc.role
				pods.addStep(byRollout[n], func(s Sample) (float64, bool) {
					switch role {
					case "stable":
						return float64(s.StablePods), true
					case "canary":
						return float64(s.CanaryPods), true
					}
					return float64(s.OldPods), true
				}, top, "pods-"+role, rc.color, rolloutDashes[i%len(rolloutDashes)], seriesName(n, role))
			}
		}
		charts = append(charts, pods.finish())

		maxRate, hasRate := 0.0, false
		for _, s := range r.Samples {
			if s.ErrorRate != nil && !math.IsNaN(*s.ErrorRate) && !math.IsInf(*s.ErrorRate, 0) {
				hasRate = true
				maxRate = math.Max(maxRate, *s.ErrorRate)
			}
		}
		if hasRate {
			top := niceCeil(math.Max(maxRate, 0.01))
			errs := newChart("chart-errors-"+slug, "errors", "Error rate (%)", chartPlotH, ax, decisions, rows, len(charts) == 0)
			errs.yAxis(top, top/4, func(v float64) string { return f1(v*100) + "%" })
			for i, n := range names {
				errs.addStep(byRollout[n], func(s Sample) (float64, bool) {
					if s.ErrorRate == nil || math.IsNaN(*s.ErrorRate) || math.IsInf(*s.ErrorRate, 0) {
						return 0, false
					}
					return *s.ErrorRate, true
				}, top, "errors", "#dc2626", rolloutDashes[i%len(rolloutDashes)], seriesName(n, "error rate"))
			}
			charts = append(charts, errs.finish())
		}
	}

	if len(measurements) > 0 || len(decisions) > 0 {
		n := max(len(lanes), 1)
		an := newChart("chart-analysis-"+slug, "analysis", "Analysis measurements and decisions", n*laneH+6, ax, decisions, rows, len(charts) == 0)
		laneY := map[string]float64{}
		for i, l := range lanes {
			y := an.plotY + 6 + float64(i)*laneH + laneH*0.6
			laneY[l] = y
			an.c.Lanes = append(an.c.Lanes, htmlLane{X1: f1(ax.left), X2: f1(ax.left + ax.span), Y: f1(y), LX: f1(ax.left + 4), LY: f1(y - 8), Label: l})
		}
		if len(lanes) == 0 {
			an.c.Note = "no analysis measurements"
			an.c.NoteX, an.c.NoteY = f1(ax.left+ax.span/2), f1(an.plotY+an.plotH/2+4)
		}
		present := map[string]bool{}
		for _, m := range measurements {
			color, ok := measurementColors[m.phase]
			if !ok {
				color = "#6b7280"
			}
			present[m.phase] = true
			an.c.Markers = append(an.c.Markers, htmlMarker{
				Class: strings.ToLower(m.phase), Color: color, CX: f1(ax.x(m.atMs)), CY: f1(laneY[m.lane]),
				Title: tplus(m.atMs) + " " + m.object + ": " + m.text,
			})
		}
		for _, p := range []string{"Successful", "Failed", "Error", "Inconclusive", "Unknown"} {
			if present[p] {
				color, ok := measurementColors[p]
				if !ok {
					color = "#6b7280"
				}
				an.legend(p, color, "none", true)
			}
		}
		charts = append(charts, an.finish())
	}
	if ec, ok := experimentChart(r, slug, ax, decisions, rows, len(charts) == 0); ok {
		charts = append(charts, ec)
	}
	// A run without samples gets a note; one that never ran does not.
	return charts, len(r.Samples) == 0 && len(r.Timeline) > 0
}

// niceCeil is the smallest 1, 2, 2.5 or 5 × 10^k not below v (v > 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

type chartBuilder struct {
	c            htmlChart
	ax           timeAxis
	plotY, plotH float64
	legendX      float64
}

func newChart(id, kind, title string, plotH int, ax timeAxis, ds []*decisionPoint, rows int, labels bool) *chartBuilder {
	band := 6
	if labels && rows > 0 {
		band = rows*labelRowH + 8
	}
	b := &chartBuilder{ax: ax, plotY: float64(band), plotH: float64(plotH), legendX: ax.left}
	b.c = htmlChart{
		ID: id, Kind: kind, Title: title, Width: chartW, Height: band + plotH + chartBottom,
		PlotX: f1(ax.left), PlotY: f1(b.plotY), PlotW: f1(ax.span), PlotH: f1(b.plotH),
	}
	bottom := b.plotY + b.plotH
	step := ax.tickStep()
	for t := int64(0); t <= ax.endMs; t += step {
		x := f1(ax.x(t))
		b.c.XTicks = append(b.c.XTicks, htmlTick{X: x, Y: f1(b.plotY), X2: x, Y2: f1(bottom), T: f1(bottom + 4), LX: x, LY: f1(bottom + 16), Label: tplus(t)})
	}
	for _, d := range ds {
		hd := htmlDecision{
			Class: d.kind, Color: d.color, Dash: d.dash, X: f1(ax.x(d.atMs)),
			Y1: f1(b.plotY), Y2: f1(bottom), Title: strings.Join(d.title, "\n"),
		}
		if labels {
			ly := 4 + float64(d.row)*labelRowH + 10
			hd.Label, hd.LX, hd.LY, hd.Anchor = d.label, f1(d.labelX), f1(ly), d.anchor
			hd.Y1 = f1(ly + 3)
		}
		b.c.Decisions = append(b.c.Decisions, hd)
	}
	return b
}

func (b *chartBuilder) y(v, top float64) float64 {
	if top <= 0 {
		top = 1
	}
	v = math.Max(0, math.Min(v, top))
	// Padding keeps series at the top or at 0 off the plot border.
	const padTop, padBottom = 6, 2
	return b.plotY + b.plotH - padBottom - (b.plotH-padTop-padBottom)*v/top
}

func (b *chartBuilder) yAxis(top, step float64, label func(float64) string) {
	if step <= 0 {
		step = top
	}
	for i := 0; ; i++ {
		v := float64(i) * step
		if v > top*(1+1e-9) {
			break
		}
		y := f1(b.y(v, top))
		b.c.YTicks = append(b.c.YTicks, htmlTick{X: f1(b.ax.left), Y: y, X2: f1(b.ax.left + b.ax.span), Y2: y, LX: f1(b.ax.left - 6), LY: y, Label: label(v)})
	}
}

// addStep adds a step-function series: each sample's value holds until the
// next sample, the last until the end of the axis. The path is
// "M x0 y0 (H x V y)* H end", with a pair only where the value changes.
func (b *chartBuilder) addStep(samples []Sample, value func(Sample) (float64, bool), top float64, class, color, dash, name string) {
	var p strings.Builder
	started := false
	var lastY string
	for _, s := range samples {
		v, ok := value(s)
		if !ok {
			continue
		}
		x, y := f1(b.ax.x(s.AtMs)), f1(b.y(v, top))
		switch {
		case !started:
			fmt.Fprintf(&p, "M%s %s", x, y)
			started = true
		case y != lastY:
			fmt.Fprintf(&p, " H%s V%s", x, y)
		}
		lastY = y
	}
	if !started {
		return
	}
	fmt.Fprintf(&p, " H%s", f1(b.ax.x(b.ax.endMs)))
	b.c.Series = append(b.c.Series, htmlSeries{Class: class, Color: color, Dash: dash, Path: p.String(), Title: name})
	b.legend(name, color, dash, false)
}

func (b *chartBuilder) legend(label, color, dash string, marker bool) {
	y := b.plotY + b.plotH + 34
	x := b.legendX
	l := htmlLegend{Label: label, Color: color, Dash: dash, Marker: marker, Y: f1(y - 4), TY: f1(y)}
	if marker {
		l.CX, l.TX = f1(x+5), f1(x+14)
		b.legendX = x + 14 + 6.2*float64(len([]rune(label))) + 16
	} else {
		l.X1, l.X2, l.TX = f1(x), f1(x+22), f1(x+27)
		b.legendX = x + 27 + 6.2*float64(len([]rune(label))) + 16
	}
	b.c.Legend = append(b.c.Legend, l)
}

func (b *chartBuilder) finish() htmlChart { return b.c }

var htmlTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>rollsim report: {{.Passed}}/{{.Total}} passed</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; margin: 0; background: #f8fafc; }
main { max-width: 1120px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; color: #374151; }
.summary { margin: 0 0 12px; color: #4b5563; }
.toc { margin: 0 0 16px; padding-left: 0; list-style: none; }
.toc a { color: #1d4ed8; text-decoration: none; }
.scenario { background: #fff; border: 1px solid #e5e7eb; border-left: 6px solid #16a34a; border-radius: 6px; padding: 14px 18px; margin: 18px 0; }
.scenario.fail { border-left-color: #dc2626; }
.verdict { display: inline-block; font-size: 13px; font-weight: 700; padding: 2px 8px; border-radius: 4px; color: #fff; background: #16a34a; margin-right: 8px; vertical-align: 2px; }
.fail .verdict { background: #dc2626; }
.meta { color: #6b7280; margin: 0; font-size: 13px; }
.meta code { font-size: 12px; }
.error { background: #fef2f2; border: 1px solid #fecaca; padding: 8px 10px; border-radius: 4px; white-space: pre-wrap; }
ul.expectations { list-style: none; padding-left: 0; margin: 0; }
ul.expectations li { padding: 3px 0; overflow-wrap: anywhere; }
.ok { color: #15803d; font-weight: 700; }
.bad { color: #b91c1c; font-weight: 700; }
.expectation-message { color: #6b7280; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { border: 1px solid #e5e7eb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td { overflow-wrap: break-word; }
td.wrap { overflow-wrap: anywhere; }
td.nowrap { white-space: nowrap; }
table.timeline { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
table.timeline tr.decision-row td { background: #fffbeb; }
table.timeline tr.verb-aborted td, table.timeline tr.verb-failed td, table.timeline tr.verb-error td { color: #b91c1c; }
table.timeline tr.verb-promoted td { color: #15803d; }
figure { margin: 10px 0 4px; }
figcaption { font-size: 13px; font-weight: 600; color: #374151; margin-bottom: 2px; }
svg.chart { width: 100%; height: auto; display: block; font-family: system-ui, sans-serif; }
svg.chart .plot { fill: #fcfcfd; stroke: #d1d5db; }
svg.chart .grid { stroke: #eef0f3; }
svg.chart .tick { stroke: #9ca3af; }
svg.chart text { font-size: 10px; fill: #4b5563; }
svg.chart text.decision-label { font-weight: 600; }
svg.chart text.lane-label { fill: #374151; }
svg.chart .lane { stroke: #e5e7eb; }
svg.chart .series { fill: none; stroke-width: 2.2; }
svg.chart .series-experiment-template { stroke-width: 8; stroke-linecap: butt; opacity: 0.6; }
svg.chart .measurement { stroke: #fff; stroke-width: 1.5; }
svg.chart text.note { font-size: 12px; fill: #9ca3af; }
.no-samples { color: #6b7280; font-size: 13px; font-style: italic; }
</style>
</head>
<body>
<main>
<h1>rollsim report</h1>
<p class="summary">{{.Total}} scenario(s): {{.Passed}} passed, {{.Failed}} failed. Times are virtual, from T+0.</p>
{{- if .Scenarios}}
<ul class="toc">
{{- range .Scenarios}}
<li>{{if .Passed}}<span class="ok">✔</span>{{else}}<span class="bad">✖</span>{{end}} <a href="#scenario-{{.Slug}}">{{.Name}}</a></li>
{{- end}}
</ul>
{{- else}}
<p class="summary">No scenarios were run.</p>
{{- end}}
{{- range .Scenarios}}
<section class="scenario {{if .Passed}}pass{{else}}fail{{end}}" id="scenario-{{.Slug}}">
<h2><span class="verdict">{{if .Passed}}PASS{{else}}FAIL{{end}}</span>{{.Name}}</h2>
<p class="meta"><code>{{.File}}</code> · virtual {{.VirtualTime}} · seed {{.Seed}}</p>
{{- if .Error}}
<h3>Error</h3>
<p class="error">{{.ErrorKind}}: {{.Error}}</p>
{{- end}}
{{- if .Expectations}}
<h3>Expectations ({{.ExpectationsPassed}}/{{len .Expectations}} held)</h3>
<ul class="expectations" id="expectations-{{.Slug}}">
{{- range .Expectations}}
<li class="{{if .Passed}}expectation-passed{{else}}expectation-failed{{end}}">{{if .Passed}}<span class="ok">✔</span>{{else}}<span class="bad">✖</span>{{end}} {{.Description}}{{if .Message}} <span class="expectation-message">— {{.Message}}</span>{{end}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .HasOutcomes}}
<h3>Outcomes</h3>
<table class="outcomes" id="outcomes-{{.Slug}}">
<thead><tr><th>Rollout</th><th>Time to promote</th><th>Failure onset</th><th>Time to detect</th><th>Time to abort</th><th>Time to roll back</th><th>Peak canary weight</th></tr></thead>
<tbody>
{{- range .Outcomes}}
<tr><td>{{.Rollout}}</td><td>{{.Promotion}}</td><td>{{.Onset}}</td><td>{{.Detect}}</td><td>{{.Abort}}</td><td>{{.Rollbk}}</td><td>{{.PeakWeight}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if .Exposure}}
<h3>Exposure</h3>
<table class="exposure">
<thead><tr><th>Rollout</th><th>Version</th><th>Cohort</th><th>Requests</th><th>Failed</th><th>Failed %</th></tr></thead>
<tbody>
{{- range .Exposure}}
<tr><td>{{.Rollout}}</td><td>{{.Version}}</td><td>{{.Cohort}}</td><td>{{.Requests}}</td><td>{{.Failed}}</td><td>{{.Rate}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- end}}
{{- if or .Charts .NoSamples}}
<h3>Over virtual time</h3>
{{- if .NoSamples}}
<p class="no-samples">No state samples were recorded: the weight and pod charts are not available.</p>
{{- end}}
{{- range .Charts}}
<figure>
<figcaption>{{.Title}}</figcaption>
<svg id="{{.ID}}" class="chart chart-{{.Kind}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
<rect class="plot" x="{{.PlotX}}" y="{{.PlotY}}" width="{{.PlotW}}" height="{{.PlotH}}"/>
{{- range .YTicks}}
<line class="grid" x1="{{.X}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y2}}"/><text x="{{.LX}}" y="{{.LY}}" text-anchor="end" dominant-baseline="middle">{{.Label}}</text>
{{- end}}
{{- range .XTicks}}
<line class="tick" x1="{{.X}}" y1="{{.Y2}}" x2="{{.X}}" y2="{{.T}}"/><line class="grid" x1="{{.X}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y2}}"/><text x="{{.LX}}" y="{{.LY}}" text-anchor="middle">{{.Label}}</text>
{{- end}}
{{- range .Lanes}}
<line class="lane" x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}"/><text class="lane-label" x="{{.LX}}" y="{{.LY}}">{{.Label}}</text>
{{- end}}
{{- range .Series}}
<path class="series series-{{.Class}}" d="{{.Path}}" stroke="{{.Color}}" stroke-dasharray="{{.Dash}}"><title>{{.Title}}</title></path>
{{- end}}
{{- range .Decisions}}
<g class="decision decision-{{.Class}}"><title>{{.Title}}</title><line x1="{{.X}}" y1="{{.Y1}}" x2="{{.X}}" y2="{{.Y2}}" stroke="{{.Color}}" stroke-width="1.5" stroke-dasharray="{{.Dash}}"/>{{if .Label}}<text class="decision-label" x="{{.LX}}" y="{{.LY}}" text-anchor="{{.Anchor}}" fill="{{.Color}}">{{.Label}}</text>{{end}}</g>
{{- end}}
{{- range .Markers}}
<circle class="measurement measurement-{{.Class}}" cx="{{.CX}}" cy="{{.CY}}" r="6" fill="{{.Color}}"><title>{{.Title}}</title></circle>
{{- end}}
{{- if .Note}}
<text class="note" x="{{.NoteX}}" y="{{.NoteY}}" text-anchor="middle">{{.Note}}</text>
{{- end}}
{{- range .Legend}}
{{- if .Marker}}
<circle cx="{{.CX}}" cy="{{.Y}}" r="5" fill="{{.Color}}"/><text x="{{.TX}}" y="{{.TY}}">{{.Label}}</text>
{{- else}}
<line x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}" stroke="{{.Color}}" stroke-width="2.2" stroke-dasharray="{{.Dash}}"/><text x="{{.TX}}" y="{{.TY}}">{{.Label}}</text>
{{- end}}
{{- end}}
</svg>
</figure>
{{- end}}
{{- end}}
{{- if .HasState}}
<h3>Final state</h3>
{{- if .Rollouts}}
<table class="rollouts">
<thead><tr><th>Rollout</th><th>Phase</th><th>Step</th><th>setWeight</th><th>actualWeight</th><th>Traffic</th><th>Message</th></tr></thead>
<tbody>
{{- range .Rollouts}}
<tr><td class="nowrap">{{.Name}}</td><td class="nowrap">{{.Phase}}</td><td>{{.Step}}</td><td>{{.SetWeight}}</td><td>{{.ActualWeight}}</td><td>{{.Traffic}}</td><td class="wrap">{{.Message}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .ReplicaSets}}
<table class="replicasets">
<thead><tr><th>ReplicaSet</th><th>Role</th><th>Revision</th><th>Images</th><th>Spec</th><th>Available</th></tr></thead>
<tbody>
{{- range .ReplicaSets}}
<tr><td class="nowrap">{{.Name}}</td><td>{{.Role}}</td><td>{{.Revision}}</td><td class="wrap">{{.Images}}</td><td>{{.Spec}}</td><td>{{.Available}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .AnalysisRuns}}
<table class="analysisruns">
<thead><tr><th>AnalysisRun</th><th>Phase</th><th>Metrics (✔ successful ✖ failed ? inconclusive ⚠ error)</th><th>Message</th></tr></thead>
<tbody>
{{- range .AnalysisRuns}}
<tr><td class="nowrap">{{.Name}}</td><td class="nowrap">{{.Phase}}</td><td>{{.Metrics}}</td><td class="wrap">{{.Message}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- end}}
<h3>Timeline ({{len .Timeline}} records)</h3>
{{- if .Timeline}}
<table class="timeline" id="timeline-{{.Slug}}">
<thead><tr><th>Time</th><th>Actor</th><th>Object</th><th>Verb</th><th>Reason</th><th>Detail</th></tr></thead>
<tbody>
{{- range .Timeline}}
<tr class="verb-{{.Verb}}{{if .Decision}} decision-row{{end}}"><td class="nowrap">{{.At}}</td><td class="nowrap">{{.Actor}}</td><td class="wrap">{{.Object}}</td><td class="nowrap">{{.Verb}}</td><td class="nowrap">{{.Reason}}</td><td class="wrap">{{.Detail}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="no-samples">No timeline records.</p>
{{- end}}
</section>
{{- end}}
</main>
</body>
</html>
`))
