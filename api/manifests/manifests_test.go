package manifests_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	rolloutsv1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/rollsim/rollsim/api/manifests"
)

// --- helpers ---------------------------------------------------------------

// errorsOf returns every *Error in err (one, or several joined).
func errorsOf(t *testing.T, err error) []*manifests.Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got nil")
	}
	var out []*manifests.Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var e *manifests.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %q (%T) is not a *manifests.Error", err, err)
		}
		out = append(out, e)
	}
	walk(err)
	return out
}

// oneError asserts that err holds exactly one *Error and returns it.
func oneError(t *testing.T, err error) *manifests.Error {
	t.Helper()
	errs := errorsOf(t, err)
	if len(errs) != 1 {
		t.Fatalf("expected one error, got %d:\n%v", len(errs), err)
	}
	return errs[0]
}

// writeFiles writes files (relative path → content) under a new temporary
// directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lineOf is the 1-based line of the first occurrence of s in content (the
// n-th occurrence with n > 1).
func lineOf(t *testing.T, content, s string, n int) int {
	t.Helper()
	off := 0
	for i := 0; i < n; i++ {
		j := strings.Index(content[off:], s)
		if j < 0 {
			t.Fatalf("%q occurs fewer than %d times", s, n)
		}
		off += j
		if i < n-1 {
			off += len(s)
		}
	}
	return 1 + strings.Count(content[:off], "\n")
}

func assertError(t *testing.T, e *manifests.Error, file string, line int, field, msgPart string) {
	t.Helper()
	if e.File != file || e.Line != line || e.Field != field || !strings.Contains(e.Msg, msgPart) {
		t.Fatalf("got error {File:%q Line:%d Field:%q Msg:%q}\nwant {File:%q Line:%d Field:%q Msg containing %q}",
			e.File, e.Line, e.Field, e.Msg, file, line, field, msgPart)
	}
}

type summary struct {
	kind, namespace, name, file string
	line                        int
}

func summarize(objs []manifests.Object) []summary {
	out := make([]summary, len(objs))
	for i, o := range objs {
		out[i] = summary{
			kind:      o.Obj.GetObjectKind().GroupVersionKind().Kind,
			namespace: o.Obj.GetNamespace(),
			name:      o.Obj.GetName(),
			file:      o.Source.File,
			line:      o.Source.Line,
		}
	}
	return out
}

func assertSummary(t *testing.T, objs []manifests.Object, want []summary) {
	t.Helper()
	got := summarize(objs)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("objects:\n got  %+v\n want %+v", got, want)
	}
}

const rolloutHead = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web:v1
  strategy:
    canary:
      steps:
`

// --- the seed manifests ------------------------------------------------------

func TestLoadSeedKustomization(t *testing.T) {
	dir := filepath.Join("testdata", "04_Progressive")
	for _, arg := range []string{dir, filepath.Join(dir, "kustomization.yaml")} {
		t.Run(arg, func(t *testing.T) {
			objs, err := manifests.Load(arg)
			if err != nil {
				t.Fatal(err)
			}
			const ns = "progressive-demo"
			src := func(f string) string { return filepath.Join(dir, f) }
			assertSummary(t, objs, []summary{
				{"Namespace", "", "progressive-demo", src("namespace.yaml"), 1},
				{"AnalysisTemplate", ns, "progressive-analysis", src("analysis-template.yaml"), 3},
				{"Ingress", ns, "progressive-demo", src("ingress.yaml"), 2},
				{"Rollout", ns, "progressive-demo", src("rollout.yaml"), 2},
				{"Service", ns, "progressive-demo-canary", src("service-canary.yaml"), 2},
				{"Service", ns, "progressive-demo-stable", src("service-stable.yaml"), 2},
			})
			if _, ok := objs[0].Obj.(*corev1.Namespace); !ok {
				t.Errorf("Namespace decoded as %T", objs[0].Obj)
			}
			if _, ok := objs[2].Obj.(*networkingv1.Ingress); !ok {
				t.Errorf("Ingress decoded as %T", objs[2].Obj)
			}
			ro, ok := objs[3].Obj.(*rolloutsv1alpha1.Rollout)
			if !ok {
				t.Fatalf("Rollout decoded as %T", objs[3].Obj)
			}
			c := ro.Spec.Strategy.Canary
			if c == nil || len(c.Steps) != 7 || c.Steps[2].SetWeight == nil || *c.Steps[2].SetWeight != 40 ||
				c.TrafficRouting == nil || c.TrafficRouting.Nginx == nil || c.TrafficRouting.Nginx.StableIngress != "progressive-demo" {
				t.Errorf("Rollout canary strategy not decoded: %+v", c)
			}
			at, ok := objs[1].Obj.(*rolloutsv1alpha1.AnalysisTemplate)
			if !ok || len(at.Spec.Metrics) != 1 || at.Spec.Metrics[0].Provider.Job == nil {
				t.Errorf("AnalysisTemplate not decoded: %+v", objs[1].Obj)
			}
			for _, o := range objs {
				if len(o.Obj.GetAnnotations()) != 0 {
					t.Errorf("%s: kustomize's origin annotations leaked: %v", o.Obj.GetName(), o.Obj.GetAnnotations())
				}
			}
		})
	}
}

func TestLoadSeedDirectories(t *testing.T) {
	objs, err := manifests.Load(filepath.Join("testdata", "basic-canary"))
	if err != nil {
		t.Fatal(err)
	}
	// The guestbook files are three alternatives of one Rollout: loaded
	// together they would be duplicates (TestDuplicateObjects).
	for _, f := range []string{"background-analysis.yaml", "bluegreen-analysis.yaml", "inline-analysis.yaml"} {
		more, err := manifests.Load(filepath.Join("testdata", "guestbook", f))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, more...)
	}
	bc := func(f string) string { return filepath.Join("testdata", "basic-canary", f) }
	gb := func(f string) string { return filepath.Join("testdata", "guestbook", f) }
	// Paths in the order given, files sorted by name (README.md skipped),
	// documents in file order; lines are those of each document's first key.
	assertSummary(t, objs, []summary{
		{"Rollout", "", "rollouts-demo", bc("rollout.yaml"), 2},
		{"Service", "", "rollouts-demo", bc("service.yaml"), 1},
		{"Rollout", "", "guestbook", gb("background-analysis.yaml"), 1},
		{"AnalysisTemplate", "", "success-rate", gb("background-analysis.yaml"), 35},
		{"Rollout", "", "guestbook", gb("bluegreen-analysis.yaml"), 1},
		{"Service", "", "active-svc", gb("bluegreen-analysis.yaml"), 34},
		{"Service", "", "preview-svc", gb("bluegreen-analysis.yaml"), 41},
		{"AnalysisTemplate", "", "smoke-tests", gb("bluegreen-analysis.yaml"), 48},
		{"Rollout", "", "guestbook", gb("inline-analysis.yaml"), 1},
		{"AnalysisTemplate", "", "success-rate", gb("inline-analysis.yaml"), 28},
	})
	ro := objs[0].Obj.(*rolloutsv1alpha1.Rollout)
	if ro.Spec.Replicas == nil || *ro.Spec.Replicas != 5 || len(ro.Spec.Strategy.Canary.Steps) != 8 {
		t.Errorf("basic-canary Rollout not decoded: %+v", ro.Spec)
	}
	bg := objs[4].Obj.(*rolloutsv1alpha1.Rollout)
	if bg.Spec.Strategy.BlueGreen == nil || bg.Spec.Strategy.BlueGreen.ScaleDownDelaySeconds == nil ||
		*bg.Spec.Strategy.BlueGreen.ScaleDownDelaySeconds != 600 {
		t.Errorf("blue-green strategy not decoded: %+v", bg.Spec.Strategy)
	}
}

// --- errors --------------------------------------------------------------------

// The seed article's AnalysisTemplate spells its first key "apiversion".
func TestApiversionTypoOfTheSeed(t *testing.T) {
	file := filepath.Join("testdata", "apiversion-typo", "analysis-template.yaml")
	_, err := manifests.Load(file)
	e := oneError(t, err)
	assertError(t, e, file, 1, "apiversion", `unknown field "apiversion", did you mean "apiVersion"?`)
	if want := file + ":1: apiversion: "; !strings.HasPrefix(e.Error(), want) {
		t.Errorf("Error() = %q, want prefix %q", e.Error(), want)
	}
}

func TestUnknownFields(t *testing.T) {
	rollout := rolloutHead + `      - setWeight: 20
      - pause: {}
      - setWeigth: 40
`
	template := `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: smoke
spec:
  metrics:
  - name: ok
    sucessCondition: result == true
    provider:
      web: {url: "http://x"}
`
	noHint := `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  zzz: 1
`
	dir := writeFiles(t, map[string]string{"rollout.yaml": rollout, "template.yaml": template, "service.yaml": noHint})
	_, err := manifests.Load(filepath.Join(dir, "rollout.yaml"), filepath.Join(dir, "template.yaml"), filepath.Join(dir, "service.yaml"))
	errs := errorsOf(t, err)
	if len(errs) != 3 {
		t.Fatalf("expected 3 errors, got %d: %v", len(errs), err)
	}
	assertError(t, errs[0], filepath.Join(dir, "rollout.yaml"), lineOf(t, rollout, "setWeigth", 1),
		"spec.strategy.canary.steps[2].setWeigth", `unknown field "setWeigth", did you mean "setWeight"?`)
	assertError(t, errs[1], filepath.Join(dir, "template.yaml"), lineOf(t, template, "sucessCondition", 1),
		"spec.metrics[0].sucessCondition", `did you mean "successCondition"?`)
	// No near miss: the message lists what the Service spec takes.
	assertError(t, errs[2], filepath.Join(dir, "service.yaml"), 6, "spec.zzz", `unknown field "zzz"; expected one of: `)
	if !strings.Contains(errs[2].Msg, "ports") || !strings.Contains(errs[2].Msg, "selector") {
		t.Errorf("message does not list the Service spec's fields: %q", errs[2].Msg)
	}
	wantStr := filepath.Join(dir, "rollout.yaml") + ":20: spec.strategy.canary.steps[2].setWeigth: unknown field"
	if !strings.HasPrefix(errs[0].Error(), wantStr) {
		t.Errorf("Error() = %q, want prefix %q", errs[0].Error(), wantStr)
	}
}

func TestWrongType(t *testing.T) {
	rollout := rolloutHead + `      - setWeight: 20
      - pause: {duration: 10}
      - setWeight: "forty"
`
	obj, err := manifests.DecodeStrict("rollout.yaml", []byte(rollout))
	if obj != nil {
		t.Errorf("got an object with an error: %v", obj)
	}
	e := oneError(t, err)
	assertError(t, e, "rollout.yaml", lineOf(t, rollout, `"forty"`, 1),
		"spec.strategy.canary.steps[2].setWeight", `expected integer (int32), got string "forty"`)

	// A number where a string goes, in a map, under a key holding dots.
	svc := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  annotations:\n    example.com/weight: 5\n"
	_, err = manifests.DecodeStrict("svc.yaml", []byte(svc))
	assertError(t, oneError(t, err), "svc.yaml", 6, `metadata.annotations["example.com/weight"]`, "expected string, got number 5 (quote it")

	// YAML 1.1, as kubectl reads it: n is false, not "n".
	_, err = manifests.DecodeStrict("ns.yaml", []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  namespace: n\n"))
	assertError(t, oneError(t, err), "ns.yaml", 5, "metadata.namespace", "expected string, got boolean false (quote it")

	// A value whose type decodes itself (a quantity): found by its path.
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources:\n      requests: {cpu: 5mm}\n"
	_, err = manifests.DecodeStrict("pod.yaml", []byte(pod))
	assertError(t, oneError(t, err), "pod.yaml", 8, "spec.containers[0].resources.requests.cpu", `invalid value string "5mm"`)
}

func TestYAMLSyntaxError(t *testing.T) {
	content := "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n    labels: {}\n"
	dir := writeFiles(t, map[string]string{"svc.yaml": content})
	file := filepath.Join(dir, "svc.yaml")
	_, err := manifests.Load(file)
	assertError(t, oneError(t, err), file, 5, "", "YAML syntax error: mapping values are not allowed")

	// In a later document, the line counts from the top of the file.
	multi := "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [web\n"
	_, err = manifests.DecodeStrict("m.yaml", []byte(multi))
	assertError(t, oneError(t, err), "m.yaml", 8, "", "YAML syntax error: did not find expected ',' or ']'")

	// A block that loses its indentation: the parser names the line where
	// the broken block starts.
	block := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ports:\n    - port: 80\n    name: http\n"
	_, err = manifests.DecodeStrict("b.yaml", []byte(block))
	assertError(t, oneError(t, err), "b.yaml", 7, "", "YAML syntax error: did not find expected '-' indicator")

	// JSON files get JSON's error, with the line.
	dir = writeFiles(t, map[string]string{"svc.json": "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n  \"metadata\": {\"name\": \"a\",}\n}\n"})
	_, err = manifests.Load(filepath.Join(dir, "svc.json"))
	assertError(t, oneError(t, err), filepath.Join(dir, "svc.json"), 4, "", "JSON syntax error")
}

func TestMissingPaths(t *testing.T) {
	dir := t.TempDir()
	missingFile := filepath.Join(dir, "nope.yaml")
	missingDir := filepath.Join(dir, "nodir")
	_, err := manifests.Load(missingFile, missingDir)
	errs := errorsOf(t, err)
	if len(errs) != 2 {
		t.Fatalf("expected 2 errors, got %v", err)
	}
	assertError(t, errs[0], missingFile, 0, "", "no such file or directory")
	assertError(t, errs[1], missingDir, 0, "", "no such file or directory")

	// A directory with nothing to read is an error too.
	empty := writeFiles(t, map[string]string{"README.md": "hi", "sub/x.yaml": "apiVersion: v1\n"})
	_, err = manifests.Load(empty)
	assertError(t, oneError(t, err), empty, 0, "", "no *.yaml, *.yml or *.json files")
}

func TestUnknownKind(t *testing.T) {
	content := `apiVersion: v1
kind: Service
metadata: {name: ok}
---
apiVersion: app/v1
kind: Deployment
metadata: {name: guestbook}
---
apiVersion: networking.k8s.io/v1
kind: VirtualService
metadata: {name: vs}
---
apiVersion: argoproj.io/v1alpha1
kind: rollout
metadata: {name: r}
---
apiVersion: v1
kind: Deployment
metadata: {name: d}
`
	_, err := manifests.DecodeStrict("x.yaml", []byte(content))
	if e := oneError(t, err); !strings.Contains(e.Msg, "second document") || e.Line != 5 {
		t.Errorf("DecodeStrict of several documents: got %v", e)
	}
	dir := writeFiles(t, map[string]string{"x.yaml": content})
	file := filepath.Join(dir, "x.yaml")
	_, err = manifests.Load(file)
	errs := errorsOf(t, err)
	if len(errs) != 4 {
		t.Fatalf("expected 4 errors, got %v", err)
	}
	// A group without a dot is Kubernetes' own: no CRD can serve it.
	assertError(t, errs[0], file, 5, "apiVersion", `unsupported apiVersion "app/v1" for kind Deployment; use apiVersion apps/v1`)
	// A built-in group the scheme knows has all of its kinds.
	assertError(t, errs[1], file, 10, "kind", `unknown kind "VirtualService" in networking.k8s.io/v1`)
	assertError(t, errs[2], file, 14, "kind", `did you mean "Rollout"?`)
	assertError(t, errs[3], file, 17, "apiVersion", "kind Deployment is not served by apiVersion v1; use apiVersion apps/v1")
}

func TestMultiDocumentLines(t *testing.T) {
	content := `# services for web
apiVersion: v1
kind: Service
metadata:
  name: web-stable
spec:
  ports: [{port: 80}]
---

---
apiVersion: v1
kind: Service
metadata:
  name: web-canary
--- # the third document
apiVersion: v1
kind: Service
metadata:
  name: web-preview
spec:
  ports:
  - port: 80
    targetport: http
`
	dir := writeFiles(t, map[string]string{"svc.yaml": content})
	file := filepath.Join(dir, "svc.yaml")
	_, err := manifests.Load(file)
	assertError(t, oneError(t, err), file, lineOf(t, content, "targetport", 1),
		"spec.ports[0].targetport", `did you mean "targetPort"?`)

	fixed := strings.Replace(content, "targetport", "targetPort", 1)
	if err := os.WriteFile(file, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := manifests.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	assertSummary(t, objs, []summary{
		{"Service", "", "web-stable", file, 2},
		{"Service", "", "web-canary", file, 11},
		{"Service", "", "web-preview", file, 16},
	})
}

func TestDuplicateField(t *testing.T) {
	content := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {app: a}\n  name: b\n"
	_, err := manifests.DecodeStrict("d.yaml", []byte(content))
	assertError(t, oneError(t, err), "d.yaml", 6, "metadata.name", "duplicate field (first set on line 4)")
}

func TestMissingKindAndNonObjects(t *testing.T) {
	for _, c := range []struct {
		doc, field, msg string
		line            int
	}{
		{"kind: Service\nmetadata: {name: a}\n", "apiVersion", "missing", 1},
		{"apiVersion: v1\nmetadata: {name: a}\n", "kind", "missing", 1},
		{"- a\n- b\n", "", "expected a Kubernetes object (a mapping with apiVersion and kind), got a list", 1},
		{"apiVersion: v1\nkind: Status\n", "kind", "not an object kind", 2},
		{"kind: Service\napiVersion: 1\n", "apiVersion", "expected string", 2},
	} {
		_, err := manifests.DecodeStrict("k.yaml", []byte(c.doc))
		e := oneError(t, err)
		if e.Field != c.field || !strings.Contains(e.Msg, c.msg) || e.Line != c.line {
			t.Errorf("%q: got %v, want field %q and %q on line %d", c.doc, e, c.field, c.msg, c.line)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	for name, data := range map[string]string{
		"yaml":      "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: prod}\n",
		"flow yaml": "{apiVersion: v1, kind: Service, metadata: {name: a, namespace: prod}}\n",
		"json":      `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "prod"}}`,
		"separator": "---\napiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: prod}\n---\n",
	} {
		obj, err := manifests.DecodeStrict("s", []byte(data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		svc, ok := obj.(*corev1.Service)
		if !ok || svc.Name != "a" || svc.Namespace != "prod" || svc.Kind != "Service" || svc.APIVersion != "v1" {
			t.Errorf("%s: got %#v", name, obj)
		}
	}
	// JSON type errors carry the line too.
	js := "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n  \"metadata\": {\"name\": \"a\"},\n  \"spec\": {\"ports\": [{\"port\": \"x\"}]}\n}\n"
	_, err := manifests.DecodeStrict("s.json", []byte(js))
	assertError(t, oneError(t, err), "s.json", 5, "spec.ports[0].port", `expected integer (int32), got string "x"`)

	_, err = manifests.DecodeStrict("e.yaml", []byte("# nothing\n"))
	assertError(t, oneError(t, err), "e.yaml", 0, "", "empty document")
}

func TestJSONFiles(t *testing.T) {
	// JSON escapes YAML lacks (\/) and numbers too big for a float64 keep
	// their positions and their text.
	good := "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n  \"metadata\": {\"name\": \"a\", \"annotations\": {\"url\": \"http:\\/\\/x\"}}\n}\n"
	bad := strings.Replace(good, "}}\n}", "}},\n  \"spec\": {\"ports\": [{\"port\": 99999999999999999999}]}\n}", 1)
	dir := writeFiles(t, map[string]string{"good.json": good, "bad.json": bad})
	objs, err := manifests.Load(filepath.Join(dir, "good.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Obj.GetAnnotations()["url"] != "http://x" || objs[0].Source.Line != 1 {
		t.Fatalf("got %+v", objs)
	}
	_, err = manifests.Load(filepath.Join(dir, "bad.json"))
	assertError(t, oneError(t, err), filepath.Join(dir, "bad.json"), 5, "spec.ports[0].port", "expected integer (int32), got number 99999999999999999999")
}

func TestLoadList(t *testing.T) {
	content := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
- apiVersion: argoproj.io/v1alpha1
  kind: AnalysisTemplate
  metadata: {name: b}
  spec:
    metrics:
    - name: m
      provider: {web: {url: "http://x"}}
`
	dir := writeFiles(t, map[string]string{"list.yaml": content})
	file := filepath.Join(dir, "list.yaml")
	objs, err := manifests.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	assertSummary(t, objs, []summary{
		{"Service", "", "a", file, 4},
		{"AnalysisTemplate", "", "b", file, 7},
	})
	if _, ok := objs[1].Obj.(*rolloutsv1alpha1.AnalysisTemplate); !ok {
		t.Errorf("list item decoded as %T", objs[1].Obj)
	}
	bad := strings.Replace(content, "provider:", "providr:", 1)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = manifests.Load(file)
	assertError(t, oneError(t, err), file, 13, "items[1].spec.metrics[0].providr", `did you mean "provider"?`)
}

func TestSeveralErrorsInInputOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {typo: 1}\n",
		"b.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n",
		"c.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: c, labls: {}}\n",
	})
	objs, err := manifests.Load(dir)
	if objs != nil {
		t.Errorf("objects returned with errors: %v", summarize(objs))
	}
	errs := errorsOf(t, err)
	if len(errs) != 2 || errs[0].File != filepath.Join(dir, "a.yaml") || errs[1].File != filepath.Join(dir, "c.yaml") ||
		errs[0].Field != "spec.typo" || errs[1].Field != "metadata.labls" || errs[1].Line != 3 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "a.yaml:4: spec.typo") || !strings.Contains(err.Error(), "c.yaml:3: metadata.labls") {
		t.Errorf("joined message lacks an error: %q", err.Error())
	}
}

// --- kustomize -----------------------------------------------------------------

func TestKustomizeErrorsPointAtTheSourceFile(t *testing.T) {
	resources := `# two objects
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
---
` + rolloutHead + `      - setWeight: 10
      - pause: {durration: 1m}
`
	dir := writeFiles(t, map[string]string{
		"app/kustomization.yaml": "namespace: shop\nnamePrefix: shop-\nresources:\n- all.yaml\n",
		"app/all.yaml":           resources,
	})
	file := filepath.Join(dir, "app", "all.yaml")
	_, err := manifests.Load(filepath.Join(dir, "app"))
	assertError(t, oneError(t, err), file, lineOf(t, resources, "durration", 1),
		"spec.strategy.canary.steps[1].pause.durration", `did you mean "duration"?`)
}

func TestKustomizeSourcesThroughBasesAndGenerators(t *testing.T) {
	base := "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n---\n" + rolloutHead + "      - setWeight: 10\n"
	dir := writeFiles(t, map[string]string{
		"base/kustomization.yaml": "resources:\n- app.yaml\n",
		"base/app.yaml":           base,
		"overlay/kustomization.yaml": `namespace: prod
namePrefix: prod-
nameSuffix: -v2
resources:
- ../base
configMapGenerator:
- name: settings
  literals: [a=b]
patches:
- patch: |
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec: {publishNotReadyAddresses: true}
`,
	})
	overlay := filepath.Join(dir, "overlay")
	objs, err := manifests.Load(overlay)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]summary{}
	for _, s := range summarize(objs) {
		got[s.kind] = s
	}
	baseFile := filepath.Join(overlay, "..", "base", "app.yaml")
	if s := got["Service"]; s.file != baseFile || s.line != 1 || s.name != "prod-web-v2" || s.namespace != "prod" {
		t.Errorf("Service: %+v", s)
	}
	if s := got["Rollout"]; s.file != baseFile || s.line != 9 || s.name != "prod-web-v2" {
		t.Errorf("Rollout: %+v", s)
	}
	if s := got["ConfigMap"]; s.file != filepath.Join(overlay, "kustomization.yaml") || s.line != 7 || !strings.HasPrefix(s.name, "prod-settings-v2-") {
		t.Errorf("ConfigMap: %+v", s)
	}
	if len(objs) != 3 {
		t.Errorf("expected 3 objects, got %+v", summarize(objs))
	}
	for _, o := range objs {
		if svc, ok := o.Obj.(*corev1.Service); ok && !svc.Spec.PublishNotReadyAddresses {
			t.Errorf("the overlay's patch was not applied: %+v", svc.Spec)
		}
	}

	// A field that only a patch brings in is reported at its deepest
	// ancestor in the base, and says so.
	patched := filepath.Join(overlay, "kustomization.yaml")
	content, err := os.ReadFile(patched)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(patched, bytes.Replace(content, []byte("publishNotReadyAddresses: true"), []byte("publishNotReady: true"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = manifests.Load(overlay)
	e := oneError(t, err)
	assertError(t, e, baseFile, 5, "spec.publishNotReady", `did you mean "publishNotReadyAddresses"?`)
	if !strings.Contains(e.Msg, "not in this file") {
		t.Errorf("message does not say the field comes from the build: %q", e.Msg)
	}
}

func TestKustomizeProblems(t *testing.T) {
	t.Run("missing resource", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"k/kustomization.yaml": "resources:\n- svc.yaml\n- nope.yaml\n", "k/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"})
		_, err := manifests.Load(filepath.Join(dir, "k"))
		assertError(t, oneError(t, err), filepath.Join(dir, "k", "kustomization.yaml"), 3, "resources[1]", "nope.yaml: no such file or directory")
	})
	t.Run("syntax error in a resource", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"k/kustomization.yaml": "resources:\n- svc.yaml\n", "k/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n   x: y\n"})
		_, err := manifests.Load(filepath.Join(dir, "k"))
		assertError(t, oneError(t, err), filepath.Join(dir, "k", "svc.yaml"), 5, "", "YAML syntax error")
	})
	t.Run("unknown field in the kustomization", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"k/kustomization.yaml": "resources:\n- svc.yaml\nnamespce: x\n", "k/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"})
		_, err := manifests.Load(filepath.Join(dir, "k"))
		assertError(t, oneError(t, err), filepath.Join(dir, "k", "kustomization.yaml"), 3, "namespce", `did you mean "namespace"?`)
	})
	t.Run("origin annotations asked for are kept", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"k/kustomization.yaml": "resources:\n- svc.yaml\nbuildMetadata: [originAnnotations]\n", "k/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"})
		objs, err := manifests.Load(filepath.Join(dir, "k"))
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 1 || !strings.Contains(objs[0].Obj.GetAnnotations()["config.kubernetes.io/origin"], "svc.yaml") {
			t.Errorf("got %+v", objs)
		}
	})
}

// --- StrictUnmarshal -------------------------------------------------------------

type scenario struct {
	Name string `json:"name"`
	Spec struct {
		Seed     int `json:"seed"`
		Versions []struct {
			Image string `json:"image"`
			Error struct {
				Rate float64 `json:"rate"`
			} `json:"error"`
		} `json:"versions"`
	} `json:"spec"`
}

func TestStrictUnmarshal(t *testing.T) {
	good := "name: s\nspec:\n  seed: 7\n  versions:\n  - image: web:v1\n  - image: web:v2\n    error: {rate: 0.5}\n"
	var s scenario
	if err := manifests.StrictUnmarshal("s.yaml", []byte(good), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "s" || s.Spec.Seed != 7 || len(s.Spec.Versions) != 2 || s.Spec.Versions[1].Error.Rate != 0.5 {
		t.Fatalf("decoded %+v", s)
	}

	for _, c := range []struct {
		name, doc   string
		line        int
		field, want string
	}{
		{"unknown nested field", "name: s\nspec:\n  seed: 7\n  versions:\n  - image: web:v1\n    error: {rate: 0.5, rat: 1}\n",
			6, "spec.versions[0].error.rat", `unknown field "rat", did you mean "rate"?`},
		{"case matters", "name: s\nSpec: {}\n", 2, "Spec", `did you mean "spec"?`},
		{"wrong type", "name: s\nspec:\n  seed: seven\n", 3, "spec.seed", `expected integer (int), got string "seven"`},
		{"duplicate", "name: s\nname: t\n", 2, "name", "duplicate field (first set on line 1)"},
		{"syntax", "name: s\nspec:\n  seed: 1\n   x: 2\n", 4, "", "YAML syntax error: mapping values are not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s scenario
			err := manifests.StrictUnmarshal("s.yaml", []byte(c.doc), &s)
			var e *manifests.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v (%T), want *Error", err, err)
			}
			if e.File != "s.yaml" || e.Line != c.line || e.Field != c.field || !strings.Contains(e.Msg, c.want) {
				t.Fatalf("got %+v, want line %d field %q msg %q", e, c.line, c.field, c.want)
			}
		})
	}
}

// --- fuzzing -----------------------------------------------------------------------

// FuzzDecode feeds arbitrary bytes to DecodeStrict, StrictUnmarshal and Load
// (as a file): none may panic, every error must be *Error values naming the
// input, and their lines must lie inside it.
func FuzzDecode(f *testing.F) {
	_ = filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
	for _, s := range []string{
		"", "---", "--- x", "a: b: c", "apiVersion: v1\nkind: List\nitems: [null, 1, {kind: List, apiVersion: v1, items: []}]\n",
		"apiVersion: v1\nkind: Service\nmetadata: &m {name: a}\nspec: {<<: *m}\n", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": {}}}",
		"\xef\xbb\xbfapiVersion: v1\r\nkind: Service\r\n", "apiVersion: v1\nkind: Service\nmetadata: {annotations: {a.b: 1}}\n",
		"name: [a\n", "*x", "%YAML 1.2\n---\na: 1\n", rolloutHead + "      - setWeight: [1]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Lines as YAML counts them: CRLF, CR, LF, NEL, LS and PS break
		// lines.
		norm := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		lines := 2 + bytes.Count(norm, []byte("\n")) + bytes.Count(norm, []byte("\r"))
		for _, br := range []string{"\u0085", "\u2028", "\u2029"} {
			lines += bytes.Count(norm, []byte(br))
		}
		check := func(name string, err error) {
			if err == nil {
				return
			}
			for _, e := range errorsOf(t, err) {
				if e.File != name || e.Line < 0 || e.Line > lines || e.Msg == "" {
					t.Fatalf("bad error %+v for input %q", e, data)
				}
			}
		}
		obj, err := manifests.DecodeStrict("in.yaml", data)
		check("in.yaml", err)
		if (obj == nil) == (err == nil) {
			t.Fatalf("DecodeStrict returned object %v and error %v", obj, err)
		}
		var s scenario
		check("in.yaml", manifests.StrictUnmarshal("in.yaml", data, &s))

		p := filepath.Join(t.TempDir(), "in.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		objs, err := manifests.Load(p)
		check(p, err)
		for _, o := range objs {
			if o.Obj == nil || o.Source.File != p || o.Source.Line < 1 || o.Source.Line > lines {
				t.Fatalf("bad object %+v", o)
			}
		}
	})
}
