package engine

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The eviction subresource with PodDisruptionBudgets — rollsim's cluster
// model (sim/cluster/eviction.go, which this module cannot import): the
// budget is computed from the store at the moment of the eviction, as the
// disruption controller's status says once caught up; 429 when it would be
// violated, 500 when two budgets select the pod, unready pods evictable
// while the budget is healthy (IfHealthyBudget) or always (AlwaysAllow).

var (
	podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	pdbsGVR = schema.GroupVersionResource{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"}
	rsGVR   = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
)

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (s *store) checkEviction(ns, name string) error {
	obj, err := s.tracker.Get(podsGVR, ns, name)
	if err != nil {
		return err
	}
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodPending {
		return nil
	}
	lo, err := s.tracker.List(pdbsGVR, policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"), ns)
	if err != nil {
		return err
	}
	var match []policyv1.PodDisruptionBudget
	for _, p := range lo.(*policyv1.PodDisruptionBudgetList).Items {
		if p.Spec.Selector == nil {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err == nil && sel.Matches(labels.Set(pod.Labels)) {
			match = append(match, p)
		}
	}
	if len(match) == 0 {
		return nil
	}
	if len(match) > 1 {
		return apierrors.NewInternalError(fmt.Errorf("this pod has more than one PodDisruptionBudget, which the eviction subresource does not support"))
	}
	pdb := &match[0]
	healthy, desired, err := s.budget(pdb)
	if err != nil {
		return err
	}
	if !podIsReady(pod) {
		if p := pdb.Spec.UnhealthyPodEvictionPolicy; (p != nil && *p == policyv1.AlwaysAllow) || healthy >= desired {
			return nil
		}
	}
	if healthy-desired <= 0 {
		return apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
	}
	return nil
}

// budget returns the PDB's current and desired healthy pods.
func (s *store) budget(pdb *policyv1.PodDisruptionBudget) (int32, int32, error) {
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return 0, 0, err
	}
	lo, err := s.tracker.List(podsGVR, corev1.SchemeGroupVersion.WithKind("Pod"), pdb.Namespace)
	if err != nil {
		return 0, 0, err
	}
	var healthy, expected int32
	seen := map[string]bool{}
	for _, p := range lo.(*corev1.PodList).Items {
		if !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		if p.DeletionTimestamp == nil && podIsReady(&p) {
			healthy++
		}
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.Kind == "ReplicaSet" && !seen[ref.Name] {
			seen[ref.Name] = true
			if o, err := s.tracker.Get(rsGVR, p.Namespace, ref.Name); err == nil && o.(*appsv1.ReplicaSet).Spec.Replicas != nil {
				expected += *o.(*appsv1.ReplicaSet).Spec.Replicas
			}
		}
	}
	scaled := func(v *intstr.IntOrString) (int32, error) {
		n, err := intstr.GetScaledValueFromIntOrPercent(v, int(expected), true)
		return int32(n), err
	}
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		mu, err := scaled(pdb.Spec.MaxUnavailable)
		return healthy, max(expected-mu, 0), err
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		return healthy, pdb.Spec.MinAvailable.IntVal, nil
	case pdb.Spec.MinAvailable != nil:
		d, err := scaled(pdb.Spec.MinAvailable)
		return healthy, d, err
	}
	return healthy, 0, nil
}
