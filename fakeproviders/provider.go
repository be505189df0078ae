package fakeproviders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/controller/analysis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/jsonpath"
)

// KayentaResumeDelay is how long after starting a judgement Kayenta is
// polled for the score (Argo's resumeDelay).
const KayentaResumeDelay = 15 * time.Second

// prometheusMaxPoints is Prometheus' limit of points per series in a range
// query.
const prometheusMaxPoints = 11000

// MetricDataResult is the shape of a CloudWatch GetMetricData result
// (github.com/aws/aws-sdk-go-v2/service/cloudwatch/types.MetricDataResult)
// as conditions see it: result[0].Values, result[0].Label, …
type MetricDataResult struct {
	Id         *string
	Label      *string
	StatusCode string
	Timestamps []time.Time
	Values     []float64
}

type provider struct {
	f    *Factory
	kind string
	key  string
	src  source
}

var _ controller.Provider = (*provider)(nil)

// Type implements controller.Provider.
func (p *provider) Type() string { return p.kind }

// Run implements controller.Provider.
func (p *provider) Run(_ context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := p.f.now()
	shown, _ := shownMetric(run, metric)
	start := metav1.NewTime(now)
	m := v1alpha1.Measurement{StartedAt: &start}
	switch p.kind {
	case "Prometheus":
		m = p.prometheus(m, metric, shown, now)
	case "Web":
		m = p.web(m, metric, shown, now)
	case "Datadog":
		m = p.datadog(m, metric, shown, now)
	case "NewRelic":
		m = p.newRelic(m, metric, now)
	case "Wavefront":
		m = p.wavefront(m, metric, shown, now)
	case "Kayenta":
		m = p.kayentaRun(m, run, metric, shown, now)
	case "CloudWatch":
		m = p.cloudWatch(m, metric, now)
	case "Graphite":
		m = p.graphite(m, metric, shown, now)
	case "Influxdb":
		m = p.influxdb(m, metric, now)
	case "SkyWalking":
		m = p.skyWalking(m, metric, shown, now)
	case "RPCPlugin":
		m = p.plugin(m, metric, now)
	default:
		m = fail(m, fmt.Errorf("provider %s: %w", p.kind, controller.ErrNotSupported), now)
	}
	p.logCall(run, metric, "run", m)
	return m
}

// Resume implements controller.Provider. Only Kayenta measurements are
// ever in flight; the others are returned unchanged, as Argo does.
func (p *provider) Resume(_ context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	if p.kind != "Kayenta" {
		return m
	}
	m = p.kayentaResume(m, metric, p.f.now())
	p.logCall(run, metric, "resume", m)
	return m
}

// Terminate implements controller.Provider. A Kayenta judgement in flight
// ends Inconclusive (the reconciler words it "Metric Terminated"); Argo's
// Kayenta provider leaves it running, which would keep the run Running
// forever.
func (p *provider) Terminate(_ context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	if p.kind != "Kayenta" || m.Phase.Completed() {
		return m
	}
	t := metav1.NewTime(p.f.now())
	m.Phase, m.FinishedAt, m.ResumeAt = v1alpha1.AnalysisPhaseInconclusive, &t, nil
	p.logCall(run, metric, "terminate", m)
	return m
}

func fail(m v1alpha1.Measurement, err error, now time.Time) v1alpha1.Measurement {
	t := metav1.NewTime(now)
	m.Phase = v1alpha1.AnalysisPhaseError
	m.Message = err.Error()
	m.ResumeAt = nil
	if m.FinishedAt == nil {
		m.FinishedAt = &t
	}
	if m.StartedAt == nil {
		m.StartedAt = &t
	}
	return m
}

func finish(m v1alpha1.Measurement, value string, phase v1alpha1.AnalysisPhase, now time.Time) v1alpha1.Measurement {
	t := metav1.NewTime(now)
	m.Value, m.Phase, m.FinishedAt = value, phase, &t
	return m
}

// evaluated finishes m with the phase the conditions give, or fails it
// (keeping m.Value as it is: the providers differ in whether they set it
// before evaluating).
func evaluated(m v1alpha1.Measurement, value string, result any, metric v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	phase, err := analysis.EvaluateResult(result, metric)
	if err != nil {
		return fail(m, err, now)
	}
	return finish(m, value, phase, now)
}

// sampleAt samples the answer; a failed query (error, timeout) is an error
// whose message the caller's timeout function words.
func (p *provider) sampleAt(t time.Time, timeout func() string) (sample, error) {
	s, err := p.src.at(t)
	if err != nil {
		return sample{}, fmt.Errorf("answer %q: %w", p.key, err)
	}
	switch {
	case s.timeout:
		return sample{}, errors.New(timeout())
	case s.err != "":
		return sample{}, errors.New(s.err)
	}
	return s, nil
}

func clientTimeout(method, u string) string {
	return fmt.Sprintf("%s %q: context deadline exceeded (Client.Timeout exceeded while awaiting headers)", method, u)
}

// ---- Prometheus ----

func (p *provider) prometheus(m v1alpha1.Measurement, metric, shown v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	prom := metric.Provider.Prometheus
	if prom.Timeout != nil && *prom.Timeout < 0 {
		return fail(m, errors.New("prometheus timeout should not be negative"), now)
	}
	endpoint := "/api/v1/query"
	if prom.RangeQuery != nil {
		endpoint = "/api/v1/query_range"
	}
	address := shown.Provider.Prometheus.Address
	if address == "" {
		address = "$ARGO_ROLLOUTS_PROMETHEUS_ADDRESS"
	}
	timeout := func() string {
		return fmt.Sprintf("Post %q: context deadline exceeded", strings.TrimSuffix(address, "/")+endpoint)
	}
	if prom.RangeQuery != nil {
		return p.prometheusRange(m, metric, now, timeout)
	}
	s, err := p.sampleAt(now, timeout)
	if err != nil {
		return fail(m, err, now)
	}
	if !s.numeric() && !s.empty {
		return fail(m, fmt.Errorf("answer %q: no number for a Prometheus metric", p.key), now)
	}
	if p.src.shape() == "scalar" {
		v := math.NaN() // scalar() of anything but one sample
		if len(s.nums) == 1 {
			v = s.nums[0]
		}
		return p.promResult(m, controller.PrometheusValue(v), v, metric, now)
	}
	vs := append(make([]float64, 0, len(s.nums)), s.nums...)
	return p.promResult(m, controller.PrometheusValue(vs), vs, metric, now)
}

func (p *provider) promResult(m v1alpha1.Measurement, value string, result any, metric v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	phase, err := analysis.EvaluateResult(result, metric)
	if err != nil {
		return fail(m, err, now) // Argo drops the value
	}
	return finish(m, value, phase, now)
}

// prometheusRange answers a rangeQuery: the matrix of the answer sampled at
// start, start+step, … ≤ end, flattened series by series.
func (p *provider) prometheusRange(m v1alpha1.Measurement, metric v1alpha1.Metric, now time.Time, timeout func() string) v1alpha1.Measurement {
	rq := metric.Provider.Prometheus.RangeQuery
	start, err := evalTime(rq.Start, now)
	if err != nil {
		return fail(m, fmt.Errorf("failed to parse rangeQuery.start as time: %w", err), now)
	}
	end, err := evalTime(rq.End, now)
	if err != nil {
		return fail(m, fmt.Errorf("failed to parse rangeQuery.end as time: %w", err), now)
	}
	step, err := rq.Step.Duration()
	if err != nil {
		return fail(m, fmt.Errorf("failed to parse rangeQuery.step as duration: %w", err), now)
	}
	switch {
	case step <= 0:
		return fail(m, errors.New(`bad_data: invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer`), now)
	case end.Before(start):
		return fail(m, errors.New(`bad_data: invalid parameter "end": end timestamp must not be before start time`), now)
	case end.Sub(start)/step >= prometheusMaxPoints:
		return fail(m, errors.New("bad_data: exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"), now)
	}
	var series [][]float64
	for t := start; !t.After(end); t = t.Add(step) {
		s, err := p.sampleAt(t, timeout)
		if err != nil {
			return fail(m, err, now)
		}
		if !s.numeric() && !s.empty {
			return fail(m, fmt.Errorf("answer %q: no number for a Prometheus metric", p.key), now)
		}
		for i, v := range s.nums {
			if i >= len(series) {
				series = append(series, nil)
			}
			series[i] = append(series[i], v)
		}
	}
	flat := []float64{}
	for _, vs := range series {
		flat = append(flat, vs...)
	}
	return p.promResult(m, controller.PrometheusValue(flat), flat, metric, now)
}

// evalTime evaluates a rangeQuery time expression as Argo's EvalTime does,
// with now() the virtual time.
func evalTime(expression string, now time.Time) (time.Time, error) {
	env := map[string]any{
		"isNaN": math.IsNaN,
		"isInf": func(f float64) bool { return math.IsInf(f, 0) },
	}
	nowFn := expr.Function("now", func(...any) (any, error) { return now, nil }, new(func() time.Time))
	program, err := expr.Compile(expression, expr.Env(env), nowFn)
	if err != nil {
		return time.Time{}, bareError(err)
	}
	out, err := expr.Run(program, env)
	if err != nil {
		return time.Time{}, bareError(err)
	}
	t, ok := out.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("expected time.Time, but got %T", out)
	}
	return t, nil
}

func bareError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return errors.New(fe.Message)
	}
	return err
}

// ---- JSON-shaped results ----

// jsonResult is the decoded JSON value of a sample: json as is, numbers as
// float64 / []any, wrapped in {field: …} when field is set; empty ⇒ nil.
func jsonResult(s sample, field string) any {
	var v any
	switch {
	case s.hasJSON:
		return s.json
	case s.numeric() && s.single:
		v = s.nums[0]
	case s.numeric():
		vs := make([]any, len(s.nums))
		for i, x := range s.nums {
			vs[i] = x
		}
		v = vs
	default:
		return nil
	}
	if field != "" {
		return map[string]any{field: v}
	}
	return v
}

// jsonText writes v as JSON; NaN and ±Inf are written as the bare tokens
// NaN, +Inf, -Inf (which makes the text invalid JSON, as a server printing
// them would).
func jsonText(v any) string {
	switch x := v.(type) {
	case float64:
		if !finite(x) {
			return controller.PrometheusValue(x)
		}
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = jsonText(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			kb, _ := json.Marshal(k)
			parts = append(parts, string(kb)+":"+jsonText(x[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func toJSONString(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// ---- Web ----

func (p *provider) web(m v1alpha1.Measurement, metric, shown v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	web := metric.Provider.Web
	method := v1alpha1.WebMetricMethodGet
	if web.Method != "" {
		method = web.Method
	}
	path := web.JSONPath
	if path == "" {
		path = "{$}"
	}
	jp := jsonpath.New("metrics")
	if err := jp.Parse(path); err != nil {
		return fail(m, err, now) // Argo fails building the provider
	}
	if web.Body != "" && web.JSONBody != nil {
		return fail(m, errors.New("use either Body or JSONBody; both cannot exists for WebMetric payload"), now)
	}
	if (web.Body != "" || web.JSONBody != nil) && method == v1alpha1.WebMetricMethodGet {
		return fail(m, errors.New("Body/JSONBody can only be used with POST or PUT WebMetric Method types"), now)
	}
	s, err := p.sampleAt(now, func() string { return clientTimeout(httpOp(string(method)), shown.Provider.Web.URL) })
	if err != nil {
		return fail(m, err, now)
	}
	if st := s.status; st != 0 && (st < 200 || st >= 300) {
		return fail(m, fmt.Errorf("received non 2xx response code: %v", st), now)
	}
	var body string
	switch {
	case s.body != nil:
		body = *s.body
	case s.empty:
		body = ""
	default:
		body = jsonText(jsonResult(s, p.src.field()))
	}
	return controller.WebResult(m, metric, body, now)
}

// httpOp is the method as Go's url.Error prints it ("Get", "Post", "Put").
func httpOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// ---- Datadog ----

func (p *provider) datadog(m v1alpha1.Measurement, metric, shown v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	dd := metric.Provider.Datadog
	interval := 5 * time.Minute // CRD default
	if dd.Interval != "" {
		d, err := dd.Interval.Duration()
		if err != nil {
			return fail(m, err, now)
		}
		interval = d
	}
	if dd.RequestTimeout != "" {
		if _, err := dd.RequestTimeout.Duration(); err != nil {
			return fail(m, err, now)
		}
	}
	v2 := dd.ApiVersion == "v2" // "" is the CRD default v1
	timeout := func() string {
		if v2 {
			return clientTimeout("Post", "https://api.datadoghq.com/api/v2/query/scalar")
		}
		q := url.Values{}
		q.Set("query", shown.Provider.Datadog.Query)
		q.Set("from", strconv.FormatInt(now.Unix()-int64(interval.Seconds()), 10))
		q.Set("to", strconv.FormatInt(now.Unix(), 10))
		return clientTimeout("Get", "https://api.datadoghq.com/api/v1/query?"+q.Encode())
	}
	s, err := p.sampleAt(now, timeout)
	if err != nil {
		return fail(m, err, now)
	}
	body := ""
	if s.body != nil {
		body = *s.body
	}
	switch st := s.status; {
	case st == 401 || st == 403:
		return fail(m, fmt.Errorf("received authentication error response code: %v %s", st, body), now)
	case st != 0 && st != 200:
		return fail(m, fmt.Errorf("received non 2xx response code: %v %s", st, body), now)
	}
	if s.empty || len(s.nums) == 0 || !finite(s.nums[0]) {
		var nilFloat64 *float64
		return evaluated(m, "[]", nilFloat64, metric, now)
	}
	v := s.nums[0]
	return evaluated(m, strconv.FormatFloat(v, 'f', -1, 64), v, metric, now)
}

// ---- New Relic ----

func (p *provider) newRelic(m v1alpha1.Measurement, metric v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	if t := metric.Provider.NewRelic.Timeout; t != nil && *t < 0 {
		return fail(m, errors.New("timeout value needs to be a positive value"), now)
	}
	s, err := p.sampleAt(now, func() string { return clientTimeout("Post", "https://api.newrelic.com/graphql") })
	if err != nil {
		return fail(m, err, now)
	}
	var rows []map[string]any
	switch v := jsonResult(s, p.src.field()).(type) {
	case nil:
	case map[string]any:
		rows = []map[string]any{v}
	case []any:
		for _, e := range v {
			row, ok := e.(map[string]any)
			if !ok {
				return fail(m, fmt.Errorf("json: cannot unmarshal %s into Go value of type nrdb.NRDBResult", jsonKind(e)), now)
			}
			rows = append(rows, row)
		}
	default:
		return fail(m, fmt.Errorf("json: cannot unmarshal %s into Go value of type []nrdb.NRDBResult", jsonKind(v)), now)
	}
	var result any
	switch {
	case len(rows) == 1 && len(rows[0]) > 0:
		result = rows[0]
	case len(rows) > 1:
		result = rows
	default:
		return fail(m, errors.New("no results returned from NRQL query"), now)
	}
	value, err := toJSONString(result)
	if err != nil {
		return fail(m, fmt.Errorf("could not marshal results: %w", err), now)
	}
	return evaluated(m, value, result, metric, now)
}

func jsonKind(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

// ---- Wavefront ----

func (p *provider) wavefront(m v1alpha1.Measurement, metric, shown v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	s, err := p.sampleAt(now, func() string {
		return clientTimeout("Get", "https://"+shown.Provider.Wavefront.Address+"/api/v2/chart/api")
	})
	if err != nil {
		return fail(m, err, now)
	}
	epoch := strconv.FormatInt(now.Unix(), 10)
	switch {
	case len(s.nums) == 1:
		v := s.nums[0]
		m.Metadata = map[string]string{"timestamps": epoch, "drift": "0"}
		phase, err := analysis.EvaluateResult(v, metric)
		if err != nil {
			m.Metadata = nil
			return fail(m, err, now)
		}
		return finish(m, fmt.Sprintf("%.2f", v), phase, now)
	case len(s.nums) > 1:
		strs, epochs, drifts := make([]string, len(s.nums)), make([]string, len(s.nums)), make([]string, len(s.nums))
		for i, v := range s.nums {
			strs[i], epochs[i], drifts[i] = fmt.Sprintf("%.2f", v), epoch, "0"
		}
		vs := append([]float64(nil), s.nums...)
		phase, err := analysis.EvaluateResult(vs, metric)
		if err != nil {
			return fail(m, err, now)
		}
		m.Metadata = map[string]string{"timestamps": "[" + strings.Join(epochs, ",") + "]", "drift": "[" + strings.Join(drifts, ",") + "]"}
		return finish(m, "["+strings.Join(strs, ",")+"]", phase, now)
	}
	return fail(m, errors.New("No TimeSeries found in response from Wavefront"), now)
}

// ---- Kayenta ----

func kayentaIndex(run *v1alpha1.AnalysisRun, metric string) int {
	if run != nil {
		for _, r := range run.Status.MetricResults {
			if r.Name == metric {
				return int(r.Count + r.Error + 1)
			}
		}
	}
	return 1
}

func (p *provider) kayentaRun(m v1alpha1.Measurement, run *v1alpha1.AnalysisRun, metric, shown v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	k := shown.Provider.Kayenta
	if _, err := p.sampleAt(now, func() string {
		return clientTimeout("Get", fmt.Sprintf("%s/canaryConfig?application=%s&configurationAccountName=%s", k.Address, k.Application, k.ConfigurationAccountName))
	}); err != nil {
		return fail(m, err, now)
	}
	name := metric.Name
	runName := ""
	if run != nil {
		runName = run.Name
	}
	m.Metadata = map[string]string{"canaryExecutionId": fmt.Sprintf("%s.%s.%d", runName, name, kayentaIndex(run, name))}
	m.Phase = v1alpha1.AnalysisPhaseRunning
	resume := metav1.NewTime(now.Add(KayentaResumeDelay))
	m.ResumeAt = &resume
	return m
}

// kayentaResume reads the judgement's score: the answer at the time the
// judgement started (the end of its scopes).
func (p *provider) kayentaResume(m v1alpha1.Measurement, metric v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	at := now
	if m.StartedAt != nil {
		at = m.StartedAt.Time
	}
	k := metric.Provider.Kayenta
	s, err := p.sampleAt(at, func() string {
		return clientTimeout("Get", fmt.Sprintf("%s/canary/%s", k.Address, m.Metadata["canaryExecutionId"]))
	})
	if err != nil {
		return fail(m, err, now)
	}
	if len(s.nums) == 0 || !finite(s.nums[0]) {
		return fail(m, errors.New("Missing Score"), now)
	}
	score := int(s.nums[0])
	m.ResumeAt = nil
	return finish(m, fmt.Sprintf("%v", score), kayentaPhase(score, int(k.Threshold.Pass), int(k.Threshold.Marginal)), now)
}

func kayentaPhase(score, pass, marginal int) v1alpha1.AnalysisPhase {
	switch {
	case score >= pass:
		return v1alpha1.AnalysisPhaseSuccessful
	case score >= marginal:
		return v1alpha1.AnalysisPhaseInconclusive
	}
	return v1alpha1.AnalysisPhaseFailed
}

// ---- CloudWatch ----

// cloudWatch answers every query with returnData (default true): its
// Values are the answer sampled at each period boundary in the interval,
// newest first (CloudWatch's TimestampDescending). A `value` answers every
// query alike; `values` gives the i-th returned query the i-th number.
func (p *provider) cloudWatch(m v1alpha1.Measurement, metric v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	cw := metric.Provider.CloudWatch
	interval := 5 * time.Minute
	if cw.Interval != "" {
		d, err := cw.Interval.Duration()
		if err != nil {
			return fail(m, err, now)
		}
		interval = d
	}
	var queries []v1alpha1.CloudWatchMetricDataQuery
	for _, q := range cw.MetricDataQueries {
		if q.ReturnData == nil || *q.ReturnData {
			queries = append(queries, q)
		}
	}
	timeout := func() string { return "operation error CloudWatch: GetMetricData, context deadline exceeded" }
	results := make([]MetricDataResult, len(queries))
	for i, q := range queries {
		period := 300 * time.Second
		if q.Period != nil && q.Period.IntValue() > 0 {
			period = time.Duration(q.Period.IntValue()) * time.Second
		} else if q.MetricStat != nil && q.MetricStat.Period.IntValue() > 0 {
			period = time.Duration(q.MetricStat.Period.IntValue()) * time.Second
		}
		points := int(interval / period)
		if points < 1 {
			points = 1
		}
		id, label := q.Id, q.Id
		if q.Label != nil {
			label = *q.Label
		}
		res := MetricDataResult{Id: &id, Label: &label, StatusCode: "Complete", Timestamps: []time.Time{}, Values: []float64{}}
		for k := 0; k < points; k++ {
			ts := now.Truncate(period).Add(-time.Duration(k) * period)
			s, err := p.sampleAt(ts, timeout)
			if err != nil {
				return fail(m, err, now)
			}
			switch {
			case s.empty:
				continue
			case s.single:
				res.Values = append(res.Values, s.nums[0])
			case len(s.nums) != len(queries):
				return fail(m, fmt.Errorf("answer %q: %d values for %d queries that return data", p.key, len(s.nums), len(queries)), now)
			default:
				res.Values = append(res.Values, s.nums[i])
			}
			res.Timestamps = append(res.Timestamps, ts)
		}
		results[i] = res
	}
	value := [][]float64{}
	for _, r := range results {
		value = append(value, r.Values)
	}
	m.Value = fmt.Sprintf("%+v", value)
	return evaluated(m, m.Value, results, metric, now) // Argo keeps the value on an evaluation error
}

// ---- Graphite ----

func (p *provider) graphite(m v1alpha1.Measurement, metric, shown v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	g := shown.Provider.Graphite
	s, err := p.sampleAt(now, func() string {
		q := url.Values{}
		q.Set("target", g.Query)
		q.Set("format", "json")
		return clientTimeout("Get", strings.TrimSuffix(g.Address, "/")+"/render?"+q.Encode())
	})
	if err != nil {
		return fail(m, err, now)
	}
	if s.empty || len(s.nums) == 0 {
		return fail(m, errors.New("no values found"), now)
	}
	results := make([]float64, 0, len(s.nums))
	parts := []string{}
	for _, v := range s.nums {
		if math.IsNaN(v) { // a null datapoint
			continue
		}
		results = append(results, v)
		parts = append(parts, fmt.Sprintf("%f", v))
	}
	m.Value = "[" + strings.Join(parts, ",") + "]"
	return evaluated(m, m.Value, results, metric, now) // Argo keeps the value on an evaluation error
}

// ---- InfluxDB ----

func (p *provider) influxdb(m v1alpha1.Measurement, metric v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	profile := metric.Provider.Influxdb.Profile
	if profile == "" {
		profile = "influxdb"
	}
	s, err := p.sampleAt(now, func() string {
		return fmt.Sprintf("Post %q: context deadline exceeded", "<address of secret "+profile+">/api/v2/query")
	})
	if err != nil {
		return fail(m, err, now)
	}
	var res []any
	switch v := jsonResult(s, "").(type) {
	case nil:
	case []any:
		res = v
	default:
		res = []any{v}
	}
	if len(res) == 0 {
		return fail(m, errors.New("no results returned from flux query"), now)
	}
	phase, err := analysis.EvaluateResult(res, metric)
	if err != nil {
		return fail(m, err, now)
	}
	return finish(m, fmt.Sprint(res), phase, now)
}

// ---- SkyWalking ----

func (p *provider) skyWalking(m v1alpha1.Measurement, metric, shown v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	s, err := p.sampleAt(now, func() string {
		return fmt.Sprintf("Post %q: context deadline exceeded", shown.Provider.SkyWalking.Address+"/graphql")
	})
	if err != nil {
		return fail(m, err, now)
	}
	result := jsonResult(s, p.src.field())
	if result == nil {
		return fail(m, errors.New("no results returned from SkyWalking query"), now)
	}
	value, err := toJSONString(result)
	if err != nil {
		return fail(m, fmt.Errorf("could not marshal results: %w", err), now)
	}
	return evaluated(m, value, result, metric, now)
}

// ---- Plugin ----

func (p *provider) plugin(m v1alpha1.Measurement, metric v1alpha1.Metric, now time.Time) v1alpha1.Measurement {
	s, err := p.sampleAt(now, func() string { return "rpc error: context deadline exceeded" })
	if err != nil {
		return fail(m, err, now)
	}
	var result any
	switch {
	case s.numeric() && !s.single && p.src.field() == "":
		result = append([]float64(nil), s.nums...)
	default:
		result = jsonResult(s, p.src.field())
	}
	value := ""
	if result != nil {
		if value, err = toJSONString(result); err != nil {
			return fail(m, fmt.Errorf("could not marshal results: %w", err), now)
		}
	}
	return evaluated(m, value, result, metric, now)
}

// ---- call log ----

func (p *provider) logCall(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, op string, m v1alpha1.Measurement) {
	if p.f.Log == nil {
		return
	}
	shown, ok := shownMetric(run, metric)
	query := "(redacted)"
	if ok {
		query = describeQuery(shown)
	}
	c := Call{
		Op: op, Kind: p.kind, Metric: metric.Name, Answer: p.key, Query: query,
		Phase: string(m.Phase), Value: m.Value,
	}
	var at time.Time
	if p.f.Clock != nil {
		at = p.f.now()
		if !p.f.T0.IsZero() {
			p.f.Log.setT0(p.f.T0)
		}
	}
	if run != nil {
		c.Run = run.Namespace + "/" + run.Name
	}
	if m.Phase == v1alpha1.AnalysisPhaseError {
		c.Error = m.Message
	}
	p.f.Log.add(c, at)
}

// describeQuery is the query a provider sends, as the call log shows it.
func describeQuery(m v1alpha1.Metric) string {
	pr := m.Provider
	switch {
	case pr.Prometheus != nil:
		q := pr.Prometheus.Query
		if r := pr.Prometheus.RangeQuery; r != nil {
			q += fmt.Sprintf(" [range start=%s end=%s step=%s]", r.Start, r.End, r.Step)
		}
		return q
	case pr.Web != nil:
		method := string(pr.Web.Method)
		if method == "" {
			method = "GET"
		}
		q := method + " " + pr.Web.URL
		if pr.Web.JSONPath != "" {
			q += " jsonPath=" + pr.Web.JSONPath
		}
		return q
	case pr.Datadog != nil:
		if pr.Datadog.Query != "" {
			return pr.Datadog.Query
		}
		parts := []string{}
		if pr.Datadog.Formula != "" {
			parts = append(parts, "formula="+pr.Datadog.Formula)
		}
		for _, k := range slices.Sorted(maps.Keys(pr.Datadog.Queries)) {
			parts = append(parts, k+"="+pr.Datadog.Queries[k])
		}
		return strings.Join(parts, "; ")
	case pr.NewRelic != nil:
		return pr.NewRelic.Query
	case pr.Wavefront != nil:
		return pr.Wavefront.Query
	case pr.Kayenta != nil:
		k := pr.Kayenta
		return fmt.Sprintf("application=%s canaryConfigName=%s threshold=pass:%d,marginal:%d", k.Application, k.CanaryConfigName, k.Threshold.Pass, k.Threshold.Marginal)
	case pr.CloudWatch != nil:
		parts := []string{}
		for _, q := range pr.CloudWatch.MetricDataQueries {
			switch {
			case q.Expression != nil:
				parts = append(parts, q.Id+": "+*q.Expression)
			case q.MetricStat != nil:
				parts = append(parts, fmt.Sprintf("%s: %s %s/%s", q.Id, q.MetricStat.Stat, derefString(q.MetricStat.Metric.Namespace), q.MetricStat.Metric.MetricName))
			default:
				parts = append(parts, q.Id)
			}
		}
		return strings.Join(parts, "; ")
	case pr.Graphite != nil:
		return pr.Graphite.Query
	case pr.Influxdb != nil:
		return pr.Influxdb.Query
	case pr.SkyWalking != nil:
		return pr.SkyWalking.Query
	case pr.Plugin != nil:
		names := make([]string, 0, len(pr.Plugin))
		for name := range pr.Plugin {
			names = append(names, name)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, name := range names {
			var buf bytes.Buffer
			if err := json.Compact(&buf, pr.Plugin[name]); err != nil {
				buf.Reset()
				buf.Write(pr.Plugin[name])
			}
			parts[i] = name + " " + buf.String()
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
