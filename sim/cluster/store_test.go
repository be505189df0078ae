package cluster

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newTestStore(changes *[]Change) (*Store, *time.Time) {
	now := t0.Add(1500 * time.Millisecond)
	s := NewStore(func() time.Time { return now }, func(c Change) {
		if changes != nil {
			*changes = append(*changes, c)
		}
	})
	return s, &now
}

func rs(name string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}}}},
	}
}

func TestCreateStampsDeterministicServerFields(t *testing.T) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	a := rs("a", 1)
	if err := s.Client().Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	got := &appsv1.ReplicaSet{}
	if err := s.Client().Get(ctx, client.ObjectKeyFromObject(a), got); err != nil {
		t.Fatal(err)
	}
	if got.UID != "00000000-0000-4000-8000-000000000001" || got.Generation != 1 {
		t.Fatalf("uid %q generation %d", got.UID, got.Generation)
	}
	if !got.CreationTimestamp.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("creationTimestamp %s is not the virtual time truncated to seconds", got.CreationTimestamp)
	}
}

func TestGenerationBumpsOnSpecChangeOnly(t *testing.T) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	a := rs("a", 1)
	if err := s.Client().Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	orig := a.DeepCopy()
	a.Status.Replicas = 1
	if err := s.Client().Status().Patch(ctx, a, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
	if a.Generation != 1 {
		t.Fatalf("status write bumped generation to %d", a.Generation)
	}
	orig = a.DeepCopy()
	two := int32(2)
	a.Spec.Replicas = &two
	if err := s.Client().Patch(ctx, a, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
	if a.Generation != 2 {
		t.Fatalf("spec write left generation at %d", a.Generation)
	}
	if a.Status.Replicas != 1 {
		t.Fatalf("a main-resource patch must keep the stored status, got %d", a.Status.Replicas)
	}
}

// The fast patch path and controller-runtime's full path give the same
// stored object; a stale resourceVersion takes the full path, which merges
// only the diff instead of overwriting.
func TestFastPatchMatchesMergeSemantics(t *testing.T) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	a := rs("a", 1)
	if err := s.Client().Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	stale := a.DeepCopy()
	fresh := a.DeepCopy()
	fresh.Labels = map[string]string{"x": "1"}
	if err := s.Client().Patch(ctx, fresh, client.MergeFrom(a)); err != nil {
		t.Fatal(err)
	}
	// stale copy: the merge patch only adds an annotation; the label stays.
	orig := stale.DeepCopy()
	stale.Annotations = map[string]string{"y": "2"}
	if err := s.Client().Patch(ctx, stale, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
	got := &appsv1.ReplicaSet{}
	if err := s.Client().Get(ctx, client.ObjectKeyFromObject(a), got); err != nil {
		t.Fatal(err)
	}
	if got.Labels["x"] != "1" || got.Annotations["y"] != "2" {
		t.Fatalf("merge semantics lost: labels %v annotations %v", got.Labels, got.Annotations)
	}
}

func TestClientsetSeesTheSameObjects(t *testing.T) {
	s, _ := newTestStore(nil)
	ctx := context.Background()
	if err := s.Client().Create(ctx, rs("a", 3)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Clientset().AppsV1().ReplicaSets("ns").Get(ctx, "a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Spec.Replicas != 3 {
		t.Fatalf("clientset sees %d replicas", *got.Spec.Replicas)
	}
	if _, err := s.Clientset().CoreV1().Pods("ns").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := &corev1.Pod{}
	if err := s.Client().Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, p); err != nil {
		t.Fatalf("controller-runtime client does not see a pod created through client-go: %v", err)
	}
}

func TestDeleteCollectsOwnedObjectsRecursively(t *testing.T) {
	var changes []Change
	s, _ := newTestStore(&changes)
	ctx := context.Background()
	owner := rs("owner", 1)
	if err := s.Client().Create(ctx, owner); err != nil {
		t.Fatal(err)
	}
	yes := true
	child := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "child", Namespace: "ns",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "owner", UID: owner.UID, Controller: &yes}}}}
	if err := s.Client().Create(ctx, child); err != nil {
		t.Fatal(err)
	}
	grand := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "grand", Namespace: "ns",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "child", UID: child.UID}}}}
	if err := s.Client().Create(ctx, grand); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().Delete(ctx, owner); err != nil {
		t.Fatal(err)
	}
	for _, o := range []client.Object{&corev1.Pod{}, &corev1.ConfigMap{}} {
		name := "child"
		if _, ok := o.(*corev1.ConfigMap); ok {
			name = "grand"
		}
		if err := s.Client().Get(ctx, client.ObjectKey{Namespace: "ns", Name: name}, o); !apierrors.IsNotFound(err) {
			t.Fatalf("%s not garbage-collected: %v", name, err)
		}
	}
	deletes := 0
	for _, c := range changes {
		if c.Op == OpDelete {
			deletes++
		}
	}
	if deletes != 3 {
		t.Fatalf("want 3 delete notifications, got %d", deletes)
	}
}
