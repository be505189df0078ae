package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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

// storeWith is a test store holding objs, created in order.
func storeWith(t *testing.T, objs ...client.Object) *Store {
	t.Helper()
	s, _ := newTestStore(nil)
	for _, o := range objs {
		if err := s.Client().Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// getRS reads ReplicaSet ns/name through the controller-runtime client.
func getRS(t *testing.T, s *Store, name string) *appsv1.ReplicaSet {
	t.Helper()
	got := &appsv1.ReplicaSet{}
	if err := s.Client().Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: name}, got); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCreateStampsDeterministicServerFields(t *testing.T) {
	got := getRS(t, storeWith(t, rs("a", 1)), "a")
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

// The store hands out copies: changing what a Get, a List or a fast patch
// returned never changes the stored object.
func TestStoredObjectsAreNotAliased(t *testing.T) {
	s := storeWith(t, rs("a", 1))
	ctx := context.Background()
	got := getRS(t, s, "a")
	got.Spec.Selector.MatchLabels["a"] = "changed"
	orig := got.DeepCopy()
	got.Status.Conditions = []appsv1.ReplicaSetCondition{{Type: "X", Message: "one"}}
	if err := s.Client().Status().Patch(ctx, got, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Selector.MatchLabels["a"] != "b" {
		t.Fatalf("a status patch must return the stored spec, got selector %v", got.Spec.Selector.MatchLabels)
	}
	got.Status.Conditions[0].Message = "two"
	got.Labels = map[string]string{"l": "1"}
	list := &appsv1.ReplicaSetList{}
	if err := s.Client().List(ctx, list, client.InNamespace("ns")); err != nil {
		t.Fatal(err)
	}
	list.Items[0].Status.Conditions[0].Message = "three"
	again := getRS(t, s, "a")
	if again.Status.Conditions[0].Message != "one" || again.Spec.Selector.MatchLabels["a"] != "b" || again.Labels != nil {
		t.Fatalf("stored object changed through a returned one: %+v", again)
	}
	// A main-resource patch returns the stored status.
	orig = again.DeepCopy()
	again.Status.Conditions[0].Message = "local"
	again.Annotations = map[string]string{"x": "y"}
	if err := s.Client().Patch(ctx, again, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
	if again.Status.Conditions[0].Message != "one" || again.Annotations["x"] != "y" {
		t.Fatalf("main-resource patch: status %v annotations %v", again.Status.Conditions, again.Annotations)
	}
}

// What client-go and controller-runtime users rely on: label selectors,
// stale-update conflicts, watches, metadata-only reads.
func TestStoreBehavesLikeAnAPIServer(t *testing.T) {
	s := storeWith(t)
	ctx := context.Background()
	w, err := s.Clientset().AppsV1().ReplicaSets("ns").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	a, b := rs("a", 1), rs("b", 1)
	b.Labels = map[string]string{"tier": "x"}
	for _, o := range []*appsv1.ReplicaSet{a, b} {
		if err := s.Client().Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	l := &appsv1.ReplicaSetList{}
	if err := s.Client().List(ctx, l, client.InNamespace("ns"), client.MatchingLabels{"tier": "x"}); err != nil || len(l.Items) != 1 || l.Items[0].Name != "b" {
		t.Fatalf("label selector through the controller-runtime client: %v %v", err, l.Items)
	}
	cl, err := s.Clientset().AppsV1().ReplicaSets("ns").List(ctx, metav1.ListOptions{LabelSelector: "tier=x"})
	if err != nil || len(cl.Items) != 1 || cl.Items[0].Name != "b" {
		t.Fatalf("label selector through the clientset: %v %v", err, cl)
	}
	stale := a.DeepCopy()
	a.Spec.MinReadySeconds = 3
	if err := s.Client().Update(ctx, a); err != nil {
		t.Fatal(err)
	}
	stale.Spec.MinReadySeconds = 4
	if err := s.Client().Update(ctx, stale); !apierrors.IsConflict(err) {
		t.Fatalf("stale update: want a conflict, got %v", err)
	}
	if a.Generation != 2 {
		t.Fatalf("spec update: generation %d", a.Generation)
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))
	if err := s.Client().Get(ctx, client.ObjectKeyFromObject(a), m); err != nil || m.ResourceVersion != a.ResourceVersion || m.UID != a.UID {
		t.Fatalf("metadata read: %v %+v", err, m.ObjectMeta)
	}
	m.SetName("missing")
	if err := s.Client().Get(ctx, client.ObjectKey{Namespace: "ns", Name: "missing"}, m); !apierrors.IsNotFound(err) {
		t.Fatalf("metadata read of a missing object: %v", err)
	}
	if err := s.Client().Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 4 {
		ev := <-w.ResultChan()
		got = append(got, fmt.Sprintf("%s %s", ev.Type, ev.Object.(*appsv1.ReplicaSet).Name))
	}
	if want := "[ADDED a ADDED b MODIFIED a DELETED b]"; fmt.Sprint(got) != want {
		t.Fatalf("watch events %v, want %s", got, want)
	}
}

// A merge patch against an older version (the stale-patch path) stores
// and returns what the fake client's full JSON path does: the same patch
// sent as raw bytes takes that path in a twin store.
func TestStalePatchMatchesFullPath(t *testing.T) {
	ctx := context.Background()
	run := func(s *Store, raw bool, edit func(*v1alpha1.AnalysisRun)) *v1alpha1.AnalysisRun {
		t.Helper()
		ar := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "ar", Namespace: "ns", Labels: map[string]string{"a": "1"}},
			Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{Name: "m", SuccessCondition: "true"}}}}
		if err := s.Client().Create(ctx, ar); err != nil {
			t.Fatal(err)
		}
		stale := ar.DeepCopy()
		orig := ar.DeepCopy()
		now := metav1.NewTime(t0)
		ar.Status = v1alpha1.AnalysisRunStatus{Phase: v1alpha1.AnalysisPhaseRunning, StartedAt: &now,
			MetricResults: []v1alpha1.MetricResult{{Name: "m", Count: 1, Measurements: []v1alpha1.Measurement{{Phase: "Successful", StartedAt: &now, Value: "1"}}}}}
		if err := s.Client().Status().Patch(ctx, ar, client.MergeFrom(orig)); err != nil {
			t.Fatal(err)
		}
		cp := stale.DeepCopy()
		edit(cp)
		var patch client.Patch = client.MergeFrom(stale)
		if raw {
			data, err := patch.Data(cp)
			if err != nil {
				t.Fatal(err)
			}
			patch = client.RawPatch(types.MergePatchType, data)
		}
		if err := s.Client().Patch(ctx, cp, patch); err != nil {
			t.Fatal(err)
		}
		got := &v1alpha1.AnalysisRun{}
		if err := s.Client().Get(ctx, client.ObjectKeyFromObject(cp), got); err != nil {
			t.Fatal(err)
		}
		if !equality.Semantic.DeepEqual(got, cp) {
			t.Fatalf("the caller's object is not the stored one:\n%+v\n%+v", cp, got)
		}
		return got
	}
	for name, edit := range map[string]func(*v1alpha1.AnalysisRun){
		"scalar":      func(a *v1alpha1.AnalysisRun) { a.Spec.Terminate = true },
		"nested map":  func(a *v1alpha1.AnalysisRun) { a.Labels["b"] = "2"; a.Annotations = map[string]string{"x": "y"} },
		"status only": func(a *v1alpha1.AnalysisRun) { a.Status.Phase = v1alpha1.AnalysisPhaseFailed },
		"deletion":    func(a *v1alpha1.AnalysisRun) { delete(a.Labels, "a") },
		"list":        func(a *v1alpha1.AnalysisRun) { a.Spec.Metrics = append(a.Spec.Metrics, v1alpha1.Metric{Name: "n"}) },
	} {
		fast := run(storeWith(t), false, edit)
		full := run(storeWith(t), true, edit)
		if !equality.Semantic.DeepEqual(fast, full) {
			t.Errorf("%s: stale-patch path stored\n%+v\nfull path stored\n%+v", name, fast, full)
		}
	}
}
