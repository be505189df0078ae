package controller

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/jsonpath"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WebProvider answers web metrics over HTTP, as Argo's web provider does:
// the method, headers and body of the metric, a timeout (default 10 s), a
// non-2xx answer is an Error, and the body goes through WebResult. The
// live controller uses it; the simulator answers web metrics with
// fakeproviders, which shape a body and hand it to WebResult too.
type WebProvider struct {
	// HTTP is the client (nil: a client built per measurement from the
	// metric's timeout and insecure flag).
	HTTP  *http.Client
	Clock interface{ Now() time.Time }
}

// Type implements Provider.
func (p *WebProvider) Type() string { return "Web" }

func (p *WebProvider) now() time.Time { return p.Clock.Now().UTC().Truncate(time.Second) }

// Run implements Provider.
func (p *WebProvider) Run(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := metav1.NewTime(p.now())
	m := v1alpha1.Measurement{StartedAt: &now}
	web := metric.Provider.Web
	if web.Authentication.OAuth2.TokenURL != "" || len(web.Authentication.Sigv4.Region) > 0 {
		return markError(m, fmt.Errorf("web metric authentication: %w", ErrNotSupported), p.now())
	}
	method := string(v1alpha1.WebMetricMethodGet)
	if web.Method != "" {
		method = string(web.Method)
	}
	if web.Body != "" && web.JSONBody != nil {
		return markError(m, errors.New("use either Body or JSONBody; both cannot exists for WebMetric payload"), p.now())
	}
	var body io.Reader
	switch {
	case web.JSONBody != nil:
		body = bytes.NewReader(web.JSONBody)
	case web.Body != "":
		body = bytes.NewReader([]byte(web.Body))
	}
	if body != nil && method == string(v1alpha1.WebMetricMethodGet) {
		return markError(m, errors.New("Body/JSONBody can only be used with POST or PUT WebMetric Method types"), p.now())
	}
	timeout := 10 * time.Second
	if web.TimeoutSeconds > 0 {
		timeout = time.Duration(web.TimeoutSeconds) * time.Second
	}
	req, err := http.NewRequestWithContext(ctx, method, web.URL, body)
	if err != nil {
		return markError(m, err, p.now())
	}
	headers := web.Headers
	if web.JSONBody != nil { // set last: it wins over the metric's own
		headers = append(append([]v1alpha1.WebMetricHeader(nil), headers...), v1alpha1.WebMetricHeader{Key: "Content-Type", Value: "application/json"})
	}
	resp, data, err := metricRequest(p.HTTP, timeout, web.Insecure, req, headers)
	if err != nil {
		return markError(m, err, p.now())
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return markError(m, fmt.Errorf("received non 2xx response code: %v", resp.StatusCode), p.now())
	}
	return WebResult(m, metric, string(data), p.now())
}

// metricRequest sends a metric provider's request with the metric's
// headers, through shared or, when nil, a client with the metric's timeout
// and insecure flag, and reads the whole answer.
func metricRequest(shared *http.Client, timeout time.Duration, insecure bool, req *http.Request, headers []v1alpha1.WebMetricHeader) (*http.Response, []byte, error) {
	c := shared
	if c == nil {
		c = &http.Client{Timeout: timeout}
		if insecure {
			c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // the metric asks for it
		}
	}
	for _, h := range headers {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return resp, data, nil
}

// Resume implements Provider (web measurements finish in Run).
func (p *WebProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// Terminate implements Provider.
func (p *WebProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// WebResult finishes a web measurement from the response body, as Argo's
// web provider does: a body that is not JSON is the value as it is and the
// measurement is Successful without evaluating the conditions; otherwise
// the first value the metric's jsonPath (default {$}) finds is the result
// the conditions are evaluated against, and its JSON text the value.
func WebResult(m v1alpha1.Measurement, metric v1alpha1.Metric, body string, now time.Time) v1alpha1.Measurement {
	path := metric.Provider.Web.JSONPath
	if path == "" {
		path = "{$}"
	}
	jp := jsonpath.New("metrics")
	if err := jp.Parse(path); err != nil {
		return markError(m, err, now)
	}
	t := metav1.NewTime(now)
	var data any
	if err := json.Unmarshal([]byte(body), &data); err != nil {
		m.Value, m.Phase, m.FinishedAt = body, v1alpha1.AnalysisPhaseSuccessful, &t
		return m
	}
	results, err := jp.FindResults(data)
	if err != nil {
		return markError(m, fmt.Errorf("Could not find JSONPath in body: %s", err), now)
	}
	for _, rs := range results {
		for _, r := range rs {
			val := r.Interface()
			b, err := json.Marshal(val)
			if err != nil {
				return markError(m, err, now)
			}
			phase, err := analysis.EvaluateResult(val, metric)
			if err != nil {
				return markError(m, err, now)
			}
			m.Value, m.Phase, m.FinishedAt = string(b), phase, &t
			return m
		}
	}
	return markError(m, errors.New("result of web metric produced no value"), now)
}

// LiveProviderFactory answers metrics against real systems, for the live
// controller: Job metrics with the JobProvider, web metrics with the
// WebProvider, prometheus metrics with the PrometheusProvider; every other
// provider kind is "not supported yet" (an Error measurement saying so).
type LiveProviderFactory struct {
	Client client.Client
	Clock  interface{ Now() time.Time }
	// HTTP is the web and Prometheus providers' client (nil: one per
	// measurement).
	HTTP *http.Client
	// PrometheusAddress is the address for prometheus metrics that name
	// none (Argo: ARGO_ROLLOUTS_PROMETHEUS_ADDRESS).
	PrometheusAddress string
}

// NewProvider implements ProviderFactory.
func (f LiveProviderFactory) NewProvider(ctx context.Context, rc RunContext) (Provider, error) {
	if rc.Metric.Provider.Web != nil {
		return &WebProvider{HTTP: f.HTTP, Clock: f.Clock}, nil
	}
	if rc.Metric.Provider.Prometheus != nil {
		return &PrometheusProvider{HTTP: f.HTTP, Clock: f.Clock, DefaultAddress: f.PrometheusAddress}, nil
	}
	return JobProviderFactory{Client: f.Client, Clock: f.Clock}.NewProvider(ctx, rc)
}
