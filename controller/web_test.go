package controller

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
)

// TestWebProviderOverHTTP: the live web provider sends the metric's
// request and judges the answer as Argo does.
func TestWebProviderOverHTTP(t *testing.T) {
	var gotHeader, gotBody, gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Get("X-Token")
		gotType = r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, `{"data": {"ok": true, "rate": 0.97}}`)
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/text":
			_, _ = io.WriteString(w, "all good")
		}
	}))
	defer srv.Close()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p := &WebProvider{Clock: clk}
	metric := func(path, jsonPath, success string) v1alpha1.Metric {
		return v1alpha1.Metric{Name: "m", SuccessCondition: success, Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{
			URL: srv.URL + path, JSONPath: jsonPath, Headers: []v1alpha1.WebMetricHeader{{Key: "X-Token", Value: "t"}}}}}
	}
	ctx := context.Background()

	m := p.Run(ctx, nil, metric("/ok", "{$.data.rate}", "result >= 0.95"))
	if m.Phase != v1alpha1.AnalysisPhaseSuccessful || m.Value != "0.97" || gotHeader != "t" {
		t.Errorf("rate: %s %q %q (header %q)", m.Phase, m.Value, m.Message, gotHeader)
	}
	m = p.Run(ctx, nil, metric("/ok", "{$.data.rate}", "result >= 0.99"))
	if m.Phase != v1alpha1.AnalysisPhaseFailed {
		t.Errorf("rate below: %s", m.Phase)
	}
	// The classic trap: a JSON boolean compared with the string 'true' is
	// an Error, as in Argo (analysis-web-json-bool-trap).
	m = p.Run(ctx, nil, metric("/ok", "{$.data.ok}", "result == 'true'"))
	if m.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(m.Message, "mismatched types bool and string") {
		t.Errorf("bool trap: %s %q", m.Phase, m.Message)
	}
	m = p.Run(ctx, nil, metric("/down", "", "result == true"))
	if m.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(m.Message, "received non 2xx response code: 503") {
		t.Errorf("503: %s %q", m.Phase, m.Message)
	}
	m = p.Run(ctx, nil, metric("/text", "", "result == 'x'"))
	if m.Phase != v1alpha1.AnalysisPhaseSuccessful || m.Value != "all good" {
		t.Errorf("non-JSON body: %s %q", m.Phase, m.Value)
	}
	post := metric("/ok", "{$.data.ok}", "result == true")
	post.Provider.Web.Method = v1alpha1.WebMetricMethodPost
	post.Provider.Web.JSONBody = []byte(`{"q": 1}`)
	m = p.Run(ctx, nil, post)
	if m.Phase != v1alpha1.AnalysisPhaseSuccessful || gotBody != `{"q": 1}` || gotType != "application/json" {
		t.Errorf("POST: %s body %q type %q", m.Phase, gotBody, gotType)
	}
	get := metric("/ok", "", "true")
	get.Provider.Web.Body = "x"
	if m = p.Run(ctx, nil, get); m.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(m.Message, "only be used with POST or PUT") {
		t.Errorf("GET with body: %s %q", m.Phase, m.Message)
	}
	if m.StartedAt == nil || m.FinishedAt == nil || !m.FinishedAt.Time.Equal(clk.Now()) {
		t.Errorf("times: %v %v", m.StartedAt, m.FinishedAt)
	}
}
