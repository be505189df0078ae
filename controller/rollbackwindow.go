package controller

import "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"

// Rollbacks and spec.rollbackWindow (Argo's rollout/sync.go isRollback,
// isFastRollback, isRollbackWithinWindow), shared by canary and blue-green.
// A rollback within the window goes straight to the old ReplicaSet: no steps,
// no pause, no new analysis, promoted with "Rollback within window".

// isRollback: the desired template is the stable one, or a ReplicaSet older
// than the stable one.
func (c *rolloutContext) isRollback() bool {
	if c.newRS == nil || c.stableRS == nil {
		return false
	}
	if c.ro.Status.StableRS == podHash(c.newRS) {
		return true
	}
	return c.newRS.CreationTimestamp.Before(&c.stableRS.CreationTimestamp)
}

// isRollbackWithinWindow: a rollback to a ReplicaSet created before the
// stable one, with fewer than rollbackWindow.revisions ReplicaSets (not
// experiments') created between the two. Creation times are whole seconds,
// as in the API server: two ReplicaSets created in the same second are
// neither before nor after each other.
func (c *rolloutContext) isRollbackWithinWindow() bool {
	if c.newRS == nil || c.stableRS == nil || !c.newRS.CreationTimestamp.Before(&c.stableRS.CreationTimestamp) {
		return false
	}
	w := c.ro.Spec.RollbackWindow
	if w == nil || w.Revisions <= 0 {
		return false
	}
	var between int32
	for _, rs := range c.allRSs {
		if rs.Annotations[v1alpha1.ExperimentNameAnnotationKey] != "" {
			continue
		}
		if rs.CreationTimestamp.Before(&c.stableRS.CreationTimestamp) && c.newRS.CreationTimestamp.Before(&rs.CreationTimestamp) {
			between++
		}
	}
	return between < w.Revisions
}

// isFastRollback is Argo's isFastRollback: a rollback to the stable
// ReplicaSet (also true once fully promoted), or, for blue-green, to an old
// one still inside its scale-down delay, or to one inside the rollback
// window. Analysis is skipped and the rollout is promoted without steps.
func (c *rolloutContext) isFastRollback() bool {
	if !c.isRollback() {
		return false
	}
	withinDelay := c.bg.newRSWithinDelay && isBlueGreen(c.ro)
	return c.isRollbackWithinWindow() || withinDelay || c.ro.Status.StableRS == podHash(c.newRS)
}

// skipStepsWithinWindow is the second SkipSteps case of Argo's canary
// status sync on a template change: back to a ReplicaSet inside the window
// that still has replicas.
func (c *rolloutContext) skipStepsWithinWindow() bool {
	return c.isRollbackWithinWindow() && specReplicas(c.newRS) > 0
}
