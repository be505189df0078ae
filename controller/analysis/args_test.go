package analysis

import (
	"reflect"
	"strings"
	"testing"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSubstituteString(t *testing.T) {
	args := []v1alpha1.Argument{
		{Name: "ingress-ip", Value: sp("10.0.0.1")},
		{Name: "svc", Value: sp("web")},
		{Name: "svc", Value: sp("api")}, // later wins
	}
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "plain text", want: "plain text"},
		{in: "{{args.ingress-ip}}", want: "10.0.0.1"},
		{in: "host={{ args.ingress-ip }}:80", want: "host=10.0.0.1:80"},
		{in: "{{\targs.svc\n}}", want: "api"},
		{in: "{{args.svc}}-{{args.svc}}", want: "api-api"},
		{in: "a }} b", want: "a }} b"},
		{in: "{{args.nope}}", wantErr: "failed to resolve {{args.nope}}"},
		{in: "{{ args.nope }}", wantErr: "failed to resolve {{ args.nope }}"},
		{in: "{{args.x}} {{args.svc}} {{args.y}}", wantErr: "failed to resolve {{args.y}}"}, // last unresolved named
		{in: "{{svc}}", wantErr: "failed to resolve {{svc}}"},
		{in: "{{ {{args.svc}}", wantErr: "failed to resolve {{ {{args.svc}}"},
		{in: "x {{args.svc", wantErr: `Cannot find end tag="}}" in the template="x {{args.svc" starting from "args.svc"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := SubstituteString(tc.in, args)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	// An arg without a value is an error even when unused.
	_, err := SubstituteString("no placeholders", []v1alpha1.Argument{{Name: "secret"}})
	if err == nil || err.Error() != `argument "secret" was not supplied` {
		t.Fatalf("err = %v", err)
	}
}

func TestSubstituteArgs(t *testing.T) {
	m := promMetric("rate")
	m.Provider.Prometheus.Query = `sum(rate(http{service="{{args.svc}}",code!~"5.."}[{{ args.window }}]))`
	m.SuccessCondition = "result[0] >= {{args.threshold}}"
	m.Count = iosStr("{{args.count}}")
	m.Interval = "{{args.interval}}"
	m.Provider.Prometheus.Headers = []v1alpha1.WebMetricHeader{{Key: "X-Note", Value: "{{args.note}}"}}
	orig := *m.Provider.Prometheus
	args := []v1alpha1.Argument{
		{Name: "svc", Value: sp(`we"b`)},
		{Name: "window", Value: sp("5m")},
		{Name: "threshold", Value: sp("0.95")},
		{Name: "count", Value: sp("3")},
		{Name: "interval", Value: sp("1m")},
		{Name: "note", Value: sp("line1\nline2\t\\end")},
	}
	out, err := SubstituteArgs([]v1alpha1.Metric{m}, args)
	if err != nil {
		t.Fatal(err)
	}
	got := out[0]
	if want := `sum(rate(http{service="we"b",code!~"5.."}[5m]))`; got.Provider.Prometheus.Query != want {
		t.Fatalf("query %q, want %q", got.Provider.Prometheus.Query, want)
	}
	if got.SuccessCondition != "result[0] >= 0.95" || got.Interval != "1m" {
		t.Fatalf("condition %q interval %q", got.SuccessCondition, got.Interval)
	}
	if got.Count == nil || got.Count.IntValue() != 3 {
		t.Fatalf("count %+v", got.Count)
	}
	if got.Provider.Prometheus.Headers[0].Value != "line1\nline2\t\\end" {
		t.Fatalf("header %q", got.Provider.Prometheus.Headers[0].Value)
	}
	if !reflect.DeepEqual(*m.Provider.Prometheus, orig) || m.Provider.Prometheus.Query == got.Provider.Prometheus.Query {
		t.Fatal("input metric modified")
	}

	// A control character Go-quotes to \x01, which is not JSON.
	_, err = SubstituteArgs([]v1alpha1.Metric{m}, append(args[:5:5], v1alpha1.Argument{Name: "note", Value: sp("\x01")}))
	if err == nil || !strings.Contains(err.Error(), "invalid character 'x' in string escape code") {
		t.Fatalf("err = %v", err)
	}
	// Unknown placeholder.
	_, err = SubstituteArgs([]v1alpha1.Metric{m}, args[:5])
	if err == nil || err.Error() != "failed to resolve {{args.note}}" {
		t.Fatalf("err = %v", err)
	}
	// Arg without value (valueFrom not resolved).
	_, err = SubstituteArgs([]v1alpha1.Metric{promMetric("x")}, []v1alpha1.Argument{{Name: "tok", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}}})
	if err == nil || err.Error() != `argument "tok" was not supplied` {
		t.Fatalf("err = %v", err)
	}
	// ...which ResolveMetricsWithoutSecrets masks with a placeholder.
	web := v1alpha1.Metric{Name: "w", Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://x/?t={{args.tok}}"}}}
	res, err := ResolveMetricsWithoutSecrets([]v1alpha1.Metric{web}, []v1alpha1.Argument{{Name: "tok", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}}})
	if err != nil || res[0].Provider.Web.URL != "http://x/?t=temp-for-secret" {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func testRollout() *v1alpha1.Rollout {
	replicas := int32(3)
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{
			Name: "guestbook", Namespace: "prod", UID: "uid-1",
			Labels:      map[string]string{"app": "guestbook", "tier": "web"},
			Annotations: map[string]string{"owner": `team "a"`},
		},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.25"}}}},
		},
	}
}

func TestResolveArgs(t *testing.T) {
	stable, latest := v1alpha1.Stable, v1alpha1.Latest
	field := func(p string) *v1alpha1.ArgumentValueFrom {
		return &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: p}}
	}
	args := []v1alpha1.AnalysisRunArgument{
		{Name: "plain", Value: "v"},
		{Name: "stable", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: &stable}},
		{Name: "latest", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: &latest}},
		{Name: "name", ValueFrom: field("metadata.name")},
		{Name: "ns", ValueFrom: field("metadata.namespace")},
		{Name: "uid", ValueFrom: field("metadata.uid")},
		{Name: "app", ValueFrom: field("metadata.labels['app']")},
		{Name: "missing-label", ValueFrom: field("metadata.labels['nope']")},
		{Name: "labels", ValueFrom: field("metadata.labels")},
		{Name: "annotations", ValueFrom: field("metadata.annotations")},
		{Name: "replicas", ValueFrom: field("spec.replicas")},
		{Name: "image", ValueFrom: field("spec.template.spec.containers[0].image")},
	}
	got, err := ResolveArgs(args, "aaa111", "bbb222", testRollout())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"plain": "v", "stable": "aaa111", "latest": "bbb222", "name": "guestbook", "ns": "prod", "uid": "uid-1",
		"app": "guestbook", "missing-label": "", "labels": "app=\"guestbook\"\ntier=\"web\"",
		"annotations": `owner="team \"a\""`, "replicas": "3", "image": "nginx:1.25",
	}
	if len(got) != len(args) {
		t.Fatalf("got %d args", len(got))
	}
	for _, a := range got {
		if a.Value == nil || *a.Value != want[a.Name] {
			t.Errorf("%s = %v, want %q", a.Name, a.Value, want[a.Name])
		}
	}
}

func TestResolveArgsErrors(t *testing.T) {
	field := func(name, p string) v1alpha1.AnalysisRunArgument {
		return v1alpha1.AnalysisRunArgument{Name: name, ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: p}}}
	}
	tests := []struct {
		name    string
		args    []v1alpha1.AnalysisRunArgument
		wantErr string
		nilArgs bool
	}{
		{name: "index out of range", args: []v1alpha1.AnalysisRunArgument{field("a", "spec.template.spec.containers[5].image")}, wantErr: "index 5 out of range"},
		{name: "negative index", args: []v1alpha1.AnalysisRunArgument{field("a", "spec.template.spec.containers[-1].image")}, wantErr: "index -1 out of range"},
		{name: "non-numeric index", args: []v1alpha1.AnalysisRunArgument{field("a", "spec.template.spec.containers.first")}, wantErr: "invalid index 'first'"},
		{name: "missing field", args: []v1alpha1.AnalysisRunArgument{field("a", "spec.nope")}, wantErr: "invalid path spec.nope in rollout"},
		{name: "walk through primitive", args: []v1alpha1.AnalysisRunArgument{field("a", "spec.replicas.x")}, wantErr: "invalid path spec.replicas.x in rollout"},
		{name: "non-primitive", args: []v1alpha1.AnalysisRunArgument{field("a", "spec.template")}, wantErr: "path spec.template in rollout must terminate in a primitive value"},
		{name: "unsupported metadata", args: []v1alpha1.AnalysisRunArgument{field("a", "metadata.generation")}, wantErr: "unsupported fieldPath: metadata.generation", nilArgs: true},
		{name: "subscript on name", args: []v1alpha1.AnalysisRunArgument{field("a", "metadata.name['x']")}, wantErr: `fieldPath "metadata.name['x']" does not support subscript`, nilArgs: true},
		{
			name:    "bad path then good path: Argo keeps only the last outcome",
			args:    []v1alpha1.AnalysisRunArgument{field("bad", "spec.nope"), field("good", "spec.replicas")},
			wantErr: "",
		},
		{
			name:    "good path then bad path",
			args:    []v1alpha1.AnalysisRunArgument{field("good", "spec.replicas"), field("bad", "spec.nope"), {Name: "v", Value: "x"}},
			wantErr: "invalid path spec.nope in rollout",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveArgs(tc.args, "s", "l", testRollout())
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
			} else if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if tc.nilArgs != (got == nil) {
				t.Fatalf("args = %+v, nil expected: %v", got, tc.nilArgs)
			}
			for _, a := range got {
				if a.Name == "bad" && *a.Value != "" {
					t.Fatalf("bad path must give an empty value, got %q", *a.Value)
				}
			}
		})
	}
}

func TestExtractRolloutFieldNumberFormatting(t *testing.T) {
	r := testRollout()
	big := int32(1000000)
	r.Spec.Replicas = &big
	got, err := ExtractRolloutField(r, "spec.replicas")
	if err != nil || got != "1e+06" { // %v of a JSON float64, as Argo renders it
		t.Fatalf("got %q, %v", got, err)
	}
	got, err = ExtractRolloutField(r, ".metadata.name.")
	if err != nil || got != "guestbook" {
		t.Fatalf("leading/trailing separators: got %q, %v", got, err)
	}
}
