package trace

import (
	"fmt"
	"strings"
	"time"
)

// Verbs is the closed list of verbs a timeline record may carry.
// docs/output.md documents each.
var Verbs = []string{
	"action",    // a scenario action was applied (setImage, promote, abort, …)
	"spec",      // a user-visible spec change (image, paused, replicas)
	"created",   // an object was created by a controller
	"deleted",   // an object was deleted by a controller
	"scaled",    // a ReplicaSet's spec.replicas changed
	"ready",     // a pod became ready
	"failed",    // a pod, job or run failed
	"succeeded", // a pod or job succeeded
	"started",   // a job pod started running
	"weight",    // the router's canary weight changed
	"selector",  // a Service selector was switched
	"step",      // a canary step completed / step index changed
	"paused",    // a pause condition was added
	"resumed",   // a pause condition was cleared
	"aborted",   // the rollout was aborted
	"promoted",  // a new stable ReplicaSet was declared
	"phase",     // a rollout or analysis run phase changed
	"measured",  // a metric measurement completed
	"condition", // a status condition changed (e.g. InvalidSpec)
	"event",     // any other Kubernetes event the controller emitted
	"error",     // a controller error (the run goes on, as in Argo)
	"expect",    // an expectation was evaluated (only failures are recorded)
}

var verbSet = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range Verbs {
		m[v] = true
	}
	return m
}()

// ValidVerb reports whether v is in the closed verb list.
func ValidVerb(v string) bool { return verbSet[v] }

// Record is one line of the timeline.
type Record struct {
	AtMs   int64  `json:"atMs"`
	Actor  string `json:"actor"`
	Object string `json:"object"`
	Verb   string `json:"verb"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Text renders a record in the golden text form. Times print as whole
// seconds (truncated) offset from T+0.
func (r Record) Text() string {
	s := r.AtMs / 1000
	sign := "+"
	if s < 0 {
		sign = "-"
		s = -s
	}
	at := fmt.Sprintf("T%s%02dm%02ds", sign, s/60, s%60)
	line := fmt.Sprintf("%-9s %-20s %-46s %-9s", at, r.Actor, r.Object, r.Verb)
	if r.Reason != "" {
		line += " " + r.Reason
	}
	if r.Detail != "" {
		if r.Reason != "" {
			line += ":"
		}
		line += " " + r.Detail
	}
	return strings.TrimRight(line, " ")
}

// Recorder collects records in virtual time. Records before the origin
// (T+0) are kept apart: they describe the scenario's set-up.
type Recorder struct {
	now     func() time.Time
	origin  time.Time
	started bool
	records []Record
	setup   int
}

// NewRecorder returns a recorder reading time from now.
func NewRecorder(now func() time.Time) *Recorder { return &Recorder{now: now} }

// Start sets T+0 to the current virtual time; records before it are dropped.
func (r *Recorder) Start() {
	r.origin = r.now()
	r.started = true
	r.setup = len(r.records)
	r.records = nil
}

// Started reports whether T+0 has been set.
func (r *Recorder) Started() bool { return r.started }

// Origin is T+0.
func (r *Recorder) Origin() time.Time { return r.origin }

// Add appends one record at the current virtual time.
func (r *Recorder) Add(actor, object, verb, reason, detail string) {
	if !verbSet[verb] {
		reason, detail = "UnknownVerb", verb+": "+detail
		verb = "event"
	}
	r.records = append(r.records, Record{
		AtMs:   r.now().Sub(r.origin).Milliseconds(),
		Actor:  actor,
		Object: object,
		Verb:   verb,
		Reason: reason,
		Detail: detail,
	})
}

// Records returns the timeline since T+0 in order of occurrence.
func (r *Recorder) Records() []Record {
	if !r.started {
		return nil
	}
	out := make([]Record, len(r.records))
	copy(out, r.records)
	return out
}

// SetupRecords is the number of records dropped at Start (set-up noise).
func (r *Recorder) SetupRecords() int { return r.setup }

// Text renders records, one per line.
func Text(records []Record) string {
	var b strings.Builder
	for _, r := range records {
		b.WriteString(r.Text())
		b.WriteByte('\n')
	}
	return b.String()
}
