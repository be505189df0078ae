package cluster

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var vsGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1alpha3", Resource: "virtualservices"}

// The dynamic client sees and writes the same objects as client.Client.
func TestDynamicClient(t *testing.T) {
	ctx := context.Background()
	var changes []Change
	s, _ := newTestStore(&changes)
	dyn := s.Dynamic().Resource(vsGVR).Namespace("ns")
	if _, err := dyn.Get(ctx, "vs", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get before any VirtualService exists: %v", err)
	}
	if l, err := dyn.List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Errorf("list before any VirtualService exists: %v %v", l, err)
	}
	created, err := dyn.Create(ctx, uobj(vsGVK, "", "vs", 100, map[string]string{"app": "web"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetNamespace() != "ns" || created.GetResourceVersion() != "1" || created.GetUID() == "" {
		t.Errorf("created %v", created.Object)
	}
	// client.Client reads what the dynamic client wrote, and back.
	if got := getU(t, s, vsGVK, "ns", "vs"); weightOf(t, got) != 100 {
		t.Errorf("client.Client read %v", got.Object)
	}
	if err := s.Client().Create(ctx, uobj(vsGVK, "ns", "other", 5, nil)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		selector string
		want     []string
	}{{"all", "", []string{"other", "vs"}}, {"by label", "app=web", []string{"vs"}}} {
		l, err := dyn.List(ctx, metav1.ListOptions{LabelSelector: tc.selector})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range l.Items {
			got = append(got, it.GetName())
		}
		if !equalStrings(got, tc.want) {
			t.Errorf("list %s: %v, want %v", tc.name, got, tc.want)
		}
	}
	patched, err := dyn.Patch(ctx, "vs", types.MergePatchType, []byte(`{"spec":{"http":[{"route":[{"destination":{"host":"stable"},"weight":70}]}]}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if weightOf(t, patched) != 70 || patched.GetGeneration() != 2 {
		t.Errorf("patched %v", patched.Object)
	}
	patched.SetLabels(map[string]string{"app": "db"})
	updated, err := dyn.Update(ctx, patched, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if updated.GetLabels()["app"] != "db" || updated.GetGeneration() != 2 || updated.GetResourceVersion() != "4" {
		t.Errorf("updated %v", updated.Object)
	}
	if err := dyn.Delete(ctx, "vs", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Get(ctx, "vs", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: %v", err)
	}
	var ops []string
	for _, c := range changes {
		if c.Name == "vs" {
			ops = append(ops, string(c.Op))
		}
	}
	if want := []string{"create", "update", "update", "delete"}; !equalStrings(ops, want) {
		t.Errorf("changes %v, want %v", ops, want)
	}
	// Typed kinds are served too, as unstructured objects.
	if err := s.Client().Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "ns"}}); err != nil {
		t.Fatal(err)
	}
	svc, err := s.Dynamic().Resource(corev1.SchemeGroupVersion.WithResource("services")).Namespace("ns").Get(ctx, "svc", metav1.GetOptions{})
	if err != nil || svc.GetKind() != "Service" {
		t.Fatalf("service through the dynamic client: %v %v", svc, err)
	}
	if _, err := s.Dynamic().Resource(corev1.SchemeGroupVersion.WithResource("services")).Namespace("ns").Patch(ctx, "svc", types.MergePatchType,
		[]byte(`{"spec":{"selector":{"app":"web"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	typed := &corev1.Service{}
	if err := s.Client().Get(ctx, client.ObjectKey{Namespace: "ns", Name: "svc"}, typed); err != nil || typed.Spec.Selector["app"] != "web" {
		t.Errorf("typed read after a dynamic patch: %v %v", typed.Spec.Selector, err)
	}
}

// A CRD's plural addresses its kind, whatever the guess would be.
func TestDynamicClientCRDPlural(t *testing.T) {
	ctx := context.Background()
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Mouse"}
	s := storeWith(t, crd("mice", gvk, "Namespaced", false), uobj(gvk, "ns", "m", 1, nil))
	got, err := s.Dynamic().Resource(gvk.GroupVersion().WithResource("mice")).Namespace("ns").Get(ctx, "m", metav1.GetOptions{})
	if err != nil || got.GetName() != "m" {
		t.Fatalf("%v %v", got, err)
	}
}
