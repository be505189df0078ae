package alb

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/replicas"
)

// VerifyWeight is Argo's ALB weight verification with the load balancer
// simulated: without a WeightVerifier verification is off (Argo's default,
// --alb-verify-weight=false) and status.alb is cleared; with one, every
// Ingress's target groups are verified when the verifier says the weights
// last written to it are in effect. status.alb and status.albs name the
// Ingresses (the simulated load balancer has no ARNs).
func (r *Router) VerifyWeight(ctx context.Context, weight int32, additional ...v1alpha1.WeightDestination) (*bool, error) {
	st := r.d.Status
	if r.d.Verifier == nil {
		st.ALB, st.ALBs = nil, nil
		return nil, nil
	}
	ro := r.d.Rollout
	if !shouldVerify(ro, weight) && (ro.Status.ALBs != nil || ro.Status.ALB != nil) {
		return nil, nil
	}
	if st.ALB == nil {
		st.ALB = &v1alpha1.ALBStatus{}
	}
	names := Ingresses(r.alb)
	if len(st.ALBs) != len(names) {
		st.ALBs = make([]v1alpha1.ALBStatus, len(names))
	}
	_, canary := Services(ro)
	verified := 0
	for i, name := range names {
		if _, err := r.get(ctx, name); err != nil {
			f := false
			return &f, fmt.Errorf("get ingress %s: %w", name, err)
		}
		st.ALBs[i].Ingress, st.ALB.Ingress = name, name
		tg := fmt.Sprintf("%s/%s-%s:%d", ro.Namespace, name, canary, r.alb.ServicePort)
		if !r.d.Verifier.Verified("ingress", ro.Namespace, name) {
			r.d.Note("rollout", ro.Name, "event", "TargetGroupUnverified",
				fmt.Sprintf("Service %s (TargetGroup %s) not verified: canary weight %d not yet set", canary, tg, weight))
			continue
		}
		verified += 1 + len(additional)
		r.d.Note("rollout", ro.Name, "event", "TargetGroupVerified",
			fmt.Sprintf("Service %s (TargetGroup %s) verified: canary weight %d set", canary, tg, weight))
	}
	ok := verified == len(names)+len(additional)
	return &ok, nil
}

// shouldVerify is Argo's ShouldVerifyWeight: mid-update at a setWeight
// step, or at the end of the steps with the full weight.
func shouldVerify(ro *v1alpha1.Rollout, weight int32) bool {
	if ro.Status.StableRS == "" || ro.Status.StableRS == ro.Status.CurrentPodHash {
		return false
	}
	step, _ := replicas.CurrentStep(ro)
	if step != nil {
		return step.SetWeight != nil
	}
	return weight == replicas.MaxWeight(ro)
}
