package controller

import (
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func windowRS(hash string, createdSec int, annotations map[string]string) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "ro-" + hash, Labels: map[string]string{LabelPodTemplateHash: hash},
		Annotations:       annotations,
		CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, createdSec, 0, time.UTC))}}
}

// Argo counts the ReplicaSets created strictly between the rollback target
// and the stable one, experiments' excluded; fewer than revisions is
// within the window.
func TestRollbackWithinWindow(t *testing.T) {
	a, b, exp, c, stable := windowRS("a", 0, nil), windowRS("b", 10, nil),
		windowRS("x", 15, map[string]string{v1alpha1.ExperimentNameAnnotationKey: "e"}), windowRS("c", 20, nil), windowRS("s", 30, nil)
	for _, tc := range []struct {
		name      string
		newRS     *appsv1.ReplicaSet
		revisions int32
		want      bool
	}{
		{"just before stable", c, 1, true},
		{"two between, window 2", a, 2, false},
		{"two between, window 3", a, 3, true},
		{"one between (experiment skipped), window 2", b, 2, true},
		{"no window", c, 0, false},
		{"not a rollback", stable, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := &v1alpha1.Rollout{}
			ro.Spec.RollbackWindow = &v1alpha1.RollbackWindowSpec{Revisions: tc.revisions}
			ro.Status.StableRS = "s"
			rc := &rolloutContext{ro: ro, newRS: tc.newRS, stableRS: stable, allRSs: []*appsv1.ReplicaSet{a, b, exp, c, stable}}
			if got := rc.isRollbackWithinWindow(); got != tc.want {
				t.Fatalf("within window %t, want %t", got, tc.want)
			}
		})
	}
	// Created in the same second as the stable one: not before it, so
	// neither a rollback nor in any window.
	same := windowRS("t", 30, nil)
	ro := &v1alpha1.Rollout{}
	ro.Spec.RollbackWindow = &v1alpha1.RollbackWindowSpec{Revisions: 10}
	ctx := &rolloutContext{ro: ro, newRS: same, stableRS: stable, allRSs: []*appsv1.ReplicaSet{same, stable}}
	if ctx.isRollbackWithinWindow() || ctx.isRollback() {
		t.Fatal("a ReplicaSet created in the stable one's second is not a rollback")
	}
}
