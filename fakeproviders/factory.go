package fakeproviders

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/controller/analysis"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Traffic is what the traffic model offers the providers.
type Traffic interface {
	// Query returns measure (see TrafficQuery.Measure) for scope over the
	// requests in [from, to). ok=false means there is no series at all (the
	// result is empty: an empty vector, Datadog's nil, …). A rate over zero
	// requests must be NaN (0/0), as PromQL computes it.
	Query(measure, scope string, from, to time.Time) (value float64, ok bool)
}

// VersionResolver names the version an AnalysisRun measures.
type VersionResolver interface {
	// Resolve names the version whose pods carry podTemplateHash in
	// namespace (the scenario's version name, "" if unknown) and its role
	// at this moment: "canary", "stable" or "".
	Resolve(namespace, podTemplateHash string) (version, role string)
}

// VersionResolverFunc adapts a function to VersionResolver.
type VersionResolverFunc func(namespace, podTemplateHash string) (version, role string)

// Resolve implements VersionResolver.
func (f VersionResolverFunc) Resolve(namespace, hash string) (string, string) {
	return f(namespace, hash)
}

// Template is a named set of metrics that answers can be keyed by
// ("<name>/<metric>"): an AnalysisTemplate or ClusterAnalysisTemplate. A
// Template with an empty name (the inline metrics of a standalone
// AnalysisRun) is only answered by plain metric keys.
type Template struct {
	Name    string
	Metrics []v1alpha1.Metric
}

// Templates lists the metrics of AnalysisTemplates and
// ClusterAnalysisTemplates (their own metrics; nested template references
// are separate templates and answered under their own names).
func Templates(templates []*v1alpha1.AnalysisTemplate, clusterTemplates []*v1alpha1.ClusterAnalysisTemplate) []Template {
	var out []Template
	for _, t := range templates {
		out = append(out, Template{Name: t.Name, Metrics: t.Spec.Metrics})
	}
	for _, t := range clusterTemplates {
		out = append(out, Template{Name: t.Name, Metrics: t.Spec.Metrics})
	}
	return out
}

// Factory makes the simulated providers; it implements
// controller.ProviderFactory. Job metrics go to Fallback (normally
// controller.JobProviderFactory).
type Factory struct {
	// Answers are the scenario's answers keyed by "metric" or
	// "template/metric".
	Answers map[string]Answer
	// Templates are the scenario's templates, used to tell which template
	// an AnalysisRun's metric came from ("template/metric" keys).
	Templates []Template
	// Traffic serves traffic answers (may be nil if there are none).
	Traffic Traffic
	// Clock is the virtual clock; T0 is the scenario's T+0, the origin of
	// steps and ramps and of the call log's offsets. Left zero while it is
	// not known yet (a scenario's set-up): every instant is then before
	// T+0. Set it with SetT0 once known.
	Clock interface{ Now() time.Time }
	T0    time.Time
	// Rand is the scenario's single random source (noise).
	Rand *rand.Rand
	// Versions resolves perVersion answers (may be nil if there are none).
	Versions VersionResolver
	// Fallback answers Job metrics.
	Fallback controller.ProviderFactory
	// Log records every call (may be nil).
	Log *CallLog

	memo map[string]memoAnswer
}

var _ controller.ProviderFactory = (*Factory)(nil)

// ErrNoAnswer is wrapped by the error for a metric the scenario does not
// answer.
var ErrNoAnswer = errors.New("no answer in the scenario")

func (f *Factory) now() time.Time { return f.Clock.Now().UTC().Truncate(time.Second) }

func (f *Factory) t0() time.Time { return f.T0 }

// SetT0 sets T+0 once it is known (a scenario's runner calls it when the
// set-up is done): scripts answer by the offset from it from then on, and
// the call log's offsets, including those of calls made before, count
// from it.
func (f *Factory) SetT0(t0 time.Time) {
	f.T0 = t0
	if f.Log != nil {
		f.Log.setT0(t0)
	}
}

// NewProvider implements controller.ProviderFactory. An error becomes an
// Error measurement in the reconciler.
func (f *Factory) NewProvider(ctx context.Context, rc controller.RunContext) (controller.Provider, error) {
	kind := controller.ProviderType(rc.Metric)
	switch kind {
	case "Job":
		if f.Fallback == nil {
			return nil, fmt.Errorf("metric %q: job provider: no fallback factory", rc.Metric.Name)
		}
		return f.Fallback.NewProvider(ctx, rc)
	case "":
		return nil, fmt.Errorf("metric %q: no provider configured", rc.Metric.Name)
	}
	if f.Clock == nil {
		return nil, errors.New("fakeproviders: Factory.Clock is nil")
	}
	key, answer, found, err := f.lookup(rc.Run, rc.Metric)
	if err == nil && !found {
		if kind == "RPCPlugin" {
			err = fmt.Errorf("plugin providers: %w", controller.ErrNotSupported)
		} else {
			err = fmt.Errorf("metric %q (%s): %w (add spec.metrics %s to the scenario)", rc.Metric.Name, kind, ErrNoAnswer,
				strings.Join(f.suggestKeys(rc.Run, rc.Metric.Name), " or "))
		}
	}
	var src source
	if err == nil {
		src, err = f.source(rc.Run, key, answer, kind)
	}
	if err != nil {
		p := &provider{f: f, kind: kind, key: key}
		p.logCall(rc.Run, rc.Metric, "new", v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseError, Message: err.Error()})
		return nil, err
	}
	return &provider{f: f, kind: kind, key: key, src: src}, nil
}

func (f *Factory) source(run *v1alpha1.AnalysisRun, key string, a Answer, kind string) (source, error) {
	if err := a.ValidateFor(kind); err != nil {
		return nil, fmt.Errorf("answer %q: %w", key, err)
	}
	switch {
	case a.Traffic != nil:
		if f.Traffic == nil {
			return nil, fmt.Errorf("answer %q: traffic answers need a traffic model (Factory.Traffic)", key)
		}
		return trafficSource{q: *a.Traffic, traffic: f.Traffic}, nil
	case a.PerVersion != nil:
		s, err := f.perVersion(run, key, a.PerVersion)
		if err != nil {
			return nil, err
		}
		return newScriptSource(s, f.t0, f.Rand)
	default:
		return newScriptSource(*a.Script, f.t0, f.Rand)
	}
}

func (f *Factory) perVersion(run *v1alpha1.AnalysisRun, key string, scripts map[string]Script) (Script, error) {
	hash := ""
	if run != nil {
		hash = run.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	}
	if hash == "" {
		return Script{}, fmt.Errorf("answer %q: perVersion needs the AnalysisRun's %s label", key, v1alpha1.DefaultRolloutUniqueLabelKey)
	}
	if f.Versions == nil {
		return Script{}, fmt.Errorf("answer %q: perVersion needs a version resolver (Factory.Versions)", key)
	}
	version, role := f.Versions.Resolve(run.Namespace, hash)
	if s, ok := scripts[version]; ok && version != "" {
		return s, nil
	}
	if s, ok := scripts[role]; ok && role != "" {
		return s, nil
	}
	return Script{}, fmt.Errorf("answer %q: no perVersion entry for version %q (role %q, hash %s); have %s",
		key, version, role, hash, strings.Join(slices.Sorted(maps.Keys(scripts)), ", "))
}

// lookup finds a metric's answer: "<template>/<metric>" for the template
// the run's metric came from, else "<metric>".
func (f *Factory) lookup(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) (string, Answer, bool, error) {
	// A run's metrics never change (a new spec is a new run), so the
	// answer found for (run uid, metric) is memoised.
	if run != nil && run.UID != "" {
		k := string(run.UID) + "\x00" + metric.Name
		if m, ok := f.memo[k]; ok {
			return m.key, m.answer, m.found, m.err
		}
		key, a, found, err := f.lookupUncached(run, metric)
		if f.memo == nil {
			f.memo = map[string]memoAnswer{}
		}
		f.memo[k] = memoAnswer{key, a, found, err}
		return key, a, found, err
	}
	return f.lookupUncached(run, metric)
}

type memoAnswer struct {
	key    string
	answer Answer
	found  bool
	err    error
}

func (f *Factory) lookupUncached(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) (string, Answer, bool, error) {
	name := metric.Name
	cands := f.templatesOf(run, name)
	var keyed []string
	for _, t := range cands {
		if _, ok := f.Answers[t+"/"+name]; ok {
			keyed = append(keyed, t+"/"+name)
		}
	}
	if len(keyed) > 0 {
		same := len(keyed) == len(cands)
		for _, k := range keyed[1:] {
			same = same && equality.Semantic.DeepEqual(f.Answers[k], f.Answers[keyed[0]])
		}
		if !same {
			return "", Answer{}, false, fmt.Errorf("metric %q: its definition matches templates %s and the answers differ; cannot tell which applies (key the answer by %q)",
				name, strings.Join(cands, ", "), name)
		}
		return keyed[0], f.Answers[keyed[0]], true, nil
	}
	if a, ok := f.Answers[name]; ok {
		return name, a, true, nil
	}
	return "", Answer{}, false, nil
}

// templatesOf names the templates the run's metric may come from: those
// with a metric of that name and identical (unsubstituted) definition, all
// of whose metrics are in the run.
func (f *Factory) templatesOf(run *v1alpha1.AnalysisRun, name string) []string {
	if run == nil || len(f.Templates) == 0 {
		return nil
	}
	inRun := map[string]bool{}
	var raw *v1alpha1.Metric
	for i := range run.Spec.Metrics {
		inRun[run.Spec.Metrics[i].Name] = true
		if run.Spec.Metrics[i].Name == name {
			raw = &run.Spec.Metrics[i]
		}
	}
	if raw == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, t := range f.Templates {
		if t.Name == "" || seen[t.Name] {
			continue
		}
		all, match := true, false
		for _, m := range t.Metrics {
			all = all && inRun[m.Name]
			match = match || (m.Name == name && equality.Semantic.DeepEqual(m, *raw))
		}
		if all && match {
			seen[t.Name] = true
			out = append(out, t.Name)
		}
	}
	return out
}

func (f *Factory) suggestKeys(run *v1alpha1.AnalysisRun, name string) []string {
	keys := []string{fmt.Sprintf("%q", name)}
	cands := f.templatesOf(run, name)
	if len(cands) == 0 {
		return append(keys, fmt.Sprintf("%q", "<template>/"+name))
	}
	for _, t := range cands {
		keys = append(keys, fmt.Sprintf("%q", t+"/"+name))
	}
	return keys
}

// CheckError lists what Check found wrong. Entries are sorted.
type CheckError struct {
	// Missing are the metrics without an answer, as "template/metric
	// (Kind)" (or "metric (Kind)" for unnamed templates).
	Missing []string
	// Invalid are answers that do not fit, as "key: reason".
	Invalid []string
	// Unused are answer keys no metric uses (a typo?).
	Unused []string
}

func (e *CheckError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "metrics without an answer in spec.metrics: "+strings.Join(e.Missing, ", "))
	}
	if len(e.Invalid) > 0 {
		parts = append(parts, "invalid answers: "+strings.Join(e.Invalid, "; "))
	}
	if len(e.Unused) > 0 {
		parts = append(parts, "answers for no metric: "+strings.Join(e.Unused, ", "))
	}
	return strings.Join(parts, "; ")
}

// Check validates the answers against the templates the scenario can
// run: every metric (other than Job and plugin metrics) needs an answer
// ("template/metric" or "metric"), every answer must fit the provider kind
// of the metrics it answers, and every answer key must be used. It returns
// nil or a *CheckError.
func (f *Factory) Check(templates ...Template) error {
	e := &CheckError{}
	uses := map[string]map[string]bool{} // key → kinds
	for _, t := range templates {
		for _, m := range t.Metrics {
			kind := controller.ProviderType(m)
			key := ""
			if _, ok := f.Answers[t.Name+"/"+m.Name]; ok && t.Name != "" {
				key = t.Name + "/" + m.Name
			} else if _, ok := f.Answers[m.Name]; ok {
				key = m.Name
			}
			label := m.Name
			if t.Name != "" {
				label = t.Name + "/" + m.Name
			}
			switch {
			case key != "":
				if uses[key] == nil {
					uses[key] = map[string]bool{}
				}
				uses[key][kind] = true
			case kind == "Job" || kind == "RPCPlugin":
			case kind == "":
				e.Invalid = append(e.Invalid, fmt.Sprintf("%s: metric has no provider", label))
			default:
				e.Missing = append(e.Missing, fmt.Sprintf("%s (%s)", label, kind))
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(f.Answers)) {
		kindsUsed := uses[key]
		if len(kindsUsed) == 0 {
			if err := f.Answers[key].Validate(); err != nil {
				e.Invalid = append(e.Invalid, fmt.Sprintf("%s: %v", key, err))
			}
			e.Unused = append(e.Unused, key)
			continue
		}
		onlyJob := true
		for _, kind := range slices.Sorted(maps.Keys(kindsUsed)) {
			if kind == "Job" {
				continue
			}
			onlyJob = false
			if err := f.Answers[key].ValidateFor(kind); err != nil {
				e.Invalid = append(e.Invalid, fmt.Sprintf("%s: %v", key, err))
				break
			}
		}
		if onlyJob {
			e.Invalid = append(e.Invalid, fmt.Sprintf("%s: job metrics run as Jobs (the scenario's job results), an answer would be ignored", key))
		}
	}
	sort.Strings(e.Missing)
	sort.Strings(e.Invalid)
	if len(e.Missing)+len(e.Invalid)+len(e.Unused) == 0 {
		return nil
	}
	return e
}

// shownMetric is the metric with secretKeyRef args shown as "*****", for the
// call log and messages. ok=false: it could not be rebuilt (log no query).
func shownMetric(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) (v1alpha1.Metric, bool) {
	if run == nil {
		return metric, true
	}
	secret := false
	args := make([]v1alpha1.Argument, len(run.Spec.Args))
	for i, a := range run.Spec.Args {
		args[i] = *a.DeepCopy()
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			v := "*****"
			args[i].Value, args[i].ValueFrom, secret = &v, nil, true
		}
	}
	if !secret {
		return metric, true
	}
	for _, raw := range run.Spec.Metrics {
		if raw.Name == metric.Name {
			m, err := analysis.SubstituteMetric(raw, args)
			if err != nil {
				return metric, false
			}
			return m, true
		}
	}
	return metric, false
}
