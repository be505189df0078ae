// Package fakeproviders simulates Argo Rollouts' metric providers in virtual
// time: Prometheus, Web, Datadog, New Relic, Wavefront, Kayenta, CloudWatch,
// Graphite, InfluxDB, SkyWalking and plugin metrics. Job metrics stay with
// controller.JobProvider (Factory.Fallback).
//
// # What it owns
//
// The simulated providers and their answers: the scenario's spec.metrics
// (Answer, Script, Step, Outcome, Ramp, Noise, TrafficQuery — YAML-facing,
// json tags, decoded strictly by the scenario loader), Factory (a
// controller.ProviderFactory), Check (up-front validation listing metrics
// without an answer) and the CallLog.
//
// # Answers
//
// spec.metrics is keyed by metric name or "template/metric" (the template key
// wins; the template a run's metric came from is the one whose metric has
// the same unsubstituted definition and all of whose metrics are in the
// run). Each answer is one of:
//
//	metrics:
//	  success-rate:                  # constant
//	    script: {value: 0.99}
//	  analysis-tpl/error-rate:       # steps over virtual time, with noise
//	    script:
//	      steps:
//	        - {at: 0s, value: 0.01}
//	        - {at: 10m, value: 0.2}
//	        - {at: 12m, timeout: true}
//	        - {at: 13m, empty: true}
//	      noise: {stddev: 0.005, min: 0}
//	  latency:                       # linear ramp, as a Prometheus scalar
//	    script:
//	      ramp: {from: 0.1, to: 0.5, start: 5m, over: 10m}
//	      shape: scalar
//	  canary-health:                 # per version (name, or role canary/stable)
//	    perVersion:
//	      v2: {value: 0.5}
//	      canary: {value: 0.99}
//	  live-success:                  # from the traffic model
//	    traffic: {measure: successRate, scope: canary, window: 5m}
//	  web-check:
//	    script: {json: {status: {healthy: true}}}
//	  nr-check:
//	    script: {value: 0.99, field: successRate}
//
// An outcome is exactly one of value (a number, or "NaN"/"+Inf"/"-Inf"),
// values (several series or points), empty (no data), json (a JSON value),
// body (a raw web body), error (a query failure with that message) or
// timeout (the provider's client times out); status (web, Datadog) may
// accompany it.
//
// # Result shapes (what conditions see; Measurement.value as Argo writes it)
//
//   - Prometheus: vector (default) []float64, "[0.99]"; shape scalar float64,
//     "0.99"; empty ⇒ [] ("[]"; indexing it is an Error measurement);
//     rangeQuery ⇒ the answer sampled at start, start+step, … ≤ end
//     (now() is virtual time), flattened series by series.
//   - Web: the body (json marshalled; value/values as JSON numbers, NaN
//     written bare so the body is not JSON; body as is) is decoded as Argo
//     does (numbers float64, objects map[string]any) and the first match of
//     jsonPath (k8s.io/client-go/util/jsonpath, the parser Argo uses — every
//     form it accepts, default {$}) is the result, value its JSON; a body
//     that is not JSON is the value, Successful without evaluating the
//     conditions (as Argo does); a non-2xx status ⇒ Error.
//   - Datadog: float64 ("0.5"); empty or NaN ⇒ a nil *float64 ("[]"), so
//     default(result, 0) and isNil(result) work. Both API versions read one
//     value (Argo v1.10 reads only the first value of v2 responses too).
//   - New Relic: one row ⇒ map[string]any, several ⇒ []map[string]any,
//     value JSON; none ⇒ Error "no results returned from NRQL query".
//   - Wavefront: one series ⇒ float64, several ⇒ []float64; value "%.2f";
//     metadata timestamps/drift; none ⇒ Error.
//   - Kayenta: Run starts a judgement (Running, metadata canaryExecutionId,
//     resumed after 15 s); Resume reads the score (the answer at the
//     judgement's start): score ≥ pass ⇒ Successful, ≥ marginal ⇒
//     Inconclusive, else Failed; value the integer score. No conditions.
//   - CloudWatch: []MetricDataResult, one per query with returnData, Values
//     sampled at each period boundary of the interval, newest first; value
//     fmt "%+v" of [][]float64 (kept on an evaluation error, as Argo does).
//   - Graphite: []float64 without nulls (NaN is a null point), value
//     "[0.990000]"; no points ⇒ Error "no values found".
//   - InfluxDB: []any of record values, value fmt.Sprint; none ⇒ Error.
//   - SkyWalking: the decoded JSON; null (empty) ⇒ Error.
//   - Plugin: Error "plugin providers: not supported yet" unless answered;
//     an answer's JSON / number / []float64 is evaluated with the metric's
//     conditions, value its JSON.
//
// Measurements start and finish at the virtual time truncated to whole
// seconds; phases come from analysis.EvaluateResult. A timeout is an Error
// measurement worded as the real client's timeout and takes no virtual time.
//
// # Determinism and secrets
//
// Time comes only from Factory.Clock, randomness only from Factory.Rand
// (noise draws happen in call order). The call log records calls in order;
// queries are rebuilt from the run's unsubstituted metric with secretKeyRef
// args shown as *****, never with secret values.
//
// # Imports
//
// May import: controller (the Provider interface and ProviderType) and
// controller/analysis (EvaluateResult, SubstituteMetric); the upstream API
// types (argo-rollouts v1alpha1, k8s.io/apimachinery); the libraries Argo's
// providers use to shape results (k8s.io/client-go/util/jsonpath for web,
// expr-lang/expr for rangeQuery times); the standard library. Never sim,
// scenarios, report or cmd.
package fakeproviders
