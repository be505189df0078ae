package analysis

import (
	"testing"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Argo validates a step or pre/post-promotion template with its args
// resolved, placeholders standing in for run-time values
// (validation_references_test.go TestValidateAnalysisTemplateWithType
// covers the indefinite metric).
func TestUnboundedMetricResolvesArgsFirst(t *testing.T) {
	job := v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}
	count := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	val := func(s string) *string { return &s }
	secret := &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}
	cases := []struct {
		name      string
		spec      v1alpha1.AnalysisTemplateSpec
		unbounded string // metric name, "" if bounded
		count     string
		err       string
	}{
		{name: "count from an arg with a default",
			spec: v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "n", Value: val("3")}},
				Metrics: []v1alpha1.Metric{{Name: "m", Count: count("{{args.n}}"), Interval: "1m", Provider: job}}}},
		{name: "interval from an arg, count set",
			spec: v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "every"}},
				Metrics: []v1alpha1.Metric{{Name: "m", Count: count("2"), Interval: "{{args.every}}", Provider: job}}}},
		{name: "count from an arg only known at run time",
			spec: v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "n"}},
				Metrics: []v1alpha1.Metric{{Name: "m", Count: count("{{args.n}}"), Interval: "1m", Provider: job}}},
			unbounded: "m", count: ValidationPlaceholder},
		{name: "count from a secret",
			spec: v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "n", ValueFrom: secret}},
				Metrics: []v1alpha1.Metric{{Name: "m", Count: count("{{args.n}}"), Interval: "1m", Provider: job}}},
			unbounded: "m", count: ValidationPlaceholder},
		{name: "interval without count",
			spec:      v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "m", Interval: "1m", Provider: job}}},
			unbounded: "m", count: "<nil>"},
		{name: "value and valueFrom",
			spec: v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "n", Value: val("1"), ValueFrom: secret}},
				Metrics: []v1alpha1.Metric{{Name: "m", Provider: job}}},
			err: "arg 'n' has both Value and ValueFrom fields"},
		{name: "unknown arg",
			spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "m", Count: count("{{args.nope}}"), Provider: job}}},
			err:  "failed to resolve {{args.nope}}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.spec.DeepCopy()
			defer func() {
				if !equality.Semantic.DeepEqual(before, &c.spec) {
					t.Fatal("the template was changed")
				}
			}()
			name, cnt, found, err := UnboundedMetric(c.spec)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if found != (c.unbounded != "") || name != c.unbounded || cnt != c.count {
				t.Fatalf("UnboundedMetric = %q %q %v, want %q %q", name, cnt, found, c.unbounded, c.count)
			}
		})
	}
}
