package fakeproviders

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func (c *fakeClock) at(d time.Duration) { c.t = t0.Add(d) }

// answers decodes a spec.metrics YAML block as the scenario loader does.
func answers(t *testing.T, y string) map[string]Answer {
	t.Helper()
	var out map[string]Answer
	if err := manifests.StrictUnmarshal("test.yaml", []byte(y), &out); err != nil {
		t.Fatalf("decode answers: %v", err)
	}
	return out
}

func newFactory(t *testing.T, y string) (*Factory, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: t0}
	return &Factory{Answers: answers(t, y), Clock: clk, T0: t0, Rand: rand.New(rand.NewSource(1)), Log: &CallLog{}}, clk
}

func newRun(metrics ...v1alpha1.Metric) *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ro-abc123-2-1",
			Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: "abc123"}},
		Spec: v1alpha1.AnalysisRunSpec{Metrics: metrics},
	}
}

// measure makes a provider for metric and runs one measurement.
func measure(t *testing.T, f *Factory, metric v1alpha1.Metric) v1alpha1.Measurement {
	t.Helper()
	run := newRun(metric)
	p, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: metric})
	if err != nil {
		t.Fatalf("NewProvider(%s): %v", metric.Name, err)
	}
	return p.Run(context.Background(), run, metric)
}

func expectPhase(t *testing.T, m v1alpha1.Measurement, phase v1alpha1.AnalysisPhase, value string) {
	t.Helper()
	if m.Phase != phase || m.Value != value {
		t.Fatalf("measurement = phase %s value %q (message %q), want phase %s value %q", m.Phase, m.Value, m.Message, phase, value)
	}
}

func expectError(t *testing.T, m v1alpha1.Measurement, msgPart string) {
	t.Helper()
	if m.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(m.Message, msgPart) {
		t.Fatalf("measurement = phase %s message %q value %q, want Error containing %q", m.Phase, m.Message, m.Value, msgPart)
	}
	if m.FinishedAt == nil || m.StartedAt == nil {
		t.Fatalf("error measurement without times: %+v", m)
	}
}

func withConditions(m v1alpha1.Metric, success, failure string) v1alpha1.Metric {
	m.SuccessCondition, m.FailureCondition = success, failure
	return m
}

func prom(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
		Address: "http://prometheus:9090", Query: `sum(rate(http_requests_total{code!~"5.."}[5m])) / sum(rate(http_requests_total[5m]))`}}}
}

func TestPrometheusVector(t *testing.T) {
	f, _ := newFactory(t, `
ok: {script: {value: 0.99}}
low: {script: {value: 0.9}}
two: {script: {values: [0.99, 0.5]}}
`)
	expectPhase(t, measure(t, f, withConditions(prom("ok"), "result[0] >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, "[0.99]")
	expectPhase(t, measure(t, f, withConditions(prom("low"), "result[0] >= 0.95", "")), v1alpha1.AnalysisPhaseFailed, "[0.9]")
	expectPhase(t, measure(t, f, withConditions(prom("two"), "all(result, {# >= 0.95})", "")), v1alpha1.AnalysisPhaseFailed, "[0.99,0.5]")
	// A vector is not a number: a scalar condition is an evaluation error.
	expectError(t, measure(t, f, withConditions(prom("ok"), "result >= 0.95", "")), "could not evaluate successCondition")
}

func TestPrometheusScalar(t *testing.T) {
	f, _ := newFactory(t, `
ok: {script: {value: 0.99, shape: scalar}}
nan: {script: {value: NaN, shape: scalar}}
`)
	expectPhase(t, measure(t, f, withConditions(prom("ok"), "result >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, "0.99")
	// Indexing a scalar is an error.
	expectError(t, measure(t, f, withConditions(prom("ok"), "result[0] >= 0.95", "")), "could not evaluate successCondition")
	expectPhase(t, measure(t, f, withConditions(prom("nan"), "isNaN(result)", "")), v1alpha1.AnalysisPhaseSuccessful, "NaN")
}

func TestPrometheusEmptyVector(t *testing.T) {
	f, _ := newFactory(t, `empty: {script: {empty: true}}`)
	m := measure(t, f, withConditions(prom("empty"), "result[0] >= 0.95", ""))
	expectError(t, m, "metric result is nil or empty")
	if m.Value != "" {
		t.Errorf("value %q: Argo drops the value on an evaluation error", m.Value)
	}
	expectPhase(t, measure(t, f, withConditions(prom("empty"), "len(result) == 0", "")), v1alpha1.AnalysisPhaseSuccessful, "[]")
}

func TestPrometheusNaN(t *testing.T) {
	f, _ := newFactory(t, `nan: {script: {value: NaN}}`)
	expectPhase(t, measure(t, f, withConditions(prom("nan"), "result[0] >= 0.95", "")), v1alpha1.AnalysisPhaseFailed, "[NaN]")
	expectPhase(t, measure(t, f, withConditions(prom("nan"), "result[0] >= 0.95", "result[0] < 0.95")), v1alpha1.AnalysisPhaseInconclusive, "[NaN]")
}

func TestPrometheusTimeoutAndError(t *testing.T) {
	f, _ := newFactory(t, `
slow: {script: {timeout: true}}
broken: {script: {error: "server_error: server error: 503"}}
`)
	m := measure(t, f, withConditions(prom("slow"), "result[0] >= 0.95", ""))
	expectError(t, m, `Post "http://prometheus:9090/api/v1/query": context deadline exceeded`)
	expectError(t, measure(t, f, prom("broken")), "server_error: server error: 503")
}

func TestPrometheusRangeQuery(t *testing.T) {
	f, clk := newFactory(t, `
r:
  script:
    steps:
      - {at: 0s, value: 1}
      - {at: 9m, value: 2}
      - {at: 10m, value: 3}
`)
	m := prom("r")
	m.Provider.Prometheus.RangeQuery = &v1alpha1.PrometheusRangeQueryArgs{Start: "now() - duration('2m')", End: "now()", Step: "1m"}
	m.SuccessCondition = "len(result) == 3"
	clk.at(10*time.Minute + 500*time.Millisecond)
	expectPhase(t, measure(t, f, m), v1alpha1.AnalysisPhaseSuccessful, "[1,2,3]")

	m.Provider.Prometheus.RangeQuery.Step = "0s"
	expectError(t, measure(t, f, m), "zero or negative query resolution step")
}

func TestMeasurementTimesWholeSeconds(t *testing.T) {
	f, clk := newFactory(t, `ok: {script: {value: 1}}`)
	clk.at(5*time.Minute + 700*time.Millisecond)
	m := measure(t, f, prom("ok"))
	want := t0.Add(5 * time.Minute)
	if !m.StartedAt.Time.Equal(want) || !m.FinishedAt.Time.Equal(want) {
		t.Fatalf("startedAt %v finishedAt %v, want both %v", m.StartedAt, m.FinishedAt, want)
	}
}

func web(name, jsonPath string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{
		URL: "http://checker/health", JSONPath: jsonPath}}}
}

func TestWeb(t *testing.T) {
	f, _ := newFactory(t, `
boolTrue: {script: {json: {data: {ok: true}}}}
strTrue: {script: {json: {data: {ok: "true"}}}}
number: {script: {value: 0.99, field: rate}}
nan: {script: {value: NaN}}
text: {script: {body: "all good"}}
down: {script: {status: 503, body: "unavailable"}}
obj: {script: {json: {count: 3, items: [1, 2]}}}
`)
	// JSON true is a bool: comparing it with a string does not compile.
	expectError(t, measure(t, f, withConditions(web("boolTrue", "{$.data.ok}"), "result == 'true'", "")), "could not evaluate successCondition")
	expectPhase(t, measure(t, f, withConditions(web("boolTrue", "{$.data.ok}"), "result == true", "")), v1alpha1.AnalysisPhaseSuccessful, "true")
	expectPhase(t, measure(t, f, withConditions(web("strTrue", "{$.data.ok}"), "result == 'true'", "")), v1alpha1.AnalysisPhaseSuccessful, `"true"`)
	expectPhase(t, measure(t, f, withConditions(web("number", "{$.rate}"), "result >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, "0.99")
	// {$} is the whole document; numbers decode as float64.
	expectPhase(t, measure(t, f, withConditions(web("obj", ""), "result.count == 3.0 && len(result.items) == 2", "")), v1alpha1.AnalysisPhaseSuccessful, `{"count":3,"items":[1,2]}`)
	// A body that is not JSON is the value, Successful whatever the conditions.
	expectPhase(t, measure(t, f, withConditions(web("text", ""), "result == 'nope'", "")), v1alpha1.AnalysisPhaseSuccessful, "all good")
	expectPhase(t, measure(t, f, withConditions(web("nan", ""), "result >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, "NaN")
	expectError(t, measure(t, f, web("down", "")), "received non 2xx response code: 503")
	expectError(t, measure(t, f, web("boolTrue", "{$.data.missing}")), "Could not find JSONPath in body")
}

func TestWebTimeout(t *testing.T) {
	f, _ := newFactory(t, `slow: {script: {timeout: true}}`)
	m := web("slow", "")
	m.Provider.Web.Method = "POST"
	m.Provider.Web.Body = "{}"
	expectError(t, measure(t, f, m), `Post "http://checker/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)
}

func datadog(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Datadog: &v1alpha1.DatadogMetric{
		Query: "sum:requests.error.rate{service:web}", Interval: "5m"}}}
}

func TestDatadog(t *testing.T) {
	f, _ := newFactory(t, `
none: {script: {empty: true}}
high: {script: {value: 0.2}}
denied: {script: {status: 403, body: '{"errors":["Forbidden"]}'}}
`)
	expectPhase(t, measure(t, f, withConditions(datadog("none"), "default(result, 0) < 0.05", "")), v1alpha1.AnalysisPhaseSuccessful, "[]")
	expectPhase(t, measure(t, f, withConditions(datadog("none"), "isNil(result)", "")), v1alpha1.AnalysisPhaseSuccessful, "[]")
	expectError(t, measure(t, f, withConditions(datadog("none"), "result < 0.05", "")), "metric result is nil or empty")
	expectPhase(t, measure(t, f, withConditions(datadog("high"), "default(result, 0) < 0.05", "")), v1alpha1.AnalysisPhaseFailed, "0.2")
	expectError(t, measure(t, f, datadog("denied")), `received authentication error response code: 403 {"errors":["Forbidden"]}`)
}

func newRelic(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{NewRelic: &v1alpha1.NewRelicMetric{
		Query: "FROM Transaction SELECT percentage(count(*), WHERE httpResponseCode != 500) as successRate"}}}
}

func TestNewRelic(t *testing.T) {
	f, _ := newFactory(t, `
row: {script: {json: {successRate: 0.99}}}
rows: {script: {json: [{successRate: 0.99}, {successRate: 0.5}]}}
field: {script: {value: 0.97, field: successRate}}
none: {script: {empty: true}}
`)
	expectPhase(t, measure(t, f, withConditions(newRelic("row"), "result.successRate >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, `{"successRate":0.99}`)
	expectPhase(t, measure(t, f, withConditions(newRelic("rows"), "all(result, {#.successRate >= 0.95})", "")), v1alpha1.AnalysisPhaseFailed,
		`[{"successRate":0.99},{"successRate":0.5}]`)
	expectPhase(t, measure(t, f, withConditions(newRelic("field"), "result.successRate >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, `{"successRate":0.97}`)
	expectError(t, measure(t, f, withConditions(newRelic("none"), "result.successRate >= 0.95", "")), "no results returned from NRQL query")
}

func wavefront(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Wavefront: &v1alpha1.WavefrontMetric{
		Address: "example.wavefront.com", Query: "sum(ts(http.requests.success))"}}}
}

func TestWavefront(t *testing.T) {
	f, _ := newFactory(t, `
one: {script: {value: 0.987}}
many: {script: {values: [0.99, 0.91]}}
none: {script: {empty: true}}
`)
	m := measure(t, f, withConditions(wavefront("one"), "result >= 0.95", ""))
	expectPhase(t, m, v1alpha1.AnalysisPhaseSuccessful, "0.99")
	if m.Metadata["drift"] != "0" || m.Metadata["timestamps"] != "1772366400" {
		t.Errorf("metadata %v", m.Metadata)
	}
	expectPhase(t, measure(t, f, withConditions(wavefront("many"), "result[1] >= 0.95", "")), v1alpha1.AnalysisPhaseFailed, "[0.99,0.91]")
	expectError(t, measure(t, f, wavefront("none")), "No TimeSeries found in response from Wavefront")
}

func kayenta(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Kayenta: &v1alpha1.KayentaMetric{
		Address: "http://kayenta:8090", Application: "guestbook", CanaryConfigName: "my-config",
		Threshold: v1alpha1.KayentaThreshold{Pass: 90, Marginal: 75}}}}
}

func TestKayentaThresholds(t *testing.T) {
	f, clk := newFactory(t, `
score:
  script:
    steps:
      - {at: 0s, value: 95.7}
      - {at: 10m, value: 80}
      - {at: 20m, value: 74.9}
`)
	cases := []struct {
		at    time.Duration
		phase v1alpha1.AnalysisPhase
		value string
	}{
		{0, v1alpha1.AnalysisPhaseSuccessful, "95"},
		{10 * time.Minute, v1alpha1.AnalysisPhaseInconclusive, "80"},
		{20 * time.Minute, v1alpha1.AnalysisPhaseFailed, "74"},
	}
	for _, c := range cases {
		metric := kayenta("score")
		run := newRun(metric)
		clk.at(c.at)
		p, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: metric})
		if err != nil {
			t.Fatal(err)
		}
		m := p.Run(context.Background(), run, metric)
		if m.Phase != v1alpha1.AnalysisPhaseRunning || m.ResumeAt == nil || !m.ResumeAt.Time.Equal(t0.Add(c.at+15*time.Second)) ||
			m.Metadata["canaryExecutionId"] == "" {
			t.Fatalf("run at %v: %+v", c.at, m)
		}
		clk.at(c.at + 15*time.Second)
		m = p.Resume(context.Background(), run, metric, m)
		expectPhase(t, m, c.phase, c.value)
		if m.ResumeAt != nil {
			t.Errorf("resumeAt left on a finished measurement")
		}
	}
}

func TestKayentaTerminate(t *testing.T) {
	f, _ := newFactory(t, `score: {script: {value: 99}}`)
	metric := kayenta("score")
	run := newRun(metric)
	p, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: metric})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Terminate(context.Background(), run, metric, p.Run(context.Background(), run, metric))
	if m.Phase != v1alpha1.AnalysisPhaseInconclusive || m.FinishedAt == nil {
		t.Fatalf("terminated judgement: %+v", m)
	}
}

func cloudWatch(name string) v1alpha1.Metric {
	ns := "AWS/ApplicationELB"
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{CloudWatch: &v1alpha1.CloudWatchMetric{
		Interval: "5m",
		MetricDataQueries: []v1alpha1.CloudWatchMetricDataQuery{{
			Id: "rate", MetricStat: &v1alpha1.CloudWatchMetricStat{
				Metric: v1alpha1.CloudWatchMetricStatMetric{Namespace: &ns, MetricName: "HTTPCode_Target_5XX_Count"},
				Period: intstr.FromInt32(60), Stat: "Sum"},
		}}}}}
}

func TestCloudWatch(t *testing.T) {
	f, clk := newFactory(t, `
errs:
  script:
    steps:
      - {at: 0s, value: 0.001}
      - {at: 8m, value: 0.05}
`)
	clk.at(10 * time.Minute)
	m := measure(t, f, withConditions(cloudWatch("errs"), "all(result[0].Values, {# < 0.01})", ""))
	expectPhase(t, m, v1alpha1.AnalysisPhaseFailed, "[[0.05 0.05 0.05 0.001 0.001]]")
	clk.at(7 * time.Minute)
	m = measure(t, f, withConditions(cloudWatch("errs"), "all(result[0].Values, {# < 0.01}) && result[0].Id == 'rate'", ""))
	expectPhase(t, m, v1alpha1.AnalysisPhaseSuccessful, "[[0.001 0.001 0.001 0.001 0.001]]")
	// Argo keeps the value when the conditions cannot be evaluated.
	m = measure(t, f, withConditions(cloudWatch("errs"), "result.Values", ""))
	if m.Phase != v1alpha1.AnalysisPhaseError || m.Value == "" {
		t.Fatalf("cloudwatch evaluation error: %+v", m)
	}
}

func graphite(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Graphite: &v1alpha1.GraphiteMetric{
		Address: "http://graphite:8080", Query: "target=summarize(app.http.success_rate,'5min','avg')"}}}
}

func TestGraphite(t *testing.T) {
	f, _ := newFactory(t, `
pts: {script: {values: [0.99, NaN, 0.98]}}
nulls: {script: {values: [NaN]}}
none: {script: {empty: true}}
`)
	expectPhase(t, measure(t, f, withConditions(graphite("pts"), "len(result) == 2 && all(result, {# >= 0.95})", "")),
		v1alpha1.AnalysisPhaseSuccessful, "[0.990000,0.980000]")
	m := measure(t, f, withConditions(graphite("nulls"), "result[0] >= 0.95", ""))
	expectError(t, m, "metric result is nil or empty")
	if m.Value != "[]" {
		t.Errorf("value %q, want [] (kept on evaluation error)", m.Value)
	}
	expectError(t, measure(t, f, graphite("none")), "no values found")
}

func influx(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Influxdb: &v1alpha1.InfluxdbMetric{
		Query: `from(bucket: "app") |> range(start: -15m) |> mean()`}}}
}

func TestInfluxdb(t *testing.T) {
	f, _ := newFactory(t, `
one: {script: {value: 0.99}}
recs: {script: {json: [1, "x"]}}
none: {script: {empty: true}}
`)
	expectPhase(t, measure(t, f, withConditions(influx("one"), "result[0] >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, "[0.99]")
	expectPhase(t, measure(t, f, withConditions(influx("recs"), "result[1] == 'x'", "")), v1alpha1.AnalysisPhaseSuccessful, "[1 x]")
	expectError(t, measure(t, f, influx("none")), "no results returned from flux query")
}

func skyWalking(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{SkyWalking: &v1alpha1.SkyWalkingMetric{
		Address: "http://skywalking:12800", Query: "query queryData($duration: Duration!) { service_apdex: readMetricsValues(...) }"}}}
}

func TestSkyWalking(t *testing.T) {
	f, _ := newFactory(t, `
data: {script: {json: {service_apdex: {values: {values: [{value: 9500}]}}}}}
none: {script: {empty: true}}
`)
	expectPhase(t, measure(t, f, withConditions(skyWalking("data"), "all(result.service_apdex.values.values, {#.value >= 9000})", "")),
		v1alpha1.AnalysisPhaseSuccessful, `{"service_apdex":{"values":{"values":[{"value":9500}]}}}`)
	expectError(t, measure(t, f, skyWalking("none")), "no results returned from SkyWalking query")
}

func plugin(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Plugin: map[string]json.RawMessage{
		"argoproj-labs/sample-prometheus": json.RawMessage(`{"address": "http://prom", "query": "up"}`)}}}
}

func TestPlugin(t *testing.T) {
	f, _ := newFactory(t, `scripted: {script: {value: 0.99}}`)
	metric := plugin("unscripted")
	_, err := f.NewProvider(context.Background(), controller.RunContext{Run: newRun(metric), Metric: metric})
	if err == nil || err.Error() != "plugin providers: not supported yet" || !errors.Is(err, controller.ErrNotSupported) {
		t.Fatalf("unscripted plugin: %v", err)
	}
	expectPhase(t, measure(t, f, withConditions(plugin("scripted"), "result >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, "0.99")
}

func TestStepsAndRamp(t *testing.T) {
	f, clk := newFactory(t, `
steps:
  script:
    steps:
      - {at: 1m, value: 0.99}
      - {at: 10m, value: 0.5}
      - {at: 15m, error: "connection refused"}
ramp:
  script:
    ramp: {from: 0.99, to: 0.49, start: 2m, over: 10m}
    shape: scalar
`)
	cases := []struct {
		at          time.Duration
		steps, ramp string
	}{
		{0, "[0.99]", "0.99"}, // before the first step the first step holds
		{7 * time.Minute, "[0.99]", "0.74"},
		{9*time.Minute + 59*time.Second, "[0.99]", "0.5908333333333333"},
		{10 * time.Minute, "[0.5]", "0.59"},
		{12 * time.Minute, "[0.5]", "0.49"},
		{time.Hour, "", "0.49"},
	}
	for _, c := range cases {
		clk.at(c.at)
		sm := measure(t, f, prom("steps"))
		if c.steps == "" {
			expectError(t, sm, "connection refused")
		} else if sm.Value != c.steps {
			t.Errorf("steps at %v = %q, want %q", c.at, sm.Value, c.steps)
		}
		rm := measure(t, f, prom("ramp"))
		v, _ := json.Number(rm.Value).Float64()
		want, _ := json.Number(c.ramp).Float64()
		if math.Abs(v-want) > 1e-9 {
			t.Errorf("ramp at %v = %q, want %s", c.at, rm.Value, c.ramp)
		}
	}
}

func noisyValues(t *testing.T, seed int64) []string {
	f, clk := newFactory(t, `
noisy:
  script:
    value: 0.97
    noise: {stddev: 0.02, max: 1}
`)
	f.Rand = rand.New(rand.NewSource(seed))
	var out []string
	for i := 0; i < 20; i++ {
		clk.at(time.Duration(i) * time.Minute)
		out = append(out, measure(t, f, prom("noisy")).Value)
	}
	return out
}

func TestNoiseSeeded(t *testing.T) {
	a, b, c := noisyValues(t, 42), noisyValues(t, 42), noisyValues(t, 43)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different values:\n%v\n%v", a, b)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatalf("different seeds, same values: %v", a)
	}
	distinct := map[string]bool{}
	for _, v := range a {
		distinct[v] = true
		var f []float64
		if err := json.Unmarshal([]byte(v), &f); err != nil || len(f) != 1 || f[0] > 1 || math.Abs(f[0]-0.97) > 0.2 {
			t.Fatalf("noisy value %q out of shape or range", v)
		}
	}
	if len(distinct) < 15 {
		t.Fatalf("noise barely varies: %v", a)
	}
}

func TestPerVersion(t *testing.T) {
	f, _ := newFactory(t, `
health:
  perVersion:
    v2: {value: 0.5}
    canary: {value: 0.99}
    stable: {value: 0.98}
`)
	var asked []string
	resolve := map[string][2]string{"abc123": {"v2", "canary"}, "def456": {"v3", "canary"}, "aaa111": {"v1", "stable"}, "zzz": {"", ""}}
	f.Versions = VersionResolverFunc(func(ns, hash string) (string, string) {
		asked = append(asked, ns+"/"+hash)
		r := resolve[hash]
		return r[0], r[1]
	})
	metric := withConditions(prom("health"), "result[0] >= 0.95", "")
	for _, c := range []struct{ hash, value string }{{"abc123", "[0.5]"}, {"def456", "[0.99]"}, {"aaa111", "[0.98]"}} {
		run := newRun(metric)
		run.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = c.hash
		p, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: metric})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Run(context.Background(), run, metric).Value; got != c.value {
			t.Errorf("hash %s: value %s, want %s", c.hash, got, c.value)
		}
	}
	if !reflect.DeepEqual(asked, []string{"default/abc123", "default/def456", "default/aaa111"}) {
		t.Errorf("resolver asked %v", asked)
	}
	run := newRun(metric)
	run.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = "zzz"
	if _, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: metric}); err == nil || !strings.Contains(err.Error(), "no perVersion entry") {
		t.Fatalf("unknown version: %v", err)
	}
	delete(run.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	if _, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: metric}); err == nil || !strings.Contains(err.Error(), "rollouts-pod-template-hash") {
		t.Fatalf("no hash label: %v", err)
	}
}

type trafficQuery struct {
	measure, scope string
	from, to       time.Time
}

type stubTraffic struct {
	calls  []trafficQuery
	values map[string]float64 // measure/scope → value; missing ⇒ no series
}

func (s *stubTraffic) Query(measure, scope string, from, to time.Time) (float64, bool) {
	s.calls = append(s.calls, trafficQuery{measure, scope, from, to})
	v, ok := s.values[measure+"/"+scope]
	return v, ok
}

func TestTrafficDerived(t *testing.T) {
	f, clk := newFactory(t, `
sr: {traffic: {measure: successRate}}
p99: {traffic: {measure: latencyP99, scope: stable, window: 1m, shape: scalar}}
idle: {traffic: {measure: successRate, scope: service, shape: scalar}}
gone: {traffic: {measure: errorRate, scope: v9}}
`)
	tr := &stubTraffic{values: map[string]float64{
		"successRate/canary": 0.97, "latencyP99/stable": 0.25, "successRate/service": math.NaN()}}
	f.Traffic = tr
	clk.at(10*time.Minute + 300*time.Millisecond)
	expectPhase(t, measure(t, f, withConditions(prom("sr"), "result[0] >= 0.95", "")), v1alpha1.AnalysisPhaseSuccessful, "[0.97]")
	expectPhase(t, measure(t, f, withConditions(prom("p99"), "result < 0.3", "")), v1alpha1.AnalysisPhaseSuccessful, "0.25")
	// 0/0 requests: NaN, so a success-only condition fails.
	expectPhase(t, measure(t, f, withConditions(prom("idle"), "result >= 0.95", "")), v1alpha1.AnalysisPhaseFailed, "NaN")
	expectError(t, measure(t, f, withConditions(prom("gone"), "result[0] < 0.05", "")), "metric result is nil or empty")
	now := t0.Add(10 * time.Minute)
	want := []trafficQuery{
		{"successRate", "canary", now.Add(-5 * time.Minute), now},
		{"latencyP99", "stable", now.Add(-time.Minute), now},
		{"successRate", "service", now.Add(-5 * time.Minute), now},
		{"errorRate", "v9", now.Add(-5 * time.Minute), now},
	}
	if !reflect.DeepEqual(tr.calls, want) {
		t.Fatalf("traffic queries\n got %v\nwant %v", tr.calls, want)
	}
}

func TestMissingAnswer(t *testing.T) {
	f, _ := newFactory(t, `other: {script: {value: 1}}`)
	metric := prom("success-rate")
	_, err := f.NewProvider(context.Background(), controller.RunContext{Run: newRun(metric), Metric: metric})
	if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), `"success-rate"`) || !strings.Contains(err.Error(), "Prometheus") {
		t.Fatalf("missing answer error: %v", err)
	}
	calls := f.Log.Calls()
	if len(calls) != 1 || calls[0].Op != "new" || calls[0].Phase != "Error" || !strings.Contains(calls[0].Error, "no answer") {
		t.Fatalf("call log for a missing answer: %+v", calls)
	}
}

func TestJobFallback(t *testing.T) {
	f, _ := newFactory(t, `{}`)
	var got string
	f.Fallback = fallbackFunc(func(rc controller.RunContext) (controller.Provider, error) {
		got = rc.Metric.Name
		return nil, errors.New("fallback called")
	})
	metric := v1alpha1.Metric{Name: "job-check", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}}
	_, err := f.NewProvider(context.Background(), controller.RunContext{Run: newRun(metric), Metric: metric})
	if err == nil || err.Error() != "fallback called" || got != "job-check" {
		t.Fatalf("job metric not delegated: %v (%q)", err, got)
	}
}

type fallbackFunc func(controller.RunContext) (controller.Provider, error)

func (f fallbackFunc) NewProvider(_ context.Context, rc controller.RunContext) (controller.Provider, error) {
	return f(rc)
}

func TestCheck(t *testing.T) {
	f, _ := newFactory(t, `
success-rate: {script: {value: 0.99}}
tpl-b/latency: {script: {json: {a: 1}}}
typo-metric: {script: {value: 1}}
job-check: {script: {value: 1}}
`)
	templates := []Template{
		{Name: "tpl-a", Metrics: []v1alpha1.Metric{prom("success-rate"), web("health", ""), plugin("plug"),
			{Name: "job-check", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}}}},
		{Name: "tpl-b", Metrics: []v1alpha1.Metric{prom("latency"), datadog("errors")}},
	}
	err := f.Check(templates...)
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Check = %v, want *CheckError", err)
	}
	if want := []string{"tpl-a/health (Web)", "tpl-b/errors (Datadog)"}; !reflect.DeepEqual(ce.Missing, want) {
		t.Errorf("missing %v, want %v", ce.Missing, want)
	}
	if want := []string{"typo-metric"}; !reflect.DeepEqual(ce.Unused, want) {
		t.Errorf("unused %v, want %v", ce.Unused, want)
	}
	if len(ce.Invalid) != 2 || !strings.HasPrefix(ce.Invalid[0], "job-check: job metrics run as Jobs") ||
		!strings.HasPrefix(ce.Invalid[1], "tpl-b/latency: script: json: not an answer a Prometheus metric can give") {
		t.Errorf("invalid %q", ce.Invalid)
	}
	for _, s := range []string{"tpl-a/health", "tpl-b/errors", "typo-metric"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error text lacks %s: %v", s, err)
		}
	}

	f.Answers = answers(t, `
success-rate: {script: {value: 0.99}}
tpl-a/health: {script: {json: true}}
tpl-b/latency: {script: {value: 0.2, shape: scalar}}
errors: {script: {empty: true}}
`)
	if err := f.Check(templates...); err != nil {
		t.Fatalf("complete answers: %v", err)
	}
}

func TestTemplateKeys(t *testing.T) {
	// Two templates define a metric of the same name differently; the
	// run's (unsubstituted) definition tells which answer applies.
	a := prom("rate")
	b := prom("rate")
	b.Provider.Prometheus.Query = "{{args.q}}"
	f, _ := newFactory(t, `
tpl-a/rate: {script: {value: 1}}
tpl-b/rate: {script: {value: 2}}
rate: {script: {value: 3}}
`)
	f.Templates = []Template{{Name: "tpl-a", Metrics: []v1alpha1.Metric{a}}, {Name: "tpl-b", Metrics: []v1alpha1.Metric{b}}}
	check := func(raw, given v1alpha1.Metric, want string) {
		t.Helper()
		run := newRun(raw)
		p, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: given})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Run(context.Background(), run, given).Value; got != want {
			t.Errorf("value %s, want %s", got, want)
		}
	}
	resolved := b
	resolved.Provider = v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "up"}}
	check(a, a, "[1]")
	check(b, resolved, "[2]")
	inline := prom("rate")
	inline.Provider.Prometheus.Query = "inline"
	check(inline, inline, "[3]")
}

func TestCallLog(t *testing.T) {
	f, clk := newFactory(t, `
rate: {script: {value: 0.99}}
health: {script: {status: 500}}
`)
	secret := "s3cr3t-token"
	rate := prom("rate")
	rate.Provider.Prometheus.Query = `up{token="{{args.token}}",svc="{{args.svc}}"}`
	health := web("health", "")
	health.Provider.Web.URL = "http://checker/health?key={{args.token}}"
	run := newRun(rate, health)
	run.Spec.Args = []v1alpha1.Argument{
		{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}},
		{Name: "svc", Value: strPtr("web")},
	}
	// The metrics as resolved with the secret's real value.
	given := func(m v1alpha1.Metric) v1alpha1.Metric {
		m = *m.DeepCopy()
		if m.Provider.Prometheus != nil {
			m.Provider.Prometheus.Query = `up{token="` + secret + `",svc="web"}`
		} else {
			m.Provider.Web.URL = "http://checker/health?key=" + secret
		}
		return m
	}
	for i, metric := range []v1alpha1.Metric{rate, health, rate} {
		clk.at(time.Duration(i)*time.Minute + 999*time.Millisecond)
		m := given(metric)
		p, err := f.NewProvider(context.Background(), controller.RunContext{Run: run, Metric: m})
		if err != nil {
			t.Fatal(err)
		}
		p.Run(context.Background(), run, m)
	}
	calls := f.Log.Calls()
	want := []Call{
		{Seq: 1, Offset: 0, Run: "default/ro-abc123-2-1", Metric: "rate", Kind: "Prometheus", Op: "run",
			Query: `up{token="*****",svc="web"}`, Answer: "rate", Phase: "Successful", Value: "[0.99]"},
		{Seq: 2, Offset: time.Minute, Run: "default/ro-abc123-2-1", Metric: "health", Kind: "Web", Op: "run",
			Query: "GET http://checker/health?key=*****", Answer: "health", Phase: "Error", Error: "received non 2xx response code: 500"},
		{Seq: 3, Offset: 2 * time.Minute, Run: "default/ro-abc123-2-1", Metric: "rate", Kind: "Prometheus", Op: "run",
			Query: `up{token="*****",svc="web"}`, Answer: "rate", Phase: "Successful", Value: "[0.99]"},
	}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("call log\n got %+v\nwant %+v", calls, want)
	}
	text := f.Log.String()
	if strings.Contains(text, secret) {
		t.Fatalf("call log shows the secret:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "T+0s default/ro-abc123-2-1 rate Prometheus run") ||
		!strings.HasSuffix(lines[1], "→ Error: received non 2xx response code: 500") {
		t.Fatalf("call log text:\n%s", text)
	}
	// Calls before T+0 (the history set-up) read T-….
	if s := (Call{Offset: -5 * time.Second, Phase: "Successful"}).String(); !strings.HasPrefix(s, "T-5s ") {
		t.Errorf("negative offset printed as %q", s)
	}
}

func strPtr(s string) *string { return &s }

func TestValidate(t *testing.T) {
	bad := map[string]string{
		"two forms":          `{script: {value: 1, steps: [{at: 0s, value: 1}]}}`,
		"two outcomes":       `{script: {value: 1, empty: true}}`,
		"unordered steps":    `{script: {steps: [{at: 5m, value: 1}, {at: 1m, value: 2}]}}`,
		"bad duration":       `{script: {steps: [{at: soon, value: 1}]}}`,
		"empty step":         `{script: {steps: [{at: 0s}]}}`,
		"no form":            `{}`,
		"script and traffic": `{script: {value: 1}, traffic: {measure: successRate}}`,
		"unknown measure":    `{traffic: {measure: happiness}}`,
		"bad shape":          `{script: {value: 1, shape: matrix}}`,
		"ramp no over":       `{script: {ramp: {from: 1, to: 2}}}`,
	}
	for name, y := range bad {
		a := answers(t, "x: "+y)["x"]
		if err := a.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %s", name, y)
		}
	}
	forKind := map[string]string{
		"Datadog":  `{script: {values: [1, 2]}}`,
		"NewRelic": `{script: {value: 1}}`,
		"Web":      `{script: {value: 1, shape: scalar}}`,
		"Kayenta":  `{traffic: {measure: successRate}}`,
		"Graphite": `{script: {json: {a: 1}}}`,
		"Job":      `{script: {value: 1}}`,
	}
	for kind, y := range forKind {
		a := answers(t, "x: "+y)["x"]
		if err := a.ValidateFor(kind); err == nil {
			t.Errorf("%s: ValidateFor accepted %s", kind, y)
		}
	}
	var a map[string]Answer
	if err := manifests.StrictUnmarshal("t.yaml", []byte("x: {script: {valu: 1}}"), &a); err == nil {
		t.Errorf("strict decoding accepted an unknown field")
	}
	if err := manifests.StrictUnmarshal("t.yaml", []byte("x: {script: {value: lots}}"), &a); err == nil {
		t.Errorf("decoding accepted a non-number value")
	}
}

func TestNumberJSON(t *testing.T) {
	for in, want := range map[string]float64{`0.5`: 0.5, `"NaN"`: math.NaN(), `"+Inf"`: math.Inf(1), `"-inf"`: math.Inf(-1)} {
		var n Number
		if err := json.Unmarshal([]byte(in), &n); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if f := float64(n); !(f == want || math.IsNaN(f) && math.IsNaN(want)) {
			t.Errorf("%s = %v, want %v", in, f, want)
		}
		b, _ := json.Marshal(n)
		var back Number
		if err := json.Unmarshal(b, &back); err != nil || !(float64(back) == want || math.IsNaN(want)) {
			t.Errorf("round trip of %s via %s: %v %v", in, b, back, err)
		}
	}
}

// A scenario's set-up runs before T+0 is known: scripts answer as before
// their first step (steps: the first, ramp: from), and once SetT0 is called
// they answer by the offset from it; the call log's offsets count from T+0,
// negative for the set-up's calls.
func TestScriptsFollowT0SetLater(t *testing.T) {
	f, clk := newFactory(t, `
rate: {script: {steps: [{at: 0s, value: 1}, {at: 2m, value: 2}, {at: 4m, value: 3}]}}
lat: {script: {ramp: {from: 10, to: 20, start: 1m, over: 2m}}}
`)
	f.T0 = time.Time{}
	rate, lat := prom("rate"), prom("lat")
	clk.at(-time.Hour) // the set-up, an hour before T+0
	expectPhase(t, measure(t, f, rate), v1alpha1.AnalysisPhaseSuccessful, "[1]")
	expectPhase(t, measure(t, f, lat), v1alpha1.AnalysisPhaseSuccessful, "[10]")
	f.SetT0(t0)
	for _, c := range []struct {
		at        time.Duration
		rate, lat string
	}{
		{0, "[1]", "[10]"}, {90 * time.Second, "[1]", "[12.5]"}, {2 * time.Minute, "[2]", "[15]"},
		{3*time.Minute + 500*time.Millisecond, "[2]", "[20]"}, {10 * time.Minute, "[3]", "[20]"},
	} {
		clk.at(c.at)
		expectPhase(t, measure(t, f, rate), v1alpha1.AnalysisPhaseSuccessful, c.rate)
		expectPhase(t, measure(t, f, lat), v1alpha1.AnalysisPhaseSuccessful, c.lat)
	}
	var offsets []time.Duration
	for _, c := range f.Log.Calls() {
		offsets = append(offsets, c.Offset)
	}
	want := []time.Duration{-time.Hour, -time.Hour, 0, 0, 90 * time.Second, 90 * time.Second, 2 * time.Minute, 2 * time.Minute,
		3 * time.Minute, 3 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	if !reflect.DeepEqual(offsets, want) {
		t.Fatalf("call offsets %v, want %v", offsets, want)
	}
}
