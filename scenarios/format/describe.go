package format

import (
	"fmt"
	"strings"
)

// Describe renders an expectation for reports.
func (e Expectation) Describe() string {
	if e.Description != "" {
		return e.Description
	}
	var parts []string
	switch {
	case e.Outcome != nil:
		parts = describeOutcome(e.Outcome)
	case e.Never != nil:
		parts = append(parts, "never "+selectorString(*e.Never))
	case e.Within != nil:
		parts = append(parts, fmt.Sprintf("%s within %s of %s", selectorString(EventSelector{Event: e.Event, Object: e.Object}), e.Within.Duration.Duration, e.Within.Of))
	default:
		parts = e.describeState()
	}
	return strings.Join(parts, ", ")
}

func describeOutcome(o *OutcomeExpect) []string {
	parts := []string{"outcome of " + nonEmpty(o.Rollout, "the rollout")}
	for _, b := range []struct {
		n string
		b *Bound
	}{{"timeToPromotion", o.TimeToPromotion}, {"timeToDetect", o.TimeToDetect}, {"timeToAbort", o.TimeToAbort}, {"timeToRollback", o.TimeToRollback}} {
		if b.b != nil {
			parts = append(parts, b.n+" "+b.b.String())
		}
	}
	if o.MaxPeakCanaryWeight != nil {
		parts = append(parts, fmt.Sprintf("peak canary weight ≤ %d", *o.MaxPeakCanaryWeight))
	}
	if x := o.Exposure; x != nil {
		parts = append(parts, describeExposure(x))
	}
	return parts
}

func describeExposure(x *ExposureExpect) string {
	d := "exposure of " + x.Version
	if x.Cohort != "" {
		d += " (cohort " + x.Cohort + ")"
	}
	if x.MaxRequests != nil {
		d += fmt.Sprintf(" ≤ %v requests", *x.MaxRequests)
	}
	if x.MinRequests != nil {
		d += fmt.Sprintf(" ≥ %v requests", *x.MinRequests)
	}
	if x.MaxFailedRequests != nil {
		d += fmt.Sprintf(" ≤ %v failed", *x.MaxFailedRequests)
	}
	if x.MinShadowRequests != nil {
		d += fmt.Sprintf(" ≥ %v shadow requests", *x.MinShadowRequests)
	}
	if x.MaxShadowRequests != nil {
		d += fmt.Sprintf(" ≤ %v shadow requests", *x.MaxShadowRequests)
	}
	return d
}

func (e Expectation) describeState() []string {
	at := e.At
	if at == "" {
		at = "end"
	}
	parts := []string{"at " + at + ": rollout " + e.Rollout}
	if e.Phase != "" {
		parts = append(parts, "phase "+e.Phase)
	}
	if e.Message != "" {
		parts = append(parts, fmt.Sprintf("message contains %q", e.Message))
	}
	if e.StableImage != "" {
		parts = append(parts, "stable image "+e.StableImage)
	}
	if e.StepIndex != nil {
		parts = append(parts, fmt.Sprintf("step index %d", *e.StepIndex))
	}
	if e.SetWeight != nil {
		parts = append(parts, fmt.Sprintf("setWeight %d", *e.SetWeight))
	}
	if e.ActualWeight != nil {
		parts = append(parts, fmt.Sprintf("actualWeight %d", *e.ActualWeight))
	}
	if e.Replicas != nil {
		parts = append(parts, "replicas "+e.Replicas.String())
	}
	if e.Available != nil {
		parts = append(parts, "available "+e.Available.String())
	}
	return parts
}

func (r RoleCounts) String() string {
	var p []string
	if r.Stable != nil {
		p = append(p, fmt.Sprintf("stable %d", *r.Stable))
	}
	if r.Canary != nil {
		p = append(p, fmt.Sprintf("canary %d", *r.Canary))
	}
	if r.Old != nil {
		p = append(p, fmt.Sprintf("old %d", *r.Old))
	}
	return "{" + strings.Join(p, ", ") + "}"
}

func selectorString(s EventSelector) string {
	out := "event " + s.Event
	if s.Object != "" {
		out += " on " + s.Object
	}
	if s.Verb != "" {
		out += " (" + s.Verb + ")"
	}
	return out
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// String renders a bound.
func (b Bound) String() string {
	if b.Never {
		return "never"
	}
	var p []string
	if b.Min != nil {
		p = append(p, "≥ "+b.Min.Duration.String())
	}
	if b.Max != nil {
		p = append(p, "≤ "+b.Max.Duration.String())
	}
	return strings.Join(p, " and ")
}
