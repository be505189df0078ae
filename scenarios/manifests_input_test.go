package scenarios_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios"
)

// The library scenario's directory holds kinds the simulation does not
// model: each is listed once, in the result, its text and JSON, and by
// validate, with its file and line.
func TestOtherKindsAreListedAsNotModelled(t *testing.T) {
	const f = "library/manifests-other-kinds-not-modelled.yaml"
	r := scenarios.RunFile(f, scenarios.RunOptions{})
	if !r.Passed() {
		t.Fatalf("%s failed: %s", f, r.Report.Error)
	}
	dir := filepath.Join("testdata", "manifests", "other-kinds")
	want := []string{
		"not modelled by the simulation: CustomResourceDefinition featureflags.flags.example.com (" + filepath.Join(dir, "flags.yaml") + ":2)",
		"not modelled by the simulation: FeatureFlag new-checkout (" + filepath.Join(dir, "flags.yaml") + ":19)",
		"not modelled by the simulation: ServiceMonitor default/shop (" + filepath.Join(dir, "monitoring.yaml") + ":1)",
		"not modelled by the simulation: VerticalPodAutoscaler default/shop (" + filepath.Join(dir, "monitoring.yaml") + ":12)",
	}
	var got []string
	for _, n := range r.Report.NotModelled {
		got = append(got, n.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("not modelled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The cluster-scoped CRD object has no namespace; the others got the
	// scenario's.
	var text strings.Builder
	if err := report.WriteText(&text, []report.Scenario{r.Report}); err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if strings.Count(text.String(), w+"\n") != 1 {
			t.Errorf("text output does not hold %q once", w)
		}
	}
	if i, j := strings.Index(text.String(), want[0]), strings.Index(text.String(), "--- timeline"); i < 0 || i > j {
		t.Errorf("the listing is not before the timeline")
	}
	var js strings.Builder
	if err := report.WriteJSON(&js, []report.Scenario{r.Report}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scenarios []struct {
			NotModelled []report.NotModelled `json:"notModelled"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if n := doc.Scenarios[0].NotModelled; len(n) != 4 || n[2].APIVersion != "monitoring.coreos.com/v1" || n[2].Kind != "ServiceMonitor" ||
		n[2].Namespace != "default" || n[2].Name != "shop" || n[2].Line != 1 || n[1].Namespace != "" {
		t.Errorf("JSON notModelled: %+v", n)
	}
	var warnings []string
	for _, fd := range scenarios.Validate(f) {
		if fd.Severity == "error" {
			t.Errorf("validate: %s", fd)
		}
		if strings.Contains(fd.Msg, "not modelled") {
			warnings = append(warnings, fd.String())
		}
	}
	wantWarn := []string{
		filepath.Join(dir, "flags.yaml") + ":2: warning: not modelled by the simulation: CustomResourceDefinition featureflags.flags.example.com",
		filepath.Join(dir, "flags.yaml") + ":19: warning: not modelled by the simulation: FeatureFlag new-checkout",
		filepath.Join(dir, "monitoring.yaml") + ":1: warning: not modelled by the simulation: ServiceMonitor default/shop",
		filepath.Join(dir, "monitoring.yaml") + ":12: warning: not modelled by the simulation: VerticalPodAutoscaler default/shop",
	}
	if strings.Join(warnings, "\n") != strings.Join(wantWarn, "\n") {
		t.Errorf("validate warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(wantWarn, "\n"))
	}
}

const inputRollout = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: "web:v1"}]
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {duration: 10}}]
`

// writeScenario writes a scenario over files (name → content) in a new
// directory and returns the scenario file and the directory.
func writeScenario(t *testing.T, namespace string, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ns := ""
	if namespace != "" {
		ns = "  namespace: " + namespace + "\n"
	}
	sc := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(sc, []byte(`apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata: {name: input}
spec:
`+ns+`  manifests: [manifests]
  initial: {rollout: web, image: "web:v1"}
  versions: {v1: {}, v2: {}}
  actions:
  - {at: 0s, setImage: {rollout: web, image: "web:v2"}}
  until: {rollout: web, phase: [Healthy, Degraded], timeout: 10m}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "manifests"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, "manifests", name)); err != nil {
			t.Fatal(err)
		}
	}
	return sc, filepath.Join(dir, "manifests")
}

// Bad input that Argo or the API server refuses: run and validate refuse it
// the same way, with the file, the line and the server's message.
func TestManifestInputErrors(t *testing.T) {
	long63 := strings.Repeat("a", 64)
	long253 := strings.Repeat("a", 254)
	for _, tc := range []struct {
		name      string
		namespace string
		files     map[string]string
		// want: each message (after the manifest directory) run and
		// validate must report.
		want []string
	}{
		{
			name: "duplicate objects",
			files: map[string]string{
				"a.yaml": inputRollout,
				"b.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\n" + inputRollout,
			},
			want: []string{"b.yaml:6: metadata.name: duplicate object: Rollout web is defined twice, at {dir}/a.yaml:1 and here at {dir}/b.yaml:6; applying both would keep only the later one"},
		},
		{
			name: "uppercase name",
			files: map[string]string{"a.yaml": inputRollout,
				"b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Web-Config\ndata: {a: b}\n"},
			want: []string{`b.yaml:4: metadata.name: the API server rejected ConfigMap Web-Config: Invalid value: "Web-Config": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		},
		{
			name: "a dot in a Service name (a DNS-1123 label)",
			files: map[string]string{"a.yaml": inputRollout,
				"b.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web.canary\nspec: {ports: [{port: 80}]}\n"},
			want: []string{`b.yaml:4: metadata.name: the API server rejected Service web.canary: Invalid value: "web.canary": must not contain dots`},
		},
		{
			name: "a Service name over 63 characters",
			files: map[string]string{"a.yaml": inputRollout,
				"b.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + long63 + "\nspec: {ports: [{port: 80}]}\n"},
			want: []string{`b.yaml:4: metadata.name: the API server rejected Service ` + long63 + `: Invalid value: "` + long63 + `": must be no more than 63 characters`},
		},
		{
			name: "a custom resource's name over 253 characters",
			files: map[string]string{"a.yaml": inputRollout,
				"b.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: " + long253 + "\n"},
			want: []string{`b.yaml:4: metadata.name: the API server rejected ServiceMonitor ` + long253 + `: Invalid value: "` + long253 + `": must be no more than 253 characters`},
		},
		{
			name: "an object in namespace Prod",
			files: map[string]string{"a.yaml": inputRollout,
				"b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: Prod\n"},
			want: []string{`b.yaml:5: metadata.namespace: the API server rejected ConfigMap web: Invalid value: "Prod": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		},
		{
			name:  "a Namespace named Prod",
			files: map[string]string{"a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Prod\n---\n" + inputRollout},
			want:  []string{`a.yaml:4: metadata.name: the API server rejected Namespace Prod: Invalid value: "Prod": a lowercase RFC 1123 label must consist of`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, dir := writeScenario(t, tc.namespace, tc.files)
			r := scenarios.RunFile(sc, scenarios.RunOptions{})
			if r.Report.ErrorKind != scenarios.ErrInput {
				t.Fatalf("run: error kind %q, error %q; want an input error", r.Report.ErrorKind, r.Report.Error)
			}
			var found []string
			for _, fd := range scenarios.Validate(sc) {
				if fd.Severity == "error" {
					found = append(found, fd.String())
				}
			}
			for _, w := range tc.want {
				w = dir + "/" + strings.ReplaceAll(w, "{dir}", dir)
				if !strings.Contains(r.Report.Error, w) {
					t.Errorf("run error:\n%s\ndoes not hold:\n%s", r.Report.Error, w)
				}
				file, rest, _ := strings.Cut(w, ": ")
				vw := file + ": error: " + rest
				ok := false
				for _, f := range found {
					ok = ok || strings.HasPrefix(f, vw)
				}
				if !ok {
					t.Errorf("validate:\n%s\ndoes not hold:\n%s", strings.Join(found, "\n"), vw)
				}
			}
		})
	}
}

func TestScenarioNamespaceMustBeALabel(t *testing.T) {
	sc, _ := writeScenario(t, "Prod", map[string]string{"a.yaml": inputRollout})
	r := scenarios.RunFile(sc, scenarios.RunOptions{})
	if r.Report.ErrorKind != scenarios.ErrInput || !strings.Contains(r.Report.Error, sc+`:5: spec.namespace: Invalid value: "Prod": a lowercase RFC 1123 label must consist of`) {
		t.Errorf("got %q %q", r.Report.ErrorKind, r.Report.Error)
	}
}

// A negative replica count: the Rollout CRD's scale subresource makes the
// API server refuse it (Argo's own InvalidSpec check is never reached), on
// run, validate and an apply action alike.
func TestNegativeReplicasRefused(t *testing.T) {
	sc, dir := writeScenario(t, "", map[string]string{"a.yaml": strings.Replace(inputRollout, "replicas: 2", "replicas: -1", 1)})
	want := dir + "/a.yaml:6: spec.replicas: the API server rejected Rollout web: Invalid value: -1: should be a non-negative integer"
	r := scenarios.RunFile(sc, scenarios.RunOptions{})
	if r.Report.ErrorKind != scenarios.ErrInput || !strings.Contains(r.Report.Error, want) {
		t.Errorf("run: %s: %s\nwant %s", r.Report.ErrorKind, r.Report.Error, want)
	}
	var errs []string
	for _, fd := range scenarios.Validate(sc) {
		if fd.Severity == "error" {
			errs = append(errs, fd.String())
		}
	}
	wantV := dir + "/a.yaml:6: error: spec.replicas: the API server rejected Rollout web: Invalid value: -1: should be a non-negative integer"
	if len(errs) != 1 || errs[0] != wantV {
		t.Errorf("validate: %v\nwant %s", errs, wantV)
	}
	applied := writeApplyScenario(t, filepath.Join("testdata", "lifecycle", "invalid", "negative-replicas.yaml"))
	r = scenarios.RunFile(applied, scenarios.RunOptions{})
	if r.Report.ErrorKind != scenarios.ErrInput || !strings.Contains(r.Report.Error,
		"negative-replicas.yaml:7: spec.replicas: the API server rejected Rollout rollouts-demo: Invalid value: -1: should be a non-negative integer") {
		t.Errorf("apply: %s: %s", r.Report.ErrorKind, r.Report.Error)
	}
}

// writeApplyScenario writes a scenario that applies manifest (a path
// relative to the package) to the basic canary seed at T+0.
func writeApplyScenario(t *testing.T, manifest string) string {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f := filepath.Join(t.TempDir(), "apply.yaml")
	if err := os.WriteFile(f, []byte(`apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata: {name: apply}
spec:
  manifests: [`+abs(filepath.Join("testdata", "seeds", "basic-canary"))+`]
  initial: {rollout: rollouts-demo, image: "argoproj/rollouts-demo:blue"}
  versions: {blue: {}, yellow: {}}
  actions:
  - {at: 0s, apply: {manifests: [`+abs(manifest)+`]}}
  until: {rollout: rollouts-demo, phase: [Degraded], for: 1m, timeout: 10m}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// On envtest, a directory with a kind outside the scheme and a bad field
// elsewhere: the server's verdict on the field, nothing about the kind.
func TestEnvtestOtherKindsBesideABadField(t *testing.T) {
	sc, _ := writeScenario(t, "", map[string]string{
		"a.yaml": strings.Replace(inputRollout, "  replicas: 2\n", "  replicas: 2\n  replicaz: 3\n", 1),
		"b.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\nspec: {endpoints: [{port: http}]}\n",
	})
	r := scenarios.RunFile(sc, scenarios.RunOptions{Backend: scenarios.BackendEnvtest})
	if r.Report.ErrorKind != scenarios.ErrInput || !strings.Contains(r.Report.Error, `a.yaml:1: the API server rejected it: Rollout in version "v1alpha1" cannot be handled as a Rollout: strict decoding error: unknown field "spec.replicaz"`) ||
		strings.Contains(r.Report.Error, "ServiceMonitor") || strings.Contains(r.Report.Error, "no matches") {
		t.Errorf("%s: %s", r.Report.ErrorKind, r.Report.Error)
	}
}
