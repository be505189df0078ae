package cluster

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func evictionPod(name string, ready bool, owner string) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"a": "b"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner, UID: "rs-uid", Controller: &yes}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

func pdb(name string, minAvailable, maxUnavailable *intstr.IntOrString) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: minAvailable, MaxUnavailable: maxUnavailable,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}}}
}

func evictPod(s *Store, name string) error {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
	return s.Client().SubResource("eviction").Create(context.Background(), p, &policyv1.Eviction{ObjectMeta: p.ObjectMeta})
}

func TestEvictionRespectsDisruptionBudgets(t *testing.T) {
	pct := intstr.FromString("75%")
	one := intstr.FromInt32(1)
	for _, tc := range []struct {
		name    string
		ready   int
		budgets []client.Object
		evict   []string
		want    []string // "" accepted, "429", "500"
	}{
		{"no budget", 4, nil, []string{"p0", "p1", "p2"}, []string{"", "", ""}},
		{"maxUnavailable 1", 4, []client.Object{pdb("b", nil, &one)}, []string{"p0", "p1"}, []string{"", "429"}},
		// An unready pod already uses the budget: 3 ready of 4, none may go.
		{"maxUnavailable 1, one unready", 3, []client.Object{pdb("b", nil, &one)}, []string{"p0"}, []string{"429"}},
		// 75% of the ReplicaSet's 4 is 3, 3 are ready: the unready p3 may go
		// (the budget is healthy), a ready one may not.
		{"minAvailable 75%", 3, []client.Object{pdb("b", &pct, nil)}, []string{"p3", "p0"}, []string{"", "429"}},
		{"two budgets", 4, []client.Object{pdb("b", nil, &one), pdb("c", nil, &one)}, []string{"p0"}, []string{"500"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := []client.Object{rs("web", 4)}
			for i := range 4 {
				objs = append(objs, evictionPod(fmt.Sprintf("p%d", i), i < tc.ready, "web"))
			}
			s := storeWith(t, append(objs, tc.budgets...)...)
			for i, name := range tc.evict {
				err := evictPod(s, name)
				got := ""
				switch {
				case err == nil:
				case apierrors.IsTooManyRequests(err):
					got = "429"
				case apierrors.IsInternalError(err):
					got = "500"
				default:
					t.Fatalf("evict %s: %v", name, err)
				}
				if got != tc.want[i] {
					t.Fatalf("evict %s: got %q (%v), want %q", name, got, err, tc.want[i])
				}
				gone := apierrors.IsNotFound(s.Client().Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: name}, &corev1.Pod{}))
				if gone != (got == "") {
					t.Fatalf("evict %s: pod deleted %t after %q", name, gone, got)
				}
			}
		})
	}
}
