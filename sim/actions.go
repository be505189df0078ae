package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const actorUser = "user"

func (h *Harness) patchRollout(ns, name string, mutate func(ro *v1alpha1.Rollout) (spec, status bool, err error)) (*v1alpha1.Rollout, error) {
	ctx := context.Background()
	ro, err := h.Rollout(ns, name)
	if err != nil {
		return nil, err
	}
	orig := ro.DeepCopy()
	spec, status, err := mutate(ro)
	if err != nil {
		return nil, err
	}
	if spec {
		cp := ro.DeepCopy()
		cp.Status = orig.Status
		if err := h.store.Client().Patch(ctx, cp, client.MergeFrom(orig)); err != nil {
			return nil, fmt.Errorf("patch rollout %s/%s: %w", ns, name, err)
		}
		st := ro.Status
		ro = cp
		ro.Status = st
		orig = cp.DeepCopy()
		orig.Status = cp.Status
	}
	if status {
		fresh, err := h.Rollout(ns, name)
		if err != nil {
			return nil, err
		}
		base := fresh.DeepCopy()
		fresh.Status = ro.Status
		if err := h.store.Client().Status().Patch(ctx, fresh, client.MergeFrom(base)); err != nil {
			return nil, fmt.Errorf("patch status of rollout %s/%s: %w", ns, name, err)
		}
	}
	return ro, nil
}

// SetImage is `kubectl argo rollouts set image NAME CONTAINER=IMAGE`;
// container "" or "*" sets every container.
func (h *Harness) SetImage(ns, name, container, image string) error {
	if ro, err := h.Rollout(ns, name); err == nil && ro.Spec.WorkloadRef != nil && ro.Spec.WorkloadRef.Kind == "Deployment" {
		return h.setDeploymentImage(ns, name, ro.Spec.WorkloadRef.Name, container, image)
	}
	var before []string
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		var found bool
		before, found = setContainerImage(&ro.Spec.Template.Spec, container, image)
		if !found {
			return false, false, fmt.Errorf("set image: rollout %s/%s has no container %q", ns, name, container)
		}
		return true, false, nil
	})
	if err != nil {
		return err
	}
	h.Note(actorUser, "rollout/"+name, "action", "SetImage", fmt.Sprintf("image %s → %s", strings.Join(before, ","), image))
	return nil
}

// Promote is `kubectl argo rollouts promote NAME` (full=false) or
// `… promote --full`.
func (h *Harness) Promote(ns, name string, full bool) error {
	var what string
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		spec := ro.Spec.Paused
		ro.Spec.Paused = false
		if full {
			what = "promote --full"
			if ro.Status.CurrentPodHash != ro.Status.StableRS {
				ro.Status.PromoteFull = true
				return spec, true, nil
			}
			what += " (nothing to promote)"
			return spec, false, nil
		}
		inconclusive := ro.Status.Canary.CurrentStepAnalysisRunStatus != nil &&
			ro.Status.Canary.CurrentStepAnalysisRunStatus.Status == v1alpha1.AnalysisPhaseInconclusive
		steps := 0
		if ro.Spec.Strategy.Canary != nil {
			steps = len(ro.Spec.Strategy.Canary.Steps)
		}
		idx := int32(0)
		if ro.Status.CurrentStepIndex != nil {
			idx = *ro.Status.CurrentStepIndex
		}
		switch {
		case inconclusive && len(ro.Status.PauseConditions) > 0 && ro.Status.ControllerPause:
			if int(idx) < steps {
				idx++
			}
			ro.Status.PauseConditions = nil
			ro.Status.ControllerPause = false
			ro.Status.CurrentStepIndex = &idx
			what = fmt.Sprintf("promote: inconclusive analysis skipped, step index → %d", idx)
			return spec, true, nil
		case len(ro.Status.PauseConditions) > 0:
			ro.Status.PauseConditions = nil
			what = "promote: pause conditions cleared"
			return spec, true, nil
		case ro.Spec.Strategy.Canary != nil && steps > 0:
			if int(idx) < steps {
				idx++
			}
			ro.Status.PauseConditions = nil
			ro.Status.CurrentStepIndex = &idx
			what = fmt.Sprintf("promote: current step skipped, step index → %d", idx)
			return spec, true, nil
		}
		what = "promote"
		return spec, false, nil
	})
	if err != nil {
		return err
	}
	reason := "Promote"
	if full {
		reason = "PromoteFull"
	}
	h.Note(actorUser, "rollout/"+name, "action", reason, what)
	return nil
}

// Abort is `kubectl argo rollouts abort NAME`.
func (h *Harness) Abort(ns, name string) error {
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		ro.Status.Abort = true
		return false, true, nil
	})
	if err == nil {
		h.Note(actorUser, "rollout/"+name, "action", "Abort", "status.abort = true")
	}
	return err
}

// Retry is `kubectl argo rollouts retry rollout NAME`.
func (h *Harness) Retry(ns, name string) error {
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		ro.Status.Abort = false
		return false, true, nil
	})
	if err == nil {
		h.Note(actorUser, "rollout/"+name, "action", "Retry", "status.abort = false")
	}
	return err
}

// Pause is `kubectl argo rollouts pause NAME` (spec.paused = true).
func (h *Harness) Pause(ns, name string) error {
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		ro.Spec.Paused = true
		return true, false, nil
	})
	if err == nil {
		h.Note(actorUser, "rollout/"+name, "action", "Pause", "spec.paused = true")
	}
	return err
}

// Resume clears spec.paused only.
func (h *Harness) Resume(ns, name string) error {
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		ro.Spec.Paused = false
		return true, false, nil
	})
	if err == nil {
		h.Note(actorUser, "rollout/"+name, "action", "Resume", "spec.paused = false")
	}
	return err
}

// Scale sets spec.replicas.
func (h *Harness) Scale(ns, name string, replicas int32) error {
	var from int32
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		if ro.Spec.Replicas != nil {
			from = *ro.Spec.Replicas
		}
		ro.Spec.Replicas = &replicas
		return true, false, nil
	})
	if err == nil {
		h.Note(actorUser, "rollout/"+name, "action", "Scale", fmt.Sprintf("spec.replicas %d → %d", from, replicas))
	}
	return err
}

// Restart is `kubectl argo rollouts restart NAME [--in D]`: spec.restartAt
// = now + in, in whole seconds.
func (h *Harness) Restart(ns, name string, in time.Duration) error {
	at := metav1.NewTime(h.Now().Add(in).UTC().Truncate(time.Second))
	_, err := h.patchRollout(ns, name, func(ro *v1alpha1.Rollout) (bool, bool, error) {
		ro.Spec.RestartAt = &at
		return true, false, nil
	})
	if err == nil {
		h.Note(actorUser, "rollout/"+name, "action", "Restart", "spec.restartAt = "+at.UTC().Format(time.RFC3339))
	}
	return err
}

// SetDeploymentImage sets the image of a Deployment that a rollout
// references (workloadRef); rollout names it in the timeline.
func (h *Harness) SetDeploymentImage(ns, rollout, deployment, container, image string) error {
	return h.setDeploymentImage(ns, rollout, deployment, container, image)
}

// setDeploymentImage is `set image` on a rollout with a workloadRef: the CLI
// edits the referenced Deployment.
func (h *Harness) setDeploymentImage(ns, rollout, deployment, container, image string) error {
	ctx := context.Background()
	d := &appsv1.Deployment{}
	if err := h.store.Client().Get(ctx, types.NamespacedName{Namespace: ns, Name: deployment}, d); err != nil {
		return fmt.Errorf("set image: workloadRef Deployment %s/%s: %w", ns, deployment, err)
	}
	orig := d.DeepCopy()
	before, found := setContainerImage(&d.Spec.Template.Spec, container, image)
	if !found {
		return fmt.Errorf("set image: Deployment %s/%s has no container %q", ns, deployment, container)
	}
	if err := h.store.Client().Patch(ctx, d, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("set image on Deployment %s/%s: %w", ns, deployment, err)
	}
	h.Note(actorUser, "rollout/"+rollout, "action", "SetImage", fmt.Sprintf("image %s → %s (workloadRef Deployment %s)", strings.Join(before, ","), image, deployment))
	return nil
}

// setContainerImage sets the image of the named container ("" or "*": all)
// and returns the images it replaced.
func setContainerImage(spec *corev1.PodSpec, container, image string) (before []string, found bool) {
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if container == "" || container == "*" || c.Name == container {
			before = append(before, c.Image)
			c.Image = image
			found = true
		}
	}
	return before, found
}
