package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/sim/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func envtestCluster(t *testing.T) *cluster.Remote {
	t.Helper()
	srv, err := cluster.SharedEnvtest()
	if err != nil {
		t.Fatalf("envtest backend: %v", err)
	}
	r, err := srv.NewCluster(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func vs(ns, name string, weight int64) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1alpha3", Kind: "VirtualService"})
	u.SetNamespace(ns)
	u.SetName(name)
	_ = unstructured.SetNestedField(u.Object, weight, "spec", "weight")
	return u
}

// The fake backend refuses the names the real API server refuses, with
// the server's message.
func TestEnvtestRefusesNamesAsTheFakeBackend(t *testing.T) {
	r := envtestCluster(t)
	fake := cluster.NewStore(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		obj  func() client.Object
	}{
		{"uppercase ConfigMap", func() client.Object {
			return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "Web", Namespace: "default"}}
		}},
		{"a dot in a Service name", func() client.Object {
			return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web.v1", Namespace: "default"},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
		}},
		{"a Service name of 64 characters", func() client.Object {
			return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: strings.Repeat("s", 64), Namespace: "default"},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
		}},
		{"an uppercase Rollout", func() client.Object {
			return &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "Web", Namespace: "default"},
				Spec: v1alpha1.RolloutSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}}}
		}},
		{"an uppercase Service", func() client.Object {
			return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "Web", Namespace: "default"},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
		}},
		{"a Namespace named Prod", func() client.Object { return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "Prod"}} }},
		{"a Rollout with replicas -1", func() client.Object {
			n := int32(-1)
			return &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "neg", Namespace: "default"},
				Spec: v1alpha1.RolloutSpec{Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
					Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}}}
		}},
		{"a Deployment with replicas -1", func() client.Object {
			n := int32(-1)
			d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "neg", Namespace: "default"},
				Spec: appsv1.DeploymentSpec{Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}}}
			cluster.Default(d)
			return d
		}},
		{"a VirtualService of 254 characters", func() client.Object { return vs("default", strings.Repeat("v", 254), 1) }},
		{"a bad label", func() client.Object {
			return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default", Labels: map[string]string{"a": "b c"}}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			realErr := r.Create(ctx, tc.obj())
			fakeErr := fake.Client().Create(ctx, tc.obj())
			if realErr == nil || fakeErr == nil {
				t.Fatalf("envtest: %v; fake: %v; want both to refuse", realErr, fakeErr)
			}
			if realErr.Error() != fakeErr.Error() {
				t.Errorf("envtest: %s\nfake:    %s", realErr, fakeErr)
			}
		})
	}
}

// Objects of kinds outside the scheme are stored on envtest too: a
// permissive CRD for a kind no CRD declares, the CRD itself for one that
// comes with it.
func TestEnvtestStoresKindsOutsideTheScheme(t *testing.T) {
	r := envtestCluster(t)
	ctx := context.Background()
	if err := r.Create(ctx, vs("default", "vs", 10)); err != nil {
		t.Fatal(err)
	}
	got := vs("", "", 0)
	if err := r.Get(ctx, client.ObjectKey{Namespace: "default", Name: "vs"}, got); err != nil {
		t.Fatal(err)
	}
	if w, _, _ := unstructured.NestedInt64(got.Object, "spec", "weight"); w != 10 || got.GetNamespace() != "default" {
		t.Errorf("read back %v", got.Object)
	}
	if err := r.Patch(ctx, got, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"weight":20}}`))); err != nil {
		t.Fatal(err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1alpha3", Kind: "VirtualServiceList"})
	if err := r.List(ctx, list, client.InNamespace("default")); err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v %v", list.Items, err)
	}
	if w, _, _ := unstructured.NestedInt64(list.Items[0].Object, "spec", "weight"); w != 20 {
		t.Errorf("patched weight %d", w)
	}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets.test.example.com"},
		"spec": map[string]any{"group": "test.example.com", "scope": "Cluster",
			"names": map[string]any{"kind": "Gadget", "plural": "gadgets"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}}}
	if err := r.Create(ctx, crd); err != nil {
		t.Fatal(err)
	}
	g := &unstructured.Unstructured{}
	g.SetGroupVersionKind(schema.GroupVersionKind{Group: "test.example.com", Version: "v1", Kind: "Gadget"})
	g.SetName("g")
	if err := r.Create(ctx, g); err != nil {
		t.Fatal(err)
	}
	if g.GetNamespace() != "" || g.GetName() != "g" {
		t.Errorf("cluster-scoped object as %q/%q", g.GetNamespace(), g.GetName())
	}
}

// The envtest backend's dynamic client sees the scenario's names, as its
// client.Client does.
func TestEnvtestDynamicClient(t *testing.T) {
	r := envtestCluster(t)
	ctx := context.Background()
	gvr := schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1alpha3", Resource: "virtualservices"}
	if err := r.Create(ctx, vs("default", "first", 1)); err != nil { // installs the kind
		t.Fatal(err)
	}
	dyn := r.Dynamic().Resource(gvr).Namespace("default")
	created, err := dyn.Create(ctx, vs("", "dyn", 5), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetNamespace() != "default" {
		t.Errorf("created in %q", created.GetNamespace())
	}
	patched, err := dyn.Patch(ctx, "dyn", types.MergePatchType, []byte(`{"spec":{"weight":7}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w, _, _ := unstructured.NestedInt64(patched.Object, "spec", "weight"); w != 7 || patched.GetNamespace() != "default" {
		t.Errorf("patched %v", patched.Object)
	}
	list, err := dyn.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 2 || list.Items[0].GetName() != "dyn" || list.Items[1].GetName() != "first" {
		t.Fatalf("list: %v %v", list, err)
	}
	got := vs("", "", 0)
	if err := r.Get(ctx, client.ObjectKey{Namespace: "default", Name: "dyn"}, got); err != nil {
		t.Fatal(err)
	}
	if err := dyn.Delete(ctx, "dyn", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}
