package analysis

import (
	"errors"
	"reflect"
	"testing"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func tmpl(name string, spec v1alpha1.AnalysisTemplateSpec) *v1alpha1.AnalysisTemplate {
	return &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func ctmpl(name string, spec v1alpha1.AnalysisTemplateSpec) *v1alpha1.ClusterAnalysisTemplate {
	return &v1alpha1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func metricNames(ms []v1alpha1.Metric) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestFlattenTemplates(t *testing.T) {
	ns := tmpl("ns", v1alpha1.AnalysisTemplateSpec{
		Metrics: []v1alpha1.Metric{promMetric("a"), promMetric("b")},
		Args:    []v1alpha1.Argument{{Name: "svc"}, {Name: "ns", Value: sp("prod")}},
		DryRun:  []v1alpha1.DryRun{{MetricName: "a"}},
	})
	cl := ctmpl("cl", v1alpha1.AnalysisTemplateSpec{
		Metrics:              []v1alpha1.Metric{promMetric("c")},
		Args:                 []v1alpha1.Argument{{Name: "svc", Value: sp("web")}, {Name: "ns"}, {Name: "ns", Value: sp("prod")}},
		MeasurementRetention: []v1alpha1.MeasurementRetention{{MetricName: "c", Limit: 3}},
	})
	spec, err := FlattenTemplates([]*v1alpha1.AnalysisTemplate{ns}, []*v1alpha1.ClusterAnalysisTemplate{cl})
	if err != nil {
		t.Fatal(err)
	}
	if got := metricNames(spec.Metrics); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("metrics %v", got)
	}
	wantArgs := []v1alpha1.Argument{{Name: "svc", Value: sp("web")}, {Name: "ns", Value: sp("prod")}}
	if !reflect.DeepEqual(spec.Args, wantArgs) {
		t.Fatalf("args %+v, want %+v", spec.Args, wantArgs)
	}
	if len(spec.DryRun) != 1 || len(spec.MeasurementRetention) != 1 || spec.MeasurementRetention[0].Limit != 3 {
		t.Fatalf("rules %+v %+v", spec.DryRun, spec.MeasurementRetention)
	}

	// A nil value is replaced by a later valueFrom too.
	fromSecret := &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}
	spec, err = FlattenTemplates([]*v1alpha1.AnalysisTemplate{
		tmpl("x", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "token"}}}),
		tmpl("y", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "token", ValueFrom: fromSecret}}}),
	}, nil)
	if err != nil || len(spec.Args) != 1 || spec.Args[0].ValueFrom != fromSecret {
		t.Fatalf("args %+v %v", spec.Args, err)
	}
}

func TestFlattenTemplatesErrors(t *testing.T) {
	tests := []struct {
		name     string
		ts       []*v1alpha1.AnalysisTemplate
		cts      []*v1alpha1.ClusterAnalysisTemplate
		want     string
		wantNone bool
	}{
		{
			name: "duplicate metric across kinds",
			ts:   []*v1alpha1.AnalysisTemplate{tmpl("t", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{promMetric("rate")}})},
			cts:  []*v1alpha1.ClusterAnalysisTemplate{ctmpl("c", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{promMetric("rate")}})},
			want: "two metrics have the same name 'rate'",
		},
		{
			name: "conflicting arg values",
			ts: []*v1alpha1.AnalysisTemplate{
				tmpl("t1", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "x", Value: sp("a")}}}),
				tmpl("t2", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "x", Value: sp("b")}}}),
			},
			want: "Argument `x` specified multiple times with different values: 'a', 'b'",
		},
		{
			name: "conflict survives an intermediate nil",
			ts: []*v1alpha1.AnalysisTemplate{
				tmpl("t1", v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{{Name: "x", Value: sp("a")}, {Name: "x"}, {Name: "x", Value: sp("c")}}}),
			},
			want: "Argument `x` specified multiple times with different values: 'a', 'c'",
		},
		{
			name: "duplicate dry-run rule",
			ts: []*v1alpha1.AnalysisTemplate{
				tmpl("t1", v1alpha1.AnalysisTemplateSpec{DryRun: []v1alpha1.DryRun{{MetricName: ".*"}}}),
				tmpl("t2", v1alpha1.AnalysisTemplateSpec{DryRun: []v1alpha1.DryRun{{MetricName: ".*"}}}),
			},
			want: "two Dry-Run metric rules have the same name '.*'",
		},
		{
			name: "duplicate retention rule",
			cts: []*v1alpha1.ClusterAnalysisTemplate{
				ctmpl("c", v1alpha1.AnalysisTemplateSpec{MeasurementRetention: []v1alpha1.MeasurementRetention{{MetricName: "m", Limit: 1}, {MetricName: "m", Limit: 2}}}),
			},
			want: "two Measurement Retention metric rules have the same name 'm'",
		},
		{
			name: "metric duplicates reported before arg conflicts",
			ts: []*v1alpha1.AnalysisTemplate{
				tmpl("t1", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{promMetric("m")}, Args: []v1alpha1.Argument{{Name: "x", Value: sp("a")}}}),
				tmpl("t2", v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{promMetric("m")}, Args: []v1alpha1.Argument{{Name: "x", Value: sp("b")}}}),
			},
			want: "two metrics have the same name 'm'",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FlattenTemplates(tc.ts, tc.cts)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMergeArgs(t *testing.T) {
	fieldRef := &v1alpha1.ValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.name"}}
	template := []v1alpha1.Argument{
		{Name: "svc"},
		{Name: "threshold", Value: sp("0.95")},
		{Name: "name"},
	}
	rollout := []v1alpha1.Argument{
		{Name: "svc", Value: sp("web")},
		{Name: "threshold", Value: sp("0.99")},
		{Name: "name", ValueFrom: fieldRef},
		{Name: "unknown", Value: sp("ignored")},
	}
	got, err := MergeArgs(rollout, template)
	if err != nil {
		t.Fatal(err)
	}
	want := []v1alpha1.Argument{
		{Name: "svc", Value: sp("web")},
		{Name: "threshold", Value: sp("0.99")},
		{Name: "name", ValueFrom: fieldRef},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if template[0].Value != nil || *template[1].Value != "0.95" {
		t.Fatalf("template args modified: %+v", template)
	}

	_, err = MergeArgs([]v1alpha1.Argument{{Name: "svc", Value: sp("web")}}, template[:1:1])
	if err != nil {
		t.Fatalf("resolved arg rejected: %v", err)
	}
	_, err = MergeArgs(nil, template)
	if err == nil || err.Error() != "args.svc was not resolved" {
		t.Fatalf("err = %v", err)
	}
	// A rollout arg with neither value nor valueFrom resolves nothing.
	_, err = MergeArgs([]v1alpha1.Argument{{Name: "svc"}}, template[:1:1])
	if err == nil || err.Error() != "args.svc was not resolved" {
		t.Fatalf("err = %v", err)
	}
}

func TestCollectTemplates(t *testing.T) {
	yes := true
	store := map[string]*v1alpha1.AnalysisTemplate{
		"parent": tmpl("parent", v1alpha1.AnalysisTemplateSpec{Templates: []v1alpha1.AnalysisTemplateRef{
			{TemplateName: "child"}, {TemplateName: "shared", ClusterScope: &yes},
		}}),
		"child":  tmpl("child", v1alpha1.AnalysisTemplateSpec{}),
		"loop-a": tmpl("loop-a", v1alpha1.AnalysisTemplateSpec{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "loop-b"}}}),
		"loop-b": tmpl("loop-b", v1alpha1.AnalysisTemplateSpec{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "loop-a"}}}),
	}
	cstore := map[string]*v1alpha1.ClusterAnalysisTemplate{
		"shared": ctmpl("shared", v1alpha1.AnalysisTemplateSpec{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "child"}}}),
	}
	errNotFound := errors.New(`analysistemplate.argoproj.io "missing" not found`)
	get := func(n string) (*v1alpha1.AnalysisTemplate, error) {
		if t, ok := store[n]; ok {
			return t, nil
		}
		return nil, errNotFound
	}
	getC := func(n string) (*v1alpha1.ClusterAnalysisTemplate, error) {
		if t, ok := cstore[n]; ok {
			return t, nil
		}
		return nil, errNotFound
	}
	ts, cts, err := CollectTemplates([]v1alpha1.AnalysisTemplateRef{{TemplateName: "parent"}, {TemplateName: "child"}}, get, getC)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range ts {
		names = append(names, x.Name)
	}
	if !reflect.DeepEqual(names, []string{"parent", "child"}) || len(cts) != 1 || cts[0].Name != "shared" {
		t.Fatalf("templates %v, cluster %d", names, len(cts))
	}
	if _, _, err := CollectTemplates([]v1alpha1.AnalysisTemplateRef{{TemplateName: "missing"}}, get, getC); !errors.Is(err, errNotFound) {
		t.Fatalf("lookup error not passed through: %v", err)
	}
	_, _, err = CollectTemplates([]v1alpha1.AnalysisTemplateRef{{TemplateName: "loop-a"}}, get, getC)
	if err == nil || err.Error() != "analysis template reference cycle through AnalysisTemplate 'loop-a'" {
		t.Fatalf("cycle: %v", err)
	}
}

func TestBuildRunSpec(t *testing.T) {
	ts := []*v1alpha1.AnalysisTemplate{tmpl("t", v1alpha1.AnalysisTemplateSpec{
		Metrics: []v1alpha1.Metric{promMetric("rate")},
		Args:    []v1alpha1.Argument{{Name: "svc"}},
		DryRun:  []v1alpha1.DryRun{{MetricName: "rate"}},
	})}
	spec, err := BuildRunSpec(ts, nil, []v1alpha1.Argument{{Name: "svc", Value: sp("web")}}, []v1alpha1.DryRun{{MetricName: "other"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.DryRun) != 2 || spec.DryRun[0].MetricName != "other" || *spec.Args[0].Value != "web" || spec.Metrics[0].Name != "rate" {
		t.Fatalf("spec %+v", spec)
	}
	_, err = BuildRunSpec(ts, nil, []v1alpha1.Argument{{Name: "svc", Value: sp("web")}}, []v1alpha1.DryRun{{MetricName: "rate"}}, nil)
	if err == nil || err.Error() != "two Dry-Run metric rules have the same name 'rate'" {
		t.Fatalf("err = %v", err)
	}
	_, err = BuildRunSpec(ts, nil, nil, nil, nil)
	if err == nil || err.Error() != "args.svc was not resolved" {
		t.Fatalf("err = %v", err)
	}
}

func TestValidateMetric(t *testing.T) {
	base := promMetric("m")
	edit := func(f func(m *v1alpha1.Metric)) v1alpha1.Metric { m := base; f(&m); return m }
	tests := []struct {
		name   string
		metric v1alpha1.Metric
		want   string
	}{
		{name: "valid", metric: base},
		{name: "no provider", metric: edit(func(m *v1alpha1.Metric) { m.Provider = v1alpha1.MetricProvider{} }), want: "no provider specified"},
		{name: "two providers", metric: edit(func(m *v1alpha1.Metric) { m.Provider.Web = &v1alpha1.WebMetric{} }), want: "multiple providers specified"},
		{name: "count > 1 needs interval", metric: edit(func(m *v1alpha1.Metric) { m.Count = ios(2) }), want: "interval must be specified when count > 1"},
		{name: "bad interval", metric: edit(func(m *v1alpha1.Metric) { m.Interval = "30" }), want: `invalid interval string: time: missing unit in duration "30"`},
		{name: "bad initialDelay", metric: edit(func(m *v1alpha1.Metric) { m.InitialDelay = "x" }), want: `invalid startDelay string: time: invalid duration "x"`},
		{name: "both limits disabled", metric: edit(func(m *v1alpha1.Metric) { m.FailureLimit = ios(-1) }), want: "failureLimit and consecutiveSuccessLimit cannot both be disabled"},
		{name: "failureLimit -2", metric: edit(func(m *v1alpha1.Metric) { m.FailureLimit = ios(-2) }), want: "failureLimit must be >= 0, or -1 to be disabled"},
		{
			name: "count below limits", metric: edit(func(m *v1alpha1.Metric) {
				m.Count, m.Interval, m.FailureLimit, m.ConsecutiveSuccessLimit = ios(3), "1m", ios(2), ios(2)
			}),
			want: "count (3) must be >= failureLimit + consecutiveSuccessLimit (2 + 2) if both >= 0",
		},
		{
			name: "count below consecutiveSuccessLimit", metric: edit(func(m *v1alpha1.Metric) {
				m.Count, m.Interval, m.FailureLimit, m.ConsecutiveSuccessLimit = ios(3), "1m", ios(-1), ios(4)
			}),
			want: "count must be >= consecutiveSuccessLimit",
		},
		{name: "count below inconclusiveLimit", metric: edit(func(m *v1alpha1.Metric) { m.Count, m.Interval, m.InconclusiveLimit = ios(2), "1m", ios(3) }), want: "count must be >= inconclusiveLimit"},
		{name: "negative consecutiveErrorLimit", metric: edit(func(m *v1alpha1.Metric) { m.ConsecutiveErrorLimit = ios(-1) }), want: "consecutiveErrorLimit must be >= 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateMetric(tc.metric)
			if (tc.want == "") != (err == nil) || (err != nil && err.Error() != tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if err := ValidateMetrics([]v1alpha1.Metric{base, base}); err == nil || err.Error() != "metrics[1]: duplicate name 'm'" {
		t.Fatalf("err = %v", err)
	}
	if err := ValidateMetrics(nil); err == nil || err.Error() != "no metrics specified" {
		t.Fatalf("err = %v", err)
	}
}
