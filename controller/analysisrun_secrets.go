package controller

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// measuredMetrics are the metrics the providers measure: the run's metrics
// with every arg resolved, secretKeyRef args from the Secret in the run's
// namespace (Argo's resolveArgs in runMeasurements, on every reconcile). A
// missing Secret is the API's NotFound error, a missing key "key 'k' does
// not exist in secret 's'"; the caller fails the run with either. Without
// secret args the resolved metrics are returned as they are. Secret values
// are never recorded: the providers' call log masks them, and notes carry
// only measurement values and messages.
func (r *AnalysisRunReconciler) measuredMetrics(ctx context.Context, run *v1alpha1.AnalysisRun, resolved []v1alpha1.Metric) ([]v1alpha1.Metric, error) {
	args := make([]v1alpha1.Argument, len(run.Spec.Args))
	secrets := false
	for i, a := range run.Spec.Args {
		args[i] = a
		ref := (*v1alpha1.SecretKeyRef)(nil)
		if a.ValueFrom != nil {
			ref = a.ValueFrom.SecretKeyRef
		}
		if ref == nil {
			continue
		}
		secrets = true
		s := &corev1.Secret{}
		if err := r.opts.Client.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: ref.Name}, s); err != nil {
			return nil, err
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			return nil, fmt.Errorf("key '%s' does not exist in secret '%s'", ref.Key, ref.Name)
		}
		value := string(v)
		args[i] = *a.DeepCopy()
		args[i].Value = &value
	}
	if !secrets {
		return resolved, nil
	}
	return analysis.SubstituteArgs(run.Spec.Metrics, args)
}
