package scenarios

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/controller/replicas"
	"github.com/rollsim/rollsim/fakeproviders"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/cluster"
	"github.com/rollsim/rollsim/sim/trace"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Error kinds in a report.
const (
	ErrInput   = "input"
	ErrTimeout = "timeout"
	ErrBudget  = "budget"
	ErrRun     = "run"
)

// RunOptions tune a run.
type RunOptions struct {
	// Seed overrides spec.seed when set.
	Seed *int64
	// MaxEvents bounds the engine (0 = 1,000,000).
	MaxEvents int
	// FailureOnset overrides the failure-onset anchor (offset after T+0).
	FailureOnset *time.Duration
	// Manifests, when set, replaces spec.manifests (paths as given, not
	// relative to the scenario file): rollsim gate runs one suite against
	// two sets of manifests this way.
	Manifests []string
	// ShowAt captures the rollout tree at these offsets after T+0 (as
	// `kubectl argo rollouts get rollout` shows it) into Result.Snapshots.
	ShowAt []time.Duration
	// Backend is the cluster the scenario runs on: "" or BackendFake (the
	// in-process fake store), or BackendEnvtest (a real kube-apiserver and
	// etcd, shared by the scenarios of a process; see docs/envtest.md).
	Backend string
}

// Backends.
const (
	BackendFake    = "fake"
	BackendEnvtest = "envtest"
)

// Result is a finished run: the report and the harness, for Go tests that
// want to look further (objects, the client, the clientset).
type Result struct {
	Report  report.Scenario
	Harness *sim.Harness
	T0      time.Time
	// Calls are the metric providers' calls (set-up calls at negative
	// offsets).
	Calls []fakeproviders.Call
	// Snapshots are the trees asked for with RunOptions.ShowAt.
	Snapshots []report.Snapshot
	// ServerWarnings are the API server's warnings about the scenario's
	// writes (envtest backend only): not part of the timeline, which is the
	// same on both backends.
	ServerWarnings []string
}

// Passed reports whether every expectation held and the run ended cleanly.
func (r *Result) Passed() bool { return r.Report.Passed }

// Timeline is the text timeline.
func (r *Result) Timeline() string { return trace.Text(r.Report.Timeline) }

// RunFile loads and runs one scenario file.
func RunFile(path string, opts RunOptions) *Result {
	s, err := LoadFile(path)
	if err != nil {
		return &Result{Report: report.Scenario{Scenario: baseName(path), File: path, ErrorKind: ErrInput, Error: err.Error(),
			Expectations: []report.Expectation{}, Rollouts: []report.Rollout{}, AnalysisRuns: []report.AnalysisRun{}, Outcomes: []report.Outcome{}, Timeline: []trace.Record{}}}
	}
	return Run(s, opts)
}

func baseName(p string) string {
	p = p[strings.LastIndex(p, "/")+1:]
	return strings.TrimSuffix(strings.TrimSuffix(p, ".yaml"), ".yml")
}

type runner struct {
	backend       string
	remote        *cluster.Remote
	untilKnown    bool
	untilVersion  uint64
	untilValue    bool
	onsetOverride *time.Time
	sampler       *sampler
	factory       *fakeproviders.Factory
	s             *Scenario
	beh           *behavior
	traffic       *trafficSim
	h             *sim.Harness
	res           *Result
	t0            time.Time
	ns            string
	onset         *time.Time
	anchors       map[string]time.Time
	results       []report.Expectation
	// notModelled: the loaded objects the simulation does not model.
	notModelled []report.NotModelled
}

// Run runs a loaded scenario. Input problems found while running (manifests
// that do not decode, a rollout that is not there) are reported with
// ErrorKind "input"; a run that times out or exhausts its budget fails.
func Run(s *Scenario, opts RunOptions) *Result {
	seed := int64(1)
	if s.Spec.Seed != nil {
		seed = *s.Spec.Seed
	}
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	res := &Result{Report: report.Scenario{Scenario: s.Metadata.Name, File: s.File, Seed: seed,
		Expectations: []report.Expectation{}, Rollouts: []report.Rollout{}, AnalysisRuns: []report.AnalysisRun{}, Outcomes: []report.Outcome{}, Timeline: []trace.Record{}}}
	if opts.Backend == BackendEnvtest {
		res.Report.Backend = BackendEnvtest
	}
	r := &runner{s: s, res: res, anchors: map[string]time.Time{}, backend: opts.Backend}
	kind, err := r.run(seed, opts)
	if err != nil {
		res.Report.Error = err.Error()
		res.Report.ErrorKind = kind
	}
	if r.remote != nil {
		res.ServerWarnings = r.remote.Warnings()
	}
	if r.h != nil {
		res.Harness = r.h
		res.T0 = r.t0
		if r.factory != nil && r.factory.Log != nil {
			res.Calls = r.factory.Log.Calls()
		}
		res.Report.Timeline = r.h.Recorder().Records()
		if res.Report.Timeline == nil {
			res.Report.Timeline = []trace.Record{}
		}
		if !r.t0.IsZero() {
			res.Report.VirtualMs = r.h.Now().Sub(r.t0).Milliseconds()
		}
		if kind != ErrInput {
			res.Report.Rollouts, res.Report.AnalysisRuns = summarize(r.h)
			res.Report.Experiments = summarizeExperiments(r.h, false)
		}
	}
	res.Report.NotModelled = r.notModelled
	res.Report.Expectations = append(res.Report.Expectations, r.results...)
	passed := res.Report.Error == ""
	for _, e := range res.Report.Expectations {
		passed = passed && e.Passed
	}
	res.Report.Passed = passed
	return res
}

func splitRef(ref, defNS string) (string, string) {
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	return defNS, ref
}

// loadObjects loads manifests named relative to the scenario file.
func (r *runner) loadObjects(paths []string, field string) ([]client.Object, error) {
	var resolved []string
	for _, p := range paths {
		resolved = append(resolved, r.s.Resolve(p))
	}
	return r.loadObjectsAbs(resolved)
}

// loadObjectsAbs loads manifests at paths as given, defaulting namespaces.
func (r *runner) loadObjectsAbs(paths []string) ([]client.Object, error) {
	objs, err := manifests.Load(paths...)
	if err != nil {
		return nil, err
	}
	manifests.DefaultNamespaces(objs, r.ns)
	if err := metadataErrors(objs); err != nil {
		return nil, err
	}
	r.notModelled = addNotModelled(r.notModelled, objs)
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Obj)
	}
	return out, nil
}

func (r *runner) run(seed int64, opts RunOptions) (string, error) {
	s := r.s
	r.ns = s.Spec.Namespace
	if r.ns == "" {
		r.ns = "default"
	}
	var objs []client.Object
	var err error
	if opts.Backend == BackendEnvtest {
		paths := opts.Manifests
		if paths == nil {
			for _, p := range s.Spec.Manifests {
				paths = append(paths, s.Resolve(p))
			}
		}
		if err := serverCheck(paths, r.ns); err != nil {
			return ErrInput, err
		}
	}
	if opts.Manifests != nil {
		objs, err = r.loadObjectsAbs(opts.Manifests)
	} else {
		objs, err = r.loadObjects(s.Spec.Manifests, "spec.manifests")
	}
	if err != nil {
		return ErrInput, err
	}
	roNS, roName := splitRef(s.Spec.Initial.Rollout, "")
	var initial *v1alpha1.Rollout
	var rollouts []*v1alpha1.Rollout
	var others []client.Object
	for _, o := range objs {
		if ro, ok := o.(*v1alpha1.Rollout); ok {
			rollouts = append(rollouts, ro)
			if ro.Name == roName && (roNS == "" || ro.Namespace == roNS) {
				if initial != nil {
					return ErrInput, s.errAt("spec.initial.rollout", fmt.Sprintf("rollout %q is ambiguous: it is in namespaces %s and %s; write namespace/name", roName, initial.Namespace, ro.Namespace))
				}
				initial = ro
			}
			continue
		}
		others = append(others, o)
	}
	if initial == nil {
		var names []string
		for _, ro := range rollouts {
			names = append(names, ro.Namespace+"/"+ro.Name)
		}
		return ErrInput, s.errAt("spec.initial.rollout", fmt.Sprintf("rollout %q is not in the manifests (found: [%s])", s.Spec.Initial.Rollout, strings.Join(names, ", ")))
	}
	r.ns = initial.Namespace
	for _, ro := range rollouts {
		for _, c := range ro.Spec.Template.Spec.Containers {
			if ro == initial {
				continue
			}
			if _, ok := s.VersionOf(c.Image); !ok {
				return ErrInput, s.errAt("spec.versions", fmt.Sprintf("rollout %s: %s", ro.Name, s.noVersion(c.Image)))
			}
		}
	}
	var tmpls []*v1alpha1.AnalysisTemplate
	var ctmpls []*v1alpha1.ClusterAnalysisTemplate
	for _, o := range objs {
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			tmpls = append(tmpls, t)
		case *v1alpha1.ClusterAnalysisTemplate:
			ctmpls = append(ctmpls, t)
		}
	}
	factory := newFactory(s, fakeproviders.Templates(tmpls, ctmpls))
	if err := factory.Check(factory.Templates...); err != nil {
		return ErrInput, s.errAt("spec.metrics", err.Error())
	}
	if err := s.checkStepPlugins(rollouts); err != nil {
		return ErrInput, err
	}
	r.factory = factory
	beh := &behavior{s: s}
	var hp *sim.Harness
	var newBackend func(now func() time.Time, onChange func(cluster.Change)) (sim.Backend, error)
	switch opts.Backend {
	case "", BackendFake:
	case BackendEnvtest:
		srv, err := cluster.SharedEnvtest()
		if err != nil {
			return ErrRun, fmt.Errorf("envtest backend: %w", err)
		}
		newBackend = func(now func() time.Time, onChange func(cluster.Change)) (sim.Backend, error) {
			rem, err := srv.NewCluster(now, onChange)
			r.remote = rem
			return rem, err
		}
	default:
		return ErrInput, fmt.Errorf("backend %q: expected %q or %q", opts.Backend, BackendFake, BackendEnvtest)
	}
	var albDelay *time.Duration
	if d := s.Spec.Cluster.ALBWeightVerifyDelay; d != nil {
		albDelay = &d.Duration
	}
	plugins := &stepPluginAnswers{s: s}
	h, err := sim.New(sim.Config{Seed: seed, MaxEvents: opts.MaxEvents, Behavior: beh, NewBackend: newBackend, StepPlugins: plugins,
		Providers: func(c client.Client, clk clock.Clock) controller.ProviderFactory {
			return &lateFactory{f: factory, wire: func() { wireFactory(factory, s, hp, c, clk) }}
		}, ALBWeightVerifyDelay: albDelay, SMIAPIVersion: s.Spec.Cluster.TrafficSplitAPIVersion})
	if err != nil {
		return ErrRun, err
	}
	r.h = h
	hp = h
	plugins.now = h.Now
	r.beh = beh
	sort.SliceStable(others, func(i, j int) bool {
		_, a := others[i].(*corev1.Namespace)
		_, b := others[j].(*corev1.Namespace)
		return a && !b
	})
	if err := h.Apply(others...); err != nil {
		return ErrInput, err
	}
	images := append(append([]string{}, s.Spec.Initial.History...), s.Spec.Initial.Image)
	first := initial.DeepCopy()
	if ref := first.Spec.WorkloadRef; ref != nil && ref.Kind == "Deployment" {
		// The image lives in the referenced Deployment: it was applied with
		// the other objects; set the first history image there.
		if err := h.Settle(); err != nil {
			return ErrRun, err
		}
		if err := h.SetDeploymentImage(first.Namespace, first.Name, ref.Name, s.Spec.Initial.Container, images[0]); err != nil {
			return ErrInput, s.errAt("spec.initial", err.Error())
		}
	} else if err := setImage(first, s.Spec.Initial.Container, images[0]); err != nil {
		return ErrInput, s.errAt("spec.initial.container", err.Error())
	}
	var toApply []client.Object
	for _, ro := range rollouts {
		if ro == initial {
			toApply = append(toApply, first)
		} else {
			toApply = append(toApply, ro)
		}
	}
	if err := h.Apply(toApply...); err != nil {
		return ErrInput, err
	}
	const setupLimit = 6 * time.Hour
	settle := func(what string) error {
		ok, err := h.RunUntil(h.Now().Add(setupLimit), func() bool {
			for _, ro := range rollouts {
				s, err := h.Settled(ro.Namespace, ro.Name)
				if err != nil || !s {
					return false
				}
			}
			return true
		})
		if err != nil {
			return fmt.Errorf("set-up (%s): %w", what, err)
		}
		if !ok {
			cur, _ := h.Rollout(initial.Namespace, initial.Name)
			msg := ""
			if cur != nil {
				msg = fmt.Sprintf(": rollout %s is %s %q", initial.Name, cur.Status.Phase, cur.Status.Message)
			}
			return fmt.Errorf("set-up (%s) did not become Healthy and settled within %s of virtual time%s", what, setupLimit, msg)
		}
		return nil
	}
	if err := settle("initial deploy of " + images[0]); err != nil {
		return ErrRun, err
	}
	for _, img := range images[1:] {
		if err := h.SetImage(initial.Namespace, initial.Name, s.Spec.Initial.Container, img); err != nil {
			return ErrInput, err
		}
		if err := h.Settle(); err != nil {
			return ErrRun, err
		}
		if err := h.Promote(initial.Namespace, initial.Name, true); err != nil {
			return ErrRun, err
		}
		if err := settle("update to " + img); err != nil {
			return ErrRun, err
		}
	}
	h.StartTimeline()
	r.t0 = h.Now()
	factory.SetT0(r.t0)
	r.anchors["start"] = r.t0
	sp := &sampler{r: r, last: map[string]report.Sample{}}
	r.sampler = sp
	if s.Spec.Traffic != nil {
		ts, err := newTrafficSim(s, h, r.t0)
		if err != nil {
			return ErrInput, err
		}
		beh.ts = ts
		r.traffic = ts
		factory.Traffic = trafficQuery{ts: ts, t0: r.t0}
		ts.sample()
	}
	sp.sample()
	h.OnSettled = func() {
		if r.traffic != nil {
			r.traffic.sample()
		}
		sp.sample()
	}
	if opts.FailureOnset != nil {
		t := r.t0.Add(*opts.FailureOnset)
		r.onsetOverride = &t
	}
	return r.loop(opts.ShowAt)
}

func setImage(ro *v1alpha1.Rollout, container, image string) error {
	found := false
	for i := range ro.Spec.Template.Spec.Containers {
		c := &ro.Spec.Template.Spec.Containers[i]
		if container == "" || container == "*" || c.Name == container {
			c.Image = image
			found = true
		}
	}
	if !found {
		return fmt.Errorf("rollout %s has no container %q", ro.Name, container)
	}
	return nil
}

func (r *runner) isBad(image string) bool {
	v, ok := r.s.VersionOf(image)
	if !ok {
		return false
	}
	ver := r.s.Spec.Versions[v]
	if ver.Bad != nil {
		return *ver.Bad
	}
	return ver.Job != nil && ver.Job.Result == "fail"
}

func (r *runner) scheduleActions(actionErr *error, fired *int) int {
	h := r.h
	for i := range r.s.Spec.Actions {
		a := r.s.Spec.Actions[i]
		at := r.t0.Add(a.At.Duration)
		if a.Name != "" {
			r.anchors[a.Name] = at
		}
		if a.SetImage != nil && r.isBad(a.SetImage.Image) && (r.onset == nil || at.Before(*r.onset)) {
			t := at
			r.onset = &t
		}
		idx := i
		h.At(at, fmt.Sprintf("action %d", idx), func() {
			*fired++
			if err := r.apply(a); err != nil && *actionErr == nil {
				*actionErr = r.s.errAt(fmt.Sprintf("spec.actions[%d]", idx), err.Error())
			}
		})
	}
	return len(r.s.Spec.Actions)
}

func (r *runner) apply(a Action) error {
	h := r.h
	ref := func(x string) (string, string) { return splitRef(x, r.ns) }
	switch {
	case a.SetImage != nil:
		ns, n := ref(a.SetImage.Rollout)
		return h.SetImage(ns, n, a.SetImage.Container, a.SetImage.Image)
	case a.Promote != nil:
		ns, n := ref(a.Promote.Rollout)
		return h.Promote(ns, n, false)
	case a.PromoteFull != nil:
		ns, n := ref(a.PromoteFull.Rollout)
		return h.Promote(ns, n, true)
	case a.Abort != nil:
		ns, n := ref(a.Abort.Rollout)
		return h.Abort(ns, n)
	case a.Retry != nil:
		ns, n := ref(a.Retry.Rollout)
		return h.Retry(ns, n)
	case a.Pause != nil:
		ns, n := ref(a.Pause.Rollout)
		return h.Pause(ns, n)
	case a.Resume != nil:
		ns, n := ref(a.Resume.Rollout)
		return h.Resume(ns, n)
	case a.Scale != nil:
		ns, n := ref(a.Scale.Rollout)
		return h.Scale(ns, n, a.Scale.Replicas)
	case a.Restart != nil:
		ns, n := ref(a.Restart.Rollout)
		var in time.Duration
		if a.Restart.In != nil {
			in = a.Restart.In.Duration
		}
		return h.Restart(ns, n, in)
	case a.Apply != nil:
		if r.backend == BackendEnvtest {
			var paths []string
			for _, p := range a.Apply.Manifests {
				paths = append(paths, r.s.Resolve(p))
			}
			if err := serverCheck(paths, r.ns); err != nil {
				return err
			}
		}
		objs, err := r.loadObjects(a.Apply.Manifests, "apply")
		if err != nil {
			return err
		}
		for _, o := range objs {
			if ro, ok := o.(*v1alpha1.Rollout); ok {
				for _, c := range ro.Spec.Template.Spec.Containers {
					if _, ok := r.s.VersionOf(c.Image); !ok {
						return fmt.Errorf("apply: rollout %s: %s", ro.Name, r.s.noVersion(c.Image))
					}
				}
			}
		}
		if err := h.Apply(objs...); err != nil {
			return err
		}
		h.Note("user", "manifests", "action", "Apply", strings.Join(a.Apply.Manifests, ", "))
	}
	return nil
}

func (r *runner) loop(showAt []time.Duration) (string, error) {
	h := r.h
	s := r.s
	var actionErr error
	fired := 0
	r.scheduleActions(&actionErr, &fired)
	lastAction := r.t0
	for _, a := range s.Spec.Actions {
		if t := r.t0.Add(a.At.Duration); t.After(lastAction) {
			lastAction = t
		}
	}
	if r.onsetOverride != nil {
		r.onset = r.onsetOverride
	}
	if r.onset != nil {
		r.anchors["failureOnset"] = *r.onset
	}
	timeout := time.Hour
	var hold time.Duration
	phases := []string{"Healthy", "Degraded"}
	untilRollout := ""
	if u := s.Spec.Until; u != nil {
		if u.Timeout != nil {
			timeout = u.Timeout.Duration
		}
		if u.For != nil {
			hold = u.For.Duration
		}
		if len(u.Phase) > 0 {
			phases = u.Phase
		}
		untilRollout = u.Rollout
	}
	if lastAction.Sub(r.t0) >= timeout {
		return ErrInput, s.errAt("spec.until.timeout", fmt.Sprintf("timeout %s does not leave time after the last action at %s", timeout, lastAction.Sub(r.t0)))
	}
	if untilRollout != "" {
		ns, n := splitRef(untilRollout, r.ns)
		if _, err := h.Rollout(ns, n); err != nil {
			return ErrInput, s.errAt("spec.until.rollout", fmt.Sprintf("rollout %q is not in the manifests", untilRollout))
		}
	}
	deadline := r.t0.Add(timeout)
	type check struct {
		at  time.Time
		idx int
	}
	var checks []check
	for i, e := range s.Spec.Expect {
		if e.Within == nil && e.Never == nil && e.At != "" && e.At != "end" {
			d, _ := time.ParseDuration(e.At)
			checks = append(checks, check{r.t0.Add(d), i})
		}
	}
	for _, d := range showAt {
		checks = append(checks, check{r.t0.Add(d), -1})
	}
	sort.SliceStable(checks, func(i, j int) bool { return checks[i].at.Before(checks[j].at) })
	stateResults := map[int]report.Expectation{}
	var holdSince *time.Time
	var runErr error
	kind := ""
	for {
		if actionErr != nil {
			runErr, kind = actionErr, ErrInput
			break
		}
		now := h.Now()
		next, more := h.Engine().NextAt()
		for len(checks) > 0 && (!more || checks[0].at.Before(next)) && !checks[0].at.After(deadline) {
			c := checks[0]
			checks = checks[1:]
			if c.idx < 0 {
				snaps := snapshots(h, r.t0)
				for k := range snaps {
					snaps[k].AtMs = c.at.Sub(r.t0).Milliseconds()
				}
				r.res.Snapshots = append(r.res.Snapshots, snaps...)
				continue
			}
			stateResults[c.idx] = r.checkState(s.Spec.Expect[c.idx])
		}
		if fired == len(s.Spec.Actions) && r.untilHolds(untilRollout, phases) {
			if holdSince == nil {
				t := now
				holdSince = &t
				if hold > 0 {
					h.At(now.Add(hold), "until.for", func() {})
				}
			}
			if now.Sub(*holdSince) >= hold {
				break
			}
		} else {
			holdSince = nil
		}
		if !more {
			break
		}
		if next.After(deadline) {
			runErr, kind = fmt.Errorf("timeout: the until condition did not hold within %s of virtual time", timeout), ErrTimeout
			break
		}
		if _, err := h.Step(); err != nil {
			kind = ErrRun
			if strings.Contains(err.Error(), "budget") {
				kind = ErrBudget
			}
			runErr = err
			break
		}
	}
	for _, c := range checks {
		if c.idx < 0 {
			continue // the run ended before this --show-at time
		}
		stateResults[c.idx] = report.Expectation{Description: s.Spec.Expect[c.idx].Describe(), Passed: false,
			Message: "the run ended before this time"}
	}
	records := h.Recorder().Records()
	r.res.Report.Samples = r.sampler.samples
	r.res.Report.Outcomes = r.outcomes(records, r.sampler.samples)
	for i, e := range s.Spec.Expect {
		var er report.Expectation
		switch {
		case e.Outcome != nil:
			er = r.checkOutcome(e, r.res.Report.Outcomes)
		case e.Never != nil:
			er = r.checkNever(e, records)
		case e.Within != nil:
			er = r.checkWithin(e, records)
		case e.At == "" || e.At == "end":
			er = r.checkState(e)
		default:
			er = stateResults[i]
		}
		r.results = append(r.results, er)
	}
	return kind, runErr
}

func (r *runner) untilHolds(rollout string, phases []string) bool {
	if v := r.h.StateVersion(); r.untilKnown && v == r.untilVersion {
		return r.untilValue
	}
	r.untilKnown, r.untilVersion = true, r.h.StateVersion()
	r.untilValue = r.untilHoldsNow(rollout, phases)
	return r.untilValue
}

func (r *runner) untilHoldsNow(rollout string, phases []string) bool {
	ros, err := r.h.Rollouts()
	if err != nil {
		return false
	}
	for _, ro := range ros {
		if rollout != "" {
			ns, n := splitRef(rollout, r.ns)
			if ro.Namespace != ns || ro.Name != n {
				continue
			}
		}
		ok := false
		for _, p := range phases {
			ok = ok || string(ro.Status.Phase) == p
		}
		if !ok || ro.Status.ObservedGeneration != fmt.Sprint(ro.Generation) {
			return false
		}
	}
	return true
}

func matches(rec trace.Record, sel EventSelector) bool {
	if sel.Event != "" && rec.Reason != sel.Event {
		return false
	}
	if sel.Verb != "" && rec.Verb != sel.Verb {
		return false
	}
	if sel.Object != "" && rec.Object != sel.Object && !strings.HasSuffix(rec.Object, "/"+sel.Object) {
		return false
	}
	return true
}

func fmtOffset(ms int64) string {
	return strings.TrimSpace(strings.Fields(trace.Record{AtMs: ms}.Text())[0])
}

func (r *runner) checkNever(e Expectation, records []trace.Record) report.Expectation {
	out := report.Expectation{Description: e.Describe(), Passed: true}
	for _, rec := range records {
		if matches(rec, *e.Never) {
			out.Passed = false
			out.Message = fmt.Sprintf("happened at %s: %s %s %s", fmtOffset(rec.AtMs), rec.Object, rec.Verb, rec.Detail)
			break
		}
	}
	return out
}

func (r *runner) checkWithin(e Expectation, records []trace.Record) report.Expectation {
	out := report.Expectation{Description: e.Describe()}
	anchor, ok := r.anchors[e.Within.Of]
	if !ok {
		out.Message = fmt.Sprintf("anchor %q never happened (no bad version was deployed)", e.Within.Of)
		return out
	}
	from := anchor.Sub(r.t0).Milliseconds()
	to := from + e.Within.Duration.Milliseconds()
	sel := EventSelector{Event: e.Event, Object: e.Object}
	for _, rec := range records {
		if matches(rec, sel) {
			if rec.AtMs >= from && rec.AtMs <= to {
				out.Passed = true
				out.Message = "at " + fmtOffset(rec.AtMs)
				return out
			}
			out.Message = fmt.Sprintf("happened at %s, outside %s..%s", fmtOffset(rec.AtMs), fmtOffset(from), fmtOffset(to))
		}
	}
	if out.Message == "" {
		out.Message = "never happened"
	}
	return out
}

func roleOf(ro *v1alpha1.Rollout, hash string) string {
	switch hash {
	case ro.Status.StableRS:
		return "stable"
	case ro.Status.CurrentPodHash:
		return "canary"
	}
	return "old"
}

func (r *runner) checkState(e Expectation) report.Expectation {
	out := report.Expectation{Description: e.Describe()}
	ns, n := splitRef(e.Rollout, r.ns)
	ro, err := r.h.Rollout(ns, n)
	if err != nil {
		out.Message = err.Error()
		return out
	}
	var fails []string
	if e.Phase != "" && string(ro.Status.Phase) != e.Phase {
		fails = append(fails, fmt.Sprintf("phase is %s (%q), want %s", ro.Status.Phase, ro.Status.Message, e.Phase))
	}
	if e.Message != "" && !strings.Contains(ro.Status.Message, e.Message) {
		fails = append(fails, fmt.Sprintf("message is %q, want it to contain %q", ro.Status.Message, e.Message))
	}
	rss, _ := r.h.ReplicaSets(ns, n)
	spec := map[string]int32{}
	avail := map[string]int32{}
	stableImage := ""
	for _, rs := range rss {
		role := roleOf(ro, rs.Labels[controller.LabelPodTemplateHash])
		if rs.Spec.Replicas != nil {
			spec[role] += *rs.Spec.Replicas
		}
		avail[role] += rs.Status.AvailableReplicas
		if role == "stable" && len(rs.Spec.Template.Spec.Containers) > 0 {
			stableImage = rs.Spec.Template.Spec.Containers[0].Image
		}
	}
	if e.StableImage != "" && stableImage != e.StableImage {
		fails = append(fails, fmt.Sprintf("stable image is %q, want %q", stableImage, e.StableImage))
	}
	if e.StepIndex != nil && (ro.Status.CurrentStepIndex == nil || *ro.Status.CurrentStepIndex != *e.StepIndex) {
		got := "none"
		if ro.Status.CurrentStepIndex != nil {
			got = fmt.Sprint(*ro.Status.CurrentStepIndex)
		}
		fails = append(fails, fmt.Sprintf("step index is %s, want %d", got, *e.StepIndex))
	}
	sw, aw := weights(ro, rss)
	if e.SetWeight != nil && sw != *e.SetWeight {
		fails = append(fails, fmt.Sprintf("setWeight is %d, want %d", sw, *e.SetWeight))
	}
	if e.ActualWeight != nil && aw != *e.ActualWeight {
		fails = append(fails, fmt.Sprintf("actualWeight is %d, want %d", aw, *e.ActualWeight))
	}
	cmp := func(what string, want *RoleCounts, got map[string]int32) {
		if want == nil {
			return
		}
		for _, p := range []struct {
			role string
			n    *int32
		}{{"stable", want.Stable}, {"canary", want.Canary}, {"old", want.Old}} {
			if p.n != nil && got[p.role] != *p.n {
				fails = append(fails, fmt.Sprintf("%s %s is %d, want %d", p.role, what, got[p.role], *p.n))
			}
		}
	}
	cmp("replicas", e.Replicas, spec)
	cmp("available", e.Available, avail)
	out.Passed = len(fails) == 0
	out.Message = strings.Join(fails, "; ")
	return out
}

// weights returns Argo's SetWeight and ActualWeight as `kubectl argo
// rollouts get` shows them.
func weights(ro *v1alpha1.Rollout, rss []appsv1ReplicaSet) (int32, int32) {
	if ro.Spec.Strategy.Canary == nil {
		return 0, 0
	}
	m := replicas.MaxWeight(ro)
	sw := replicas.CurrentSetWeight(ro)
	steps := len(ro.Spec.Strategy.Canary.Steps)
	if ro.Status.CurrentStepIndex != nil && int(*ro.Status.CurrentStepIndex) >= steps {
		return sw, m
	}
	if ro.Spec.Strategy.Canary.TrafficRouting != nil {
		if w := ro.Status.Canary.Weights; w != nil {
			return sw, w.Canary.Weight
		}
		return sw, 0
	}
	var canaryAvail int32
	for _, rs := range rss {
		if rs.Labels[controller.LabelPodTemplateHash] == ro.Status.CurrentPodHash {
			canaryAvail += rs.Status.AvailableReplicas
		}
	}
	if ro.Status.AvailableReplicas == 0 {
		return sw, 0
	}
	return sw, canaryAvail * m / ro.Status.AvailableReplicas
}

// lateFactory wires the scenario's provider factory on first use, once the
// harness it reads (random source, clock) exists.
type lateFactory struct {
	f     *fakeproviders.Factory
	wire  func()
	wired bool
}

func (l *lateFactory) NewProvider(ctx context.Context, rc controller.RunContext) (controller.Provider, error) {
	if !l.wired {
		l.wire()
		l.wired = true
	}
	return l.f.NewProvider(ctx, rc)
}
