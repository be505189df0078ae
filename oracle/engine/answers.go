package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// answerServer answers Argo's real Prometheus and web metric providers over
// loopback HTTP with the scenario's scripted answers. Templates are
// rewritten to point at it: /prometheus/<template>/<metric> and
// /web/<template>/<metric>. An answer is chosen at the virtual time of the
// request, for the version the AnalysisRun being synced measures.
type answerServer struct {
	e   *Engine
	srv *http.Server
	ln  net.Listener
	url string
	// addresses maps each rewritten metric address to the manifest's.
	addresses map[string]string
}

func newAnswerServer(e *Engine) (*answerServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("metric answer server: %w", err)
	}
	a := &answerServer{e: e, ln: ln, url: "http://" + ln.Addr().String(), addresses: map[string]string{}}
	a.srv = &http.Server{Handler: http.HandlerFunc(a.serve), ReadHeaderTimeout: time.Minute}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *answerServer) close() { _ = a.srv.Close() }

// answer is the JSON form of a scenario's metric answer (fakeproviders.Answer).
type answer struct {
	Script     *script           `json:"script"`
	PerVersion map[string]script `json:"perVersion"`
	Traffic    json.RawMessage   `json:"traffic"`
}

type script struct {
	outcome
	Steps []struct {
		At string `json:"at"`
		outcome
	} `json:"steps"`
	Ramp  *ramp           `json:"ramp"`
	Noise json.RawMessage `json:"noise"`
	Shape string          `json:"shape"`
	Field string          `json:"field"`
}

// ramp is a linear numeric change (fakeproviders.Ramp): from before start,
// to after start+over, linear in between.
type ramp struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Start string  `json:"start"`
	Over  string  `json:"over"`
}

// at is the ramp's value at offset t from T+0.
func (r *ramp) at(t time.Duration) (float64, error) {
	start := time.Duration(0)
	if r.Start != "" {
		d, err := time.ParseDuration(r.Start)
		if err != nil {
			return 0, fmt.Errorf("ramp start %q: %w", r.Start, err)
		}
		start = d
	}
	over, err := time.ParseDuration(r.Over)
	if err != nil {
		return 0, fmt.Errorf("ramp over %q: %w", r.Over, err)
	}
	switch {
	case t < start:
		return r.From, nil
	case t >= start+over:
		return r.To, nil
	}
	return r.From + (r.To-r.From)*float64(t-start)/float64(over), nil
}

type outcome struct {
	Value   json.RawMessage   `json:"value"`
	Values  []json.RawMessage `json:"values"`
	Empty   bool              `json:"empty"`
	JSON    json.RawMessage   `json:"json"`
	Body    *string           `json:"body"`
	Status  int               `json:"status"`
	Error   string            `json:"error"`
	Timeout bool              `json:"timeout"`
}

// lookup finds the answer for template/metric, then metric.
func (a *answerServer) lookup(tmpl, metric string) (*answer, error) {
	raw, ok := a.e.p.Metrics[tmpl+"/"+metric]
	if !ok {
		raw, ok = a.e.p.Metrics[metric]
	}
	if !ok {
		return nil, fmt.Errorf("no answer for metric %q (template %q) in the plan", metric, tmpl)
	}
	var an answer
	if err := json.Unmarshal(raw, &an); err != nil {
		return nil, fmt.Errorf("answer for %q: %w", metric, err)
	}
	return &an, nil
}

// at evaluates an answer now, for the version of the run being synced.
func (a *answerServer) at(an *answer) (*script, outcome, error) {
	var sc *script
	switch {
	case an.Traffic != nil:
		return nil, outcome{}, fmt.Errorf("answers derived from the traffic model are not supported yet")
	case an.Script != nil:
		sc = an.Script
	case an.PerVersion != nil:
		version, role := a.e.measured(a.e.syncing)
		if s, ok := an.PerVersion[version]; ok {
			sc = &s
		} else if s, ok := an.PerVersion[role]; ok {
			sc = &s
		} else {
			return nil, outcome{}, fmt.Errorf("no perVersion answer for version %q (role %q)", version, role)
		}
	default:
		return nil, outcome{}, fmt.Errorf("empty answer")
	}
	if sc.Noise != nil || sc.Field != "" {
		return nil, outcome{}, fmt.Errorf("noise and field answers are not supported yet")
	}
	// Offsets count from T+0 (a whole second) to the request's second, as
	// rollsim's providers see a measurement's (whole-second) time.
	t := a.e.Now().Truncate(time.Second).Sub(a.e.t0)
	out := sc.outcome
	switch {
	case sc.Ramp != nil:
		v, err := sc.Ramp.at(t)
		if err != nil {
			return nil, outcome{}, err
		}
		out = outcome{Value: json.RawMessage(strconv.FormatFloat(v, 'g', -1, 64))}
	case len(sc.Steps) > 0:
		out = sc.Steps[0].outcome
		for _, st := range sc.Steps {
			d, err := time.ParseDuration(st.At)
			if err != nil {
				return nil, outcome{}, fmt.Errorf("step at %q: %w", st.At, err)
			}
			if t >= d {
				out = st.outcome
			}
		}
	}
	return sc, out, nil
}

// measured is the version and role the AnalysisRun key measures.
func (e *Engine) measured(arKey string) (string, string) {
	ns, name, _ := strings.Cut(arKey, "/")
	ar, err := e.argo.ArgoprojV1alpha1().AnalysisRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return "", ""
	}
	hash := ar.Labels["rollouts-pod-template-hash"]
	version, _ := e.p.VersionOf(e.imageOfHash(ns, hash))
	role := ""
	for _, ref := range ar.OwnerReferences {
		if ref.Kind != "Rollout" {
			continue
		}
		if ro, err := e.argo.ArgoprojV1alpha1().Rollouts(ns).Get(context.Background(), ref.Name, metav1.GetOptions{}); err == nil {
			switch hash {
			case ro.Status.StableRS:
				role = "stable"
			case ro.Status.CurrentPodHash:
				role = "canary"
			}
		}
	}
	return version, role
}

func number(raw json.RawMessage) (string, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("value %s: expected a number or NaN/+Inf/-Inf", raw)
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return "", fmt.Errorf("value %q: expected a number or NaN/+Inf/-Inf", s)
	}
	return s, nil
}

func (a *answerServer) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) < 3 {
		http.Error(w, "oracle: unknown metric path "+r.URL.Path, http.StatusNotFound)
		return
	}
	kind, tmpl, metric := parts[0], parts[1], parts[2]
	an, err := a.lookup(tmpl, metric)
	var sc *script
	var out outcome
	if err == nil {
		sc, out, err = a.at(an)
	}
	if err != nil {
		a.e.fail("metric %s: %v", metric, err)
		http.Error(w, "oracle: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if out.Timeout {
		// The provider's client times out (its timeout is set to 1 s of
		// real time in the rewritten template; virtual time stands still).
		<-r.Context().Done()
		return
	}
	if out.Error != "" {
		http.Error(w, out.Error, http.StatusInternalServerError)
		return
	}
	switch kind {
	case "prometheus":
		a.prometheus(w, sc, out)
	case "web":
		status := out.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		switch {
		case out.Body != nil:
			_, _ = w.Write([]byte(*out.Body))
		case out.JSON != nil:
			_, _ = w.Write(out.JSON)
		case out.Value != nil:
			_, _ = w.Write(out.Value)
		}
	default:
		http.Error(w, "oracle: unknown provider "+kind, http.StatusNotFound)
	}
}

func (a *answerServer) prometheus(w http.ResponseWriter, sc *script, out outcome) {
	ts := float64(a.e.Now().Unix())
	var values []string
	switch {
	case out.Empty:
	case out.Value != nil:
		v, err := number(out.Value)
		if err != nil {
			a.e.fail("prometheus answer: %v", err)
		}
		values = []string{v}
	default:
		for _, raw := range out.Values {
			v, err := number(raw)
			if err != nil {
				a.e.fail("prometheus answer: %v", err)
			}
			values = append(values, v)
		}
	}
	var data map[string]any
	if sc.Shape == "scalar" {
		v := "NaN"
		if len(values) > 0 {
			v = values[0]
		}
		data = map[string]any{"resultType": "scalar", "result": []any{ts, v}}
	} else {
		result := []any{}
		for _, v := range values {
			result = append(result, map[string]any{"metric": map[string]string{}, "value": []any{ts, v}})
		}
		data = map[string]any{"resultType": "vector", "result": result}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
}

// rewriteMetrics points a template's Prometheus and web metrics at the
// answer server.
func (a *answerServer) rewriteMetrics(tmpl string, metrics []v1alpha1.Metric) error {
	for i := range metrics {
		m := &metrics[i]
		switch {
		case m.Provider.Prometheus != nil:
			addr := fmt.Sprintf("%s/prometheus/%s/%s", a.url, tmpl, m.Name)
			a.addresses[addr] = strings.TrimRight(m.Provider.Prometheus.Address, "/")
			m.Provider.Prometheus.Address = addr
			if an, err := a.lookup(tmpl, m.Name); err == nil && timesOut(an) {
				one := int64(1)
				m.Provider.Prometheus.Timeout = &one
			}
		case m.Provider.Web != nil:
			addr := fmt.Sprintf("%s/web/%s/%s", a.url, tmpl, m.Name)
			a.addresses[addr] = m.Provider.Web.URL
			m.Provider.Web.URL = addr
		case m.Provider.Job != nil:
		default:
			return fmt.Errorf("template %s metric %s: only Job, Prometheus and web providers are supported by the oracle yet", tmpl, m.Name)
		}
	}
	return nil
}

func timesOut(an *answer) bool {
	if an.Script != nil && an.Script.Timeout {
		return true
	}
	for _, s := range an.PerVersion {
		if s.Timeout {
			return true
		}
	}
	return false
}
