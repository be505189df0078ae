package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/go-logr/logr/funcr"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/sim/cluster"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Options configure a live run.
type Options struct {
	// SimulateWorkloads runs the simulated ReplicaSet, Deployment and Job
	// controllers and kubelet beside the rollout controller.
	SimulateWorkloads bool
	// PodStartup is the simulated pods' time to Ready.
	PodStartup time.Duration
	// ResyncPeriod is Argo's periodic resync (0 = 15 minutes).
	ResyncPeriod time.Duration
	// Log receives one line per decision and simulated cluster event.
	Log io.Writer
	// OnNote, when set, hears every controller decision (tests).
	OnNote func(controller.Note)
}

// Run runs the controllers until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	log.SetLogger(funcr.New(func(prefix, args string) {
		if o.Log != nil {
			fmt.Fprintln(o.Log, prefix, args)
		}
	}, funcr.Options{}))
	scheme := api.NewScheme()
	skip := true
	mgr, err := ctrl.NewManager(cfg, manager.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skip},
	})
	if err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	// Decisions read the API server directly: a reconcile right after a
	// write must see it (the watches only say when to reconcile).
	direct, err := client.New(cfg, client.Options{Scheme: scheme, Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		if o.Log == nil {
			return
		}
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(o.Log, "%s "+format+"\n", append([]any{time.Now().UTC().Format(time.RFC3339)}, args...)...)
	}
	clk := clock.New()
	opts := controller.Options{
		Client: direct, Clock: clk, ResyncPeriod: o.ResyncPeriod,
		Providers: controller.LiveProviderFactory{Client: direct, Clock: clk, PrometheusAddress: os.Getenv("ARGO_ROLLOUTS_PROMETHEUS_ADDRESS")},
		Recorder: controller.RecorderFunc(func(n controller.Note) {
			logf("%-19s %s/%s %s %s: %s", n.Actor, n.Kind, n.Name, n.Verb, n.Reason, n.Detail)
			if o.OnNote != nil {
				o.OnNote(n)
			}
		}),
	}
	rollouts, err := controller.NewRolloutReconciler(opts)
	if err != nil {
		return err
	}
	runs, err := controller.NewAnalysisRunReconciler(opts)
	if err != nil {
		return err
	}
	experiments, err := controller.NewExperimentReconciler(opts)
	if err != nil {
		return err
	}
	inNamespace := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		list := &v1alpha1.RolloutList{}
		if err := mgr.GetClient().List(ctx, list, client.InNamespace(obj.GetNamespace())); err != nil {
			return nil
		}
		out := make([]reconcile.Request, 0, len(list.Items))
		for _, ro := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ro)})
		}
		return out
	})
	err = ctrl.NewControllerManagedBy(mgr).Named("rollouts").
		For(&v1alpha1.Rollout{}).
		Owns(&appsv1.ReplicaSet{}).
		Owns(&v1alpha1.AnalysisRun{}).
		Owns(&v1alpha1.Experiment{}).
		Watches(&corev1.Service{}, inNamespace).
		Watches(&networkingv1.Ingress{}, inNamespace).
		Watches(&v1alpha1.AnalysisTemplate{}, inNamespace).
		Complete(rollouts)
	if err != nil {
		return fmt.Errorf("rollout controller: %w", err)
	}
	err = ctrl.NewControllerManagedBy(mgr).Named("analysisruns").
		For(&v1alpha1.AnalysisRun{}).
		Owns(&batchv1.Job{}).
		Complete(runs)
	if err != nil {
		return fmt.Errorf("analysis controller: %w", err)
	}
	err = ctrl.NewControllerManagedBy(mgr).Named("experiments").
		For(&v1alpha1.Experiment{}).
		Owns(&appsv1.ReplicaSet{}).
		Owns(&v1alpha1.AnalysisRun{}).
		Complete(experiments)
	if err != nil {
		return fmt.Errorf("experiment controller: %w", err)
	}
	if o.SimulateWorkloads {
		if err := addWorkloads(mgr, direct, o, logf); err != nil {
			return err
		}
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	return nil
}

// realTime runs the simulator's callbacks on the wall clock, one at a time
// (the simulated cluster is not safe for concurrent use).
type realTime struct {
	mu *sync.Mutex
}

func (r realTime) After(d time.Duration, _ string, fn func()) {
	time.AfterFunc(d, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		fn()
	})
}

type notes func(actor, object, verb, reason, detail string)

func (n notes) Add(actor, object, verb, reason, detail string) {
	n(actor, object, verb, reason, detail)
}

// liveBehavior: every pod turns Ready after the start-up time; Job pods
// run for a second and succeed.
type liveBehavior struct{ startup time.Duration }

func (b liveBehavior) Pod(string) cluster.PodBehavior { return cluster.PodBehavior{Startup: b.startup} }

func (b liveBehavior) JobPod(string, string, int) cluster.JobPodBehavior {
	return cluster.JobPodBehavior{Startup: b.startup, Duration: time.Second, Succeed: true, Reason: "simulated"}
}

type syncFunc func(ctx context.Context, ns, name string) error

func (f syncFunc) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	return reconcile.Result{}, f(ctx, req.Namespace, req.Name)
}

func addWorkloads(mgr manager.Manager, c client.Client, o Options, logf func(string, ...any)) error {
	var mu sync.Mutex
	sim := cluster.NewSim(c, realTime{mu: &mu}, notes(func(actor, object, verb, reason, detail string) {
		logf("%-19s %s %s %s: %s", actor, object, verb, reason, detail)
	}), liveBehavior{startup: o.PodStartup}, time.Now)
	locked := func(f syncFunc) syncFunc {
		return func(ctx context.Context, ns, name string) error {
			mu.Lock()
			defer mu.Unlock()
			return f(ctx, ns, name)
		}
	}
	sim.Enqueue = func(kind, ns, name string) {
		if kind == "ReplicaSet" {
			// Called with mu held, from a timer: sync once it is released.
			go func() { _ = locked(sim.SyncReplicaSet)(context.Background(), ns, name) }()
		}
	}
	for _, w := range []struct {
		name string
		obj  client.Object
		sync syncFunc
	}{
		{"sim-replicasets", &appsv1.ReplicaSet{}, sim.SyncReplicaSet},
		{"sim-jobs", &batchv1.Job{}, sim.SyncJob},
		{"sim-deployments", &appsv1.Deployment{}, sim.SyncDeployment},
	} {
		b := ctrl.NewControllerManagedBy(mgr).Named(w.name).For(w.obj)
		if _, isDeploy := w.obj.(*appsv1.Deployment); !isDeploy {
			b = b.Owns(&corev1.Pod{})
		} else {
			b = b.Owns(&appsv1.ReplicaSet{})
		}
		if err := b.Complete(locked(w.sync)); err != nil {
			return fmt.Errorf("simulated %s: %w", w.name, err)
		}
	}
	return nil
}
