package controller

import (
	"context"
	"fmt"
	"reflect"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/replicas"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// resolveWorkloadRef copies the referenced Deployment's template and
// selector into the in-memory rollout, as Argo does before anything else
// (the stored spec is never changed). It returns an InvalidSpec message
// when the reference cannot be used.
func (r *RolloutReconciler) resolveWorkloadRef(ctx context.Context, ro *v1alpha1.Rollout) (string, error) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return "", nil
	}
	if !reflect.DeepEqual(ro.Spec.Template, corev1.PodTemplateSpec{}) {
		return "spec.template: Invalid value: template must be empty for workload reference rollout", nil
	}
	if ref.Kind != "Deployment" {
		return fmt.Sprintf("spec.workloadRef.kind: %q: %v (only Deployment)", ref.Kind, ErrNotSupported), nil
	}
	d := &appsv1.Deployment{}
	if err := r.opts.Client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: ref.Name}, d); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Sprintf("spec.workloadRef: Invalid value: %q: Deployment %q not found", ref.Name, ref.Name), nil
		}
		return "", fmt.Errorf("get workloadRef Deployment %s: %w", ref.Name, err)
	}
	ro.Spec.Template = *d.Spec.Template.DeepCopy()
	if ro.Spec.Selector == nil { // Argo keeps a selector the Rollout sets itself
		ro.Spec.Selector = d.Spec.Selector.DeepCopy()
	}
	ro.Spec.TemplateResolvedFromRef = true
	return "", nil
}

// reconcileWorkloadScaleDown applies workloadRef.scaleDown while revision 1
// (the migration from the Deployment) rolls out: progressively keeps the
// Deployment at R − the rollout's ready replicas, then 0 once Healthy;
// onsuccess scales it to 0 once revision 1 is Healthy.
func (c *rolloutContext) reconcileWorkloadScaleDown() error {
	ro := c.ro
	ref := ro.Spec.WorkloadRef
	if ref == nil || c.newRS == nil || revisionOf(c.newRS) != 1 {
		return nil
	}
	healthy := ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	var target int32
	switch ref.ScaleDown {
	case v1alpha1.ScaleDownProgressively:
		if !healthy {
			target = replicas.Replicas(ro) - ro.Status.ReadyReplicas
			if target < 0 {
				target = 0
			}
		}
	case v1alpha1.ScaleDownOnSuccess:
		if !healthy || ro.Status.StableRS != c.newHash {
			return nil
		}
	default:
		return nil
	}
	d := &appsv1.Deployment{}
	if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: ro.Namespace, Name: ref.Name}, d); err != nil {
		return fmt.Errorf("get workloadRef Deployment %s: %w", ref.Name, err)
	}
	if d.Spec.Replicas != nil && *d.Spec.Replicas == target {
		return nil
	}
	from := int32(1)
	if d.Spec.Replicas != nil {
		from = *d.Spec.Replicas
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = &target
	if err := c.r.opts.Client.Patch(c.ctx, d, patch); err != nil {
		return fmt.Errorf("scale workloadRef Deployment %s: %w", ref.Name, err)
	}
	c.note("deployment", d.Name, "scaled", "ScalingReplicaSet", fmt.Sprintf("%d → %d: workloadRef scaleDown %s", from, target, ref.ScaleDown))
	return nil
}
