package controller

import (
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// referencedServices names the Services a rollout's strategy references
// (Argo's GetRolloutServiceKeys).
func referencedServices(ro *v1alpha1.Rollout) map[string]bool {
	out := map[string]bool{}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		out[bg.ActiveService], out[bg.PreviewService] = true, true
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		out[c.StableService], out[c.CanaryService] = true, true
		if pp := c.PingPong; pp != nil {
			out[pp.PingService], out[pp.PongService] = true, true
		}
	}
	delete(out, "")
	return out
}

// releaseServices is Argo's service controller for the Services this rollout
// managed and no longer references (after a switch from blue-green to
// canary, say): their rollouts-pod-template-hash selector and managed-by
// annotation are removed, so they route to every pod the rest of the
// selector matches again. Argo's rollout controller queues those Services
// when the rollout's references change.
func (c *rolloutContext) releaseServices() error {
	ro := c.ro
	refs := referencedServices(ro)
	list := &corev1.ServiceList{}
	if err := c.r.opts.Client.List(c.ctx, list, client.InNamespace(ro.Namespace)); err != nil {
		return fmt.Errorf("list services: %w", err)
	}
	for i := range list.Items {
		svc := &list.Items[i]
		if svc.Annotations[AnnotationManagedBy] != ro.Name || refs[svc.Name] {
			continue
		}
		if _, ok := svc.Spec.Selector[LabelPodTemplateHash]; !ok {
			continue
		}
		patch := client.MergeFrom(svc.DeepCopy())
		delete(svc.Spec.Selector, LabelPodTemplateHash)
		delete(svc.Annotations, AnnotationManagedBy)
		if err := c.r.opts.Client.Patch(c.ctx, svc, patch); err != nil {
			return fmt.Errorf("release service %s: %w", svc.Name, err)
		}
		c.note("service", svc.Name, "event", "ServiceReleased", fmt.Sprintf("no longer referenced by rollout %s: %s selector and managed-by annotation removed", ro.Name, LabelPodTemplateHash))
	}
	return nil
}
