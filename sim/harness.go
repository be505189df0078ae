package sim

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/sim/cluster"
	"github.com/rollsim/rollsim/sim/engine"
	"github.com/rollsim/rollsim/sim/trace"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Config configures a harness.
type Config struct {
	// Seed seeds the scenario's single random source.
	Seed int64
	// MaxEvents bounds the engine (0 = 1,000,000 events).
	MaxEvents int
	// MaxReconcilesPerInstant bounds the reconciles at one virtual instant
	// (0 = 10,000); beyond it the run fails as a livelock.
	MaxReconcilesPerInstant int
	// Behavior tells the cluster how pods and job pods of each image run.
	Behavior cluster.Behavior
	// Providers answers metrics; nil answers Job metrics only.
	Providers func(c client.Client, clk clock.Clock) controller.ProviderFactory
	// StepPlugins answers canary plugin steps; nil refuses them.
	StepPlugins controller.StepPlugins
	// ResyncPeriod is Argo's periodic resync (0 = 15 minutes).
	ResyncPeriod time.Duration
	// NewBackend builds the cluster the harness drives; nil is the fake
	// backend (cluster.NewStore). now is the virtual clock; onChange must
	// hear every successful write.
	NewBackend func(now func() time.Time, onChange func(cluster.Change)) (Backend, error)
	// ALBWeightVerifyDelay, when set, turns on ALB weight verification:
	// an Ingress's weights are in effect this long after its annotations
	// last changed (weightverify.go).
	ALBWeightVerifyDelay *time.Duration
	// SMIAPIVersion is the TrafficSplit version the controller writes
	// ("" is v1alpha1, Argo's default).
	SMIAPIVersion string
}

// Backend is the cluster a harness drives: the fake store or a scenario's
// namespaces on an envtest server.
type Backend interface {
	Client() client.Client
	Clientset() kubernetes.Interface
	Writes() int
}

// Reconcile-key kinds, in the order they are reconciled at one instant: the
// cluster's own controllers first, then analysis, experiments, rollouts.
const (
	kindDeployment = iota
	kindReplicaSet
	kindJob
	kindAnalysisRun
	kindExperiment
	kindRollout
)

var kindNames = []string{"Deployment", "ReplicaSet", "Job", "AnalysisRun", "Experiment", "Rollout"}

type key struct {
	kind      int
	namespace string
	name      string
}

func (k key) less(o key) bool {
	if k.kind != o.kind {
		return k.kind < o.kind
	}
	if k.namespace != o.namespace {
		return k.namespace < o.namespace
	}
	return k.name < o.name
}

// Harness is one simulated world.
type Harness struct {
	cfg      Config
	eng      *engine.Engine
	clk      clock.Clock
	store    Backend
	sim      *cluster.Sim
	rec      *trace.Recorder
	rollouts *controller.RolloutReconciler
	analysis *controller.AnalysisRunReconciler
	exps     *controller.ExperimentReconciler

	dirty  map[key]bool
	timers map[key]*engine.Event
	// failures count the rate limiter's requeues per controller object
	// since its last successful reconcile (backoff.go); due marks a
	// reconcile its timer asked for.
	failures   map[key]int
	due        map[key]bool
	known      map[key]bool
	reconciles int
	errs       []error
	jobLabels  map[string]string // job name → timeline label
	arOwner    map[string]string // analysis run → rollout
	resync     *engine.Event
	// annotated is when each Ingress's annotations last changed (ALB
	// weight verification).
	annotated map[string]time.Time
	// stateVersion counts writes to Rollouts, ReplicaSets and Pods: readers
	// that derive something from them can skip work when it did not move.
	stateVersion uint64
	// OnSettled, when set, runs after every settled instant (the traffic
	// model samples the routing there).
	OnSettled func()
}

// New builds a harness with an empty cluster at engine.Epoch.
func New(cfg Config) (*Harness, error) {
	if cfg.Behavior == nil {
		return nil, fmt.Errorf("sim: Config.Behavior is required")
	}
	if cfg.MaxReconcilesPerInstant == 0 {
		cfg.MaxReconcilesPerInstant = 10000
	}
	if cfg.ResyncPeriod == 0 {
		cfg.ResyncPeriod = 15 * time.Minute
	}
	h := &Harness{
		cfg: cfg, eng: engine.New(cfg.Seed, cfg.MaxEvents),
		dirty: map[key]bool{}, timers: map[key]*engine.Event{}, known: map[key]bool{},
		failures: map[key]int{}, due: map[key]bool{},
		jobLabels: map[string]string{}, arOwner: map[string]string{}, annotated: map[string]time.Time{},
	}
	h.clk = h.eng.Clock()
	h.rec = trace.NewRecorder(h.eng.Now)
	if cfg.NewBackend == nil {
		h.store = cluster.NewStore(h.eng.Now, h.onChange)
	} else {
		b, err := cfg.NewBackend(h.eng.Now, h.onChange)
		if err != nil {
			return nil, fmt.Errorf("sim: start the cluster: %w", err)
		}
		h.store = b
	}
	h.sim = cluster.NewSim(h.store.Client(), h, h.rec, cfg.Behavior, h.eng.Now)
	h.sim.Enqueue = func(kind, ns, name string) {
		switch kind {
		case "ReplicaSet":
			h.dirty[key{kindReplicaSet, ns, name}] = true
		case "Job":
			h.dirty[key{kindJob, ns, name}] = true
		}
	}
	var providers controller.ProviderFactory
	if cfg.Providers != nil {
		providers = cfg.Providers(h.store.Client(), h.clk)
	}
	opts := controller.Options{Client: h.store.Client(), Clock: h.clk, Recorder: controller.RecorderFunc(h.recordNote),
		Providers: providers, StepPlugins: cfg.StepPlugins, ResyncPeriod: cfg.ResyncPeriod, SMIAPIVersion: cfg.SMIAPIVersion}
	if cfg.ALBWeightVerifyDelay != nil {
		opts.WeightVerifier = albVerifier{h}
	}
	var err error
	if h.rollouts, err = controller.NewRolloutReconciler(opts); err != nil {
		return nil, err
	}
	if h.analysis, err = controller.NewAnalysisRunReconciler(opts); err != nil {
		return nil, err
	}
	if h.exps, err = controller.NewExperimentReconciler(opts); err != nil {
		return nil, err
	}
	return h, nil
}

// After implements cluster.Scheduler.
func (h *Harness) After(d time.Duration, name string, fn func()) { h.eng.After(d, name, fn) }

// At schedules fn at virtual time t.
func (h *Harness) At(t time.Time, name string, fn func()) { h.eng.At(t, name, fn) }

// Now is the current virtual time.
func (h *Harness) Now() time.Time { return h.eng.Now() }

// Clock is the virtual clock.
func (h *Harness) Clock() clock.Clock { return h.clk }

// Client is the controller-runtime client over the simulated cluster.
func (h *Harness) Client() client.Client { return h.store.Client() }

// Clientset is the client-go view of the same objects.
func (h *Harness) Clientset() kubernetes.Interface { return h.store.Clientset() }

// Recorder is the timeline recorder.
func (h *Harness) Recorder() *trace.Recorder { return h.rec }

// Engine exposes the event loop (for step counts in benchmarks).
func (h *Harness) Engine() *engine.Engine { return h.eng }

// StateVersion changes whenever a Rollout, ReplicaSet, Pod, Service,
// Ingress or an object outside the scheme (a router's VirtualService, …) is
// written.
func (h *Harness) StateVersion() uint64 { return h.stateVersion }

// Writes is the number of store writes so far.
func (h *Harness) Writes() int { return h.store.Writes() }

// Reconciles is the number of reconciles run so far.
func (h *Harness) Reconciles() int { return h.reconciles }

// Errors are the harness errors so far (clock misuse, budget).
func (h *Harness) Errors() []error { return append(append([]error{}, h.errs...), h.eng.Errors()...) }

// Note adds a timeline line from outside the controllers (actions).
func (h *Harness) Note(actor, object, verb, reason, detail string) {
	h.rec.Add(actor, object, verb, reason, detail)
}

func (h *Harness) recordNote(n controller.Note) {
	object := n.Kind + "/" + n.Name
	if n.Kind == "job" {
		if l, ok := h.jobLabels[n.Name]; ok {
			object = "job/" + l
		}
	}
	h.rec.Add(n.Actor, object, n.Verb, n.Reason, n.Detail)
}

func ownerName(obj runtime.Object, kind string) (string, bool) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return "", false
	}
	for _, r := range acc.GetOwnerReferences() {
		if r.Kind == kind {
			return r.Name, true
		}
	}
	return "", false
}

// onChange maps a store write to the reconciles it triggers, as the
// informers' event handlers do in Argo and in kube-controller-manager.
func (h *Harness) onChange(c cluster.Change) {
	obj := c.New
	if obj == nil {
		obj = c.Old
	}
	mark := func(kind int, ns, name string) { h.dirty[key{kind, ns, name}] = true }
	switch c.Kind {
	case "Rollout", "ReplicaSet", "Pod", "Service", "Ingress":
		h.stateVersion++
	default:
		if c.Unstructured { // a router's object: routing may have moved
			h.stateVersion++
		}
	}
	switch c.Kind {
	case "Rollout":
		k := key{kindRollout, c.Namespace, c.Name}
		if c.Op == cluster.OpDelete {
			delete(h.known, k)
		} else {
			h.known[k] = true
		}
		mark(kindRollout, c.Namespace, c.Name)
	case "Deployment":
		mark(kindDeployment, c.Namespace, c.Name)
		for k := range h.known { // rollouts may reference it (workloadRef)
			if k.namespace == c.Namespace {
				h.dirty[k] = true
			}
		}
	case "ReplicaSet":
		mark(kindReplicaSet, c.Namespace, c.Name)
		if o, ok := ownerName(obj, "Rollout"); ok {
			mark(kindRollout, c.Namespace, o)
		}
		if o, ok := ownerName(obj, "Deployment"); ok {
			mark(kindDeployment, c.Namespace, o)
		}
		if o, ok := ownerName(obj, "Experiment"); ok {
			mark(kindExperiment, c.Namespace, o)
		}
	case "Experiment":
		h.onExperimentChange(c, obj)
	case "Pod":
		if o, ok := ownerName(obj, "ReplicaSet"); ok {
			mark(kindReplicaSet, c.Namespace, o)
		}
		if o, ok := ownerName(obj, "Job"); ok {
			mark(kindJob, c.Namespace, o)
		}
	case "Job":
		if j, ok := obj.(*batchv1.Job); ok {
			h.jobLabels[j.Name] = cluster.JobLabel(j)
		}
		mark(kindJob, c.Namespace, c.Name)
		if o, ok := ownerName(obj, "AnalysisRun"); ok {
			mark(kindAnalysisRun, c.Namespace, o)
		}
	case "AnalysisRun":
		mark(kindAnalysisRun, c.Namespace, c.Name)
		if o, ok := ownerName(obj, "Experiment"); ok {
			h.onExperimentRunChange(c, o)
		}
		o, ok := ownerName(obj, "Rollout")
		if !ok {
			break
		}
		phaseChanged := c.Op != cluster.OpUpdate
		if oldAR, ok1 := c.Old.(*v1alpha1.AnalysisRun); ok1 {
			if newAR, ok2 := c.New.(*v1alpha1.AnalysisRun); ok2 && oldAR.Status.Phase != newAR.Status.Phase {
				phaseChanged = true
			}
		}
		if phaseChanged {
			mark(kindRollout, c.Namespace, o)
		}
	case "Service", "Ingress":
		if c.Kind == "Ingress" {
			h.noteIngressAnnotations(c)
		}
		for k := range h.known {
			if k.namespace == c.Namespace {
				h.dirty[k] = true
			}
		}
		// AnalysisTemplates re-queue nothing: Argo has no event handler for
		// them (a rollout waiting for one retries on its rate limiter).
	default:
		// An object outside the scheme (a router's VirtualService,
		// HTTPRoute, …): the rollouts of its namespace (all, for a
		// cluster-scoped one) may read it, as they read Services.
		if c.Unstructured && !unwatchedRouterKind(obj) {
			for k := range h.known {
				if c.Namespace == "" || k.namespace == c.Namespace {
					h.dirty[k] = true
				}
			}
		}
	}
}

// requeue schedules a reconcile of k d from now. Deadlines fire at D+1 ms:
// Argo acts only strictly after a deadline (docs/fidelity.md).
func (h *Harness) requeue(k key, d time.Duration) {
	at := h.eng.Now().Add(d).Add(time.Millisecond)
	if ev, ok := h.timers[k]; ok {
		if !ev.At.After(at) {
			return
		}
		ev.Cancel()
	}
	h.timers[k] = h.eng.At(at, "requeue "+kindNames[k.kind]+" "+k.namespace+"/"+k.name, func() {
		delete(h.timers, k)
		h.dirty[k] = true
		h.due[k] = true
	})
}

func (h *Harness) popDirty() (key, bool) {
	if len(h.dirty) == 0 {
		return key{}, false
	}
	var best key
	first := true
	for k := range h.dirty {
		if first || k.less(best) {
			best, first = k, false
		}
	}
	delete(h.dirty, best)
	return best, true
}

// Settle reconciles every dirty object, in sorted order, until nothing
// changes at this instant.
func (h *Harness) Settle() error {
	ctx := context.Background()
	n := 0
	for {
		k, ok := h.popDirty()
		if !ok {
			return nil
		}
		if h.backingOff(k) {
			continue
		}
		n++
		if n > h.cfg.MaxReconcilesPerInstant {
			err := fmt.Errorf("livelock: more than %d reconciles at %s (last: %s %s/%s)",
				h.cfg.MaxReconcilesPerInstant, h.eng.Now().Sub(engine.Epoch), kindNames[k.kind], k.namespace, k.name)
			h.errs = append(h.errs, err)
			return err
		}
		h.reconciles++
		req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: k.namespace, Name: k.name}}
		var res reconcile.Result
		var err error
		switch k.kind {
		case kindDeployment:
			err = h.sim.SyncDeployment(ctx, k.namespace, k.name)
		case kindReplicaSet:
			err = h.sim.SyncReplicaSet(ctx, k.namespace, k.name)
		case kindJob:
			err = h.sim.SyncJob(ctx, k.namespace, k.name)
		case kindAnalysisRun:
			res, err = h.analysis.Reconcile(ctx, req)
		case kindExperiment:
			res, err = h.exps.Reconcile(ctx, req)
		case kindRollout:
			res, err = h.rollouts.Reconcile(ctx, req)
		}
		if err != nil {
			// Argo's queue retries a failed reconcile with back-off; the
			// error is in the timeline already for controller errors.
			if k.kind == kindReplicaSet || k.kind == kindJob || k.kind == kindDeployment {
				h.rec.Add("cluster", strings.ToLower(kindNames[k.kind])+"/"+k.name, "error", "SyncError", err.Error())
				h.requeue(k, 10*time.Second)
				continue
			}
			h.requeue(k, h.nextBackoff(k))
			continue
		}
		delete(h.failures, k) // Argo's Forget after a successful sync
		if res.RequeueAfter > 0 {
			h.requeue(k, res.RequeueAfter)
		}
	}
}

// Step fires the events of the next instant and settles. It reports false
// when nothing is scheduled.
func (h *Harness) Step() (bool, error) {
	ok, err := h.eng.Step()
	if err != nil {
		h.errs = append(h.errs, err)
		return false, err
	}
	if !ok {
		return false, nil
	}
	if err := h.Settle(); err != nil {
		return false, err
	}
	if h.OnSettled != nil {
		h.OnSettled()
	}
	if errs := h.eng.Errors(); len(errs) > 0 {
		return false, errs[0]
	}
	return true, nil
}

// RunUntil steps until cond holds at a quiet instant, the deadline passes
// (ok=false) or nothing is left to do.
func (h *Harness) RunUntil(deadline time.Time, cond func() bool) (bool, error) {
	if err := h.Settle(); err != nil {
		return false, err
	}
	for {
		if cond() {
			return true, nil
		}
		next, ok := h.eng.NextAt()
		if !ok || next.After(deadline) {
			return false, nil
		}
		if _, err := h.Step(); err != nil {
			return false, err
		}
	}
}

// StartTimeline makes now T+0 and starts the periodic resync from it.
func (h *Harness) StartTimeline() {
	h.rec.Start()
	h.scheduleResync()
}

func (h *Harness) scheduleResync() {
	h.resync = h.eng.After(h.cfg.ResyncPeriod, "resync", func() {
		for k := range h.known {
			h.dirty[k] = true
		}
		h.scheduleResync()
	})
}

// Apply creates or updates objects (server-side semantics of kubectl apply
// simplified to create-or-replace-spec).
func (h *Harness) Apply(objs ...client.Object) error {
	ctx := context.Background()
	for _, o := range objs {
		obj := o.DeepCopyObject().(client.Object)
		obj.SetResourceVersion("")
		cluster.Default(obj) // as the API server would (a no-op on envtest)
		existing := obj.DeepCopyObject().(client.Object)
		err := h.store.Client().Get(ctx, client.ObjectKeyFromObject(obj), existing)
		if err != nil {
			if err := h.store.Client().Create(ctx, obj); err != nil {
				return fmt.Errorf("apply %s %s: %w", kindOf(obj), objKey(obj), err)
			}
			continue
		}
		obj.SetResourceVersion(existing.GetResourceVersion())
		obj.SetUID(existing.GetUID())
		if err := h.store.Client().Update(ctx, obj); err != nil {
			return fmt.Errorf("apply %s %s: %w", kindOf(obj), objKey(obj), err)
		}
	}
	return nil
}

func kindOf(o client.Object) string {
	k := o.GetObjectKind().GroupVersionKind().Kind
	if k == "" {
		k = fmt.Sprintf("%T", o)
	}
	return k
}

func objKey(o client.Object) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

// Rollout returns the current state of a rollout.
func (h *Harness) Rollout(ns, name string) (*v1alpha1.Rollout, error) {
	ro := &v1alpha1.Rollout{}
	if err := h.store.Client().Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, ro); err != nil {
		return nil, fmt.Errorf("get rollout %s/%s: %w", ns, name, err)
	}
	return ro, nil
}

// Rollouts lists every rollout, sorted by namespace and name.
func (h *Harness) Rollouts() ([]v1alpha1.Rollout, error) {
	list := &v1alpha1.RolloutList{}
	if err := h.store.Client().List(context.Background(), list); err != nil {
		return nil, fmt.Errorf("list rollouts: %w", err)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i], list.Items[j]
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	return list.Items, nil
}

// ReplicaSets lists the ReplicaSets a rollout owns, sorted by name.
func (h *Harness) ReplicaSets(ns, rollout string) ([]appsv1.ReplicaSet, error) {
	list := &appsv1.ReplicaSetList{}
	if err := h.store.Client().List(context.Background(), list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("list replicasets: %w", err)
	}
	var out []appsv1.ReplicaSet
	for _, rs := range list.Items {
		if o, ok := ownerName(&rs, "Rollout"); ok && o == rollout {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// AnalysisRuns lists the runs in a namespace, sorted by name.
func (h *Harness) AnalysisRuns(ns string) ([]v1alpha1.AnalysisRun, error) {
	list := &v1alpha1.AnalysisRunList{}
	if err := h.store.Client().List(context.Background(), list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("list analysis runs: %w", err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items, nil
}

// Settled reports whether a rollout is Healthy with nothing left to do: the
// generation observed, no old ReplicaSet scaled or holding pods, and no
// scale-down deadline pending.
func (h *Harness) Settled(ns, name string) (bool, error) {
	ro, err := h.Rollout(ns, name)
	if err != nil {
		return false, err
	}
	if ro.Status.Phase != v1alpha1.RolloutPhaseHealthy || ro.Status.ObservedGeneration != fmt.Sprint(ro.Generation) {
		return false, nil
	}
	rss, err := h.ReplicaSets(ns, name)
	if err != nil {
		return false, err
	}
	for _, rs := range rss {
		if _, ok := rs.Annotations[controller.AnnotationScaleDownDeadline]; ok {
			return false, nil
		}
		if rs.Labels[controller.LabelPodTemplateHash] == ro.Status.StableRS {
			continue
		}
		if (rs.Spec.Replicas != nil && *rs.Spec.Replicas > 0) || rs.Status.Replicas > 0 {
			return false, nil
		}
	}
	return true, nil
}
