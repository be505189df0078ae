package traffic

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Model integrates the configured request rate over virtual time, split the
// way the routers split it. Time is cut into segments at every split change
// (SetSplit with a different outcome); within a segment every flow is a
// constant fraction of the rate, and the rate itself is piecewise constant
// (the schedule), so every count is an exact integral: rps·Δt·share. The
// cost of a query follows the number of changes in its window, not its
// length. A Model is not safe for concurrent use.
type Model struct {
	pieces   []rpsPiece
	cohorts  []cohortSpec // configured ones, then "default"
	versions map[string]versionSpec
	t0, now  time.Time
	segs     []segment // sorted; the last is open and ends at now
	split    Split
	exposure map[exposureKey]*Exposure
}

// segment is a time span with constant flows.
type segment struct {
	from, to time.Time
	flows    []flow
}

// flow is a constant fraction of all requests that one cohort sends along
// one route.
type flow struct {
	cohort   string
	rollout  string
	service  string
	hash     string
	version  string
	role     string
	unserved bool
	shadow   bool    // a mirrored copy: served, answered to nobody
	share    float64 // of all requests: cohort share × route fraction
	errRate  float64
}

type exposureKey struct{ rollout, version, hash, cohort string }

// Scope selects requests; an empty field matches anything.
type Scope struct {
	// Version is the version name (what versionOf made of the image).
	Version string
	// Service is the Service the requests went through.
	Service string
	// Role is RoleCanary, RoleStable or RoleOther, resolved per segment
	// from the rollout's status.currentPodHash and status.stableRS.
	Role string
	// Cohort is a configured cohort's name or DefaultCohort.
	Cohort string
	// Rollout and Hash (pod-template hash) narrow further.
	Rollout string
	Hash    string
}

// Window is the time span [From, To). Only the part between the Model's
// T+0 and its latest SetSplit/Advance counts: the rest has not happened.
type Window struct{ From, To time.Time }

// Exposure is what one version of a rollout served to one cohort.
type Exposure struct {
	Rollout string
	Version string
	Hash    string
	Cohort  string
	// Requests and Errors are expected counts (not rounded) of requests
	// answered to clients.
	Requests float64
	Errors   float64
	// ShadowRequests and ShadowErrors are mirrored copies the version
	// served whose answers nobody saw.
	ShadowRequests float64
	ShadowErrors   float64
	// First and Last bound the time the version was served to the cohort:
	// the start of the first and the end of the last span with a positive
	// rate (Last is the latest SetSplit/Advance while still serving).
	First time.Time
	Last  time.Time
}

// New validates cfg and the versions' behaviours (keyed by version name)
// and returns a Model whose T+0 is t0. Until the first SetSplit no request
// is routed anywhere.
func New(cfg Config, versions map[string]VersionBehavior, t0 time.Time) (*Model, error) {
	pieces, cohorts, err := validateConfig(cfg, t0)
	if err != nil {
		return nil, err
	}
	vs, err := validateVersions(versions)
	if err != nil {
		return nil, err
	}
	return &Model{
		pieces: pieces, cohorts: cohorts, versions: vs, t0: t0, now: t0,
		segs:     []segment{{from: t0, to: t0}},
		exposure: map[exposureKey]*Exposure{},
	}, nil
}

// Now is the end of the integrated time: the latest SetSplit/Advance.
func (m *Model) Now() time.Time { return m.now }

// Split is the split set last.
func (m *Model) Split() Split { return m.split }

// RPS is the configured rate at t (0 before T+0).
func (m *Model) RPS(t time.Time) float64 {
	if t.Before(m.t0) {
		return 0
	}
	i := sort.Search(len(m.pieces), func(i int) bool { return m.pieces[i].from.After(t) }) - 1
	return m.pieces[i].rps
}

// SetSplit closes the current segment at now and opens one with s. A time
// before the latest SetSplit/Advance (or T+0) is taken as that time. A split
// that routes exactly as the current one does not cut the segment, and a
// second split at the same instant replaces the first.
func (m *Model) SetSplit(now time.Time, s Split) {
	now = m.clamp(now)
	m.Advance(now)
	m.split = s
	flows := m.flows(s)
	last := len(m.segs) - 1
	cur := &m.segs[last]
	if slices.Equal(cur.flows, flows) {
		return
	}
	if cur.from.Equal(now) {
		if last > 0 && slices.Equal(m.segs[last-1].flows, flows) {
			m.segs = m.segs[:last]
			m.segs[last-1].to = now
			return
		}
		cur.flows = flows
		return
	}
	m.segs = append(m.segs, segment{from: now, to: now, flows: flows})
}

// Advance integrates up to now (for queries and exposure); earlier times
// are ignored.
func (m *Model) Advance(now time.Time) {
	if !now.After(m.now) {
		return
	}
	cur := &m.segs[len(m.segs)-1]
	m.accountExposure(cur, m.now, now)
	cur.to = now
	m.now = now
}

func (m *Model) clamp(t time.Time) time.Time {
	if t.Before(m.now) {
		return m.now
	}
	return t
}

// flows applies every cohort's headers to the split.
func (m *Model) flows(s Split) []flow {
	var out []flow
	for _, c := range m.cohorts {
		if c.share <= 0 {
			continue
		}
		for _, r := range s.Routes(c.header) {
			share := c.share * r.Fraction
			if share <= 0 {
				continue
			}
			f := flow{cohort: c.name, rollout: r.Rollout, service: r.Service, hash: r.Hash, version: r.Version,
				role: r.Role, unserved: r.Unserved, shadow: r.Shadow, share: share, errRate: 1}
			if !r.Unserved {
				f.errRate = m.versions[r.Version].errorRate
			}
			out = append(out, f)
		}
	}
	return out
}

// units is ∫ rps dt over [a, b): the number of requests at share 1, with
// the start of the first and the end of the last positive-rate part.
func (m *Model) units(a, b time.Time) (u float64, first, last time.Time) {
	if !b.After(a) {
		return 0, first, last
	}
	i := sort.Search(len(m.pieces), func(i int) bool { return m.pieces[i].from.After(a) }) - 1
	if i < 0 {
		i = 0
	}
	for ; i < len(m.pieces) && m.pieces[i].from.Before(b); i++ {
		start, end := a, b
		if m.pieces[i].from.After(start) {
			start = m.pieces[i].from
		}
		if i+1 < len(m.pieces) && m.pieces[i+1].from.Before(end) {
			end = m.pieces[i+1].from
		}
		if !end.After(start) || m.pieces[i].rps <= 0 {
			continue
		}
		u += m.pieces[i].rps * end.Sub(start).Seconds()
		if first.IsZero() {
			first = start
		}
		last = end
	}
	return u, first, last
}

func (m *Model) accountExposure(seg *segment, a, b time.Time) {
	u, first, last := m.units(a, b)
	if u <= 0 {
		return
	}
	for _, f := range seg.flows {
		if f.unserved {
			continue
		}
		k := exposureKey{f.rollout, f.version, f.hash, f.cohort}
		e := m.exposure[k]
		if e == nil {
			e = &Exposure{Rollout: f.rollout, Version: f.version, Hash: f.hash, Cohort: f.cohort, First: first}
			m.exposure[k] = e
		}
		n := u * f.share
		if f.shadow {
			e.ShadowRequests += n
			e.ShadowErrors += n * f.errRate
			continue
		}
		e.Requests += n
		e.Errors += n * f.errRate
		e.Last = last
	}
}

func (s Scope) matches(f *flow) bool {
	return (s.Version == "" || s.Version == f.version) &&
		(s.Service == "" || s.Service == f.service) &&
		(s.Role == "" || s.Role == f.role) &&
		(s.Cohort == "" || s.Cohort == f.cohort) &&
		(s.Rollout == "" || s.Rollout == f.rollout) &&
		(s.Hash == "" || s.Hash == f.hash)
}

// each calls fn for every flow in scope with its request units in each
// segment overlapping the window, in time order.
func (m *Model) each(scope Scope, w Window, fn func(f *flow, units float64)) {
	a, b := w.From, w.To
	if a.Before(m.t0) {
		a = m.t0
	}
	if b.After(m.now) {
		b = m.now
	}
	if !b.After(a) {
		return
	}
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].to.After(a) })
	for ; i < len(m.segs) && m.segs[i].from.Before(b); i++ {
		seg := &m.segs[i]
		from, to := seg.from, seg.to
		if from.Before(a) {
			from = a
		}
		if to.After(b) {
			to = b
		}
		u, _, _ := m.units(from, to)
		if u <= 0 {
			continue
		}
		for j := range seg.flows {
			if f := &seg.flows[j]; scope.matches(f) {
				fn(f, u)
			}
		}
	}
}

// Requests is the expected number of requests in scope during w.
func (m *Model) Requests(scope Scope, w Window) float64 {
	n := 0.0
	m.each(scope, w, func(f *flow, u float64) { n += u * f.share })
	return n
}

// Errors is the expected number of failed requests in scope during w:
// requests × the serving version's errorRate; a request no pod could serve
// (503 from the router) is an error.
func (m *Model) Errors(scope Scope, w Window) float64 {
	n := 0.0
	m.each(scope, w, func(f *flow, u float64) { n += u * f.share * f.errRate })
	return n
}

// SuccessRate is (requests − errors) / requests: NaN when there were no
// requests, as Prometheus answers 0/0.
func (m *Model) SuccessRate(scope Scope, w Window) float64 {
	req, errs := m.counts(scope, w)
	if req == 0 {
		return math.NaN()
	}
	return (req - errs) / req
}

// ErrorRate is errors / requests: NaN when there were no requests.
func (m *Model) ErrorRate(scope Scope, w Window) float64 {
	req, errs := m.counts(scope, w)
	if req == 0 {
		return math.NaN()
	}
	return errs / req
}

func (m *Model) counts(scope Scope, w Window) (req, errs float64) {
	m.each(scope, w, func(f *flow, u float64) {
		n := u * f.share
		req += n
		errs += n * f.errRate
	})
	return req, errs
}

// Exposure is, per rollout, version (and hash) and cohort, what was served
// up to Now, sorted by rollout, version, hash and cohort. Requests no pod
// served (503) are not exposure and are left out.
func (m *Model) Exposure() []Exposure {
	out := make([]Exposure, 0, len(m.exposure))
	for _, e := range m.exposure {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rollout != b.Rollout {
			return a.Rollout < b.Rollout
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		if a.Hash != b.Hash {
			return a.Hash < b.Hash
		}
		return a.Cohort < b.Cohort
	})
	return out
}
