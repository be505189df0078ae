package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/fakeproviders"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/cluster"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// manifestSet is the scenario's objects, sorted for set-up.
type manifestSet struct {
	objs     []client.Object
	initial  *v1alpha1.Rollout   // spec.initial.rollout
	rollouts []*v1alpha1.Rollout // every rollout, initial included
	others   []client.Object     // everything but rollouts
}

// run takes the scenario from its files to T+0, then runs the event loop.
// Each step returns the error kind of what went wrong.
func (r *runner) run(seed int64, opts RunOptions) (string, error) {
	r.ns = r.s.Spec.Namespace
	if r.ns == "" {
		r.ns = "default"
	}
	objs, kind, err := r.loadManifests(opts)
	if err != nil {
		return kind, err
	}
	set, err := r.sortObjects(objs)
	if err != nil {
		return ErrInput, err
	}
	if err := r.checkInputs(set); err != nil {
		return ErrInput, err
	}
	if kind, err := r.newHarness(seed, opts.MaxEvents, opts.Backend); err != nil {
		return kind, err
	}
	if kind, err := r.deployInitial(set); err != nil {
		return kind, err
	}
	if opts.Frames {
		r.framer = newFramer()
	}
	if err := r.startTimeline(opts.FailureOnset); err != nil {
		return ErrInput, err
	}
	return r.loop(opts.ShowAt)
}

// loadManifests loads spec.manifests (or RunOptions.Manifests), first
// letting the envtest server check every document as written.
func (r *runner) loadManifests(opts RunOptions) ([]client.Object, string, error) {
	s := r.s
	if opts.Backend == BackendEnvtest {
		paths := opts.Manifests
		if paths == nil {
			for _, p := range s.Spec.Manifests {
				paths = append(paths, s.Resolve(p))
			}
		}
		if err := serverCheck(paths, r.ns); err != nil {
			return nil, ErrInput, err
		}
	}
	var objs []client.Object
	var err error
	if opts.Manifests != nil {
		objs, err = r.loadObjectsAbs(opts.Manifests)
	} else {
		objs, err = r.loadObjects(s.Spec.Manifests)
	}
	if err != nil {
		return nil, ErrInput, err
	}
	return objs, "", nil
}

// sortObjects finds the initial rollout (its namespace becomes the
// default for references) and separates rollouts from other objects.
func (r *runner) sortObjects(objs []client.Object) (manifestSet, error) {
	s := r.s
	set := manifestSet{objs: objs}
	roNS, roName := format.SplitRef(s.Spec.Initial.Rollout, "")
	for _, o := range objs {
		ro, ok := o.(*v1alpha1.Rollout)
		if !ok {
			set.others = append(set.others, o)
			continue
		}
		set.rollouts = append(set.rollouts, ro)
		if ro.Name == roName && (roNS == "" || ro.Namespace == roNS) {
			if set.initial != nil {
				return set, s.ErrAt("spec.initial.rollout", fmt.Sprintf("rollout %q is ambiguous: it is in namespaces %s and %s; write namespace/name", roName, set.initial.Namespace, ro.Namespace))
			}
			set.initial = ro
		}
	}
	if set.initial == nil {
		var names []string
		for _, ro := range set.rollouts {
			names = append(names, ro.Namespace+"/"+ro.Name)
		}
		return set, s.ErrAt("spec.initial.rollout", fmt.Sprintf("rollout %q is not in the manifests (found: [%s])", s.Spec.Initial.Rollout, strings.Join(names, ", ")))
	}
	r.ns = set.initial.Namespace
	return set, nil
}

// checkInputs: every other rollout's images have a version, every metric
// of the templates an answer, every plugin step a script. It builds the
// metric provider factory.
func (r *runner) checkInputs(set manifestSet) error {
	s := r.s
	for _, ro := range set.rollouts {
		for _, c := range ro.Spec.Template.Spec.Containers {
			if ro == set.initial {
				continue
			}
			if _, ok := s.VersionOf(c.Image); !ok {
				return s.ErrAt("spec.versions", fmt.Sprintf("rollout %s: %s", ro.Name, s.NoVersion(c.Image)))
			}
		}
	}
	var tmpls []*v1alpha1.AnalysisTemplate
	var ctmpls []*v1alpha1.ClusterAnalysisTemplate
	for _, o := range set.objs {
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			tmpls = append(tmpls, t)
		case *v1alpha1.ClusterAnalysisTemplate:
			ctmpls = append(ctmpls, t)
		}
	}
	factory := newFactory(s, fakeproviders.Templates(tmpls, ctmpls))
	if err := factory.Check(factory.Templates...); err != nil {
		return s.ErrAt("spec.metrics", err.Error())
	}
	if err := s.CheckStepPlugins(set.rollouts); err != nil {
		return err
	}
	r.factory = factory
	return nil
}

// newHarness builds the simulation on the chosen backend, with the
// scenario's version behaviour, metric providers and step plugins.
func (r *runner) newHarness(seed int64, maxEvents int, backend string) (string, error) {
	s, factory := r.s, r.factory
	beh := &behavior{s: s}
	newBackend, kind, err := r.backendFor(backend)
	if err != nil {
		return kind, err
	}
	var albDelay *time.Duration
	if d := s.Spec.Cluster.ALBWeightVerifyDelay; d != nil {
		albDelay = &d.Duration
	}
	plugins := &stepPluginAnswers{s: s}
	h, err := sim.New(sim.Config{Seed: seed, MaxEvents: maxEvents, Behavior: beh, NewBackend: newBackend, StepPlugins: plugins,
		Providers: func(c client.Client, clk clock.Clock) controller.ProviderFactory {
			return &lateFactory{f: factory, wire: func() { wireFactory(factory, s, r.h, c, clk) }}
		}, ALBWeightVerifyDelay: albDelay, SMIAPIVersion: s.Spec.Cluster.TrafficSplitAPIVersion})
	if err != nil {
		return ErrRun, err
	}
	r.h = h
	plugins.now = h.Now
	r.beh = beh
	return "", nil
}

// backendFor returns the cluster backend's constructor (nil: the fake
// store).
func (r *runner) backendFor(backend string) (func(now func() time.Time, onChange func(cluster.Change)) (sim.Backend, error), string, error) {
	switch backend {
	case "", BackendFake:
		return nil, "", nil
	case BackendEnvtest:
		srv, err := cluster.SharedEnvtest()
		if err != nil {
			return nil, ErrRun, fmt.Errorf("envtest backend: %w", err)
		}
		return func(now func() time.Time, onChange func(cluster.Change)) (sim.Backend, error) {
			rem, err := srv.NewCluster(now, onChange)
			r.remote = rem
			return rem, err
		}, "", nil
	}
	return nil, ErrInput, fmt.Errorf("backend %q: expected %q or %q", backend, BackendFake, BackendEnvtest)
}

// deployInitial applies the other objects (namespaces first), then the
// rollouts with the initial rollout at history[0], and walks it through
// the history to spec.initial.image, each deploy settled and Healthy.
func (r *runner) deployInitial(set manifestSet) (string, error) {
	h, s, initial := r.h, r.s, set.initial
	others := set.others
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
			return ErrInput, s.ErrAt("spec.initial", err.Error())
		}
	} else if err := setImage(first, s.Spec.Initial.Container, images[0]); err != nil {
		return ErrInput, s.ErrAt("spec.initial.container", err.Error())
	}
	var toApply []client.Object
	for _, ro := range set.rollouts {
		if ro == initial {
			toApply = append(toApply, first)
		} else {
			toApply = append(toApply, ro)
		}
	}
	if err := h.Apply(toApply...); err != nil {
		return ErrInput, err
	}
	if err := r.settle(set, "initial deploy of "+images[0]); err != nil {
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
		if err := r.settle(set, "update to "+img); err != nil {
			return ErrRun, err
		}
	}
	return "", nil
}

// setupLimit bounds each set-up deploy in virtual time.
const setupLimit = 6 * time.Hour

// settle runs until every rollout is settled (Healthy, nothing pending).
func (r *runner) settle(set manifestSet, what string) error {
	h, initial := r.h, set.initial
	ok, err := h.RunUntil(h.Now().Add(setupLimit), func() bool {
		for _, ro := range set.rollouts {
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

// startTimeline makes now T+0: the timeline starts, the sampler and the
// traffic model sample after every settled instant.
func (r *runner) startTimeline(failureOnset *time.Duration) error {
	h := r.h
	h.StartTimeline()
	r.t0 = h.Now()
	r.factory.SetT0(r.t0)
	r.anchors["start"] = r.t0
	sp := &sampler{r: r, last: map[string]report.Sample{}}
	r.sampler = sp
	if r.s.Spec.Traffic != nil {
		ts, err := newTrafficSim(r.s, h, r.t0)
		if err != nil {
			return err
		}
		r.beh.ts = ts
		r.traffic = ts
		r.factory.Traffic = trafficQuery{ts: ts, t0: r.t0}
		ts.sample()
	}
	sp.sample()
	if r.framer != nil {
		r.framer.capture(h, r.t0)
	}
	h.OnSettled = func() {
		if r.traffic != nil {
			r.traffic.sample()
		}
		sp.sample()
		if r.framer != nil {
			r.framer.capture(h, r.t0)
		}
	}
	if failureOnset != nil {
		t := r.t0.Add(*failureOnset)
		r.onsetOverride = &t
	}
	return nil
}
