package cluster

import (
	"context"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var (
	vsGVK     = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1alpha3", Kind: "VirtualService"}
	routeGVK  = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	widgetGVK = schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
)

func uobj(gvk schema.GroupVersionKind, ns, name string, weight int64, lbls map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetLabels(lbls)
	_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"route": []any{
		map[string]any{"destination": map[string]any{"host": "stable"}, "weight": weight}}}}, "spec", "http")
	return u
}

func weightOf(t *testing.T, u *unstructured.Unstructured) int64 {
	t.Helper()
	http, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	if len(http) == 0 {
		t.Fatalf("no spec.http in %v", u.Object)
	}
	w, _, _ := unstructured.NestedInt64(http[0].(map[string]any)["route"].([]any)[0].(map[string]any), "weight")
	return w
}

func getU(t *testing.T, s *Store, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := s.Client().Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUnstructuredCreateAndGet(t *testing.T) {
	for _, tc := range []struct {
		name string
		gvk  schema.GroupVersionKind
	}{{"istio VirtualService", vsGVK}, {"Gateway API HTTPRoute", routeGVK}} {
		t.Run(tc.name, func(t *testing.T) {
			var changes []Change
			s, _ := newTestStore(&changes)
			if err := s.Client().Create(context.Background(), uobj(tc.gvk, "ns", "a", 100, nil)); err != nil {
				t.Fatal(err)
			}
			got := getU(t, s, tc.gvk, "ns", "a")
			if got.GetUID() != "00000000-0000-4000-8000-000000000001" || got.GetGeneration() != 1 || got.GetResourceVersion() != "1" ||
				!got.GetCreationTimestamp().Time.Equal(t0.Add(1500*1e6).Truncate(1e9)) {
				t.Errorf("server fields: uid %q generation %d rv %q created %s", got.GetUID(), got.GetGeneration(), got.GetResourceVersion(), got.GetCreationTimestamp())
			}
			if got.GroupVersionKind() != tc.gvk || weightOf(t, got) != 100 {
				t.Errorf("read back %v", got.Object)
			}
			if len(changes) != 1 || changes[0].Op != OpCreate || changes[0].Kind != tc.gvk.Kind || !changes[0].Unstructured ||
				changes[0].Namespace != "ns" || changes[0].Name != "a" {
				t.Errorf("changes %+v", changes)
			}
			missing := &unstructured.Unstructured{}
			missing.SetGroupVersionKind(tc.gvk)
			if err := s.Client().Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "b"}, missing); !apierrors.IsNotFound(err) {
				t.Errorf("get of a missing object: %v", err)
			}
			if err := s.Client().Create(context.Background(), uobj(tc.gvk, "ns", "a", 1, nil)); !apierrors.IsAlreadyExists(err) {
				t.Errorf("second create: %v", err)
			}
		})
	}
}

func TestUnstructuredList(t *testing.T) {
	s := storeWith(t, uobj(vsGVK, "ns", "b", 1, map[string]string{"app": "web"}), uobj(vsGVK, "ns", "a", 2, map[string]string{"app": "web"}),
		uobj(vsGVK, "other", "c", 3, map[string]string{"app": "web"}), uobj(vsGVK, "ns", "d", 4, map[string]string{"app": "db"}),
		uobj(routeGVK, "ns", "r", 5, nil))
	for _, tc := range []struct {
		name string
		opts []client.ListOption
		want []string
	}{
		{"all namespaces", nil, []string{"ns/a", "ns/b", "ns/d", "other/c"}},
		{"one namespace", []client.ListOption{client.InNamespace("ns")}, []string{"ns/a", "ns/b", "ns/d"}},
		{"by label", []client.ListOption{client.InNamespace("ns"), client.MatchingLabels{"app": "web"}}, []string{"ns/a", "ns/b"}},
		{"nothing matches", []client.ListOption{client.InNamespace("none")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(vsGVK.GroupVersion().WithKind("VirtualServiceList"))
			if err := s.Client().List(context.Background(), list, tc.opts...); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range list.Items {
				if it.GroupVersionKind() != vsGVK {
					t.Errorf("item kind %v", it.GroupVersionKind())
				}
				got = append(got, it.GetNamespace()+"/"+it.GetName())
			}
			if len(got) != len(tc.want) || (len(got) > 0 && !equalStrings(got, tc.want)) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Writes: resourceVersion moves on every write, generation on a change of
// anything but metadata, and every write is reported.
func TestUnstructuredWrites(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		write      func(c client.Client, cur *unstructured.Unstructured) error
		weight     int64
		generation int64
	}{
		{"update of the spec", func(c client.Client, cur *unstructured.Unstructured) error {
			cur.Object["spec"].(map[string]any)["http"].([]any)[0].(map[string]any)["route"].([]any)[0].(map[string]any)["weight"] = int64(30)
			return c.Update(ctx, cur)
		}, 30, 2},
		{"update of a label only", func(c client.Client, cur *unstructured.Unstructured) error {
			cur.SetLabels(map[string]string{"x": "y"})
			return c.Update(ctx, cur)
		}, 100, 1},
		{"merge patch (client.MergeFrom)", func(c client.Client, cur *unstructured.Unstructured) error {
			orig := cur.DeepCopy()
			_ = unstructured.SetNestedField(cur.Object, "v2", "spec", "note")
			return c.Patch(ctx, cur, client.MergeFrom(orig))
		}, 100, 2},
		{"JSON merge patch", func(c client.Client, cur *unstructured.Unstructured) error {
			return c.Patch(ctx, cur, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"http":[{"route":[{"destination":{"host":"stable"},"weight":40}]}]}}`)))
		}, 40, 2},
		{"JSON patch", func(c client.Client, cur *unstructured.Unstructured) error {
			return c.Patch(ctx, cur, client.RawPatch(types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/http/0/route/0/weight","value":60}]`)))
		}, 60, 2},
		{"metadata-only patch", func(c client.Client, cur *unstructured.Unstructured) error {
			return c.Patch(ctx, cur, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"a":"b"}}}`)))
		}, 100, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var changes []Change
			s, _ := newTestStore(&changes)
			if err := s.Client().Create(ctx, uobj(vsGVK, "ns", "vs", 100, nil)); err != nil {
				t.Fatal(err)
			}
			cur := getU(t, s, vsGVK, "ns", "vs")
			if err := tc.write(s.Client(), cur); err != nil {
				t.Fatal(err)
			}
			got := getU(t, s, vsGVK, "ns", "vs")
			if weightOf(t, got) != tc.weight || got.GetGeneration() != tc.generation || got.GetResourceVersion() != "2" ||
				got.GetUID() != "00000000-0000-4000-8000-000000000001" {
				t.Errorf("weight %d generation %d rv %s uid %s; want weight %d generation %d rv 2", weightOf(t, got), got.GetGeneration(),
					got.GetResourceVersion(), got.GetUID(), tc.weight, tc.generation)
			}
			if cur.GetResourceVersion() != "2" {
				t.Errorf("the caller's object was not updated: rv %q", cur.GetResourceVersion())
			}
			if len(changes) != 2 || changes[1].Op != OpUpdate || !changes[1].Unstructured || changes[1].Old == nil || changes[1].New == nil {
				t.Errorf("changes %+v", changes)
			}
		})
	}
}

func TestUnstructuredDeleteAndGarbageCollection(t *testing.T) {
	ctx := context.Background()
	var changes []Change
	s, _ := newTestStore(&changes)
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}}
	if err := s.Client().Create(ctx, ro); err != nil {
		t.Fatal(err)
	}
	owned := uobj(vsGVK, "ns", "owned", 1, nil)
	owned.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "web", UID: ro.UID}})
	if err := s.Client().Create(ctx, owned); err != nil {
		t.Fatal(err)
	}
	owner := getU(t, s, vsGVK, "ns", "owned")
	child := rs("child", 1)
	child.OwnerReferences = []metav1.OwnerReference{{APIVersion: vsGVK.GroupVersion().String(), Kind: "VirtualService", Name: "owned", UID: owner.GetUID()}}
	if err := s.Client().Create(ctx, child); err != nil {
		t.Fatal(err)
	}
	keep := uobj(vsGVK, "ns", "keep", 1, nil)
	if err := s.Client().Create(ctx, keep); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		del     client.Object
		gone    []client.Object
		present []client.Object
	}{
		{"an unstructured object alone", keep, []client.Object{uobj(vsGVK, "ns", "keep", 0, nil)}, []client.Object{uobj(vsGVK, "ns", "owned", 0, nil)}},
		{"its owner, then what it owns", ro, []client.Object{uobj(vsGVK, "ns", "owned", 0, nil), rs("child", 1)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Client().Delete(ctx, tc.del); err != nil {
				t.Fatal(err)
			}
			for _, o := range tc.gone {
				if err := s.Client().Get(ctx, client.ObjectKeyFromObject(o), o); !apierrors.IsNotFound(err) {
					t.Errorf("%s still there: %v", o.GetName(), err)
				}
			}
			for _, o := range tc.present {
				if err := s.Client().Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
					t.Errorf("%s: %v", o.GetName(), err)
				}
			}
		})
	}
	var deletes []string
	for _, c := range changes {
		if c.Op == OpDelete {
			deletes = append(deletes, c.Kind+" "+c.Name)
		}
	}
	if want := []string{"VirtualService keep", "Rollout web", "VirtualService owned", "ReplicaSet child"}; !equalStrings(deletes, want) {
		t.Errorf("deletes %v, want %v", deletes, want)
	}
}

func crd(plural string, gvk schema.GroupVersionKind, scope string, status bool) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apiextensions.k8s.io/v1")
	u.SetKind("CustomResourceDefinition")
	u.SetName(plural + "." + gvk.Group)
	v := map[string]any{"name": gvk.Version, "served": true, "storage": true}
	if status {
		v["subresources"] = map[string]any{"status": map[string]any{}}
	}
	u.Object["spec"] = map[string]any{"group": gvk.Group, "scope": scope,
		"names": map[string]any{"kind": gvk.Kind, "plural": plural}, "versions": []any{v}}
	return u
}

// A CRD in the store declares its kind's scope and status subresource.
func TestUnstructuredScopeAndStatusFromCRD(t *testing.T) {
	ctx := context.Background()
	s := storeWith(t, crd("widgets", widgetGVK, "Cluster", true))
	w := uobj(widgetGVK, "ns", "w", 1, nil)
	if err := s.Client().Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	if w.GetNamespace() != "" {
		t.Errorf("a cluster-scoped object kept namespace %q", w.GetNamespace())
	}
	got := getU(t, s, widgetGVK, "", "w")
	_ = unstructured.SetNestedField(got.Object, "ok", "status", "phase")
	if err := s.Client().Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got = getU(t, s, widgetGVK, "elsewhere", "w"); got.GetGeneration() != 1 {
		t.Errorf("a status change bumped the generation of a kind with a status subresource: %d", got.GetGeneration())
	}
	// Without a CRD the kind is namespaced and its status is content.
	v := uobj(vsGVK, "ns", "v", 1, nil)
	if err := s.Client().Create(ctx, v); err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(v.Object, "ok", "status", "phase")
	if err := s.Client().Update(ctx, v); err != nil {
		t.Fatal(err)
	}
	if got := getU(t, s, vsGVK, "ns", "v"); got.GetNamespace() != "ns" || got.GetGeneration() != 2 {
		t.Errorf("namespace %q generation %d", got.GetNamespace(), got.GetGeneration())
	}
}
