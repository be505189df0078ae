package analysis

import (
	"testing"
	"time"
)

// The helpers of Argo's condition environment (utils/evaluate:
// evaluate_test.go TestEvaluateAsInt, TestEvaluateAsIntPanic, TestEvaluateAsFloat,
// TestEvaluateAsFloatError, TestEvalTimeWithSuccessExpr, TestEvalTimeWithNotTimeResult,
// TestEvalTimeWithInvalidExpression).
func TestAsIntAsFloat(t *testing.T) {
	for _, c := range []struct {
		in   any
		i    int64
		f    float64
		iErr string
		fErr string
	}{
		{in: 3, i: 3, f: 3},
		{in: uint8(7), i: 7, f: 7},
		{in: 2.9, i: 2, f: 2.9},
		{in: "42", i: 42, f: 42},
		{in: "1.5", iErr: `strconv.ParseInt: parsing "1.5": invalid syntax`, f: 1.5},
		{in: true, iErr: "asInt() not supported on bool true", fErr: "asFloat() not supported on bool true"},
	} {
		i, err := AsInt(c.in)
		if (c.iErr == "" && (err != nil || i != c.i)) || (c.iErr != "" && (err == nil || err.Error() != c.iErr)) {
			t.Errorf("AsInt(%#v) = %d, %v", c.in, i, err)
		}
		f, err := AsFloat(c.in)
		if (c.fErr == "" && (err != nil || f != c.f)) || (c.fErr != "" && (err == nil || err.Error() != c.fErr)) {
			t.Errorf("AsFloat(%#v) = %v, %v", c.in, f, err)
		}
	}
	// In a condition, an unsupported value is the condition's error.
	if _, err := EvaluateCondition("asInt(result) > 1", true); err == nil {
		t.Error("asInt(true) in a condition must be an error")
	}
	if ok, err := EvaluateCondition(`asFloat(result) >= 0.95`, "0.97"); err != nil || !ok {
		t.Errorf("asFloat of a string result: %v %v", ok, err)
	}
}

func TestEvalTime(t *testing.T) {
	if _, err := EvalTime("1 + 1"); err == nil || err.Error() != "expected time.Time, but got int" {
		t.Fatalf("a number: %v", err)
	}
	if _, err := EvalTime("now("); err == nil {
		t.Fatal("a syntax error must be an error")
	}
	got, err := EvalTime(`date("2026-01-02T03:04:05Z")`)
	if err != nil || !got.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("date(): %v %v", got, err)
	}
}
