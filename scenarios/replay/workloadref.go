package replay

import (
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// podTemplate is the pod template a rollout runs: its own, or, with
// spec.workloadRef, the referenced Deployment's among the loaded objects
// (as the controller resolves it). The error says what is missing.
func podTemplate(ro *v1alpha1.Rollout, objs []manifests.Object) (*corev1.PodTemplateSpec, error) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return &ro.Spec.Template, nil
	}
	if ref.Kind != "Deployment" {
		return nil, fmt.Errorf("rollout %s: spec.workloadRef.kind %q: %v (only Deployment)", ro.Name, ref.Kind, controller.ErrNotSupported)
	}
	ns := ro.Namespace
	if ns == "" {
		ns = "default"
	}
	for _, o := range objs {
		d, ok := o.Obj.(*appsv1.Deployment)
		if !ok || d.Name != ref.Name {
			continue
		}
		if dns := d.Namespace; dns == ns || (dns == "" && ns == "default") {
			return &d.Spec.Template, nil
		}
	}
	return nil, fmt.Errorf("rollout %s: spec.workloadRef: Deployment %q is not in the manifests (namespace %s)", ro.Name, ref.Name, ns)
}
