package analysis

import (
	"sync"

	"errors"
	"fmt"
	"github.com/expr-lang/expr/vm"
	"math"
	"reflect"
	"strconv"
	"time"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
)

// EvaluateCondition compiles and runs one expr-lang condition against a
// measurement result, with the environment Argo offers (utils/evaluate):
//
//   - result: the measurement value; a non-nil pointer is dereferenced once,
//     a nil pointer/map/slice/chan becomes nil;
//   - asInt(x) / asFloat(x): numbers converted (floats truncate for asInt),
//     strings parsed (base-10 integer / float); anything else is a runtime
//     error such as `asInt() not supported on bool true`;
//   - isNaN(f), isInf(f): math.IsNaN, math.IsInf(f, 0);
//   - isNil(_): true iff result is nil (its argument is ignored);
//   - default(_, d): result, or d when result is nil (first argument ignored);
//   - every expr builtin (len, all, any, filter, map, sum, …).
//
// The type of `result` is the dynamic type of the value, so comparing a bool
// result with a string (`result == 'true'`) is a compile error, not false.
// Compile errors, runtime errors (index out of range, failed conversions) and
// a non-bool output (`expected bool, but got int`) are returned as errors
// whose text is the bare expr message, without the source excerpt, as Argo
// reports it. A panic inside expr (which Argo would not survive) is turned
// into an error too.
func EvaluateCondition(condition string, result any) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("%v", r)
		}
	}()
	env := conditionEnv(result)
	program, err := compileCondition(condition, env)
	if err != nil {
		return false, bareExprError(err)
	}
	out, err := expr.Run(program, env)
	if err != nil {
		return false, bareExprError(err)
	}
	b, isBool := out.(bool)
	if !isBool {
		return false, fmt.Errorf("expected bool, but got %T", out)
	}
	return b, nil
}

// EvaluateResult turns a measurement result into a measurement phase using the
// metric's conditions (§7.4):
//
//	success  failure  phase
//	-        -        Successful
//	S        -        S ? Successful : Failed
//	-        F        F ? Failed : Successful
//	S        F        F ? Failed : (S ? Successful : Inconclusive)
//
// Both conditions are evaluated (success first) before deciding, so an error
// in either yields phase Error. The error reads
// `could not evaluate successCondition "<expr>": <cause>`, or, when the result
// is nil or an empty slice/array,
// `could not evaluate successCondition "<expr>": metric result is nil or empty: no data returned from the metric provider`
// (failureCondition likewise).
func EvaluateResult(result any, metric v1alpha1.Metric) (v1alpha1.AnalysisPhase, error) {
	hasSuccess := metric.SuccessCondition != ""
	hasFailure := metric.FailureCondition != ""
	var success, failure bool
	if hasSuccess {
		v, err := EvaluateCondition(metric.SuccessCondition, result)
		if err != nil {
			return v1alpha1.AnalysisPhaseError, conditionError("successCondition", metric.SuccessCondition, result, err)
		}
		success = v
	}
	if hasFailure {
		v, err := EvaluateCondition(metric.FailureCondition, result)
		if err != nil {
			return v1alpha1.AnalysisPhaseError, conditionError("failureCondition", metric.FailureCondition, result, err)
		}
		failure = v
	}
	switch {
	case !hasSuccess && !hasFailure:
		return v1alpha1.AnalysisPhaseSuccessful, nil
	case hasSuccess && !hasFailure:
		failure = !success
	case !hasSuccess && hasFailure:
		success = !failure
	}
	switch {
	case failure:
		return v1alpha1.AnalysisPhaseFailed, nil
	case success:
		return v1alpha1.AnalysisPhaseSuccessful, nil
	default:
		return v1alpha1.AnalysisPhaseInconclusive, nil
	}
}

func conditionError(kind, condition string, result any, cause error) error {
	if nilOrEmpty(result) {
		return fmt.Errorf("could not evaluate %s %q: metric result is nil or empty: no data returned from the metric provider", kind, condition)
	}
	return fmt.Errorf("could not evaluate %s %q: %w", kind, condition, cause)
}

// bareExprError strips expr's location excerpt: Argo reports only the message.
func bareExprError(err error) error {
	if fe, ok := err.(*file.Error); ok {
		return errors.New(fe.Message)
	}
	return err
}

func conditionEnv(result any) map[string]any {
	resultIsNil := isNilValue(result)
	value := derefResult(result)
	return map[string]any{
		"result":  value,
		"asInt":   asInt,
		"asFloat": asFloat,
		"isNaN":   math.IsNaN,
		"isInf":   func(f float64) bool { return math.IsInf(f, 0) },
		"isNil":   func(any) bool { return resultIsNil },
		"default": func(_ any, fallback any) any {
			if resultIsNil {
				return fallback
			}
			return value
		},
	}
}

// isNilValue reports whether v is nil or a nil pointer, map, slice or chan.
// (Argo also lists arrays, where reflect panics; an array is never nil here.)
func isNilValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// derefResult dereferences one level of pointer; nil-like values become nil.
func derefResult(v any) any {
	if isNilValue(v) {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		return rv.Elem().Interface()
	}
	return v
}

func nilOrEmpty(v any) bool {
	if isNilValue(v) {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return rv.Len() == 0
	}
	return false
}

// AsInt is Argo's `asInt` condition function as a Go function: integers as
// they are, floats truncated, strings parsed base 10; anything else is an
// error ("asInt() not supported on <type> <value>"). Conditions call it
// through expr, where an error is a runtime error of the condition.
func AsInt(in any) (int64, error) {
	rv := reflect.ValueOf(in)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return int64(rv.Float()), nil
	case reflect.String:
		return strconv.ParseInt(rv.String(), 10, 64)
	}
	return 0, fmt.Errorf("asInt() not supported on %v %v", reflect.TypeOf(in), in)
}

// AsFloat is Argo's `asFloat` condition function; see AsInt.
func AsFloat(in any) (float64, error) {
	rv := reflect.ValueOf(in)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return strconv.ParseFloat(rv.String(), 64)
	}
	return 0, fmt.Errorf("asFloat() not supported on %v %v", reflect.TypeOf(in), in)
}

// asInt and asFloat are the expr forms: expr turns the panic into the
// condition's runtime error, as Argo's do.
func asInt(in any) int64 {
	n, err := AsInt(in)
	if err != nil {
		panic(err)
	}
	return n
}

func asFloat(in any) float64 {
	f, err := AsFloat(in)
	if err != nil {
		panic(err)
	}
	return f
}

// EvalTime is Argo's EvalTime (utils/evaluate): an expression over isNaN and
// isInf that must give a time.Time ("expected time.Time, but got <type>").
func EvalTime(expression string) (time.Time, error) {
	env := map[string]any{"isNaN": math.IsNaN, "isInf": func(f float64) bool { return math.IsInf(f, 0) }}
	program, err := expr.Compile(expression, expr.Env(env))
	if err != nil {
		return time.Time{}, bareExprError(err)
	}
	out, err := expr.Run(program, env)
	if err != nil {
		return time.Time{}, bareExprError(err)
	}
	t, ok := out.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("expected time.Time, but got %T", out)
	}
	return t, nil
}

// compiled caches programs by condition and the dynamic type of result: a
// program depends only on the types in its environment, and a rollout
// evaluates the same few conditions hundreds of times.
var compiled = struct {
	sync.Mutex
	m map[string]*vm.Program
}{m: map[string]*vm.Program{}}

const compiledCacheLimit = 1024

func compileCondition(condition string, env map[string]any) (*vm.Program, error) {
	key := fmt.Sprintf("%T\x00%s", env["result"], condition)
	compiled.Lock()
	p, ok := compiled.m[key]
	compiled.Unlock()
	if ok {
		return p, nil
	}
	p, err := expr.Compile(condition, expr.Env(env))
	if err != nil {
		return nil, err
	}
	compiled.Lock()
	if len(compiled.m) >= compiledCacheLimit {
		compiled.m = map[string]*vm.Program{}
	}
	compiled.m[key] = p
	compiled.Unlock()
	return p, nil
}
