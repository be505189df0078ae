package analysis

import (
	"math"
	"strings"
	"testing"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

const (
	successful   = v1alpha1.AnalysisPhaseSuccessful
	failed       = v1alpha1.AnalysisPhaseFailed
	inconclusive = v1alpha1.AnalysisPhaseInconclusive
	errored      = v1alpha1.AnalysisPhaseError
	running      = v1alpha1.AnalysisPhaseRunning
	pending      = v1alpha1.AnalysisPhasePending
)

// cloudWatchResult mimics the struct shape the CloudWatch provider hands to
// conditions (§8).
type cloudWatchResult struct {
	Id     string
	Label  string
	Values []float64
}

func TestEvaluateResultTable(t *testing.T) {
	nilOrEmpty := func(kind, cond string) string {
		return "could not evaluate " + kind + " \"" + cond + "\": metric result is nil or empty: no data returned from the metric provider"
	}
	var nilFloat *float64
	f099 := 0.99
	tests := []struct {
		name    string
		result  any
		success string
		failure string
		want    v1alpha1.AnalysisPhase
		wantErr string // exact error text; "" means no error
	}{
		{name: "no conditions", result: 0.1, want: successful},
		{name: "no conditions nil result", result: nil, want: successful},
		{name: "success only true", result: 0.99, success: "result >= 0.95", want: successful},
		{name: "success only false", result: 0.5, success: "result >= 0.95", want: failed},
		{name: "failure only true", result: 0.5, failure: "result < 0.95", want: failed},
		{name: "failure only false", result: 0.99, failure: "result < 0.95", want: successful},
		{name: "both: failure wins even if success true", result: 0.99, success: "result > 0.5", failure: "result > 0.9", want: failed},
		{name: "both: success", result: 0.99, success: "result >= 0.95", failure: "result < 0.5", want: successful},
		{name: "both: neither => inconclusive", result: 0.7, success: "result >= 0.95", failure: "result < 0.5", want: inconclusive},
		// NaN compares false with everything.
		{name: "NaN success only => failed", result: math.NaN(), success: "result >= 0.95", want: failed},
		{name: "NaN both => inconclusive", result: math.NaN(), success: "result >= 0.95", failure: "result < 0.95", want: inconclusive},
		{name: "NaN caught by isNaN", result: math.NaN(), success: "result >= 0.95", failure: "isNaN(result)", want: failed},
		{name: "Inf caught by isInf", result: math.Inf(1), failure: "isInf(result)", want: failed},
		// Prometheus vector shapes.
		{name: "vector index", result: []float64{0.97, 0.1}, success: "result[0] >= 0.95", want: successful},
		{
			name: "empty vector indexing => error", result: []float64{}, success: "result[0] >= 0.95",
			want: errored, wantErr: nilOrEmpty("successCondition", "result[0] >= 0.95"),
		},
		{name: "empty vector len is fine", result: []float64{}, success: "len(result) == 0", want: successful},
		{
			name: "out of range on non-empty vector keeps expr message", result: []float64{1}, success: "result[3] > 0",
			want: errored, wantErr: "could not evaluate successCondition \"result[3] > 0\": index out of range: 3 (array length is 1)",
		},
		{
			name: "failure condition error names failureCondition", result: []float64{}, success: "len(result) == 0", failure: "result[0] > 1",
			want: errored, wantErr: nilOrEmpty("failureCondition", "result[0] > 1"),
		},
		{
			name: "success condition evaluated first", result: 1.0, success: "nope > 1", failure: "result > 0",
			want: errored, wantErr: "could not evaluate successCondition \"nope > 1\": unknown name nope",
		},
		// nil results (datadog with no data).
		{name: "nil result default()", result: nil, success: "default(result, 0) < 1", want: successful},
		{name: "nil result isNil() failure", result: nil, success: "default(result, 0) < 1", failure: "isNil(result)", want: failed},
		{name: "nil pointer is nil", result: nilFloat, failure: "isNil(result)", want: failed},
		{
			name: "nil result compared => nil-or-empty error", result: nil, success: "result > 1",
			want: errored, wantErr: nilOrEmpty("successCondition", "result > 1"),
		},
		{name: "pointer dereferenced", result: &f099, success: "result > 0.9 && !isNil(result)", want: successful},
		// Web provider: bool vs string.
		{
			name: "web bool compared with string is a compile error", result: true, success: "result == 'true'",
			want: errored, wantErr: "could not evaluate successCondition \"result == 'true'\": invalid operation: == (mismatched types bool and string)",
		},
		{name: "web bool inside an object compares false => failed", result: map[string]any{"ok": true}, success: "result.ok == 'true'", want: failed},
		{name: "web bool compared with bool", result: true, success: "result == true", want: successful},
		{name: "web non-JSON body is a string", result: "OK", success: "result == 'OK'", want: successful},
		{
			name: "non-bool condition => error", result: 1.0, success: "result",
			want: errored, wantErr: "could not evaluate successCondition \"result\": expected bool, but got float64",
		},
		// Other §8 shapes.
		{name: "newRelic row map", result: map[string]any{"count": 12.0}, success: "result.count > 10", want: successful},
		{name: "newRelic rows", result: []map[string]any{{"count": 1.0}, {"count": 2.0}}, success: "result[1].count == 2", want: successful},
		{
			name: "cloudWatch struct results", result: []cloudWatchResult{{Id: "rate", Values: []float64{0.001, 0.02}}},
			success: "all(result[0].Values, {# < 0.01})", want: failed,
		},
		{name: "influxdb any values", result: []any{1.0, "x"}, success: "len(result) == 2", want: successful},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := v1alpha1.Metric{Name: "m", SuccessCondition: tc.success, FailureCondition: tc.failure}
			got, err := EvaluateResult(tc.result, m)
			if got != tc.want {
				t.Fatalf("phase = %s, want %s (err %v)", got, tc.want, err)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
				t.Fatalf("error = %v\nwant    %s", err, tc.wantErr)
			}
		})
	}
}

func TestEvaluateConditionHelpers(t *testing.T) {
	tests := []struct {
		cond    string
		result  any
		want    bool
		wantErr string
	}{
		{cond: "asInt(result) == 42", result: "42", want: true},
		{cond: "asInt(result) == 1", result: 1.9, want: true}, // truncation
		{cond: "asInt(result) == 7", result: uint8(7), want: true},
		{cond: "asFloat(result) == 0.5", result: "0.5", want: true},
		{cond: "asFloat(result) == 3.0", result: 3, want: true},
		{cond: "asFloat(result) > 1", result: int64(2), want: true},
		{cond: "asInt(result) > 1", result: "1.5", wantErr: `strconv.ParseInt: parsing "1.5": invalid syntax`},
		{cond: "asFloat(result) > 1", result: "NotANum", wantErr: `strconv.ParseFloat: parsing "NotANum": invalid syntax`},
		{cond: "asInt(result) > 1", result: true, wantErr: "asInt() not supported on bool true"},
		{cond: "asFloat(result) > 1", result: nil, wantErr: "asFloat() not supported on <nil> <nil>"},
		{cond: `asFloat(result) == "1.1"`, result: "1.1", wantErr: "invalid operation: == (mismatched types float64 and string)"},
		{cond: "isNaN(result)", result: math.NaN(), want: true},
		{cond: "isNaN(result)", result: 1.0, want: false},
		{cond: "isInf(result)", result: math.Inf(-1), want: true},
		{cond: "isNil(result)", result: nil, want: true},
		{cond: "isNil(42)", result: nil, want: true}, // the argument is ignored
		{cond: "isNil(result)", result: []float64{}, want: false},
		{cond: "isNil(result)", result: map[string]any(nil), want: true},
		{cond: "default(result, 5) == 5", result: nil, want: true},
		{cond: "default(result, 5) == 1", result: 1.0, want: true},
		{cond: "sum(result) > 2 && mean(result) == 1.5 && max(result) == 2", result: []float64{1, 2}, want: true},
		{cond: "any(result, {# > 1}) && !all(result, {# > 1})", result: []float64{1, 2}, want: true},
		{cond: "len(filter(result, {# > 0.5})) == 1", result: []float64{0.1, 0.9}, want: true},
		{cond: "1", result: true, wantErr: "expected bool, but got int"},
		{cond: "result", result: nil, wantErr: "expected bool, but got <nil>"},
		{cond: "invalidVariable", result: true, wantErr: "unknown name invalidVariable"},
		{cond: "result >", result: 1.0, wantErr: "unexpected token EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			got, err := EvaluateCondition(tc.cond, tc.result)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if got {
					t.Fatalf("got true with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluateConditionErrorHasNoSourceExcerpt(t *testing.T) {
	_, err := EvaluateCondition("result[0] > 1", []float64{})
	if err == nil {
		t.Fatal("expected an error")
	}
	if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "(1:") {
		t.Fatalf("error carries expr location: %q", err)
	}
}

func TestEvaluateConditionArrayResultDoesNotPanic(t *testing.T) {
	// Argo's isNil panics on arrays; here an array is simply a value.
	got, err := EvaluateCondition("result[1] == 2 && !isNil(result)", [2]float64{1, 2})
	if err != nil || !got {
		t.Fatalf("got %v, %v", got, err)
	}
}
