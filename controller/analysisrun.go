package controller

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

const actorAnalysis = "analysis-controller"

// AnalysisRunReconciler reconciles AnalysisRuns: it takes measurements
// through providers, assesses metrics and the run, and asks for a wake-up at
// the next measurement.
type AnalysisRunReconciler struct {
	opts Options
	// resolved caches each run's metrics with its args substituted, by uid
	// and generation (the spec, hence the result, cannot change without a
	// new generation).
	resolved map[types.UID]resolvedMetrics
	// settled remembers runs whose last write left them at a fixed point:
	// a reconcile of that very object at that very instant would change
	// nothing (nothing due, nothing terminating), so it is skipped with
	// the same wake-up, after reading only the run's metadata.
	settled map[types.NamespacedName]settledRun
}

type settledRun struct {
	uid             types.UID
	resourceVersion string
	at              time.Time
	result          reconcile.Result
}

type resolvedMetrics struct {
	generation int64
	metrics    []v1alpha1.Metric
	err        error
}

func (r *AnalysisRunReconciler) resolve(run *v1alpha1.AnalysisRun) ([]v1alpha1.Metric, error) {
	if c, ok := r.resolved[run.UID]; ok && run.UID != "" && c.generation == run.Generation {
		return c.metrics, c.err
	}
	m, err := analysis.ResolveMetricsWithoutSecrets(run.Spec.Metrics, run.Spec.Args)
	if run.UID != "" {
		r.resolved[run.UID] = resolvedMetrics{generation: run.Generation, metrics: m, err: err}
	}
	return m, err
}

// NewAnalysisRunReconciler validates opts and returns a reconciler. Without
// a ProviderFactory, Job metrics are answered and every other provider kind
// is reported "not supported yet".
func NewAnalysisRunReconciler(opts Options) (*AnalysisRunReconciler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Providers == nil {
		opts.Providers = JobProviderFactory{Client: opts.Client, Clock: opts.Clock}
	}
	return &AnalysisRunReconciler{opts: opts, resolved: map[types.UID]resolvedMetrics{}, settled: map[types.NamespacedName]settledRun{}}, nil
}

var _ reconcile.Reconciler = (*AnalysisRunReconciler)(nil)

func (r *AnalysisRunReconciler) note(run *v1alpha1.AnalysisRun, kind, name, verb, reason, detail string) {
	r.opts.Recorder.Record(Note{Actor: actorAnalysis, Kind: kind, Namespace: run.Namespace, Name: name, Verb: verb, Reason: reason, Detail: detail})
}

// Reconcile runs one analysis reconcile.
func (r *AnalysisRunReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	if res, ok := r.stillSettled(ctx, req); ok {
		return res, nil
	}
	run := &v1alpha1.AnalysisRun{}
	if err := r.opts.Client.Get(ctx, req.NamespacedName, run); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("get analysis run %s: %w", req.NamespacedName, err)
	}
	if run.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	if run.Status.Phase.Completed() {
		delete(r.resolved, run.UID)
		delete(r.settled, req.NamespacedName)
		return reconcile.Result{}, r.deleteJobs(ctx, run)
	}
	// The reconcile changes only the status, and never writes into what
	// the patch base shares with run: it replaces pointers and the metric
	// results slice, and records a measurement into a copy of that metric's
	// measurements. So the base shares the spec and the measurements with
	// run instead of deep-copying them.
	orig := &v1alpha1.AnalysisRun{TypeMeta: run.TypeMeta, ObjectMeta: run.ObjectMeta, Spec: run.Spec, Status: run.Status}
	run.Status.MetricResults = make([]v1alpha1.MetricResult, len(orig.Status.MetricResults))
	copy(run.Status.MetricResults, orig.Status.MetricResults)
	now := r.opts.now()
	metrics, err := r.resolve(run)
	if err != nil {
		return reconcile.Result{}, r.fail(ctx, orig, run, fmt.Sprintf("Unable to resolve metric arguments: %v", err))
	}
	if err := analysis.ValidateMetrics(metrics); err != nil {
		// Argo's reconcileAnalysisRun validates the resolved metrics before
		// it measures anything.
		return reconcile.Result{}, r.fail(ctx, orig, run, fmt.Sprintf("Analysis spec invalid: %v", err))
	}
	dryRun, err := analysis.DryRunMetrics(run.Spec.DryRun, metrics)
	if err != nil {
		return reconcile.Result{}, r.fail(ctx, orig, run, fmt.Sprintf("Analysis spec invalid: %v", err))
	}
	retention, err := analysis.MeasurementRetentionLimits(run.Spec.MeasurementRetention, metrics)
	if err != nil {
		return reconcile.Result{}, r.fail(ctx, orig, run, fmt.Sprintf("Analysis spec invalid: %v", err))
	}
	measuredMetrics, err := r.measuredMetrics(ctx, run, metrics)
	if err != nil {
		return reconcile.Result{}, r.fail(ctx, orig, run, fmt.Sprintf("Unable to resolve metric arguments: %v", err))
	}
	terminating := analysis.IsTerminating(run)
	// Due times are compared with the precise clock (as Argo's time.Now);
	// persisted timestamps use whole seconds.
	precise := r.opts.Clock.Now().UTC()
	var startedAt metav1.Time
	if run.Status.StartedAt != nil {
		startedAt = *run.Status.StartedAt
	}
	// measured: a completed measurement was recorded, which always moves
	// one of the metric's counters, so the status changed for sure.
	measured := false
	for mi, metric := range metrics {
		idx := analysis.FindResult(run, metric.Name)
		var result *v1alpha1.MetricResult
		if idx >= 0 {
			result = &run.Status.MetricResults[idx]
			if result.Phase.Completed() {
				continue
			}
		}
		take, resume := analysis.MeasurementDue(metric, result, startedAt.Time, precise, terminating)
		if !take && !resume {
			continue
		}
		if result == nil {
			run.Status.MetricResults = append(run.Status.MetricResults, v1alpha1.MetricResult{Name: metric.Name, Phase: v1alpha1.AnalysisPhaseRunning, DryRun: dryRun[metric.Name]})
			result = &run.Status.MetricResults[len(run.Status.MetricResults)-1]
		}
		var m v1alpha1.Measurement
		// The provider measures the metric with the secrets' values.
		metric := measuredMetrics[mi]
		provider, perr := r.opts.Providers.NewProvider(ctx, RunContext{Run: run, Metric: metric})
		switch {
		case perr != nil && resume:
			m = markError(result.Measurements[len(result.Measurements)-1], perr, now)
		case perr != nil:
			m = markError(v1alpha1.Measurement{}, perr, now)
		case resume && terminating:
			m = provider.Terminate(ctx, run, metric, result.Measurements[len(result.Measurements)-1])
			if m.Phase == v1alpha1.AnalysisPhaseInconclusive && m.Message == "" {
				m.Message = analysis.MetricTerminatedMessage
			}
		case resume:
			m = provider.Resume(ctx, run, metric, result.Measurements[len(result.Measurements)-1])
		default:
			m = provider.Run(ctx, run, metric)
		}
		result.Measurements = append(make([]v1alpha1.Measurement, 0, len(result.Measurements)+1), result.Measurements...)
		analysis.RecordMeasurement(result, m, resume, now)
		limit := int(retention[metric.Name])
		analysis.TrimMeasurements(result, limit)
		if m.Phase.Completed() {
			measured = true
			detail := fmt.Sprintf("%s → %s", metric.Name, m.Phase)
			if m.Value != "" {
				detail += " (value " + m.Value + ")"
			}
			if m.Message != "" {
				detail += ": " + m.Message
			}
			r.note(run, "analysisrun", run.Name, "measured", "MetricMeasured", detail)
		}
	}
	if run.Status.StartedAt == nil {
		t := metav1.NewTime(now)
		run.Status.StartedAt = &t
	}
	phase, msg := analysis.AssessRunMetrics(run, metrics, dryRun)
	if phase != run.Status.Phase {
		prev := run.Status.Phase
		run.Status.Phase = phase
		run.Status.Message = msg
		if phase.Completed() {
			t := metav1.NewTime(now)
			run.Status.CompletedAt = &t
		}
		if prev != "" || phase.Completed() {
			detail := string(phase)
			if msg != "" {
				detail += ": " + msg
			}
			r.note(run, "analysisrun", run.Name, "phase", "AnalysisRun"+string(phase), detail)
		}
	}
	wrote := false
	if measured || !sameStatus(&orig.Status, &run.Status) {
		if err := r.opts.Client.Status().Patch(ctx, run, client.MergeFrom(orig)); err != nil {
			return reconcile.Result{}, fmt.Errorf("patch status of analysis run %s: %w", run.Name, err)
		}
		wrote = true
	}
	if run.Status.Phase.Completed() {
		return reconcile.Result{}, r.deleteJobs(ctx, run)
	}
	res := reconcile.Result{}
	if next, ok := analysis.NextReconcileTime(run, metrics, precise); ok {
		d := next.Sub(r.opts.Clock.Now())
		if d < 0 {
			d = 0
		}
		if d <= r.opts.ResyncPeriod {
			if d == 0 {
				d = 1
			}
			res = reconcile.Result{RequeueAfter: d}
		}
	}
	delete(r.settled, req.NamespacedName)
	if wrote && run.UID != "" && r.atFixedPoint(run, metrics, precise) {
		r.settled[req.NamespacedName] = settledRun{uid: run.UID, resourceVersion: run.ResourceVersion, at: r.opts.Clock.Now(), result: res}
	}
	return res, nil
}

// stillSettled reports whether req names a run this reconciler left at a
// fixed point at this very instant and nobody has written since (same uid
// and resourceVersion, read from the metadata alone): then the reconcile
// would change nothing and res is its wake-up.
func (r *AnalysisRunReconciler) stillSettled(ctx context.Context, req reconcile.Request) (res reconcile.Result, ok bool) {
	sr, ok := r.settled[req.NamespacedName]
	if !ok || !sr.at.Equal(r.opts.Clock.Now()) {
		return reconcile.Result{}, false
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("AnalysisRun"))
	if err := r.opts.Client.Get(ctx, req.NamespacedName, m); err != nil {
		return reconcile.Result{}, false
	}
	if m.UID != sr.uid || m.ResourceVersion != sr.resourceVersion || m.DeletionTimestamp != nil {
		return reconcile.Result{}, false
	}
	return sr.result, true
}

// atFixedPoint reports whether reconciling run again at this instant would
// change nothing: no metric is terminating the run, and no measurement is
// due to be taken or resumed. (Assessment is idempotent: a completed
// metric's phase never changes, and the run phase follows the metrics.)
func (r *AnalysisRunReconciler) atFixedPoint(run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, precise time.Time) bool {
	terminating := analysis.IsTerminating(run)
	if terminating || run.Status.StartedAt == nil {
		return false
	}
	for _, m := range metrics {
		idx := analysis.FindResult(run, m.Name)
		var result *v1alpha1.MetricResult
		if idx >= 0 {
			result = &run.Status.MetricResults[idx]
			if result.Phase.Completed() {
				continue
			}
		}
		if take, resume := analysis.MeasurementDue(m, result, run.Status.StartedAt.Time, precise, terminating); take || resume {
			return false
		}
	}
	return true
}

func (r *AnalysisRunReconciler) fail(ctx context.Context, orig, run *v1alpha1.AnalysisRun, msg string) error {
	now := metav1.NewTime(r.opts.now())
	run.Status.Phase = v1alpha1.AnalysisPhaseError
	run.Status.Message = msg
	run.Status.CompletedAt = &now
	if run.Status.StartedAt == nil {
		run.Status.StartedAt = &now
	}
	if err := r.opts.Client.Status().Patch(ctx, run, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("patch status of analysis run %s: %w", run.Name, err)
	}
	r.note(run, "analysisrun", run.Name, "phase", "AnalysisRunError", msg)
	return nil
}

// deleteJobs removes the Jobs of a finished run (rollsim deletes them when
// the run ends; see docs/fidelity.md).
func (r *AnalysisRunReconciler) deleteJobs(ctx context.Context, run *v1alpha1.AnalysisRun) error {
	jobs := &batchv1.JobList{}
	if err := r.opts.Client.List(ctx, jobs, client.InNamespace(run.Namespace), client.MatchingLabels{LabelAnalysisRunUID: string(run.UID)}); err != nil {
		return fmt.Errorf("list jobs of analysis run %s: %w", run.Name, err)
	}
	for i := range jobs.Items {
		job := &jobs.Items[i]
		if job.DeletionTimestamp != nil {
			continue
		}
		fg := metav1.DeletePropagationForeground
		if err := r.opts.Client.Delete(ctx, job, &client.DeleteOptions{PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete job %s: %w", job.Name, err)
		}
	}
	return nil
}

// sameStatus: reflect.DeepEqual is a cheap sufficient test (most reconciles
// change nothing); only when it fails does the semantic comparison (times
// by instant, quantities by value) decide.
func sameStatus(a, b *v1alpha1.AnalysisRunStatus) bool {
	return reflect.DeepEqual(a, b) || equality.Semantic.DeepEqual(a, b)
}
