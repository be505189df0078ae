package traffic

import (
	"math"
	"sort"
	"time"
)

// cdf is one version's latency distribution: piecewise linear through its
// knots, continued past the last knot with the last piece's density until
// it reaches 1 (at end).
type cdf struct {
	knots []knot
	end   float64 // nanoseconds where the CDF reaches 1
}

func newCDF(k []knot) cdf {
	n := len(k) - 1
	last := k[n]
	end := float64(last.x)
	if last.p < 1 {
		prev := k[n-1]
		if dp := last.p - prev.p; dp > 0 && last.x > prev.x {
			end += (1 - last.p) * float64(last.x-prev.x) / dp
		}
		// A vertical last piece (or a flat one, which cannot happen since
		// the knots' p increase) puts the rest of the mass at last.x.
	}
	return cdf{knots: k, end: end}
}

// at is F(x): the fraction of requests at most x nanoseconds. It is right
// continuous and exact at the knots.
func (c cdf) at(x float64) float64 {
	if x >= c.end {
		return 1
	}
	// The last knot at or before x.
	i := sort.Search(len(c.knots), func(i int) bool { return float64(c.knots[i].x) > x }) - 1
	if i < 0 {
		return 0
	}
	lo := c.knots[i]
	if i+1 < len(c.knots) {
		hi := c.knots[i+1]
		return lo.p + (hi.p-lo.p)*(x-float64(lo.x))/float64(hi.x-lo.x)
	}
	// Past the last knot, before end: the last piece's density continues.
	prev := c.knots[i-1]
	return lo.p + (lo.p-prev.p)*(x-float64(lo.x))/float64(lo.x-prev.x)
}

// LatencyQuantile is the q-quantile of the latency of the requests in scope
// during w, false when none of them was served by a version with a
// configured latency (or q is outside [0, 1]).
//
// The approximation: each version's latency is the distribution whose CDF
// is piecewise linear through (0, 0) and its configured quantiles (p50 →
// 0.5, p95 → 0.95, p99 → 0.99), continued past the highest with the same
// density until it reaches 1 (p50 alone is uniform on [0, 2·p50]). The
// answer is the q-quantile of the mixture of these distributions, each
// weighted by the version's requests in scope and window — what
// histogram_quantile over fine buckets of all those requests would give. For
// one version it returns the configured quantiles exactly; a slow minority
// version lifts the high quantiles of the mix as it would in reality.
// Requests no pod served, and versions without latency, are left out.
func (m *Model) LatencyQuantile(scope Scope, w Window, q float64) (time.Duration, bool) {
	if !(q >= 0 && q <= 1) {
		return 0, false
	}
	byVersion := map[string]float64{}
	m.each(scope, w, func(f *flow, u float64) {
		if f.unserved || m.versions[f.version].latency == nil {
			return
		}
		byVersion[f.version] += u * f.share
	})
	names := make([]string, 0, len(byVersion))
	total := 0.0
	for n := range byVersion {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		total += byVersion[n]
	}
	if total <= 0 {
		return 0, false
	}
	type part struct {
		w float64
		c cdf
	}
	var parts []part
	hi := 0.0
	for _, n := range names {
		if byVersion[n] <= 0 {
			continue
		}
		c := newCDF(m.versions[n].latency)
		parts = append(parts, part{byVersion[n] / total, c})
		hi = math.Max(hi, c.end)
	}
	mix := func(x float64) float64 {
		s := 0.0
		for _, p := range parts {
			s += p.w * p.c.at(x)
		}
		return s
	}
	// The smallest whole nanosecond where the mixture reaches q; the slack
	// absorbs the rounding of the weights.
	const slack = 1e-12
	lo, up := int64(0), int64(math.Ceil(hi))
	for lo < up {
		mid := lo + (up-lo)/2
		if mix(float64(mid)) >= q-slack {
			up = mid
		} else {
			lo = mid + 1
		}
	}
	return time.Duration(lo), true
}
