package replicas

import (
	"fmt"
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
// Canary: Argo's resolveFenceposts (ResolveFenceposts) with the defaults
// 25%/25%, then U capped at R, and R == 0 gives U = 0. S is never capped. An
// unparsable string makes Argo's resolver fail, and Argo ignores the error,
// so both become 0 (with no U = 1 fallback); validation rejects such specs
// anyway.
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
		mu := intstr.FromString(DefaultMaxUnavailable)
		if bg := ro.Spec.Strategy.BlueGreen; bg != nil && bg.MaxUnavailable != nil {
			mu = *bg.MaxUnavailable
		}
		u, err := ResolveIntOrPercent(mu, r, false)
		if err != nil {
			u = 0
		}
		return 0, min(u, r)
	}
	ms, mu := intstr.FromString(DefaultMaxSurge), intstr.FromString(DefaultMaxUnavailable)
	if c.MaxSurge != nil {
		ms = *c.MaxSurge
	}
	if c.MaxUnavailable != nil {
		mu = *c.MaxUnavailable
	}
	s, u, err := ResolveFenceposts(&ms, &mu, r)
	if err != nil {
		return 0, 0
	}
	if r == 0 {
		u = 0
	} else if u > r {
		u = r
	}
	return s, u
}

// ResolveFenceposts is Argo's resolveFenceposts (utils/replicaset): maxSurge
// rounded up and maxUnavailable rounded down against desired (a nil value is
// 0; see ResolveIntOrPercent), and if both resolve to 0, maxUnavailable is 1
// (surge might not work for quota reasons). An unparsable value is an error,
// and both are 0. No cap is applied.
func ResolveFenceposts(maxSurge, maxUnavailable *intstr.IntOrString, desired int32) (surge, unavailable int32, err error) {
	zero := intstr.FromInt32(0)
	if maxSurge == nil {
		maxSurge = &zero
	}
	if maxUnavailable == nil {
		maxUnavailable = &zero
	}
	if surge, err = ResolveIntOrPercent(*maxSurge, desired, true); err != nil {
		return 0, 0, err
	}
	if unavailable, err = ResolveIntOrPercent(*maxUnavailable, desired, false); err != nil {
		return 0, 0, err
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable, nil
}

// ResolveIntOrPercent resolves one int-or-percent value against total as
// Argo does (the deprecated intstr.GetValueFromIntOrPercent): an int as it
// is; a string is always a percentage, with or without '%' (every '%' is
// stripped), rounded up or down. A string that is no integer is an error
// ("invalid value for IntOrString: invalid value "x": …").
func ResolveIntOrPercent(v intstr.IntOrString, total int32, roundUp bool) (int32, error) {
	if v.Type == intstr.Int {
		return v.IntVal, nil
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v.StrVal, "%", ""))
	if err != nil {
		return 0, fmt.Errorf("invalid value for IntOrString: invalid value %q: %v", v.StrVal, err)
	}
	scaled := float64(n) * float64(total) / 100
	if roundUp {
		return int32(math.Ceil(scaled)), nil
	}
	return int32(math.Floor(scaled)), nil
}
