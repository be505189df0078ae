package replicas

import (
	"slices"
	"strconv"
	"strings"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
)

// ScaleDownReason says why BasicOtherReplicaSetsScaleDown scales an RS.
type ScaleDownReason string

const (
	// ScaleDownUnhealthy: cut to the RS's own available count (Argo's
	// cleanupUnhealthyReplicas), which removes only pods that are not available.
	ScaleDownUnhealthy ScaleDownReason = "Unhealthy"
	// ScaleDownWithinBudget: reduced within the availability budget Σavail − (R−U).
	ScaleDownWithinBudget ScaleDownReason = "Budget"
)

// ScaleChange is one spec.replicas update of a ReplicaSet, From → To.
type ScaleChange struct {
	Name   string
	From   int32
	To     int32
	Reason ScaleDownReason
}

// Revision returns the rollout.argoproj.io/revision annotation of rs; ok is
// false when it is missing or not an integer.
func Revision(rs *appsv1.ReplicaSet) (rev int64, ok bool) {
	if rs == nil {
		return 0, false
	}
	v, found := rs.Annotations[RevisionAnnotation]
	if !found {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// ScaleDownBudget is how many available pods may be removed: Σavail(all) − (R − U).
// It may be negative.
func ScaleDownBudget(ro *v1alpha1.Rollout, all []*appsv1.ReplicaSet) int32 {
	_, unavailable := Fenceposts(ro)
	return sumAvailable(all) - (Replicas(ro) - unavailable)
}

// BasicOtherReplicaSetsScaleDown computes how a basic canary scales down its
// "other" ReplicaSets in one reconcile (semantics §3.4 last paragraph and §3.10,
// Argo's scaleDownOldReplicaSetsForCanary for trafficRouting == nil). all is
// every ReplicaSet of the rollout (new, stable and others); others excludes new
// and stable. Others with spec.replicas 0 (or nil entries) are ignored.
//
// The result lists every scale operation in the order the controller issues
// it, so one RS can appear twice (cut, then budget); its last entry holds its
// final size. An empty result means no change.
//
//  1. Unhealthy cut, in creation-timestamp order (ties by name): an RS whose
//     spec.replicas differs from its available count is set to that count.
//     If an RS has more available pods than spec.replicas, Argo's cleanup
//     fails there: the cuts already made stand and step 2 is skipped.
//  2. Budget = Σavail(all) − (R−U); nothing more if it is ≤ 0. Others are
//     taken newest revision first (then newer creation timestamp, then
//     name; an RS without a parsable revision after all that have one), each
//     reduced by up to the remaining budget, until the budget is spent.
func BasicOtherReplicaSetsScaleDown(ro *v1alpha1.Rollout, all, others []*appsv1.ReplicaSet) []ScaleChange {
	type entry struct {
		rs   *appsv1.ReplicaSet
		spec int32
	}
	active := make([]*entry, 0, len(others))
	for _, rs := range others {
		if rs != nil && RSReplicas(rs) > 0 {
			active = append(active, &entry{rs: rs, spec: RSReplicas(rs)})
		}
	}
	if len(active) == 0 {
		return nil
	}
	var changes []ScaleChange

	slices.SortStableFunc(active, func(a, b *entry) int {
		if c := a.rs.CreationTimestamp.Compare(b.rs.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.rs.Name, b.rs.Name)
	})
	for _, e := range active {
		avail := e.rs.Status.AvailableReplicas
		if e.spec == avail {
			continue
		}
		if avail > e.spec {
			return changes
		}
		changes = append(changes, ScaleChange{Name: e.rs.Name, From: e.spec, To: avail, Reason: ScaleDownUnhealthy})
		e.spec = avail
	}

	budget := ScaleDownBudget(ro, all)
	if budget <= 0 {
		return changes
	}
	slices.SortStableFunc(active, func(a, b *entry) int {
		ra, okA := Revision(a.rs)
		rb, okB := Revision(b.rs)
		switch {
		case okA != okB:
			if okA {
				return -1
			}
			return 1
		case ra != rb:
			if ra > rb {
				return -1
			}
			return 1
		}
		if c := b.rs.CreationTimestamp.Compare(a.rs.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.rs.Name, b.rs.Name)
	})
	for _, e := range active {
		if budget <= 0 {
			break
		}
		if e.spec == 0 {
			continue
		}
		target := int32(0)
		if e.spec > budget {
			target = e.spec - budget
		}
		changes = append(changes, ScaleChange{Name: e.rs.Name, From: e.spec, To: target, Reason: ScaleDownWithinBudget})
		budget -= e.spec - target
		e.spec = target
	}
	return changes
}
