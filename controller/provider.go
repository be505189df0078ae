package controller

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Provider is a metric provider, as Argo's metricproviders.Provider: Run
// starts a measurement, Resume continues one in flight, Terminate stops one.
// Providers never block: a measurement still running carries ResumeAt.
type Provider interface {
	Type() string
	Run(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement
	Resume(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement
	Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement
}

// RunContext is what a ProviderFactory gets to choose a provider.
type RunContext struct {
	Run    *v1alpha1.AnalysisRun
	Metric v1alpha1.Metric
}

// ProviderType names the provider a metric uses, as Argo's Type() does.
func ProviderType(m v1alpha1.Metric) string {
	p := m.Provider
	switch {
	case p.Prometheus != nil:
		return "Prometheus"
	case p.Job != nil:
		return "Job"
	case p.Web != nil:
		return "Web"
	case p.Datadog != nil:
		return "Datadog"
	case p.NewRelic != nil:
		return "NewRelic"
	case p.Wavefront != nil:
		return "Wavefront"
	case p.Kayenta != nil:
		return "Kayenta"
	case p.CloudWatch != nil:
		return "CloudWatch"
	case p.Graphite != nil:
		return "Graphite"
	case p.Influxdb != nil:
		return "Influxdb"
	case p.SkyWalking != nil:
		return "SkyWalking"
	case p.Plugin != nil:
		return "RPCPlugin"
	}
	return ""
}

// JobProviderFactory answers Job metrics with the JobProvider and every
// other provider kind with a clear "not supported yet" error. Wrap it to add
// providers (fakeproviders does).
type JobProviderFactory struct {
	Client client.Client
	Clock  interface{ Now() time.Time }
}

// NewProvider implements ProviderFactory.
func (f JobProviderFactory) NewProvider(_ context.Context, rc RunContext) (Provider, error) {
	if rc.Metric.Provider.Job != nil {
		return &JobProvider{Client: f.Client, Clock: f.Clock}, nil
	}
	t := ProviderType(rc.Metric)
	if t == "" {
		return nil, fmt.Errorf("metric %q: no provider configured", rc.Metric.Name)
	}
	return nil, fmt.Errorf("metric %q: provider %s: %w", rc.Metric.Name, t, ErrNotSupported)
}

// Job provider keys, as Argo names them.
const (
	JobNameKey                 = "job-name"
	JobNamespaceKey            = "job-namespace"
	AnnotationAnalysisRunName  = "analysisrun.argoproj.io/name"
	AnnotationAnalysisRunNS    = "analysisrun.argoproj.io/namespace"
	AnnotationAnalysisMetric   = "analysisrun.argoproj.io/metric-name"
	LabelAnalysisRunUID        = "analysisrun.argoproj.io/uid"
	AnnotationAnalysisJobIndex = "analysisrun.argoproj.io/job-index"
)

// JobProvider runs a metric as a Kubernetes Job: Complete ⇒ Successful,
// Failed ⇒ Failed; polled at now + sqrt(2·elapsed), the resume time rounded
// up to a whole second (docs/fidelity.md).
type JobProvider struct {
	Client client.Client
	Clock  interface{ Now() time.Time }
}

// Now is the clock's time truncated to whole seconds, as persisted.
func (p *JobProvider) Now() time.Time { return p.Clock.Now().UTC().Truncate(time.Second) }

// Type implements Provider.
func (p *JobProvider) Type() string { return "Job" }

func markError(m v1alpha1.Measurement, err error, now time.Time) v1alpha1.Measurement {
	t := metav1.NewTime(now)
	m.Phase = v1alpha1.AnalysisPhaseError
	m.Message = err.Error()
	m.FinishedAt = &t
	if m.StartedAt == nil {
		m.StartedAt = &t
	}
	return m
}

func jobIndex(run *v1alpha1.AnalysisRun, metric string) int {
	for _, r := range run.Status.MetricResults {
		if r.Name == metric {
			return int(r.Count + r.Error + 1)
		}
	}
	return 1
}

// JobName is Argo's job name: <run uid>.<metric>.<n>, the metric name
// shortened to keep it within 63 characters.
func JobName(run *v1alpha1.AnalysisRun, metric string, n int) string {
	name := fmt.Sprintf("%s.%s.%d", run.UID, metric, n)
	if over := len(name) - 63; over > 0 && over < len(metric) {
		name = fmt.Sprintf("%s.%s.%d", run.UID, metric[:len(metric)-over], n)
	}
	return name
}

// Run implements Provider.
func (p *JobProvider) Run(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := metav1.NewTime(p.Now())
	m := v1alpha1.Measurement{StartedAt: &now, Phase: v1alpha1.AnalysisPhaseRunning}
	n := jobIndex(run, metric.Name)
	spec := metric.Provider.Job.Spec.DeepCopy()
	labels := map[string]string{}
	for k, v := range metric.Provider.Job.Metadata.Labels {
		labels[k] = v
	}
	labels[LabelAnalysisRunUID] = string(run.UID)
	ann := map[string]string{}
	for k, v := range metric.Provider.Job.Metadata.Annotations {
		ann[k] = v
	}
	ann[AnnotationAnalysisRunName] = run.Name
	ann[AnnotationAnalysisRunNS] = run.Namespace
	ann[AnnotationAnalysisMetric] = metric.Name
	ann[AnnotationAnalysisJobIndex] = fmt.Sprint(n)
	if spec.Template.Labels == nil {
		spec.Template.Labels = map[string]string{}
	}
	spec.Template.Labels[LabelAnalysisRunUID] = string(run.UID)
	isController := true
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: JobName(run, metric.Name, n), Namespace: run.Namespace, Labels: labels, Annotations: ann,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "AnalysisRun",
				Name: run.Name, UID: run.UID, Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec: *spec,
	}
	if err := p.Client.Create(ctx, job); err != nil && !apierrors.IsAlreadyExists(err) {
		return markError(m, fmt.Errorf("create job %s: %w", job.Name, err), p.Now())
	}
	m.Metadata = map[string]string{JobNameKey: job.Name, JobNamespaceKey: job.Namespace}
	m.ResumeAt = &now
	return m
}

// Resume implements Provider.
func (p *JobProvider) Resume(ctx context.Context, run *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	now := p.Now()
	name := m.Metadata[JobNameKey]
	if name == "" {
		return markError(m, fmt.Errorf("job metadata reference missing"), now)
	}
	job := &batchv1.Job{}
	if err := p.Client.Get(ctx, types.NamespacedName{Namespace: run.Namespace, Name: name}, job); err != nil {
		return markError(m, fmt.Errorf("get job %s: %w", name, err), now)
	}
	t := metav1.NewTime(now)
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			m.FinishedAt, m.Phase = &t, v1alpha1.AnalysisPhaseSuccessful
		case batchv1.JobFailed:
			m.FinishedAt, m.Phase = &t, v1alpha1.AnalysisPhaseFailed
		}
	}
	if m.Phase.Completed() {
		return m
	}
	msg, err := p.jobPodsError(ctx, run, job)
	if err != nil {
		return markError(m, err, now)
	}
	if msg != "" {
		m.FinishedAt, m.Phase, m.Message = &t, v1alpha1.AnalysisPhaseInconclusive, msg
		return m
	}
	precise := p.Clock.Now().UTC()
	elapsed := precise.Sub(m.StartedAt.Time)
	delay := time.Duration(math.Sqrt(2*elapsed.Seconds()) * float64(time.Second))
	// Argo keeps the exact time in memory, but its status write wakes the
	// run at once and that sync re-queues at the persisted resumeAt, which
	// is truncated to the second: the poll comes at the truncated time.
	// When that is not in the future Argo polls again at once, and keeps
	// doing so until now + sqrt(2·elapsed) reaches the next whole second:
	// every such poll sees the same Job (a change to the Job wakes the run
	// anyway), so rollsim goes straight to that second.
	at := precise.Add(delay).Truncate(time.Second)
	if !at.After(precise) {
		at = precise.Truncate(time.Second).Add(time.Second)
	}
	resume := metav1.NewTime(at)
	m.ResumeAt = &resume
	return m
}

// Terminate implements Provider: the job is deleted, the measurement ends
// Inconclusive.
func (p *JobProvider) Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	now := p.Now()
	if name := m.Metadata[JobNameKey]; name != "" {
		job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: run.Namespace, Name: name}}
		fg := metav1.DeletePropagationForeground
		if err := p.Client.Delete(ctx, job, &client.DeleteOptions{PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
			return markError(m, fmt.Errorf("delete job %s: %w", name, err), now)
		}
	}
	t := metav1.NewTime(now)
	m.FinishedAt = &t
	m.Phase = v1alpha1.AnalysisPhaseInconclusive
	return m
}
