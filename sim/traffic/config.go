package traffic

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// DefaultRPS is the request rate when Config.RPS is 0.
const DefaultRPS = 10

// DefaultCohort names the requests no configured cohort claims.
const DefaultCohort = "default"

// Config is the traffic section of a scenario (spec.traffic). It is decoded
// strictly from YAML through JSON, so every field has a json tag.
type Config struct {
	// RPS is the constant request rate from T+0, in requests per second.
	// 0 (or omitted) means DefaultRPS; to start without traffic, add a
	// schedule point {at: 0s, rps: 0}.
	RPS float64 `json:"rps"`
	// Schedule makes the rate piecewise constant: from T+at on, the rate is
	// rps, until the next point. Points must be in strictly increasing at.
	Schedule []RPSPoint `json:"schedule,omitempty"`
	// Cohorts are groups of requests that carry headers; share is the
	// fraction of all requests in the cohort. What no cohort claims
	// (1 − Σ share) is the cohort "default", which carries no header.
	Cohorts []Cohort `json:"cohorts,omitempty"`
}

// RPSPoint is one step of Config.Schedule.
type RPSPoint struct {
	// At is a Go duration string, the offset from T+0 ("5m", "90s").
	At string `json:"at"`
	// RPS is the request rate from At on.
	RPS float64 `json:"rps"`
}

// Cohort is a group of requests that all carry the same headers.
type Cohort struct {
	Name string `json:"name"`
	// Header is what every request of the cohort carries, e.g.
	// {X-Canary: "true"}. Names are matched as nginx does: case-insensitive,
	// with '-' and '_' equivalent.
	Header map[string]string `json:"header,omitempty"`
	// Share is the fraction of all requests that belong to the cohort.
	Share float64 `json:"share"`
}

// VersionBehavior is how the pods of one version answer requests.
type VersionBehavior struct {
	// ErrorRate is the fraction of requests that fail (5xx), in [0, 1].
	ErrorRate float64 `json:"errorRate,omitempty"`
	// Latency gives the version's latency quantiles.
	Latency *Latency `json:"latency,omitempty"`
}

// Latency is a version's latency distribution by quantiles (Go duration
// strings). Any non-empty subset may be given; see LatencyQuantile for the
// distribution they describe.
type Latency struct {
	P50 string `json:"p50,omitempty"`
	P95 string `json:"p95,omitempty"`
	P99 string `json:"p99,omitempty"`
}

// rpsPiece is one constant-rate piece of the schedule, from its start until
// the next piece's start.
type rpsPiece struct {
	from time.Time
	rps  float64
}

type cohortSpec struct {
	name   string
	header map[string]string // normalised names (see headerKey)
	share  float64
}

// knot is one point (x, p) of a version's latency CDF.
type knot struct {
	x time.Duration
	p float64
}

type versionSpec struct {
	errorRate float64
	latency   []knot // nil: no latency configured
}

// headerKey normalises a header name the way nginx's $http_<name> variable
// does: lower case, '-' → '_'.
func headerKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "-", "_")
}

func validRate(x float64) bool { return x >= 0 && x <= 1 } // false for NaN

func validateConfig(cfg Config, t0 time.Time) ([]rpsPiece, []cohortSpec, error) {
	if !(cfg.RPS >= 0) || math.IsInf(cfg.RPS, 0) {
		return nil, nil, fmt.Errorf("traffic.rps: must be a finite number >= 0, got %v", cfg.RPS)
	}
	rps := cfg.RPS
	if rps == 0 {
		rps = DefaultRPS
	}
	pieces := []rpsPiece{{from: t0, rps: rps}}
	var prev time.Duration
	for i, p := range cfg.Schedule {
		at, err := time.ParseDuration(p.At)
		if err != nil {
			return nil, nil, fmt.Errorf("traffic.schedule[%d].at: expected a duration like \"5m\", got %q", i, p.At)
		}
		if at < 0 {
			return nil, nil, fmt.Errorf("traffic.schedule[%d].at: must not be negative, got %s", i, p.At)
		}
		if i > 0 && at <= prev {
			return nil, nil, fmt.Errorf("traffic.schedule[%d].at: must be after schedule[%d].at (%s), got %s", i, i-1, prev, at)
		}
		prev = at
		if !(p.RPS >= 0) || math.IsInf(p.RPS, 0) {
			return nil, nil, fmt.Errorf("traffic.schedule[%d].rps: must be a finite number >= 0, got %v", i, p.RPS)
		}
		if at == 0 {
			pieces[0].rps = p.RPS
			continue
		}
		pieces = append(pieces, rpsPiece{from: t0.Add(at), rps: p.RPS})
	}
	var cohorts []cohortSpec
	names := map[string]int{}
	sum := 0.0
	for i, c := range cfg.Cohorts {
		f := fmt.Sprintf("traffic.cohorts[%d]", i)
		switch {
		case c.Name == "":
			return nil, nil, fmt.Errorf("%s.name: required", f)
		case c.Name == DefaultCohort:
			return nil, nil, fmt.Errorf("%s.name: %q is reserved for the requests no cohort claims", f, DefaultCohort)
		}
		if j, dup := names[c.Name]; dup {
			return nil, nil, fmt.Errorf("%s.name: %q is already the name of cohorts[%d]", f, c.Name, j)
		}
		names[c.Name] = i
		if !validRate(c.Share) {
			return nil, nil, fmt.Errorf("%s.share: must be between 0 and 1, got %v", f, c.Share)
		}
		sum += c.Share
		hdr := map[string]string{}
		keys := make([]string, 0, len(c.Header))
		for k := range c.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		seen := map[string]string{}
		for _, k := range keys {
			if strings.TrimSpace(k) == "" {
				return nil, nil, fmt.Errorf("%s.header: a header name must not be empty", f)
			}
			n := headerKey(k)
			if other, dup := seen[n]; dup {
				return nil, nil, fmt.Errorf("%s.header: %q and %q name the same header", f, other, k)
			}
			seen[n] = k
			hdr[n] = c.Header[k]
		}
		cohorts = append(cohorts, cohortSpec{name: c.Name, header: hdr, share: c.Share})
	}
	// A little slack for decimal shares such as 0.1+0.2+0.7.
	if sum > 1+1e-9 {
		return nil, nil, fmt.Errorf("traffic.cohorts: shares sum to %v, must be at most 1", sum)
	}
	rest := 1 - sum
	if rest < 0 {
		rest = 0
	}
	cohorts = append(cohorts, cohortSpec{name: DefaultCohort, header: map[string]string{}, share: rest})
	return pieces, cohorts, nil
}

func validateVersions(versions map[string]VersionBehavior) (map[string]versionSpec, error) {
	names := make([]string, 0, len(versions))
	for n := range versions {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]versionSpec, len(versions))
	for _, n := range names {
		v := versions[n]
		f := "versions." + n
		if !validRate(v.ErrorRate) {
			return nil, fmt.Errorf("%s.errorRate: must be between 0 and 1, got %v", f, v.ErrorRate)
		}
		spec := versionSpec{errorRate: v.ErrorRate}
		if v.Latency != nil {
			k, err := latencyKnots(f+".latency", *v.Latency)
			if err != nil {
				return nil, err
			}
			spec.latency = k
		}
		out[n] = spec
	}
	return out, nil
}

// latencyKnots turns the configured quantiles into CDF knots, starting at
// (0, 0).
func latencyKnots(field string, l Latency) ([]knot, error) {
	knots := []knot{{0, 0}}
	for _, q := range []struct {
		name string
		v    string
		p    float64
	}{{"p50", l.P50, 0.50}, {"p95", l.P95, 0.95}, {"p99", l.P99, 0.99}} {
		if q.v == "" {
			continue
		}
		d, err := time.ParseDuration(q.v)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: expected a duration like \"120ms\", got %q", field, q.name, q.v)
		}
		if d < 0 {
			return nil, fmt.Errorf("%s.%s: must not be negative, got %s", field, q.name, q.v)
		}
		if last := knots[len(knots)-1]; d < last.x {
			return nil, fmt.Errorf("%s.%s: %s is below the lower quantile's %s; quantiles must not decrease", field, q.name, d, last.x)
		}
		knots = append(knots, knot{d, q.p})
	}
	if len(knots) == 1 {
		return nil, fmt.Errorf("%s: give at least one of p50, p95, p99", field)
	}
	return knots, nil
}
