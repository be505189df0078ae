package engine

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname to the controllers' sync handlers and Argo's progress-deadline clock

	"github.com/argoproj/argo-rollouts/analysis"
	"github.com/argoproj/argo-rollouts/controller/metrics"
	"github.com/argoproj/argo-rollouts/experiments"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/pkg/client/clientset/versioned"
	argofake "github.com/argoproj/argo-rollouts/pkg/client/clientset/versioned/fake"
	argoscheme "github.com/argoproj/argo-rollouts/pkg/client/clientset/versioned/scheme"
	argoinformers "github.com/argoproj/argo-rollouts/pkg/client/informers/externalversions"
	argov1informers "github.com/argoproj/argo-rollouts/pkg/client/informers/externalversions/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/rollout"
	controllerutil "github.com/argoproj/argo-rollouts/utils/controller"
	ingressutil "github.com/argoproj/argo-rollouts/utils/ingress"
	istioutil "github.com/argoproj/argo-rollouts/utils/istio"
	"github.com/argoproj/argo-rollouts/utils/queue"
	timeutil "github.com/argoproj/argo-rollouts/utils/time"
	"github.com/rollsim/rollsim/oracle/internal/plan"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubeinformers "k8s.io/client-go/informers"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	networkinginformers "k8s.io/client-go/informers/networking/v1"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	kubescheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

//go:linkname rolloutSyncHandler github.com/argoproj/argo-rollouts/rollout.(*Controller).syncHandler
func rolloutSyncHandler(c *rollout.Controller, ctx context.Context, key string) error

//go:linkname analysisSyncHandler github.com/argoproj/argo-rollouts/analysis.(*Controller).syncHandler
func analysisSyncHandler(c *analysis.Controller, ctx context.Context, key string) error

//go:linkname experimentSyncHandler github.com/argoproj/argo-rollouts/experiments.(*Controller).syncHandler
func experimentSyncHandler(c *experiments.Controller, ctx context.Context, key string) error

// rolloutNowFn is the real-clock leak in Argo's progress-deadline requeue.
//
//go:linkname rolloutNowFn github.com/argoproj/argo-rollouts/rollout.nowFn
var rolloutNowFn func() time.Time

// Epoch is the virtual wall-clock time at which every run starts.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// ResyncPeriod is Argo's default informer resync; the driver replays it on
// the virtual clock.
const ResyncPeriod = 15 * time.Minute

// maxSteps bounds the syncs at one instant (a livelock guard).
const maxSteps = 10000

// Actors in the timeline.
const (
	actorUser       = "user"
	actorRollout    = "rollout-controller"
	actorAnalysis   = "analysis-controller"
	actorExperiment = "experiment-controller"
	actorCluster    = "cluster"
)

type event struct {
	at        time.Time
	seq       int64
	name      string
	fn        func()
	cancelled bool
	queue     bool // a delayed workqueue add
}

type evHeap []*event

func (h evHeap) Len() int { return len(h) }
func (h evHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h evHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *evHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Engine runs one plan on the upstream controllers.
type Engine struct {
	p     *plan.Plan
	nowNs atomic.Int64

	mu     sync.Mutex // guards events and seq (queues schedule from informer goroutines)
	events evHeap
	seq    int64

	uid, rv int64
	t0      time.Time
	started bool // the timeline has started (T+0)

	kube   *k8sfake.Clientset
	argo   *argofake.Clientset
	kstore *store
	astore *store
	quiet  *quiescence

	rq, aq   *vqueue
	eq       *vqueue
	ec       *experiments.Controller
	queues   []*vqueue
	rc       *rollout.Controller
	ac       *analysis.Controller
	kinf     kubeinformers.SharedInformerFactory
	ainf     argoinformers.SharedInformerFactory
	counting []*countingInformer

	actor    string
	syncing  string // the AnalysisRun key being synced (metric answers per version)
	timeline []plan.Record
	errs     []string

	cluster *clusterSim
	answers *answerServer
	dyn     *dynamicfake.FakeDynamicClient // router objects (dynamic.go)
}

// Now is the virtual time.
func (e *Engine) Now() time.Time { return time.Unix(0, e.nowNs.Load()).UTC() }

func (e *Engine) setNow(t time.Time) { e.nowNs.Store(t.UnixNano()) }

// nowSeconds is the virtual time as the API server persists it.
func (e *Engine) nowSeconds() time.Time { return e.Now().Truncate(time.Second) }

func (e *Engine) nextUID() int64 { e.uid++; return e.uid }

func (e *Engine) nextRV() string { e.rv++; return fmt.Sprint(e.rv) }

// schedule runs fn at virtual time at (after everything due earlier).
func (e *Engine) schedule(at time.Time, name string, fn func()) *event {
	return e.scheduleEvent(&event{at: at, name: name, fn: fn})
}

func (e *Engine) scheduleEvent(ev *event) *event {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	ev.seq = e.seq
	heap.Push(&e.events, ev)
	return ev
}

func (e *Engine) popEvent(deadline time.Time) *event {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.events.Len() > 0 {
		ev := e.events[0]
		if ev.at.After(deadline) {
			return nil
		}
		heap.Pop(&e.events)
		if !ev.cancelled {
			return ev
		}
	}
	return nil
}

// record appends a timeline record once the timeline has started.
func (e *Engine) record(actor, object, verb, reason, detail string) {
	if !e.started {
		return
	}
	// Messages name the metric addresses the manifests have, not the
	// answer server's.
	addrs := sortedKeys(e.answers.addresses)
	sort.SliceStable(addrs, func(i, j int) bool { return len(addrs[i]) > len(addrs[j]) })
	for _, rewritten := range addrs {
		detail = strings.ReplaceAll(detail, rewritten, e.answers.addresses[rewritten])
	}
	e.timeline = append(e.timeline, plan.Record{AtMs: e.Now().Sub(e.t0).Milliseconds(), Actor: actor, Object: object,
		Verb: verb, Reason: reason, Detail: detail})
}

func (e *Engine) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.errs = append(e.errs, msg)
	e.record(e.actorOr(actorCluster), "oracle", "error", "Error", msg)
}

func (e *Engine) actorOr(def string) string {
	if e.actor != "" {
		return e.actor
	}
	return def
}

// New builds the fake cluster and the upstream controllers for a plan.
func New(p *plan.Plan) (*Engine, error) {
	e := &Engine{p: p, quiet: newQuiescence()}
	e.setNow(Epoch)
	timeutil.SetNowTimeFunc(e.Now)
	rolloutNowFn = e.Now

	kscheme := runtime.NewScheme()
	if err := kubescheme.AddToScheme(kscheme); err != nil {
		return nil, fmt.Errorf("kube scheme: %w", err)
	}
	ascheme := runtime.NewScheme()
	if err := argoscheme.AddToScheme(ascheme); err != nil {
		return nil, fmt.Errorf("argo scheme: %w", err)
	}
	e.kstore, e.astore = newStore(e, kscheme), newStore(e, ascheme)
	e.kube = &k8sfake.Clientset{}
	e.kstore.install(&e.kube.Fake)
	e.argo = &argofake.Clientset{}
	e.astore.install(&e.argo.Fake)
	e.cluster = newClusterSim(e)
	srv, err := newAnswerServer(e)
	if err != nil {
		return nil, err
	}
	e.answers = srv
	return e, nil
}

// Close stops the answer server.
func (e *Engine) Close() {
	if e.answers != nil {
		e.answers.close()
	}
}

// written is called by the stores after every successful write.
func (e *Engine) written(gvr schema.GroupVersionResource, verb string, old, obj runtime.Object) {
	e.quiet.expect(gvr)
	e.observe(gvr, verb, old, obj)
	e.cluster.observe(gvr, verb, old, obj)
}

func (e *Engine) wrapInformer(gvr schema.GroupVersionResource, inf cache.SharedIndexInformer) cache.SharedIndexInformer {
	c := &countingInformer{SharedIndexInformer: inf, q: e.quiet}
	e.quiet.handlers[gvr] = c
	e.counting = append(e.counting, c)
	// Every informer gets one handler of ours, so the wait also covers the
	// stores of informers only read through listers.
	_, _ = c.AddEventHandler(cache.ResourceEventHandlerFuncs{})
	return c
}

// nsIndex is a fresh map each time: an informer keeps the map it is given
// and AddIndexers adds to it.
func nsIndex() cache.Indexers {
	return cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
}

func gv(g, v, r string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: g, Version: v, Resource: r}
}

// buildControllers registers counting informers in the factories (the typed
// accessors Argo uses then return them: a factory keeps the first informer
// per type) and builds the rollout and analysis controllers as Argo's
// controller manager does.
func (e *Engine) buildControllers() error {
	kinf := kubeinformers.NewSharedInformerFactory(e.kube, ResyncPeriod)
	ainf := argoinformers.NewSharedInformerFactory(e.argo, ResyncPeriod)
	e.kinf, e.ainf = kinf, ainf
	kube := func(obj runtime.Object, gvr schema.GroupVersionResource, mk func(kubernetes.Interface, time.Duration) cache.SharedIndexInformer) {
		kinf.InformerFor(obj, func(c kubernetes.Interface, d time.Duration) cache.SharedIndexInformer {
			return e.wrapInformer(gvr, mk(c, d))
		})
	}
	argo := func(obj runtime.Object, gvr schema.GroupVersionResource, mk func(versioned.Interface, time.Duration) cache.SharedIndexInformer) {
		ainf.InformerFor(obj, func(c versioned.Interface, d time.Duration) cache.SharedIndexInformer {
			return e.wrapInformer(gvr, mk(c, d))
		})
	}
	kube(&appsv1.ReplicaSet{}, gv("apps", "v1", "replicasets"), func(c kubernetes.Interface, d time.Duration) cache.SharedIndexInformer {
		return appsinformers.NewReplicaSetInformer(c, "", d, nsIndex())
	})
	kube(&corev1.Service{}, gv("", "v1", "services"), func(c kubernetes.Interface, d time.Duration) cache.SharedIndexInformer {
		return coreinformers.NewServiceInformer(c, "", d, nsIndex())
	})
	kube(&corev1.Pod{}, gv("", "v1", "pods"), func(c kubernetes.Interface, d time.Duration) cache.SharedIndexInformer {
		return coreinformers.NewPodInformer(c, "", d, nsIndex())
	})
	kube(&networkingv1.Ingress{}, gv("networking.k8s.io", "v1", "ingresses"), func(c kubernetes.Interface, d time.Duration) cache.SharedIndexInformer {
		return networkinginformers.NewIngressInformer(c, "", d, nsIndex())
	})
	kube(&batchv1.Job{}, gv("batch", "v1", "jobs"), func(c kubernetes.Interface, d time.Duration) cache.SharedIndexInformer {
		return batchinformers.NewJobInformer(c, "", d, nsIndex())
	})
	argo(&v1alpha1.Rollout{}, gv("argoproj.io", "v1alpha1", "rollouts"), func(c versioned.Interface, d time.Duration) cache.SharedIndexInformer {
		return argov1informers.NewRolloutInformer(c, "", d, nsIndex())
	})
	argo(&v1alpha1.AnalysisRun{}, gv("argoproj.io", "v1alpha1", "analysisruns"), func(c versioned.Interface, d time.Duration) cache.SharedIndexInformer {
		return argov1informers.NewAnalysisRunInformer(c, "", d, nsIndex())
	})
	argo(&v1alpha1.AnalysisTemplate{}, gv("argoproj.io", "v1alpha1", "analysistemplates"), func(c versioned.Interface, d time.Duration) cache.SharedIndexInformer {
		return argov1informers.NewAnalysisTemplateInformer(c, "", d, nsIndex())
	})
	argo(&v1alpha1.ClusterAnalysisTemplate{}, gv("argoproj.io", "v1alpha1", "clusteranalysistemplates"), func(c versioned.Interface, d time.Duration) cache.SharedIndexInformer {
		return argov1informers.NewClusterAnalysisTemplateInformer(c, d, cache.Indexers{})
	})
	argo(&v1alpha1.Experiment{}, gv("argoproj.io", "v1alpha1", "experiments"), func(c versioned.Interface, d time.Duration) cache.SharedIndexInformer {
		return argov1informers.NewExperimentInformer(c, "", d, nsIndex())
	})

	vs, dr := istioutil.GetIstioVirtualServiceGVR(), istioutil.GetIstioDestinationRuleGVR()
	dyn, err := e.dynamicClient()
	if err != nil {
		return err
	}
	dinf := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	ingress, err := ingressutil.NewIngressWrapper(ingressutil.IngressModeNetworking, e.kube, kinf)
	if err != nil {
		return fmt.Errorf("ingress wrapper: %w", err)
	}
	ms := metrics.NewMetricsServer(metrics.ServerConfig{Addr: "127.0.0.1:0", K8SRequestProvider: &metrics.K8sRequestsCountProvider{}})
	limiter := func() workqueue.RateLimiter { return queue.DefaultArgoRolloutsRateLimiter() }
	e.rq = newQueue(e, "rollouts", limiter())
	e.aq = newQueue(e, "analysisruns", limiter())
	sq, iq := newQueue(e, "services", limiter()), newQueue(e, "ingresses", limiter())
	e.eq = newQueue(e, "experiments", limiter())
	e.queues = []*vqueue{e.aq, e.eq, e.rq, sq, iq}
	rec := &recorder{e: e}
	e.rc = rollout.NewController(rollout.ControllerConfig{
		Namespace:                       "",
		KubeClientSet:                   e.kube,
		ArgoProjClientset:               e.argo,
		DynamicClientSet:                dyn,
		RefResolver:                     refResolver{e: e},
		ExperimentInformer:              ainf.Argoproj().V1alpha1().Experiments(),
		AnalysisRunInformer:             ainf.Argoproj().V1alpha1().AnalysisRuns(),
		AnalysisTemplateInformer:        ainf.Argoproj().V1alpha1().AnalysisTemplates(),
		ClusterAnalysisTemplateInformer: ainf.Argoproj().V1alpha1().ClusterAnalysisTemplates(),
		ReplicaSetInformer:              kinf.Apps().V1().ReplicaSets(),
		ServicesInformer:                kinf.Core().V1().Services(),
		IngressWrapper:                  ingress,
		RolloutsInformer:                ainf.Argoproj().V1alpha1().Rollouts(),
		IstioPrimaryDynamicClient:       dyn,
		IstioVirtualServiceInformer:     dinf.ForResource(vs).Informer(),
		IstioDestinationRuleInformer:    dinf.ForResource(dr).Informer(),
		ResyncPeriod:                    ResyncPeriod,
		RolloutWorkQueue:                e.rq,
		ServiceWorkQueue:                sq,
		IngressWorkQueue:                iq,
		MetricsServer:                   ms,
		Recorder:                        rec,
		EphemeralMetadataThreads:        rollout.DefaultEphemeralMetadataThreads,
		EphemeralMetadataPodRetries:     rollout.DefaultEphemeralMetadataPodRetries,
	})
	e.ec = experiments.NewController(experiments.ControllerConfig{
		KubeClientSet:                   e.kube,
		ArgoProjClientset:               e.argo,
		ReplicaSetInformer:              kinf.Apps().V1().ReplicaSets(),
		ExperimentsInformer:             ainf.Argoproj().V1alpha1().Experiments(),
		AnalysisRunInformer:             ainf.Argoproj().V1alpha1().AnalysisRuns(),
		AnalysisTemplateInformer:        ainf.Argoproj().V1alpha1().AnalysisTemplates(),
		ClusterAnalysisTemplateInformer: ainf.Argoproj().V1alpha1().ClusterAnalysisTemplates(),
		ServiceInformer:                 kinf.Core().V1().Services(),
		ResyncPeriod:                    ResyncPeriod,
		RolloutWorkQueue:                e.rq,
		ExperimentWorkQueue:             e.eq,
		MetricsServer:                   ms,
		Recorder:                        rec,
	})
	e.ac = analysis.NewController(analysis.ControllerConfig{
		KubeClientSet:        e.kube,
		ArgoProjClientset:    e.argo,
		AnalysisRunInformer:  ainf.Argoproj().V1alpha1().AnalysisRuns(),
		JobInformer:          kinf.Batch().V1().Jobs(),
		JobPodsInformer:      kinf.Core().V1().Pods(),
		ResyncPeriod:         ResyncPeriod,
		AnalysisRunWorkQueue: e.aq,
		MetricsServer:        ms,
		Recorder:             rec,
	})
	return nil
}

// startInformers starts every informer and waits until each handler has
// the initial list; from then on every write is counted.
func (e *Engine) startInformers(ctx context.Context) {
	e.kinf.Start(ctx.Done())
	e.ainf.Start(ctx.Done())
	e.kinf.WaitForCacheSync(ctx.Done())
	e.ainf.WaitForCacheSync(ctx.Done())
	var synced []cache.InformerSynced
	for _, c := range e.counting {
		synced = append(synced, c.synced)
	}
	cache.WaitForCacheSync(ctx.Done(), synced...)
	e.quiet.mu.Lock()
	for _, c := range e.counting {
		c.started = true
	}
	e.quiet.mu.Unlock()
}

// sync runs one controller sync as Argo's worker does (requeue on error).
func (e *Engine) sync(ctx context.Context, q *vqueue, actor, key string, fn func(context.Context, string) error) {
	e.actor = actor
	if actor == actorAnalysis {
		e.syncing = key
	}
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic in %s sync of %s: %v\n%s", actor, key, r, debug.Stack())
			}
		}()
		return fn(ctx, key)
	}()
	switch {
	case err == nil:
		q.Forget(key)
	case errors.Is(err, controllerutil.StaleCacheError):
		q.AddAfter(key, controllerutil.StaleCacheRequeueDelay)
	case apierrors.IsNotFound(err):
		q.Forget(key)
	default:
		e.record(actor, key, "error", "SyncError", err.Error())
		q.AddRateLimited(key)
	}
	e.actor, e.syncing = "", ""
	e.wait()
}

// wait lets every informer handler see the writes so far, then applies the
// queue adds they made, in a canonical order.
func (e *Engine) wait() {
	e.quiet.wait()
	for _, q := range e.queues {
		q.flush()
	}
}

// settle runs cluster work and controller syncs at the current instant until
// nothing is left to do.
func (e *Engine) settle(ctx context.Context) error {
	for i := 0; i < maxSteps; i++ {
		e.wait()
		if e.cluster.step() {
			continue
		}
		if key, ok := e.aq.pop(); ok {
			e.sync(ctx, e.aq, actorAnalysis, key.(string), func(ctx context.Context, k string) error { return analysisSyncHandler(e.ac, ctx, k) })
			continue
		}
		if key, ok := e.eq.pop(); ok {
			e.sync(ctx, e.eq, actorExperiment, key.(string), func(ctx context.Context, k string) error { return experimentSyncHandler(e.ec, ctx, k) })
			continue
		}
		if key, ok := e.rq.pop(); ok {
			e.sync(ctx, e.rq, actorRollout, key.(string), func(ctx context.Context, k string) error { return rolloutSyncHandler(e.rc, ctx, k) })
			continue
		}
		return nil
	}
	return fmt.Errorf("more than %d syncs at %s: livelock", maxSteps, e.offset())
}

func (e *Engine) offset() string {
	if e.t0.IsZero() {
		return "set-up " + e.Now().Sub(Epoch).String()
	}
	return plan.FmtOffset(e.Now().Sub(e.t0).Milliseconds())
}

// runUntil advances virtual time event by event until done holds (checked
// after every settled instant) or the deadline passes.
func (e *Engine) runUntil(ctx context.Context, deadline time.Time, done func() bool) (bool, error) {
	for {
		if err := e.settle(ctx); err != nil {
			return false, err
		}
		// A controller reacts to a write a few milliseconds later (Argo's rate
		// limiter); that cascade belongs to the same instant, as rollsim's
		// settled instant does, so done is checked once it is over.
		if !e.cascadePending() && done() {
			return true, nil
		}
		ev := e.popEvent(deadline)
		if ev == nil {
			return false, nil
		}
		if ev.at.After(e.Now()) {
			e.setNow(ev.at)
		}
		ev.fn()
	}
}

// cascade is how far ahead a queued controller sync still counts as part of
// the current instant.
const cascade = 100 * time.Millisecond

func (e *Engine) cascadePending() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.events {
		if !ev.cancelled && ev.queue && ev.at.Sub(e.Now()) < cascade {
			return true
		}
	}
	return false
}

// resync replays the informers' periodic resync on the virtual clock.
func (e *Engine) resync() {
	e.schedule(e.Now().Add(ResyncPeriod), "resync", func() {
		ros, _ := e.argo.ArgoprojV1alpha1().Rollouts("").List(context.Background(), metav1.ListOptions{})
		for i := range ros.Items {
			controllerutil.EnqueueRateLimited(&ros.Items[i], e.rq)
		}
		ars, _ := e.argo.ArgoprojV1alpha1().AnalysisRuns("").List(context.Background(), metav1.ListOptions{})
		for i := range ars.Items {
			controllerutil.Enqueue(&ars.Items[i], e.aq)
		}
		exs, _ := e.argo.ArgoprojV1alpha1().Experiments("").List(context.Background(), metav1.ListOptions{})
		for i := range exs.Items {
			controllerutil.Enqueue(&exs.Items[i], e.eq)
		}
		e.resync()
	})
}

// decode turns a plan object into a typed object of either scheme.
func decodeObject(raw json.RawMessage) (runtime.Object, error) {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	gvk := tm.GroupVersionKind()
	if obj, ok, err := decodeDynamic(raw, gvk); ok {
		return obj, err
	}
	for _, s := range []*runtime.Scheme{kubescheme.Scheme, argoscheme.Scheme} {
		if obj, err := s.New(gvk); err == nil {
			if err := json.Unmarshal(raw, obj); err != nil {
				return nil, fmt.Errorf("%s: %w", gvk.Kind, err)
			}
			return obj, nil
		}
	}
	return nil, fmt.Errorf("kind %s (%s) is not supported by the oracle", gvk.Kind, gvk.GroupVersion())
}

// resourceOf maps an object to its resource and clientset store.
func (e *Engine) resourceOf(obj runtime.Object) (schema.GroupVersionResource, *store, error) {
	switch obj.(type) {
	case *v1alpha1.Rollout:
		return gv("argoproj.io", "v1alpha1", "rollouts"), e.astore, nil
	case *v1alpha1.AnalysisTemplate:
		return gv("argoproj.io", "v1alpha1", "analysistemplates"), e.astore, nil
	case *v1alpha1.ClusterAnalysisTemplate:
		return gv("argoproj.io", "v1alpha1", "clusteranalysistemplates"), e.astore, nil
	case *v1alpha1.AnalysisRun:
		return gv("argoproj.io", "v1alpha1", "analysisruns"), e.astore, nil
	case *v1alpha1.Experiment:
		return gv("argoproj.io", "v1alpha1", "experiments"), e.astore, nil
	case *corev1.Service:
		return gv("", "v1", "services"), e.kstore, nil
	case *corev1.Namespace:
		return gv("", "v1", "namespaces"), e.kstore, nil
	case *corev1.ConfigMap:
		return gv("", "v1", "configmaps"), e.kstore, nil
	case *corev1.Secret:
		return gv("", "v1", "secrets"), e.kstore, nil
	case *corev1.ServiceAccount:
		return gv("", "v1", "serviceaccounts"), e.kstore, nil
	case *networkingv1.Ingress:
		return gv("networking.k8s.io", "v1", "ingresses"), e.kstore, nil
	case *appsv1.Deployment:
		return gv("apps", "v1", "deployments"), e.kstore, nil
	case *policyv1.PodDisruptionBudget:
		return pdbsGVR, e.kstore, nil
	}
	return schema.GroupVersionResource{}, nil, fmt.Errorf("%T is not supported by the oracle", obj)
}

// apply creates or replaces an object as the user (kubectl apply).
func (e *Engine) apply(obj runtime.Object) error {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return e.applyDynamic(u)
	}
	gvr, st, err := e.resourceOf(obj)
	if err != nil {
		return err
	}
	m, _ := meta.Accessor(obj)
	if _, err := st.tracker.Get(gvr, m.GetNamespace(), m.GetName()); err == nil {
		m.SetResourceVersion("")
		_, err = st.update(gvr, m.GetNamespace(), obj, "")
		return err
	}
	_, err = st.create(gvr, m.GetNamespace(), obj)
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = strings.Cut
