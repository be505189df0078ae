// Package analysis holds the pure semantics of Argo Rollouts analysis, as
// described in shared/reference/argo-semantics.md §7 and §8:
//
//   - condition evaluation: EvaluateCondition / EvaluateResult run the
//     successCondition / failureCondition expressions with expr-lang/expr and
//     the same environment Argo offers (result, asInt, asFloat, isNaN, isInf,
//     isNil, default, plus the expr builtins) and map them to a measurement
//     phase (§7.4); the environment's helpers are exported for Go callers:
//     AsInt, AsFloat, and EvalTime (Argo's time expressions);
//   - metric and run assessment: CountMeasurement / RecordMeasurement keep a
//     MetricResult's counters, AssessMetric decides a metric's phase from its
//     counters and limits (§7.5), AssessRun / AssessRunMetrics decide the run
//     phase and message with dry-run metrics excluded (§7.6), MetricMessage
//     words the message Argo writes;
//   - scheduling: NextMeasurementTime, MeasurementDue and NextReconcileTime say
//     when a metric is measured next (initialDelay, interval measured from the
//     previous finishedAt with a strict comparison, 10 s retry after an Error);
//   - templates and args (§7.2): CollectTemplates, FlattenTemplates,
//     BuildRunSpec, MergeArgs, ResolveArgs (rollout-side arguments),
//     SubstituteArgs ({{args.x}} placeholders), ValidateMetrics, and
//     ResolveForValidation / UnboundedMetric (a step or pre/post-promotion
//     template checked with placeholders for its run-time args).
//
// Everything here is deterministic and free of side effects other than on the
// values passed in: no clock is read (times are parameters), nothing is
// logged, no API server is contacted. Secrets are the caller's business:
// ResolveMetricsWithoutSecrets substitutes a placeholder for secretKeyRef
// arguments exactly as Argo does before assessment.
//
// Imports are restricted to the standard library, the upstream API types
// (github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1),
// github.com/expr-lang/expr and k8s.io/apimachinery. The package imports
// nothing from rollsim, so every other rollsim package may depend on it.
//
// The code is written from the semantics, not copied from Argo; where Argo
// would panic (for example a negative index in a fieldRef path, an array
// result handed to isNil, or a template reference cycle) this package returns
// an error or a sensible value instead, as noted on each function.
package analysis
