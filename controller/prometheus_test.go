package controller

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
)

// TestPrometheusProviderOverHTTP: the live Prometheus provider queries the
// HTTP API and judges vectors, scalars, empty vectors, NaN and API errors
// as Argo's provider does.
func TestPrometheusProviderOverHTTP(t *testing.T) {
	answers := map[string]string{
		"rate":   `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1700000000,"0.97"]}]},"warnings":["partial data"]}`,
		"empty":  `{"status":"success","data":{"resultType":"vector","result":[]}}`,
		"scalar": `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"NaN"]}}`,
		"bad":    `{"status":"error","errorType":"bad_data","error":"parse error at char 4"}`,
	}
	var gotQuery, gotMethod, gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(b))
		gotQuery, gotMethod, gotHeader = form.Get("query"), r.Method, r.Header.Get("X-Scope-OrgID")
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		a := answers[gotQuery]
		if strings.Contains(a, `"status":"error"`) {
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = io.WriteString(w, a)
	}))
	defer srv.Close()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p := &PrometheusProvider{Clock: clk, DefaultAddress: srv.URL}
	metric := func(q, success string) v1alpha1.Metric {
		return v1alpha1.Metric{Name: "m", SuccessCondition: success, Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Query: q, Headers: []v1alpha1.WebMetricHeader{{Key: "X-Scope-OrgID", Value: "team"}}}}}
	}
	ctx := context.Background()
	m := p.Run(ctx, nil, metric("rate", "result[0] >= 0.95"))
	if m.Phase != v1alpha1.AnalysisPhaseSuccessful || m.Value != "[0.97]" || m.Metadata["warnings"] != `"partial data"` {
		t.Errorf("vector: %s %q %q %v", m.Phase, m.Value, m.Message, m.Metadata)
	}
	if gotMethod != http.MethodPost || gotQuery != "rate" || gotHeader != "team" {
		t.Errorf("request: %s query %q header %q", gotMethod, gotQuery, gotHeader)
	}
	if m = p.Run(ctx, nil, metric("empty", "result[0] >= 0.95")); m.Phase != v1alpha1.AnalysisPhaseError {
		t.Errorf("empty vector indexed: %s %q, want Error", m.Phase, m.Message)
	}
	if m = p.Run(ctx, nil, metric("scalar", "result >= 0.95")); m.Phase != v1alpha1.AnalysisPhaseFailed || m.Value != "NaN" {
		t.Errorf("NaN scalar: %s %q, want Failed NaN", m.Phase, m.Value)
	}
	if m = p.Run(ctx, nil, metric("bad", "result[0] >= 0.95")); m.Phase != v1alpha1.AnalysisPhaseError || m.Message != "bad_data: parse error at char 4" {
		t.Errorf("API error: %s %q", m.Phase, m.Message)
	}
	ranged := metric("rate", "true")
	ranged.Provider.Prometheus.RangeQuery = &v1alpha1.PrometheusRangeQueryArgs{}
	if m = p.Run(ctx, nil, ranged); m.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(m.Message, "not supported yet") {
		t.Errorf("range query: %s %q", m.Phase, m.Message)
	}
	if m = (&PrometheusProvider{Clock: clk}).Run(ctx, nil, metric("rate", "true")); m.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(m.Message, "address is not configured") {
		t.Errorf("no address: %s %q", m.Phase, m.Message)
	}
}
