package cluster

import (
	"context"
	"fmt"
	"math"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The eviction subresource with PodDisruptionBudgets, as the API server and
// the disruption controller decide it together (policy/v1, default
// unhealthyPodEvictionPolicy IfHealthyBudget). There is no disruption
// controller here: the budget is computed from the store at the moment of
// the eviction, which is what its status says once it has caught up (an
// evicted pod is deleted at once, so it never lingers in disruptedPods).

// budget is one PDB's computed status.
type budget struct {
	name                          string
	currentHealthy, desiredHealty int32
}

func (b budget) disruptionsAllowed() int32 { return max(b.currentHealthy-b.desiredHealty, 0) }

// checkEviction returns nil when pod may be evicted, else the API server's
// error: 429 when a budget would be violated, 500 when more than one budget
// selects the pod.
func checkEviction(ctx context.Context, r client.Reader, pod *corev1.Pod) error {
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodPending {
		return nil // terminal, pending or deleting pods ignore budgets
	}
	pdbs := &policyv1.PodDisruptionBudgetList{}
	if err := r.List(ctx, pdbs, client.InNamespace(pod.Namespace)); err != nil {
		return fmt.Errorf("list PodDisruptionBudgets in %s: %w", pod.Namespace, err)
	}
	var match []*policyv1.PodDisruptionBudget
	for i := range pdbs.Items {
		p := &pdbs.Items[i]
		if sel, err := selectorOf(p); err == nil && sel != nil && sel.Matches(labels.Set(pod.Labels)) {
			match = append(match, p)
		}
	}
	switch len(match) {
	case 0:
		return nil
	case 1:
	default:
		return apierrors.NewInternalError(fmt.Errorf("this pod has more than one PodDisruptionBudget, which the eviction subresource does not support"))
	}
	pdb := match[0]
	b, err := computeBudget(ctx, r, pdb)
	if err != nil {
		return err
	}
	if !podReady(pod) {
		if pdb.Spec.UnhealthyPodEvictionPolicy != nil && *pdb.Spec.UnhealthyPodEvictionPolicy == policyv1.AlwaysAllow {
			return nil
		}
		if b.currentHealthy >= b.desiredHealty {
			return nil
		}
	}
	if b.disruptionsAllowed() <= 0 {
		return tooManyRequests(pdb.Name, b)
	}
	return nil
}

func tooManyRequests(name string, b budget) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
	err.ErrStatus.Details = &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: policyv1.DisruptionBudgetCause,
		Message: fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", name, b.desiredHealty, b.currentHealthy)}}}
	return err
}

// computeBudget is the disruption controller's status computation: healthy
// = ready pods selected and not being deleted; desired from minAvailable
// (an integer, or a percentage of the controllers' scale, rounded up) or
// from maxUnavailable (the controllers' scale minus it, rounded up).
func computeBudget(ctx context.Context, r client.Reader, pdb *policyv1.PodDisruptionBudget) (budget, error) {
	sel, err := selectorOf(pdb)
	if err != nil {
		return budget{}, err
	}
	list := &corev1.PodList{}
	if err := r.List(ctx, list, client.InNamespace(pdb.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return budget{}, fmt.Errorf("list pods of PodDisruptionBudget %s: %w", pdb.Name, err)
	}
	b := budget{name: pdb.Name}
	for i := range list.Items {
		if p := &list.Items[i]; p.DeletionTimestamp == nil && podReady(p) {
			b.currentHealthy++
		}
	}
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		expected, err := expectedScale(ctx, r, list.Items)
		if err != nil {
			return budget{}, err
		}
		mu, err := scaled(pdb.Spec.MaxUnavailable, expected)
		if err != nil {
			return budget{}, err
		}
		b.desiredHealty = max(expected-mu, 0)
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		b.desiredHealty = pdb.Spec.MinAvailable.IntVal
	case pdb.Spec.MinAvailable != nil:
		expected, err := expectedScale(ctx, r, list.Items)
		if err != nil {
			return budget{}, err
		}
		if b.desiredHealty, err = scaled(pdb.Spec.MinAvailable, expected); err != nil {
			return budget{}, err
		}
	}
	return b, nil
}

func scaled(v *intstr.IntOrString, total int32) (int32, error) {
	if v.Type == intstr.Int {
		return v.IntVal, nil
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, int(total), true)
	if err != nil || n > math.MaxInt32 {
		return 0, fmt.Errorf("PodDisruptionBudget: invalid value %q: %v", v.String(), err)
	}
	return int32(n), nil
}

// expectedScale sums spec.replicas of the pods' controlling ReplicaSets
// (each counted once), as the disruption controller finds them.
func expectedScale(ctx context.Context, r client.Reader, pods []corev1.Pod) (int32, error) {
	seen := map[types.UID]bool{}
	var total int32
	for i := range pods {
		ref := controllerOf(pods[i].OwnerReferences)
		if ref == nil || ref.Kind != "ReplicaSet" || seen[ref.UID] {
			continue
		}
		seen[ref.UID] = true
		rs := &appsv1.ReplicaSet{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: pods[i].Namespace, Name: ref.Name}, rs); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return 0, fmt.Errorf("get ReplicaSet %s: %w", ref.Name, err)
		}
		if rs.Spec.Replicas != nil {
			total += *rs.Spec.Replicas
		}
	}
	return total, nil
}

// evict is the eviction subresource on a pod: the budget check, then a
// delete through w.
func evict(ctx context.Context, r client.Reader, w client.Writer, obj client.Object, sub client.Object) error {
	switch sub.(type) {
	case *policyv1.Eviction:
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("got invalid type %T, expected policy/v1 Eviction", sub))
	}
	pod := &corev1.Pod{}
	if err := r.Get(ctx, client.ObjectKeyFromObject(obj), pod); err != nil {
		if apierrors.IsNotFound(err) {
			return apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, obj.GetName())
		}
		return err
	}
	if err := checkEviction(ctx, r, pod); err != nil {
		return err
	}
	return w.Delete(ctx, pod)
}

// selectorOf is the PDB's selector: in policy/v1 an empty selector selects
// every pod of the namespace, a missing one none (nil).
func selectorOf(pdb *policyv1.PodDisruptionBudget) (labels.Selector, error) {
	if pdb.Spec.Selector == nil {
		return nil, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("PodDisruptionBudget %s: selector: %w", pdb.Name, err)
	}
	return sel, nil
}
