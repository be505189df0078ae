package analysis

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

// fuzzResult picks a result of one of the §8 shapes.
func fuzzResult(kind uint8, x float64, s string) any {
	switch kind % 9 {
	case 0:
		return x
	case 1:
		return []float64{x, -x}
	case 2:
		return []float64{}
	case 3:
		return s
	case 4:
		return nil
	case 5:
		return map[string]any{"count": x, "name": s}
	case 6:
		return x > 0
	case 7:
		return &x
	default:
		return []any{x, s, nil}
	}
}

// FuzzEvaluateCondition checks that evaluation never panics and that
// EvaluateResult agrees with EvaluateCondition for a success-only metric.
func FuzzEvaluateCondition(f *testing.F) {
	seeds := []string{
		"result >= 0.95", "result[0] >= 0.95", "result == 'true'", "isNaN(result)", "isInf(result)",
		"default(result, 0) < 1", "isNil(result)", "asInt(result) > 1", "asFloat(result) < 2",
		"all(result, {# > 0})", "len(result) > 0", "result.count > 10", "result", "1", "result >",
		"let x = 1; x > 0", "result[1:] == []", "", "{{", "result ?? 1 > 0",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i), 0.5, "0.5")
	}
	f.Add("result >= 0.95", uint8(0), math.NaN(), "")
	f.Fuzz(func(t *testing.T, cond string, kind uint8, x float64, s string) {
		result := fuzzResult(kind, x, s)
		ok, err := EvaluateCondition(cond, result)
		if err != nil && ok {
			t.Fatalf("true together with error %v", err)
		}
		if cond == "" {
			return // an empty condition means "no condition" in EvaluateResult
		}
		phase, perr := EvaluateResult(result, v1alpha1.Metric{SuccessCondition: cond})
		switch {
		case err != nil:
			if phase != v1alpha1.AnalysisPhaseError || perr == nil {
				t.Fatalf("condition error %v but phase %s (%v)", err, phase, perr)
			}
			if !strings.HasPrefix(perr.Error(), "could not evaluate successCondition ") {
				t.Fatalf("error not wrapped: %v", perr)
			}
		case ok:
			if phase != v1alpha1.AnalysisPhaseSuccessful || perr != nil {
				t.Fatalf("condition true but phase %s (%v)", phase, perr)
			}
		default:
			if phase != v1alpha1.AnalysisPhaseFailed || perr != nil {
				t.Fatalf("condition false but phase %s (%v)", phase, perr)
			}
		}
	})
}

// FuzzSubstituteArgs checks that substitution never panics, leaves
// placeholder-free metrics unchanged, and inserts values verbatim.
func FuzzSubstituteArgs(f *testing.F) {
	f.Add("up{pod='{{args.pod}}'}", "pod", "web-1")
	f.Add("{{ args.ingress-ip }}", "ingress-ip", `"quoted"`)
	f.Add("{{args.x}}", "x", "line\nbreak\t\\")
	f.Add("{{args.x", "x", "v")
	f.Add("{{}}", "", "")
	f.Add("no placeholders", "a", "\x00")
	f.Add("{{args.x}}", "x", "\xff")
	f.Add("}}{{args.x}}{{", "x", "v")
	f.Fuzz(func(t *testing.T, query, name, value string) {
		m := promMetric("m")
		m.Provider.Prometheus.Query = query
		m.SuccessCondition = query
		m.FailureLimit = iosStr(query)
		out, err := SubstituteArgs([]v1alpha1.Metric{m}, []v1alpha1.Argument{{Name: name, Value: &value}})
		if err != nil {
			return
		}
		if len(out) != 1 {
			t.Fatalf("got %d metrics", len(out))
		}
		got := out[0].Provider.Prometheus.Query
		if out[0].SuccessCondition != got {
			t.Fatalf("fields substituted differently: %q vs %q", out[0].SuccessCondition, got)
		}
		if !utf8.ValidString(query) {
			return // JSON encoding replaces invalid UTF-8
		}
		if !strings.Contains(query, "{{") && got != query {
			t.Fatalf("placeholder-free query changed: %q -> %q", query, got)
		}
		if query == "{{args."+name+"}}" && utf8.ValidString(value) && got != value {
			t.Fatalf("value not inserted verbatim: %q -> %q", value, got)
		}
	})
}
