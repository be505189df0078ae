package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PrometheusProvider answers prometheus metrics with an instant query to a
// real Prometheus (POST /api/v1/query), as Argo's provider does: a scalar
// is a float64 result, a vector or matrix a []float64 (an empty vector is
// []), the value is the text Argo writes ("0.97", "[0.97,0.5]"), and
// Prometheus' warnings go to the measurement's metadata. Range queries and
// authentication are not supported yet.
type PrometheusProvider struct {
	// HTTP is the client (nil: one per measurement, from the metric's
	// timeout, default 30 s, and insecure flag).
	HTTP  *http.Client
	Clock interface{ Now() time.Time }
	// DefaultAddress is used when the metric names none (Argo reads
	// ARGO_ROLLOUTS_PROMETHEUS_ADDRESS).
	DefaultAddress string
}

// Type implements Provider.
func (p *PrometheusProvider) Type() string { return "Prometheus" }

func (p *PrometheusProvider) now() time.Time { return p.Clock.Now().UTC().Truncate(time.Second) }

type promAnswer struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// Run implements Provider.
func (p *PrometheusProvider) Run(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	start := metav1.NewTime(p.now())
	m := v1alpha1.Measurement{StartedAt: &start}
	prom := metric.Provider.Prometheus
	switch {
	case prom.RangeQuery != nil:
		return markError(m, fmt.Errorf("prometheus rangeQuery: %w", ErrNotSupported), p.now())
	case prom.Authentication.OAuth2.TokenURL != "" || prom.Authentication.Sigv4.Region != "":
		return markError(m, fmt.Errorf("prometheus authentication: %w", ErrNotSupported), p.now())
	case prom.Timeout != nil && *prom.Timeout < 0:
		return markError(m, fmt.Errorf("prometheus timeout should not be negative"), p.now())
	}
	address := prom.Address
	if address == "" {
		address = p.DefaultAddress
	}
	if address == "" {
		return markError(m, fmt.Errorf("prometheus address is not configured (metric address or ARGO_ROLLOUTS_PROMETHEUS_ADDRESS)"), p.now())
	}
	timeout := 30 * time.Second
	if prom.Timeout != nil && *prom.Timeout > 0 {
		timeout = time.Duration(*prom.Timeout) * time.Second
	}
	form := url.Values{"query": {prom.Query}, "time": {strconv.FormatInt(p.Clock.Now().Unix(), 10)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(address, "/")+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return markError(m, err, p.now())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body, err := metricRequest(p.HTTP, timeout, prom.Insecure, req, prom.Headers)
	if err != nil {
		return markError(m, err, p.now())
	}
	var a promAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return markError(m, fmt.Errorf("prometheus answered %s with a body that is not its JSON API: %w", resp.Status, err), p.now())
	}
	if a.Status != "success" {
		return markError(m, fmt.Errorf("%s: %s", a.ErrorType, a.Error), p.now())
	}
	result, err := promResult(a.Data.ResultType, a.Data.Result)
	if err != nil {
		return markError(m, err, p.now())
	}
	phase, err := analysis.EvaluateResult(result, metric)
	if err != nil {
		return markError(m, err, p.now())
	}
	end := metav1.NewTime(p.now())
	m.Value, m.Phase, m.FinishedAt = PrometheusValue(result), phase, &end
	if len(a.Warnings) > 0 {
		quoted := make([]string, len(a.Warnings))
		for i, w := range a.Warnings {
			quoted[i] = `"` + w + `"`
		}
		m.Metadata = map[string]string{"warnings": strings.Join(quoted, ", ")}
	}
	return m
}

// promResult reads Prometheus' result as Argo's provider sees it.
func promResult(kind string, raw json.RawMessage) (any, error) {
	sample := func(pair []json.RawMessage) (float64, error) {
		if len(pair) != 2 {
			return 0, fmt.Errorf("prometheus sample: want [time, value], got %d elements", len(pair))
		}
		var s string
		if err := json.Unmarshal(pair[1], &s); err != nil {
			return 0, fmt.Errorf("prometheus sample value: %w", err)
		}
		return strconv.ParseFloat(s, 64)
	}
	switch kind {
	case "scalar":
		var pair []json.RawMessage
		if err := json.Unmarshal(raw, &pair); err != nil {
			return nil, fmt.Errorf("prometheus scalar: %w", err)
		}
		return sample(pair)
	case "vector":
		var series []struct {
			Value []json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw, &series); err != nil {
			return nil, fmt.Errorf("prometheus vector: %w", err)
		}
		out := make([]float64, 0, len(series))
		for _, s := range series {
			v, err := sample(s.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "matrix":
		var series []struct {
			Values [][]json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(raw, &series); err != nil {
			return nil, fmt.Errorf("prometheus matrix: %w", err)
		}
		out := []float64{}
		for _, s := range series {
			for _, pair := range s.Values {
				v, err := sample(pair)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("Prometheus metric type not supported")
}

// PrometheusValue is the measurement value Argo writes for a Prometheus
// result: the number ("0.97", "NaN", "+Inf") or the list ("[0.97,0.5]").
func PrometheusValue(result any) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch r := result.(type) {
	case float64:
		return f(r)
	case []float64:
		parts := make([]string, len(r))
		for i, v := range r {
			parts[i] = f(v)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprint(result)
}

// Resume implements Provider (prometheus measurements finish in Run).
func (p *PrometheusProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// Terminate implements Provider.
func (p *PrometheusProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}
