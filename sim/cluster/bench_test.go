package cluster

import (
	"context"
	"fmt"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Per-operation cost of the fake backend's store, for docs/performance.md.

func benchRollout() *v1alpha1.Rollout {
	r := int32(5)
	w := int32(20)
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns"},
		Spec: v1alpha1.RolloutSpec{Replicas: &r, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{{SetWeight: &w}, {Pause: &v1alpha1.RolloutPause{}}}}}},
	}
}

func BenchmarkStoreGetRollout(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	if err := s.Client().Create(ctx, benchRollout()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ro := &v1alpha1.Rollout{}
		if err := s.Client().Get(ctx, client.ObjectKey{Namespace: "ns", Name: "ro"}, ro); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreRolloutStatusPatch(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	ro := benchRollout()
	if err := s.Client().Create(ctx, ro); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		orig := ro.DeepCopy()
		ro.Status.Message = fmt.Sprint(i)
		if err := s.Client().Status().Patch(ctx, ro, client.MergeFrom(orig)); err != nil {
			b.Fatal(err)
		}
	}
}

// The same patch through controller-runtime's full JSON merge path (a stale
// resourceVersion forces it), for comparison.
func BenchmarkStoreRolloutStatusPatchFullPath(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	ro := benchRollout()
	if err := s.Client().Create(ctx, ro); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		orig := ro.DeepCopy()
		ro.Status.Message = fmt.Sprint(i)
		ro.ResourceVersion = ""
		if err := s.Client().Status().Patch(ctx, ro, client.MergeFrom(orig)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreReplicaSetScale(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	r := rs("a", 1)
	if err := s.Client().Create(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		orig := r.DeepCopy()
		n := int32(i % 7)
		r.Spec.Replicas = &n
		if err := s.Client().Patch(ctx, r, client.MergeFrom(orig)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreListReplicaSets(b *testing.B) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := s.Client().Create(ctx, rs(fmt.Sprint("rs", i), 1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l := &appsv1.ReplicaSetList{}
		if err := s.Client().List(ctx, l, client.InNamespace("ns")); err != nil || len(l.Items) != 5 {
			b.Fatal(err, len(l.Items))
		}
	}
}
