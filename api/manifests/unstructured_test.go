package manifests_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/rollsim/rollsim/api/manifests"
)

const otherKinds = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: vs
  namespace: shop
spec:
  http:
  - route:
    - destination: {host: stable}
      weight: 100
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook}
spec: {project: default}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
---
apiVersion: v1
kind: List
items:
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: route}
  spec: {}
- apiVersion: v1
  kind: Service
  metadata: {name: svc}
`

func TestOtherKindsLoadUnstructured(t *testing.T) {
	dir := writeFiles(t, map[string]string{"all.yaml": otherKinds})
	file := filepath.Join(dir, "all.yaml")
	objs, err := manifests.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	assertSummary(t, objs, []summary{
		{"VirtualService", "shop", "vs", file, 1},
		{"Application", "", "guestbook", file, 12},
		{"CustomResourceDefinition", "", "widgets.example.com", file, 17},
		{"HTTPRoute", "", "route", file, 33},
		{"Service", "", "svc", file, 37},
	})
	vs, ok := objs[0].Obj.(*unstructured.Unstructured)
	if !ok || !objs[0].IsUnstructured() {
		t.Fatalf("VirtualService loaded as %T", objs[0].Obj)
	}
	if gvk := vs.GroupVersionKind(); gvk != (schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1alpha3", Kind: "VirtualService"}) {
		t.Errorf("gvk %v", gvk)
	}
	// Integers stay integers, as the API server's JSON decoding keeps them.
	route, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	w := route[0].(map[string]any)["route"].([]any)[0].(map[string]any)["weight"]
	if w != int64(100) {
		t.Errorf("weight %#v (%T), want int64 100", w, w)
	}
	if objs[4].IsUnstructured() {
		t.Errorf("a Service in a List decoded as %T", objs[4].Obj)
	}
	// DecodeStrict loads one such object too.
	o, err := manifests.DecodeStrict("vs.yaml", []byte(strings.SplitN(otherKinds, "---", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o.(*unstructured.Unstructured); !ok {
		t.Errorf("DecodeStrict: %T", o)
	}
}

// Metadata is every kind's ObjectMeta: checked strictly for any kind.
func TestOtherKindsMetadataIsStrict(t *testing.T) {
	content := `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
  lables: {app: web}
spec:
  endpoints: [{port: http}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web2
  labels: [app]
`
	dir := writeFiles(t, map[string]string{"sm.yaml": content})
	file := filepath.Join(dir, "sm.yaml")
	_, err := manifests.Load(file)
	errs := errorsOf(t, err)
	if len(errs) != 2 {
		t.Fatalf("expected 2 errors, got %v", err)
	}
	assertError(t, errs[0], file, 5, "metadata.lables", `unknown field "lables"`)
	assertError(t, errs[0], file, 5, "metadata.lables", `did you mean "labels"?`)
	assertError(t, errs[1], file, 13, "metadata.labels", "expected")
}

func TestDuplicateObjects(t *testing.T) {
	svc := func(ns string) string {
		return "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n" + ns + "spec:\n  ports: [{port: 80}]\n"
	}
	dir := writeFiles(t, map[string]string{
		"a.yaml": svc("") + "---\n" + svc("  namespace: prod\n"),
		"b.yaml": "# again\n" + svc("") + "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\n",
		"c.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\n",
	})
	a, b, c := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml"), filepath.Join(dir, "c.yaml")
	_, err := manifests.Load(dir)
	errs := errorsOf(t, err)
	if len(errs) != 2 {
		t.Fatalf("expected 2 errors (the Service in b.yaml, the ServiceMonitor in c.yaml), got %v", err)
	}
	assertError(t, errs[0], b, 2, "metadata.name", "duplicate object: Service web is defined twice, at "+a+":1 and here at "+b+":2")
	assertError(t, errs[1], c, 1, "metadata.name", "duplicate object: ServiceMonitor web is defined twice, at "+b+":9 and here at "+c+":1")
}

func TestNotModelled(t *testing.T) {
	ro := `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
  strategy:
    canary:
      trafficRouting:
        istio: {virtualService: {name: vs}}
`
	dir := writeFiles(t, map[string]string{"a.yaml": otherKinds, "b.yaml": ro})
	objs, err := manifests.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := func(objs []manifests.Object) string {
		var out []string
		for _, o := range objs {
			name := o.Obj.GetName()
			if ns := o.Obj.GetNamespace(); ns != "" {
				name = ns + "/" + name
			}
			out = append(out, o.Obj.GetObjectKind().GroupVersionKind().Kind+" "+name+" ("+strings.ReplaceAll(o.Source.String(), dir+"/", "")+")")
		}
		return strings.Join(out, "\n")
	}
	saved := manifests.Routers
	defer func() { manifests.Routers = saved }()
	manifests.Routers = nil // no router modelled: every other kind is listed
	want := `Application guestbook (a.yaml:12)
CustomResourceDefinition widgets.example.com (a.yaml:17)
HTTPRoute route (a.yaml:33)
VirtualService shop/vs (a.yaml:1)`
	if got := lines(manifests.NotModelled(objs)); got != want {
		t.Errorf("NotModelled:\n%s\nwant:\n%s", got, want)
	}
	// A router that reads VirtualServices makes them modelled, for the
	// rollouts that route through it.
	manifests.Routers = []manifests.RouterKinds{{Router: "istio",
		Uses:  func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Istio != nil },
		Kinds: []schema.GroupKind{{Group: "networking.istio.io", Kind: "VirtualService"}}}}
	got := lines(manifests.NotModelled(objs))
	if strings.Contains(got, "VirtualService") || !strings.Contains(got, "HTTPRoute") {
		t.Errorf("with an istio router: %s", got)
	}
	noRollout, err := manifests.Load(filepath.Join(dir, "a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(manifests.NotModelled(noRollout)); !strings.Contains(got, "VirtualService") {
		t.Errorf("no rollout routes through istio, yet the VirtualService counts as modelled: %s", got)
	}
}

// A kustomization may hold kinds outside the scheme too; they keep their
// source file and line.
func TestKustomizeOtherKinds(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"kustomization.yaml": "namespace: shop\nresources: [sm.yaml]\n",
		"sm.yaml":            "# monitoring\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\nspec: {endpoints: [{port: http}]}\n",
	})
	objs, err := manifests.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || !objs[0].IsUnstructured() || objs[0].Obj.GetNamespace() != "shop" ||
		objs[0].Source.File != filepath.Join(dir, "sm.yaml") || objs[0].Source.Line != 2 {
		t.Fatalf("got %+v", objs)
	}
	if a := objs[0].Obj.GetAnnotations(); len(a) != 0 {
		t.Errorf("kustomize's origin annotations were left on the object: %v", a)
	}
}

// A group without a dot cannot be a CRD's: an error that says so.
func TestUnknownGroupWithoutDot(t *testing.T) {
	_, err := manifests.DecodeStrict("x.yaml", []byte("apiVersion: foo/v1\nkind: Bar\nmetadata: {name: b}\n"))
	assertError(t, oneError(t, err), "x.yaml", 2, "kind", `unknown kind "Bar" (apiVersion foo/v1): not a Kubernetes built-in kind`)
	if !strings.Contains(err.Error(), "a custom resource's apiVersion names a group with a dot (example.com/v1)") {
		t.Errorf("no hint: %v", err)
	}
}
