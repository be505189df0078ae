package controller

import (
	"fmt"
	"strconv"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/replicas"
	"github.com/rollsim/rollsim/controller/trafficrouting"
)

// verifyRetryInterval is Argo's default rollout verify retry interval.
const verifyRetryInterval = 10 * time.Second

// trafficPlan is what one reconcile asks of every router: Argo's
// reconcileTrafficRouting decides it before it calls a router.
type trafficPlan struct {
	weight int32
	why    string
	// canaryHash overrides the new ReplicaSet's hash while a dynamic
	// rollback to the stable balances the previous canary against it.
	canaryHash string
	// removeManaged: the managed header and mirror routes go (promoted,
	// aborted, full promotion, or no available canary).
	removeManaged bool
	// resetCanaryService: an abort points the canary Service at the stable
	// pods before the routes are removed.
	resetCanaryService bool
	// additional are the experiment templates' weight destinations.
	additional []v1alpha1.WeightDestination
}

// planTraffic is Argo's weight ladder (§3.9) for a traffic-routed canary:
// the first rule that matches decides.
func (c *rolloutContext) planTraffic() trafficPlan {
	ro := c.ro
	m := replicas.MaxWeight(ro)
	cs := c.canary()
	if prev, ok := trafficrouting.DynamicRollbackToStable(ro, c.newRS); ok {
		return trafficPlan{weight: c.weightOnAbortOrStableRollback(), why: "dynamic rollback to stable", canaryHash: prev}
	}
	fullyPromoted := ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash
	switch {
	case fullyPromoted:
		return trafficPlan{weight: 0, why: "fully promoted", removeManaged: true}
	case c.pause.aborted():
		w := c.weightOnAbortOrStableRollback()
		why := "aborted"
		if cs.DynamicStableScale {
			why = "aborted (dynamicStableScale steps down)"
		}
		return trafficPlan{weight: w, why: why, removeManaged: true, resetCanaryService: !cs.DynamicStableScale || w == 0}
	case c.newRS == nil || c.newRS.Status.AvailableReplicas == 0:
		return trafficPlan{weight: 0, why: "canary has no available pod", removeManaged: true, additional: c.experimentWeightDestinations()}
	case ro.Status.PromoteFull:
		p := trafficPlan{why: "full promotion keeps the weight", removeManaged: true}
		if cs.DynamicStableScale {
			p.weight, p.why = m*c.newRS.Status.AvailableReplicas/replicas.Replicas(ro), "full promotion (dynamicStableScale)"
		} else if cur := ro.Status.Canary.Weights; cur != nil {
			p.weight = cur.Canary.Weight
		}
		return p
	}
	steps := cs.Steps
	if len(steps) == 0 {
		return trafficPlan{weight: 0, why: "no steps"}
	}
	_, idx := currentStep(ro)
	if !replicas.AtDesiredReplicaCountsForCanary(ro, c.newRS, c.stableRS, c.otherRSs, nil) {
		w := int32(0)
		for i := int32(0); i < *idx && int(i) < len(steps); i++ {
			if steps[i].SetWeight != nil {
				w = *steps[i].SetWeight
			}
		}
		return trafficPlan{weight: w, why: "canary not yet at desired replicas", additional: c.experimentWeightDestinations()}
	}
	if int(*idx) < len(steps) {
		return trafficPlan{weight: replicas.CurrentSetWeight(ro), why: fmt.Sprintf("step %d", *idx), additional: c.experimentWeightDestinations()}
	}
	return trafficPlan{weight: m, why: "all steps done"}
}

// weightOnAbortOrStableRollback is Argo's
// calculateDesiredWeightOnAbortOrStableRollback: 0, or with
// dynamicStableScale the step weights in reverse as the stable scales up.
func (c *rolloutContext) weightOnAbortOrStableRollback() int32 {
	ro := c.ro
	if !c.canary().DynamicStableScale || c.stableRS == nil || c.newRS == nil || ro.Spec.Replicas == nil || *ro.Spec.Replicas == 0 {
		return 0
	}
	m := replicas.MaxWeight(ro)
	desired := replicas.ReverseStepWeight(ro, c.newRS, c.stableRS)
	expected := max(0, m-(m*c.stableRS.Status.AvailableReplicas)/(*ro.Spec.Replicas))
	cur := ro.Status.Canary.Weights
	if cur == nil {
		return max(expected, desired)
	}
	if desired <= 0 {
		return min(expected, cur.Canary.Weight)
	}
	if stableW := (m * c.stableRS.Status.AvailableReplicas) / (*ro.Spec.Replicas); stableW < m-desired {
		return cur.Canary.Weight
	}
	return min(desired, cur.Canary.Weight)
}

// experimentWeightDestinations are the running experiment's templates that
// carry a weight (Argo's calculateWeightDestinationsFromExperiment). Argo
// reads the rollout's experiments before it routes; so does this.
func (c *rolloutContext) experimentWeightDestinations() []v1alpha1.WeightDestination {
	if currentExperimentStep(c.ro) == nil {
		return nil
	}
	if err := c.loadExperiments(); err != nil {
		return nil
	}
	return ExperimentWeightDestinations(c.ro, c.exs.current)
}

// reconcileTrafficRouting asks every router the rollout names to route as
// planned, in Argo's order, and records the weights in
// status.canary.weights.
func (c *rolloutContext) reconcileTrafficRouting() error {
	ro := c.ro
	routers, err := c.trafficRouters()
	if err != nil {
		return err
	}
	if len(routers) == 0 {
		c.newStatus.Canary.Weights = nil
		return nil
	}
	prev := ro.Status.Canary.Weights
	c.newStatus.Canary.Weights = prev.DeepCopy()
	p := c.planTraffic()
	if p.resetCanaryService {
		if err := c.ensureServiceTarget(c.canary().CanaryService, c.stableRS, false); err != nil {
			return err
		}
	}
	m := replicas.MaxWeight(ro)
	stableHash, canaryHash := "", ""
	if c.stableRS != nil {
		stableHash = c.stableRS.Labels[LabelPodTemplateHash]
	}
	if c.newRS != nil {
		canaryHash = c.newRS.Labels[LabelPodTemplateHash]
	}
	if p.canaryHash != "" {
		canaryHash = p.canaryHash
	}
	for _, rt := range routers {
		if p.removeManaged {
			if err := rt.RemoveManagedRoutes(c.ctx); err != nil {
				return fmt.Errorf("%s: remove managed routes: %w", rt.Type(), err)
			}
		}
		if !c.stableAvailableFor(m - p.weight) {
			return nil
		}
		if err := c.setStepRoutes(rt); err != nil {
			return err
		}
		if (c.newRS == nil || c.newRS.Status.AvailableReplicas == 0) && prev != nil && prev.Canary.Weight > 0 {
			if err := rt.SetWeight(c.ctx, p.weight, p.additional...); err != nil {
				return c.trafficError(rt, err)
			}
		}
		if err := rt.UpdateHash(c.ctx, canaryHash, stableHash, p.additional...); err != nil {
			return fmt.Errorf("%s: update hash: %w", rt.Type(), err)
		}
		if err := rt.SetWeight(c.ctx, p.weight, p.additional...); err != nil {
			return c.trafficError(rt, err)
		}
		c.recordWeights(prev, canaryHash, stableHash, p)
		if done, err := c.verifyWeight(rt, p); done || err != nil {
			return err
		}
	}
	return nil
}

// stableAvailableFor is Argo's checkReplicasAvailable for the stable
// ReplicaSet: enough available pods to take weight (of MaxTrafficWeight).
func (c *rolloutContext) stableAvailableFor(weight int32) bool {
	if c.stableRS == nil {
		return false
	}
	m := replicas.MaxWeight(c.ro)
	return c.stableRS.Status.AvailableReplicas >= int32(int64(weight)*int64(replicas.Replicas(c.ro))/int64(m))
}

// setStepRoutes sets the current step's header or mirror route; Argo skips
// them for the first revision (the step-0 run on install).
func (c *rolloutContext) setStepRoutes(rt trafficrouting.Router) error {
	step, _ := currentStep(c.ro)
	if step == nil || c.newRS == nil {
		return nil
	}
	if rev, err := strconv.Atoi(c.newRS.Annotations[AnnotationRevision]); err != nil || rev <= 1 {
		return nil
	}
	if step.SetHeaderRoute != nil {
		if err := rt.SetHeaderRoute(c.ctx, step.SetHeaderRoute); err != nil {
			return fmt.Errorf("%s: set header route %s: %w", rt.Type(), step.SetHeaderRoute.Name, err)
		}
	}
	if step.SetMirrorRoute != nil {
		if err := rt.SetMirrorRoute(c.ctx, step.SetMirrorRoute); err != nil {
			return fmt.Errorf("%s: set mirror route %s: %w", rt.Type(), step.SetMirrorRoute.Name, err)
		}
	}
	return nil
}

// trafficError is Argo's TrafficRoutingError warning event for a failed
// SetWeight; the reconcile ends with the error.
func (c *rolloutContext) trafficError(rt trafficrouting.Router, err error) error {
	c.note("rollout", c.ro.Name, "event", "TrafficRoutingError", err.Error())
	return fmt.Errorf("%s: set weight: %w", rt.Type(), err)
}

// recordWeights is Argo's calculateWeightStatus: status.canary.weights, and a
// TrafficWeightUpdated event when they changed.
func (c *rolloutContext) recordWeights(prev *v1alpha1.TrafficWeights, canaryHash, stableHash string, p trafficPlan) {
	cs := c.canary()
	m := replicas.MaxWeight(c.ro)
	next := &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: p.weight, PodTemplateHash: canaryHash, ServiceName: cs.CanaryService},
	}
	stableW := m - p.weight
	for _, d := range p.additional {
		next.Additional = append(next.Additional, d)
		stableW -= d.Weight
	}
	next.Stable = v1alpha1.WeightDestination{Weight: stableW, PodTemplateHash: stableHash, ServiceName: cs.StableService}
	if prev != nil && prev.Canary == next.Canary && prev.Stable == next.Stable && equalDestinations(prev.Additional, next.Additional) {
		return
	}
	c.newStatus.Canary.Weights = next
	if prev == nil || prev.Canary.Weight != p.weight {
		from := int32(0)
		if prev != nil {
			from = prev.Canary.Weight
		}
		c.note("rollout", c.ro.Name, "weight", "TrafficWeightUpdated", fmt.Sprintf("Traffic weight updated from %d to %d (%s)", from, p.weight, p.why))
	}
}

func equalDestinations(a, b []v1alpha1.WeightDestination) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// verifyWeight records whether the router has the weight in effect. Not yet
// verified: check again after Argo's verify retry interval (10 s); at the
// end of the rollout the reconcile stops there (done). A verification error
// is a WeightVerifyError event and the reconcile goes on.
func (c *rolloutContext) verifyWeight(rt trafficrouting.Router, p trafficPlan) (done bool, err error) {
	verified, verr := rt.VerifyWeight(c.ctx, p.weight, p.additional...)
	if c.newStatus.Canary.Weights != nil {
		c.newStatus.Canary.Weights.Verified = verified
	}
	if verr != nil {
		c.note("rollout", c.ro.Name, "event", "WeightVerifyError", fmt.Sprintf("Failed to verify weight: %v", verr))
		return true, nil
	}
	if verified == nil || *verified {
		return false, nil
	}
	c.enqueueAfter(verifyRetryInterval)
	idx := int32(0)
	if c.ro.Status.CurrentStepIndex != nil {
		idx = *c.ro.Status.CurrentStepIndex
	}
	if p.weight == replicas.MaxWeight(c.ro) && len(c.canary().Steps) >= int(idx) {
		return true, fmt.Errorf("end of rollout, desired weight %d not yet verified", p.weight)
	}
	return false, nil
}
