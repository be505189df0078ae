package replicas

import (
	"math"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
)

// IsTrafficRouted reports a canary strategy with trafficRouting ("TR").
func IsTrafficRouted(ro *v1alpha1.Rollout) bool {
	c := ro.Spec.Strategy.Canary
	return c != nil && c.TrafficRouting != nil
}

func dynamicStableScale(ro *v1alpha1.Rollout) bool {
	c := ro.Spec.Strategy.Canary
	return c != nil && c.DynamicStableScale
}

// TrafficWeightToReplicas returns ceil(weight·replicas/maxWeight), computed in
// float64 so that large weights cannot overflow. maxWeight <= 0 yields 0.
func TrafficWeightToReplicas(replicas, weight, maxWeight int32) int32 {
	if maxWeight <= 0 {
		return 0
	}
	return int32(math.Ceil(float64(weight) * float64(replicas) / float64(maxWeight)))
}

// ApproximateWeightedCanaryStableReplicaCounts picks the (canary, stable) pair
// whose canary share best approximates weight/maxWeight (semantics §3.3). The
// pair sums to replicas, or to replicas+1 when maxSurge > 0. Candidates, in
// order: A (ceil, R) if ceil < R or zero is allowed; B (floor, R) unless R is a
// tie and the floor is a disallowed 0; C (ceil, R+1) if surging; D (floor, R+1)
// if surging, R+1 is not a tie and the floor is not a disallowed 0. "ceil" and
// "floor" are taken of R·w/M (for both totals). Zero is allowed when w is 0 or
// M, or when R == 1 and there is no surge. A tie at total T means the fraction
// of T·(w/M) is exactly 0.5. The smallest |canary·M/total − w| wins, and an
// earlier candidate wins ties. With no candidate (possible, e.g. R=2 w=75 S=0)
// the result is (0, R), as in Argo.
func ApproximateWeightedCanaryStableReplicaCounts(replicas, weight, maxWeight, maxSurge int32) (canary, stable int32) {
	if replicas == 0 {
		return 0, 0
	}
	if maxWeight <= 0 {
		return 0, replicas
	}
	product := float64(int64(replicas) * int64(weight))
	ceilCount := int32(math.Ceil(product / float64(maxWeight)))
	floorCount := int32(math.Floor(product / float64(maxWeight)))
	zeroAllowed := weight == maxWeight || weight == 0 || (replicas == 1 && maxSurge == 0)
	floorUsable := floorCount != 0 || zeroAllowed

	type option struct{ canary, total int32 }
	options := make([]option, 0, 4)
	if ceilCount < replicas || zeroAllowed {
		options = append(options, option{ceilCount, replicas})
	}
	if !roundingTied(weight, maxWeight, replicas) && floorUsable {
		options = append(options, option{floorCount, replicas})
	}
	if maxSurge > 0 {
		options = append(options, option{ceilCount, replicas + 1})
		if !roundingTied(weight, maxWeight, replicas+1) && floorUsable {
			options = append(options, option{floorCount, replicas + 1})
		}
	}
	if len(options) == 0 {
		return 0, replicas
	}
	best := options[0]
	bestDelta := weightDelta(weight, maxWeight, best.canary, best.total)
	for _, o := range options[1:] {
		if d := weightDelta(weight, maxWeight, o.canary, o.total); d < bestDelta {
			best, bestDelta = o, d
		}
	}
	return best.canary, best.total - best.canary
}

// roundingTied reports whether total·(w/M) has a fractional part of exactly
// 0.5, i.e. floor and ceil are equally far from the target. The float
// expression order matters for bit-exact parity with Argo.
func roundingTied(weight, maxWeight, total int32) bool {
	_, frac := math.Modf(float64(total) * (float64(weight) / float64(maxWeight)))
	return frac == 0.5
}

func weightDelta(weight, maxWeight, canary, total int32) float64 {
	actual := float64(int64(canary)*int64(maxWeight)) / float64(total)
	return math.Abs(actual - float64(weight))
}

// MinPods applies canary.minPodsPerReplicaSet (traffic-routed canaries only):
// a non-zero count is raised to at least min(minPodsPerReplicaSet, R); 0 stays 0.
func MinPods(ro *v1alpha1.Rollout, count int32) int32 {
	if count == 0 {
		return 0
	}
	c := ro.Spec.Strategy.Canary
	if c == nil || c.MinPodsPerReplicaSet == nil || c.TrafficRouting == nil {
		return count
	}
	floor := min(*c.MinPodsPerReplicaSet, Replicas(ro))
	return max(count, floor)
}

// StableRSExists reports a stable ReplicaSet distinct (by name) from the new one.
func StableRSExists(newRS, stableRS *appsv1.ReplicaSet) bool {
	if stableRS == nil {
		return false
	}
	return newRS == nil || newRS.Name != stableRS.Name
}

// DesiredCanaryReplicasOrWeight is the desired-weight rule of semantics §3.2.
// It returns a non-nil absolute canary count when a setCanaryScale.replicas is
// in force (weight is then 0), else the desired canary weight:
//  1. status.promoteFull, no status.stableRS, or currentPodHash == stableRS ⇒ M;
//  2. a setCanaryScale in force (TR only) ⇒ its replicas, or its weight (may exceed M);
//  3. aborted + dynamicStableScale + both ReplicaSets present ⇒ ReverseStepWeight;
//  4. else CurrentSetWeight (0 when aborted).
//
// A setCanaryScale with neither replicas nor weight falls through to 3/4.
func DesiredCanaryReplicasOrWeight(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet) (replicas *int32, weight int32) {
	st := ro.Status
	if st.PromoteFull || st.StableRS == "" || st.CurrentPodHash == st.StableRS {
		return nil, MaxWeight(ro)
	}
	if scs := CurrentCanaryScale(ro); scs != nil {
		if scs.Replicas != nil {
			n := *scs.Replicas
			return &n, 0
		}
		if scs.Weight != nil {
			return nil, *scs.Weight
		}
	}
	if st.Abort && dynamicStableScale(ro) && newRS != nil && stableRS != nil {
		return nil, ReverseStepWeight(ro, newRS, stableRS)
	}
	return nil, CurrentSetWeight(ro)
}

// ReverseStepWeight is the desired canary weight of an aborted
// dynamicStableScale rollout (semantics §3.5): the canary steps back down
// through earlier setWeights as the stable ReplicaSet becomes available.
// With expected = R − stable.available and cur = max(expected, new.available)
// (cur = expected when abortScaleDownDelaySeconds is explicitly set and
// non-zero, since the canary is then held at full size until its deadline),
// it returns the last-listed setWeight whose ceil(sw·R/M) < cur, else 0.
// Nil ReplicaSets count as having no available pods; the caller decides
// whether the rule applies (see DesiredCanaryReplicasOrWeight).
func ReverseStepWeight(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet) int32 {
	r, m := Replicas(ro), MaxWeight(ro)
	expected := r - RSAvailable(stableRS)
	current := max(expected, RSAvailable(newRS))
	if HasExplicitAbortScaleDownDelay(ro) {
		current = expected
	}
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return 0
	}
	for i := len(c.Steps) - 1; i >= 0; i-- {
		sw := c.Steps[i].SetWeight
		if sw != nil && TrafficWeightToReplicas(r, *sw, m) < current {
			return *sw
		}
	}
	return 0
}

// DesiredCanaryReplicaCounts returns the target spec.replicas of the new and
// stable ReplicaSets: TrafficRoutedCanaryReplicaCounts for a canary with
// trafficRouting, else BasicCanaryReplicaCounts. others must exclude new and
// stable (only the basic path reads it); weights is status.canary.weights
// (only the traffic-routed path reads it, and only with dynamicStableScale).
// Argo sizes the stable RS with the persisted status weights and the new RS
// with the weights computed earlier in the same reconcile.
func DesiredCanaryReplicaCounts(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, others []*appsv1.ReplicaSet, weights *v1alpha1.TrafficWeights) (newCount, stableCount int32) {
	if IsTrafficRouted(ro) {
		return TrafficRoutedCanaryReplicaCounts(ro, newRS, stableRS, weights)
	}
	return BasicCanaryReplicaCounts(ro, newRS, stableRS, others)
}

// TrafficRoutedCanaryReplicaCounts sizes a traffic-routed canary (semantics §3.5).
// The canary is setCanaryScale.replicas when in force, else
// MinPods(ceil(w·R/M)). Without dynamicStableScale the stable stays at R.
// With it, stable = ceil((M−w)·R/M), raised to ceil(weights.stable·R/M) when
// weights are given; when aborted the canary is also raised to
// ceil(weights.canary·R/M); both then pass through MinPods.
func TrafficRoutedCanaryReplicaCounts(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, weights *v1alpha1.TrafficWeights) (newCount, stableCount int32) {
	r, m := Replicas(ro), MaxWeight(ro)
	scaleReplicas, w := DesiredCanaryReplicasOrWeight(ro, newRS, stableRS)
	var canary int32
	if scaleReplicas != nil {
		canary = *scaleReplicas
	} else {
		canary = MinPods(ro, TrafficWeightToReplicas(r, w, m))
	}
	if !dynamicStableScale(ro) {
		return canary, r
	}
	stable := TrafficWeightToReplicas(r, m-w, m)
	if weights != nil {
		stable = max(stable, TrafficWeightToReplicas(r, weights.Stable.Weight, m))
		if ro.Status.Abort {
			canary = max(canary, TrafficWeightToReplicas(r, weights.Canary.Weight, m))
		}
	}
	return MinPods(ro, canary), MinPods(ro, stable)
}

// BasicCanaryReplicaCounts sizes a canary without traffic routing (semantics
// §3.4): approach the weighted split within R+S total pods (stable scaled up
// before new), do not scale new or stable down while other ReplicaSets still
// have pods, and only scale down as far as R−U available pods allow.
func BasicCanaryReplicaCounts(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, others []*appsv1.ReplicaSet) (newCount, stableCount int32) {
	r, m := Replicas(ro), MaxWeight(ro)
	surge, unavailable := Fenceposts(ro)
	_, w := DesiredCanaryReplicasOrWeight(ro, newRS, stableRS)
	desiredNew, desiredStable := ApproximateWeightedCanaryStableReplicaCounts(r, w, m, surge)

	newCount = RSReplicas(newRS)
	hasStable := StableRSExists(newRS, stableRS)
	if hasStable {
		stableCount = RSReplicas(stableRS)
	} else {
		// No distinct stable: head straight for 100% on the new RS.
		desiredNew, desiredStable = r, 0
	}

	maxTotal := r + surge
	othersSpec := sumSpec(others)
	total := othersSpec + RSReplicas(newRS)
	if hasStable {
		total += RSReplicas(stableRS)
	}
	scaleUp := maxTotal - total

	// Scale up, stable first.
	if hasStable && RSReplicas(stableRS) < desiredStable && scaleUp > 0 {
		stableCount = min(desiredStable, RSReplicas(stableRS)+scaleUp)
		scaleUp -= stableCount - RSReplicas(stableRS)
	}
	if newRS != nil && RSReplicas(newRS) < desiredNew && scaleUp > 0 {
		newCount = min(desiredNew, RSReplicas(newRS)+scaleUp)
	}

	// Other ReplicaSets drain first; new/stable are not scaled down meanwhile.
	if othersSpec > 0 {
		return newCount, stableCount
	}

	minAvailable := r - unavailable
	// Growing the canary: stable availability may be ignored (its pods may be
	// crash-looping); shrinking it: canary availability may be ignored.
	increasing := newRS == nil || desiredNew >= RSReplicas(newRS)
	scaleDownCapacity := ReplicasForScaleDown(newRS, !increasing) + ReplicasForScaleDown(stableRS, increasing)
	if scaleDownCapacity <= minAvailable {
		return newCount, stableCount
	}
	scaleDown := scaleDownCapacity - minAvailable
	if !increasing {
		if RSReplicas(newRS) > desiredNew {
			newCount = max(desiredNew, RSReplicas(newRS)-scaleDown)
		}
		newCount, stableCount = adjustWithinLimits(newRS, stableRS, newCount, stableCount, maxTotal, minAvailable)
	} else if hasStable {
		if RSReplicas(stableRS) > desiredStable {
			stableCount = max(desiredStable, RSReplicas(stableRS)-scaleDown)
		}
		stableCount, newCount = adjustWithinLimits(stableRS, newRS, stableCount, newCount, maxTotal, minAvailable)
	}
	return newCount, stableCount
}

// ReplicasForScaleDown is how many of rs's pods count toward the scale-down
// capacity: spec.replicas when it is below the available count (the surplus is
// already going away) or when availability is ignored, else the available count.
func ReplicasForScaleDown(rs *appsv1.ReplicaSet, ignoreAvailability bool) int32 {
	if rs == nil {
		return 0
	}
	spec := RSReplicas(rs)
	if spec < rs.Status.AvailableReplicas || ignoreAvailability {
		return spec
	}
	return rs.Status.AvailableReplicas
}

// adjustWithinLimits keeps drain+adjust within maxTotal without dropping below
// minAvailable: the adjusted RS first gives up the surplus over maxTotal, then
// takes back as many of its own available pods as the availability floor
// needs, and whatever is then still over maxTotal comes off the drained RS.
func adjustWithinLimits(drainRS, adjustRS *appsv1.ReplicaSet, drain, adjust, maxTotal, minAvailable int32) (int32, int32) {
	over := max(0, adjust+drain-maxTotal)
	available := int32(0)
	if drainRS != nil {
		available += min(drainRS.Status.AvailableReplicas, drain)
	}
	if adjustRS == nil {
		return drain, adjust
	}
	adjust -= over
	available += min(adjustRS.Status.AvailableReplicas, adjust)
	lostAvailable := max(0, adjustRS.Status.AvailableReplicas-adjust)
	needed := max(0, minAvailable-available)
	adjust += min(lostAvailable, needed)
	drain -= max(0, adjust+drain-maxTotal)
	return drain, adjust
}

// ReplicaProgressThresholdMet reports whether rs has enough available pods for
// a desired count (semantics §3.7). With no threshold, a negative threshold
// value or a nil rs, every desired pod must exist and be available
// (spec == available == desired; a nil rs fails). Percent: available/desired·100
// >= value (within 1e-10), always true for desired == 0. Any other type (Pods):
// available >= value.
func ReplicaProgressThresholdMet(threshold *v1alpha1.ReplicaProgressThreshold, rs *appsv1.ReplicaSet, desired int32) bool {
	if threshold == nil || rs == nil || threshold.Value < 0 {
		return rs != nil && RSReplicas(rs) == desired && rs.Status.AvailableReplicas == desired
	}
	if threshold.Type == v1alpha1.ProgressTypePercentage {
		if desired == 0 {
			return true
		}
		pct := float64(rs.Status.AvailableReplicas) / float64(desired) * 100
		return pct >= float64(threshold.Value) || math.Abs(pct-float64(threshold.Value)) <= 1e-10
	}
	return rs.Status.AvailableReplicas >= threshold.Value
}

// AtDesiredReplicaCountsForCanary is the gate for setWeight/setCanaryScale step
// completion and for moving traffic (semantics §3.7): the new RS meets its
// desired count (ReplicaProgressThresholdMet); unless traffic-routed with
// dynamicStableScale, the stable RS exists with spec.replicas and
// status.replicas both equal to its desired count (availability not needed);
// and, for a basic canary, other ReplicaSets have no available pods.
func AtDesiredReplicaCountsForCanary(ro *v1alpha1.Rollout, newRS, stableRS *appsv1.ReplicaSet, others []*appsv1.ReplicaSet, weights *v1alpha1.TrafficWeights) bool {
	desiredNew, desiredStable := DesiredCanaryReplicaCounts(ro, newRS, stableRS, others, weights)
	var threshold *v1alpha1.ReplicaProgressThreshold
	if c := ro.Spec.Strategy.Canary; c != nil {
		threshold = c.ReplicaProgressThreshold
	}
	if !ReplicaProgressThresholdMet(threshold, newRS, desiredNew) {
		return false
	}
	tr := IsTrafficRouted(ro)
	if !tr || !dynamicStableScale(ro) {
		if stableRS == nil || RSReplicas(stableRS) != desiredStable || stableRS.Status.Replicas != desiredStable {
			return false
		}
	}
	if !tr && sumAvailable(others) != 0 {
		return false
	}
	return true
}

func sumSpec(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += RSReplicas(rs)
	}
	return n
}

func sumAvailable(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += RSAvailable(rs)
	}
	return n
}
