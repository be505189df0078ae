package report

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rollsim/rollsim/sim/trace"
)

// The experiment chart: one lane per experiment template, a bar while the
// template's ReplicaSet is scaled up (its scale records), and a marker at
// each phase the experiment moves to.

var templateCreated = regexp.MustCompile(`^Created ReplicaSet (\S+) for template '([^']+)' of experiment (\S+)`)

var experimentFromTo = regexp.MustCompile(`^(\d+) → (\d+)`)

type templateLane struct {
	experiment, template string
	spans                [][2]int64 // [from, to) with replicas > 0; to -1 = until the end
}

// templateLanesOf reads the template ReplicaSets and their scale-ups and
// scale-downs from the timeline, in creation order.
func templateLanesOf(records []trace.Record) ([]*templateLane, map[string][]*templateLane) {
	var lanes []*templateLane
	byRS := map[string]*templateLane{}
	byExperiment := map[string][]*templateLane{}
	for _, rec := range records {
		if rec.Actor != "experiment-controller" {
			continue
		}
		switch rec.Verb {
		case "created":
			if m := templateCreated.FindStringSubmatch(rec.Detail); m != nil {
				l := &templateLane{experiment: m[3], template: m[2]}
				lanes = append(lanes, l)
				byRS[m[1]] = l
				byExperiment[m[3]] = append(byExperiment[m[3]], l)
			}
		case "scaled":
			l := byRS[strings.TrimPrefix(rec.Object, "replicaset/")]
			m := experimentFromTo.FindStringSubmatch(rec.Detail)
			if l == nil || m == nil {
				continue
			}
			up, open := m[2] != "0", len(l.spans) > 0 && l.spans[len(l.spans)-1][1] < 0
			switch {
			case up && !open:
				l.spans = append(l.spans, [2]int64{rec.AtMs, -1})
			case !up && open:
				l.spans[len(l.spans)-1][1] = rec.AtMs
			}
		}
	}
	return lanes, byExperiment
}

var experimentPhaseColors = map[string]string{
	"ExperimentSuccessful": "#16a34a", "ExperimentFailed": "#dc2626", "ExperimentError": "#7c3aed",
	"ExperimentInconclusive": "#d97706", "ExperimentRunning": "#2563eb", "ExperimentPending": "#9ca3af",
}

// experimentChart is the chart of the experiments in a timeline (ok=false:
// there are none).
func experimentChart(r Scenario, slug string, ax timeAxis, ds []*decisionPoint, rows int, labels bool) (htmlChart, bool) {
	lanes, byExperiment := templateLanesOf(r.Timeline)
	if len(lanes) == 0 {
		return htmlChart{}, false
	}
	c := newChart("chart-experiments-"+slug, "experiments", "Experiment templates (pods scaled up) and phases", len(lanes)*laneH+6, ax, ds, rows, labels)
	laneY := map[*templateLane]float64{}
	for i, l := range lanes {
		y := c.plotY + 6 + float64(i)*laneH + laneH*0.6
		laneY[l] = y
		c.c.Lanes = append(c.c.Lanes, htmlLane{X1: f1(ax.left), X2: f1(ax.left + ax.span), Y: f1(y), LX: f1(ax.left + 4), LY: f1(y - 8),
			Label: l.experiment + " · " + l.template})
		for _, sp := range l.spans {
			to := sp[1]
			if to < 0 {
				to = ax.endMs
			}
			c.c.Series = append(c.c.Series, htmlSeries{Class: "experiment-template", Color: "#ea580c", Dash: "none",
				Path:  fmt.Sprintf("M%s %s H%s", f1(ax.x(sp[0])), f1(y), f1(ax.x(to))),
				Title: fmt.Sprintf("%s template %s: pods from %s to %s", l.experiment, l.template, tplus(sp[0]), tplus(to))})
		}
	}
	present := map[string]bool{}
	for _, rec := range r.Timeline {
		if rec.Actor != "experiment-controller" || rec.Verb != "phase" {
			continue
		}
		ls := byExperiment[strings.TrimPrefix(rec.Object, "experiment/")]
		color, ok := experimentPhaseColors[rec.Reason]
		if len(ls) == 0 || !ok {
			continue
		}
		present[rec.Reason] = true
		c.c.Markers = append(c.c.Markers, htmlMarker{Class: strings.ToLower(strings.TrimPrefix(rec.Reason, "Experiment")), Color: color,
			CX: f1(ax.x(rec.AtMs)), CY: f1(laneY[ls[0]]), Title: tplus(rec.AtMs) + " " + rec.Object + ": " + rec.Detail})
	}
	c.legend("template pods", "#ea580c", "none", false)
	for _, p := range []string{"Pending", "Running", "Successful", "Failed", "Error", "Inconclusive"} {
		if present["Experiment"+p] {
			c.legend(p, experimentPhaseColors["Experiment"+p], "none", true)
		}
	}
	return c.finish(), true
}
