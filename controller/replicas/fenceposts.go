package replicas

import (
	"math"
	"strconv"
	"strings"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	// DefaultReplicas is spec.replicas when unset.
	DefaultReplicas int32 = 1
	// DefaultMaxTrafficWeight is M when trafficRouting.maxTrafficWeight is unset.
	DefaultMaxTrafficWeight int32 = 100
	// DefaultMaxSurge and DefaultMaxUnavailable are Argo's defaults. They are
	// strings without a '%' sign, which Argo still reads as percentages.
	DefaultMaxSurge       = "25"
	DefaultMaxUnavailable = "25"
	// RevisionAnnotation carries a ReplicaSet's rollout revision number.
	RevisionAnnotation = "rollout.argoproj.io/revision"
)

// MaxWeight returns M: canary.trafficRouting.maxTrafficWeight when set, else 100.
// The value is read only when a canary with trafficRouting is configured.
func MaxWeight(ro *v1alpha1.Rollout) int32 {
	c := ro.Spec.Strategy.Canary
	if c != nil && c.TrafficRouting != nil && c.TrafficRouting.MaxTrafficWeight != nil {
		return *c.TrafficRouting.MaxTrafficWeight
	}
	return DefaultMaxTrafficWeight
}

// Replicas returns R: spec.replicas, defaulting to 1.
func Replicas(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Replicas == nil {
		return DefaultReplicas
	}
	return *ro.Spec.Replicas
}

// RSReplicas returns a ReplicaSet's spec.replicas: 0 for a nil ReplicaSet and
// 1 (the apps/v1 default) for a nil spec.replicas.
func RSReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}

// RSAvailable returns status.availableReplicas, 0 for a nil ReplicaSet.
func RSAvailable(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return rs.Status.AvailableReplicas
}

// RSCreated returns status.replicas, 0 for a nil ReplicaSet.
func RSCreated(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return rs.Status.Replicas
}

// Fenceposts resolves maxSurge (S) and maxUnavailable (U) for the rollout
// (semantics §3.1).
//
// Canary: S = ceil(maxSurge% · R) or the integer; U = floor(maxUnavailable% · R)
// or the integer; defaults 25%/25%. A string is always a percentage, with or
// without '%' (every '%' is stripped, as the deprecated
// intstr.GetValueFromIntOrPercent does). If both resolve to 0, U = 1. U is then
// capped at R, and R == 0 gives U = 0. S is never capped. An unparsable string
// makes Argo's resolver fail, and Argo ignores the error, so both become 0
// (with no U = 1 fallback); validation rejects such specs anyway.
//
// Without a canary strategy there is no surge and U is blueGreen.maxUnavailable
// (default 25%) rounded down, capped at R, without the both-zero rule.
func Fenceposts(ro *v1alpha1.Rollout) (surge, unavailable int32) {
	r := Replicas(ro)
	c := ro.Spec.Strategy.Canary
	if c == nil {
		if r == 0 {
			return 0, 0
		}
		var mu *intstr.IntOrString
		if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
			mu = bg.MaxUnavailable
		}
		u, ok := resolveIntOrPercent(mu, DefaultMaxUnavailable, r, false)
		if !ok {
			u = 0
		}
		return 0, min(u, r)
	}
	s, okS := resolveIntOrPercent(c.MaxSurge, DefaultMaxSurge, r, true)
	u, okU := resolveIntOrPercent(c.MaxUnavailable, DefaultMaxUnavailable, r, false)
	switch {
	case !okS || !okU:
		s, u = 0, 0
	case s == 0 && u == 0:
		u = 1
	}
	if r == 0 {
		u = 0
	} else if u > r {
		u = r
	}
	return s, u
}

// resolveIntOrPercent resolves an int-or-percent against total. A nil value
// uses def (a percentage string). ok is false when a string does not parse.
func resolveIntOrPercent(v *intstr.IntOrString, def string, total int32, roundUp bool) (int32, bool) {
	val := intstr.FromString(def)
	if v != nil {
		val = *v
	}
	if val.Type == intstr.Int {
		return val.IntVal, true
	}
	n, err := strconv.Atoi(strings.ReplaceAll(val.StrVal, "%", ""))
	if err != nil {
		return 0, false
	}
	scaled := float64(n) * float64(total) / 100
	if roundUp {
		return int32(math.Ceil(scaled)), true
	}
	return int32(math.Floor(scaled)), true
}
