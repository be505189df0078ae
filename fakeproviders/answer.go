package fakeproviders

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Answer answers one metric. It is keyed in the scenario (spec.metrics) by
// the metric name ("success-rate") or by template and metric
// ("success-rate-template/success-rate"); the template key wins. Exactly one
// of Script, PerVersion and Traffic is set.
type Answer struct {
	// Script gives the provider's answer over virtual time.
	Script *Script `json:"script,omitempty"`
	// PerVersion gives one script per version, keyed by the version name
	// (as the scenario names it) or by the role "canary" / "stable". The
	// version is the one the AnalysisRun measures: its
	// rollouts-pod-template-hash label, resolved by Factory.Versions. A
	// version name wins over a role.
	PerVersion map[string]Script `json:"perVersion,omitempty"`
	// Traffic derives the answer from the simulated traffic.
	Traffic *TrafficQuery `json:"traffic,omitempty"`
}

// Script is a provider's answer over virtual time. Exactly one of three
// forms is used:
//
//   - a constant: the Outcome fields inline, e.g. {value: 0.99};
//   - steps: piecewise constant, each step holding from its `at` (a Go
//     duration after T+0) until the next one; before the first step the first
//     step holds. Steps must be in strictly increasing `at`;
//   - a ramp: a linear numeric change.
//
// Noise, if set, is added to every finite number the script produces.
type Script struct {
	Outcome
	Steps []Step `json:"steps,omitempty"`
	Ramp  *Ramp  `json:"ramp,omitempty"`
	Noise *Noise `json:"noise,omitempty"`
	// Shape is the Prometheus result type: "vector" (default: an instant
	// vector with one sample per series, result[0]) or "scalar" (a bare
	// float64). Only Prometheus metrics may set it.
	Shape string `json:"shape,omitempty"`
	// Field wraps numbers in a JSON object {field: number} for the
	// JSON-shaped providers (web, newRelic, skyWalking, plugin). newRelic
	// needs it for numbers: an NRQL row is always an object.
	Field string `json:"field,omitempty"`
}

// Step is one piece of a piecewise constant Script.
type Step struct {
	// At is a Go duration after T+0 ("0s", "90s", "10m").
	At string `json:"at"`
	Outcome
}

// Outcome is what one query returns. Exactly one of Value, Values, Empty,
// JSON, Body, Error and Timeout is set; Status may accompany Value, Values,
// Empty, JSON or Body (or stand alone: an empty body with that status).
type Outcome struct {
	// Value is one number: a scalar, a one-series vector, a one-point
	// series, a Kayenta score. NaN and ±Inf are written "NaN", "+Inf",
	// "-Inf".
	Value *Number `json:"value,omitempty"`
	// Values are several numbers: one per series (Prometheus vector,
	// Wavefront, CloudWatch queries), or the points of one series
	// (Graphite, InfluxDB records).
	Values []Number `json:"values,omitempty"`
	// Empty is "no data": an empty Prometheus vector, Datadog's nil, no
	// NRQL rows, no Wavefront series, no Graphite points, no InfluxDB
	// records, a null SkyWalking result, an empty web body.
	Empty bool `json:"empty,omitempty"`
	// JSON is a JSON value returned by web (as the body), newRelic (an
	// object is one row, an array of objects several rows), skyWalking
	// (the GraphQL data), influxDB (an array is the record values) and
	// plugin metrics.
	JSON any `json:"json,omitempty"`
	// Body is a raw web response body (or a Datadog error body), sent as is.
	Body *string `json:"body,omitempty"`
	// Status is the HTTP status of a web or Datadog answer (default 200).
	Status int `json:"status,omitempty"`
	// Error fails the query with this message (a transport or provider
	// error): the measurement is Error with this message.
	Error string `json:"error,omitempty"`
	// Timeout fails the query as the real provider's client times out.
	Timeout bool `json:"timeout,omitempty"`
}

// Ramp changes a number linearly from From to To, starting at Start (a Go
// duration after T+0, default "0s") and lasting Over (a Go duration; "0s"
// is a jump). Before Start the value is From, after Start+Over it is To.
type Ramp struct {
	From  Number `json:"from"`
	To    Number `json:"to"`
	Start string `json:"start,omitempty"`
	Over  string `json:"over"`
}

// Noise adds Gaussian noise (mean 0, standard deviation Stddev) drawn from
// the scenario's random source to every finite number of a Script, then
// clamps the result to [Min, Max] where set. NaN and ±Inf stay as they are
// and draw nothing.
type Noise struct {
	Stddev float64  `json:"stddev"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
}

// Traffic measures.
const (
	MeasureSuccessRate  = "successRate"
	MeasureErrorRate    = "errorRate"
	MeasureErrorCount   = "errorCount"
	MeasureRequestCount = "requestCount"
	MeasureLatencyP50   = "latencyP50"
	MeasureLatencyP95   = "latencyP95"
	MeasureLatencyP99   = "latencyP99"
)

var measures = []string{MeasureSuccessRate, MeasureErrorRate, MeasureErrorCount, MeasureRequestCount,
	MeasureLatencyP50, MeasureLatencyP95, MeasureLatencyP99}

// TrafficQuery derives a metric's value from the traffic model: Measure over
// the Window that ends at the measurement, for Scope.
type TrafficQuery struct {
	// Measure is successRate, errorRate, errorCount, requestCount,
	// latencyP50, latencyP95 or latencyP99.
	Measure string `json:"measure"`
	// Scope is "service" (all requests), "canary", "stable" or a version
	// name; default "canary". It is passed to Traffic.Query as written.
	Scope string `json:"scope,omitempty"`
	// Window is a Go duration, default "5m".
	Window string `json:"window,omitempty"`
	// Shape and Field are as in Script.
	Shape string `json:"shape,omitempty"`
	Field string `json:"field,omitempty"`
}

// DefaultTrafficWindow is TrafficQuery.Window when omitted.
const DefaultTrafficWindow = 5 * time.Minute

// Number is a float64 that YAML/JSON may also write as "NaN", "+Inf",
// "Inf" or "-Inf" (case-insensitive).
type Number float64

// Ptr returns a pointer to n (handy in Go-built answers).
func (n Number) Ptr() *Number { return &n }

// UnmarshalJSON implements json.Unmarshaler.
func (n *Number) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*n = Number(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "nan":
			*n = Number(math.NaN())
			return nil
		case "inf", "+inf":
			*n = Number(math.Inf(1))
			return nil
		case "-inf":
			*n = Number(math.Inf(-1))
			return nil
		}
	}
	return fmt.Errorf("want a number or \"NaN\", \"+Inf\", \"-Inf\", got %s", b)
}

// MarshalJSON implements json.Marshaler (NaN and ±Inf as strings).
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return []byte(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

// Validate checks an answer on its own (durations, exactly one form, one
// outcome per step, known measure and shape). Provider-specific checks are
// made by ValidateFor.
func (a Answer) Validate() error {
	n := 0
	if a.Script != nil {
		n++
		if err := a.Script.Validate(); err != nil {
			return fmt.Errorf("script: %w", err)
		}
	}
	if a.PerVersion != nil {
		n++
		if len(a.PerVersion) == 0 {
			return errors.New("perVersion: no versions")
		}
		for _, k := range slices.Sorted(maps.Keys(a.PerVersion)) {
			if k == "" {
				return errors.New("perVersion: empty version name")
			}
			if err := a.PerVersion[k].Validate(); err != nil {
				return fmt.Errorf("perVersion.%s: %w", k, err)
			}
		}
	}
	if a.Traffic != nil {
		n++
		if err := a.Traffic.Validate(); err != nil {
			return fmt.Errorf("traffic: %w", err)
		}
	}
	if n != 1 {
		return fmt.Errorf("exactly one of script, perVersion and traffic must be set, got %d", n)
	}
	return nil
}

// ValidateFor checks that the answer fits a provider kind (as
// controller.ProviderType names it: "Prometheus", "Web", …).
func (a Answer) ValidateFor(kind string) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if kind == "Job" {
		return errors.New("job metrics run as Jobs (the scenario's job results), an answer would be ignored")
	}
	if _, ok := kinds[kind]; !ok {
		return fmt.Errorf("unknown provider kind %q", kind)
	}
	if a.Script != nil {
		if err := a.Script.validateFor(kind); err != nil {
			return fmt.Errorf("script: %w", err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.PerVersion)) {
		s := a.PerVersion[k]
		if err := s.validateFor(kind); err != nil {
			return fmt.Errorf("perVersion.%s: %w", k, err)
		}
	}
	if a.Traffic != nil {
		if err := checkShapeField(kind, a.Traffic.Shape, a.Traffic.Field, true); err != nil {
			return fmt.Errorf("traffic: %w", err)
		}
		if kind == "Kayenta" {
			return errors.New("traffic: kayenta scores are not traffic measures; use a script")
		}
	}
	return nil
}

// Validate checks a traffic query.
func (q TrafficQuery) Validate() error {
	if !contains(measures, q.Measure) {
		return fmt.Errorf("measure %q: want one of %s", q.Measure, strings.Join(measures, ", "))
	}
	if q.Window != "" {
		d, err := time.ParseDuration(q.Window)
		if err != nil {
			return fmt.Errorf("window: %w", err)
		}
		if d <= 0 {
			return fmt.Errorf("window %q: must be positive", q.Window)
		}
	}
	return validShape(q.Shape)
}

func (q TrafficQuery) scope() string {
	if q.Scope == "" {
		return "canary"
	}
	return q.Scope
}

func (q TrafficQuery) window() time.Duration {
	if q.Window == "" {
		return DefaultTrafficWindow
	}
	d, _ := time.ParseDuration(q.Window)
	return d
}

func validShape(s string) error {
	switch s {
	case "", "scalar", "vector":
		return nil
	}
	return fmt.Errorf("shape %q: want scalar or vector", s)
}

// Validate checks a script on its own.
func (s Script) Validate() error {
	forms := 0
	if !s.Outcome.isZero() {
		forms++
		if err := s.Outcome.validate(); err != nil {
			return err
		}
	}
	if s.Steps != nil {
		forms++
		if len(s.Steps) == 0 {
			return errors.New("steps: empty")
		}
		var prev time.Duration
		for i, st := range s.Steps {
			d, err := parseOffset(st.At)
			if err != nil {
				return fmt.Errorf("steps[%d].at: %w", i, err)
			}
			if i > 0 && d <= prev {
				return fmt.Errorf("steps[%d].at %q: steps must be in strictly increasing at", i, st.At)
			}
			prev = d
			if st.Outcome.isZero() {
				return fmt.Errorf("steps[%d]: no outcome (value, values, empty, json, body, status, error or timeout)", i)
			}
			if err := st.Outcome.validate(); err != nil {
				return fmt.Errorf("steps[%d]: %w", i, err)
			}
		}
	}
	if s.Ramp != nil {
		forms++
		if _, err := parseOffset(s.Ramp.Start); err != nil && s.Ramp.Start != "" {
			return fmt.Errorf("ramp.start: %w", err)
		}
		if s.Ramp.Over == "" {
			return errors.New("ramp.over: required (a Go duration)")
		}
		if _, err := parseOffset(s.Ramp.Over); err != nil {
			return fmt.Errorf("ramp.over: %w", err)
		}
		if !finite(float64(s.Ramp.From)) || !finite(float64(s.Ramp.To)) {
			return errors.New("ramp: from and to must be finite")
		}
	}
	if forms != 1 {
		return fmt.Errorf("exactly one of an inline outcome (value, values, …), steps and ramp must be set, got %d", forms)
	}
	if s.Noise != nil {
		if !(s.Noise.Stddev >= 0) || math.IsInf(s.Noise.Stddev, 0) {
			return fmt.Errorf("noise.stddev %v: must be a finite number ≥ 0", s.Noise.Stddev)
		}
		if s.Noise.Min != nil && s.Noise.Max != nil && *s.Noise.Min > *s.Noise.Max {
			return errors.New("noise: min > max")
		}
	}
	return validShape(s.Shape)
}

func (s Script) outcomes() []Outcome {
	var out []Outcome
	if !s.Outcome.isZero() {
		out = append(out, s.Outcome)
	}
	for _, st := range s.Steps {
		out = append(out, st.Outcome)
	}
	return out
}

// kindRules says which outcome fields a provider kind accepts.
type kindRules struct {
	values, json, body, status, field, empty bool
}

var kinds = map[string]kindRules{
	"Prometheus": {values: true, empty: true},
	"Web":        {values: true, json: true, body: true, status: true, field: true, empty: true},
	"Datadog":    {status: true, body: true, empty: true},
	"NewRelic":   {values: true, json: true, field: true, empty: true},
	"Wavefront":  {values: true, empty: true},
	"Kayenta":    {empty: true},
	"CloudWatch": {values: true, empty: true},
	"Graphite":   {values: true, empty: true},
	"Influxdb":   {values: true, json: true, empty: true},
	"SkyWalking": {values: true, json: true, field: true, empty: true},
	"RPCPlugin":  {values: true, json: true, field: true, empty: true},
}

func (s Script) validateFor(kind string) error {
	r := kinds[kind]
	numeric := s.Ramp != nil
	for _, o := range s.outcomes() {
		switch {
		case o.Values != nil && !r.values:
			return fmt.Errorf("values: not an answer a %s metric can give (use value)", kind)
		case o.JSON != nil && !r.json:
			return fmt.Errorf("json: not an answer a %s metric can give", kind)
		case o.Body != nil && !r.body:
			return fmt.Errorf("body: not an answer a %s metric can give", kind)
		case o.Status != 0 && !r.status:
			return fmt.Errorf("status: not an answer a %s metric can give", kind)
		case o.Empty && !r.empty:
			return fmt.Errorf("empty: not an answer a %s metric can give", kind)
		case o.Body != nil && kind == "Datadog" && (o.Status == 0 || o.Status == 200):
			return errors.New("body: a Datadog answer carries a body only with an error status")
		}
		if o.Value != nil || o.Values != nil {
			numeric = true
		}
		if kind == "Prometheus" && s.Shape == "scalar" && (o.Values != nil || o.Empty) {
			return errors.New("shape scalar: a Prometheus scalar is one number (value), not values or empty")
		}
	}
	return checkShapeField(kind, s.Shape, s.Field, numeric)
}

func checkShapeField(kind, shape, field string, numeric bool) error {
	if shape != "" && kind != "Prometheus" {
		return fmt.Errorf("shape: only Prometheus metrics have a result shape, not %s", kind)
	}
	if field != "" && !kinds[kind].field {
		return fmt.Errorf("field: only web, newRelic, skyWalking and plugin results are JSON objects, not %s", kind)
	}
	if kind == "NewRelic" && numeric && field == "" {
		return errors.New("newRelic numbers need field (the NRQL result column, e.g. field: successRate): a row is an object")
	}
	return nil
}

func (o Outcome) isZero() bool {
	return o.Value == nil && o.Values == nil && !o.Empty && o.JSON == nil && o.Body == nil && o.Status == 0 &&
		o.Error == "" && !o.Timeout
}

func (o Outcome) validate() error {
	var set []string
	if o.Value != nil {
		set = append(set, "value")
	}
	if o.Values != nil {
		set = append(set, "values")
		if len(o.Values) == 0 {
			return errors.New("values: empty (use empty: true for no data)")
		}
	}
	if o.Empty {
		set = append(set, "empty")
	}
	if o.JSON != nil {
		set = append(set, "json")
		if _, err := normalizeJSON(o.JSON); err != nil {
			return fmt.Errorf("json: %w", err)
		}
	}
	if o.Body != nil {
		set = append(set, "body")
	}
	if o.Error != "" {
		set = append(set, "error")
	}
	if o.Timeout {
		set = append(set, "timeout")
	}
	if len(set) > 1 {
		return fmt.Errorf("one outcome per step, got %s", strings.Join(set, " and "))
	}
	if o.Status != 0 {
		if o.Status < 100 || o.Status > 599 {
			return fmt.Errorf("status %d: not an HTTP status", o.Status)
		}
		if o.Error != "" || o.Timeout {
			return errors.New("status: a query that failed (error, timeout) has no HTTP status")
		}
	}
	return nil
}

// normalizeJSON turns a decoded YAML/JSON value into what encoding/json
// decodes (numbers float64, objects map[string]any, arrays []any), as a
// fresh copy, so conditions see exactly the real providers' types.
func normalizeJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func parseOffset(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("required (a Go duration such as 0s, 90s, 10m)")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	return d, nil
}

// sample is an outcome resolved at one instant, numbers with noise.
type sample struct {
	nums    []float64 // Value (single) or Values
	single  bool
	empty   bool
	json    any
	hasJSON bool
	body    *string
	status  int
	err     string
	timeout bool
}

func (s sample) numeric() bool { return s.nums != nil }

// source produces samples at instants.
type source interface {
	at(t time.Time) (sample, error)
	shape() string
	field() string
}

type scriptSource struct {
	s Script
	// t0 is T+0; zero while it is not known yet (the scenario's set-up),
	// when every instant is before T+0.
	t0    func() time.Time
	rand  *rand.Rand
	steps []time.Duration
}

func newScriptSource(s Script, t0 func() time.Time, r *rand.Rand) (*scriptSource, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Noise != nil && s.Noise.Stddev > 0 && r == nil {
		return nil, errors.New("noise: no random source (Factory.Rand)")
	}
	src := &scriptSource{s: s, t0: t0, rand: r}
	for _, st := range s.Steps {
		d, _ := parseOffset(st.At)
		src.steps = append(src.steps, d)
	}
	return src, nil
}

func (src *scriptSource) shape() string { return src.s.Shape }
func (src *scriptSource) field() string { return src.s.Field }

func (src *scriptSource) at(t time.Time) (sample, error) {
	off := sinceT0(t, src.t0())
	var smp sample
	switch {
	case src.s.Ramp != nil:
		smp = sample{nums: []float64{src.ramp(off)}, single: true}
	case src.s.Steps != nil:
		i := sort.Search(len(src.steps), func(i int) bool { return src.steps[i] > off }) - 1
		if i < 0 {
			i = 0
		}
		smp = outcomeSample(src.s.Steps[i].Outcome)
	default:
		smp = outcomeSample(src.s.Outcome)
	}
	if smp.hasJSON {
		v, err := normalizeJSON(smp.json)
		if err != nil {
			return sample{}, fmt.Errorf("json: %w", err)
		}
		smp.json = v
	}
	if n := src.s.Noise; n != nil {
		for i, v := range smp.nums {
			if !finite(v) {
				continue
			}
			if n.Stddev > 0 {
				v += n.Stddev * src.rand.NormFloat64()
			}
			if n.Min != nil && v < *n.Min {
				v = *n.Min
			}
			if n.Max != nil && v > *n.Max {
				v = *n.Max
			}
			smp.nums[i] = v
		}
	}
	return smp, nil
}

func (src *scriptSource) ramp(off time.Duration) float64 {
	r := src.s.Ramp
	start, _ := parseOffset(r.Start)
	if r.Start == "" {
		start = 0
	}
	over, _ := parseOffset(r.Over)
	from, to := float64(r.From), float64(r.To)
	switch {
	case off < start:
		return from
	case off >= start+over:
		return to
	}
	frac := float64(off-start) / float64(over)
	return from + (to-from)*frac
}

// sinceT0 is t's offset from T+0. Before T+0 is known (t0 zero: the
// set-up), every instant is before it: the offset is negative, so a script
// answers as before its first step (steps: the first step, ramp: from).
func sinceT0(t, t0 time.Time) time.Duration {
	if t0.IsZero() {
		return -time.Nanosecond
	}
	return t.Sub(t0)
}

func outcomeSample(o Outcome) sample {
	s := sample{empty: o.Empty, body: o.Body, status: o.Status, err: o.Error, timeout: o.Timeout}
	switch {
	case o.Value != nil:
		s.nums, s.single = []float64{float64(*o.Value)}, true
	case o.Values != nil:
		s.nums = make([]float64, len(o.Values))
		for i, v := range o.Values {
			s.nums[i] = float64(v)
		}
	case o.JSON != nil:
		s.json, s.hasJSON = o.JSON, true
	}
	return s
}

type trafficSource struct {
	q       TrafficQuery
	traffic Traffic
}

func (src trafficSource) shape() string { return src.q.Shape }
func (src trafficSource) field() string { return src.q.Field }

func (src trafficSource) at(t time.Time) (sample, error) {
	v, ok := src.traffic.Query(src.q.Measure, src.q.scope(), t.Add(-src.q.window()), t)
	if !ok {
		return sample{empty: true}, nil
	}
	return sample{nums: []float64{v}, single: true}, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
