package controller

import (
	"context"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/api"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// seenFactory records the metrics the providers are given.
type seenFactory struct{ queries *[]string }

func (f seenFactory) NewProvider(_ context.Context, rc RunContext) (Provider, error) {
	*f.queries = append(*f.queries, rc.Metric.Provider.Prometheus.Query)
	return resumingProvider{now: time.Now, resumes: new(int)}, nil
}

// secretKeyRef args are read from the Secret in the run's namespace when
// measuring (Argo's resolveArgs in runMeasurements): the provider sees the
// value; a missing Secret or key errors the run with "Unable to resolve
// metric arguments: …" (analysis/analysis_test.go
// TestSecretContentReferenceSuccess, TestSecretNotFound,
// TestKeyNotInSecret).
func TestSecretKeyRefArgsResolvedFromSecrets(t *testing.T) {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "ns"}, Data: map[string][]byte{"token": []byte("s3cr3t")}}
	for _, c := range []struct {
		name, ref, key string
		wantQuery      string
		wantError      string
	}{
		{name: "present", ref: "creds", key: "token", wantQuery: `up{token="s3cr3t"}`},
		{name: "no such secret", ref: "nope", key: "token", wantError: `Unable to resolve metric arguments: secrets "nope" not found`},
		{name: "no such key", ref: "creds", key: "pw", wantError: "Unable to resolve metric arguments: key 'pw' does not exist in secret 'creds'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ar := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "ar", Namespace: "ns", UID: "u"},
				Spec: v1alpha1.AnalysisRunSpec{
					Args: []v1alpha1.Argument{{Name: "t", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: c.ref, Key: c.key}}}},
					Metrics: []v1alpha1.Metric{{Name: "m", SuccessCondition: "true",
						Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: `up{token="{{args.t}}"}`}}}}}}
			cl := crfake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ar, secret).WithStatusSubresource(&v1alpha1.AnalysisRun{}).Build()
			clk := clock.NewMock()
			clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			var queries []string
			r, err := NewAnalysisRunReconciler(Options{Client: cl, Clock: clk, Providers: seenFactory{queries: &queries}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "ar"}}); err != nil {
				t.Fatal(err)
			}
			got := &v1alpha1.AnalysisRun{}
			if err := cl.Get(context.Background(), client.ObjectKeyFromObject(ar), got); err != nil {
				t.Fatal(err)
			}
			if c.wantError != "" {
				if got.Status.Phase != v1alpha1.AnalysisPhaseError || got.Status.Message != c.wantError || len(queries) != 0 {
					t.Fatalf("phase %s message %q queries %q, want Error %q and no measurement", got.Status.Phase, got.Status.Message, queries, c.wantError)
				}
				return
			}
			if len(queries) != 1 || queries[0] != c.wantQuery {
				t.Fatalf("the provider was given %q, want %q", queries, c.wantQuery)
			}
			if got.Status.Phase == v1alpha1.AnalysisPhaseError {
				t.Fatalf("run errored: %s", got.Status.Message)
			}
		})
	}
}
