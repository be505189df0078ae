package controller

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Annotations Argo puts on an experiment's ReplicaSets and Services to match
// them to their template.
const (
	AnnotationExperimentName     = v1alpha1.ExperimentNameAnnotationKey         // experiment.argoproj.io/name
	AnnotationExperimentTemplate = v1alpha1.ExperimentTemplateNameAnnotationKey // experiment.argoproj.io/template-name

	actorExperiment = "experiment-controller"
)

// ExperimentReconciler reconciles Experiments, as Argo's experiment
// controller does: one ReplicaSet (and optionally a Service) per template,
// an AnalysisRun per analysis once the templates are available, and the
// experiment's phase from both. The AnalysisRuns it creates are reconciled
// by the AnalysisRunReconciler.
type ExperimentReconciler struct {
	opts Options
}

// NewExperimentReconciler validates opts and returns a reconciler.
func NewExperimentReconciler(opts Options) (*ExperimentReconciler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &ExperimentReconciler{opts: opts}, nil
}

var _ reconcile.Reconciler = (*ExperimentReconciler)(nil)

func (r *ExperimentReconciler) note(ex *v1alpha1.Experiment, kind, name, verb, reason, detail string) {
	r.opts.Recorder.Record(Note{Actor: actorExperiment, Kind: kind, Namespace: ex.Namespace, Name: name, Verb: verb, Reason: reason, Detail: detail})
}

// Reconcile runs one experiment reconcile (Argo's syncHandler).
func (r *ExperimentReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ex := &v1alpha1.Experiment{}
	if err := r.opts.Client.Get(ctx, req.NamespacedName, ex); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("get experiment %s: %w", req.NamespacedName, err)
	}
	if ex.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	if msg := verifyExperimentSpec(ex); msg != "" {
		return reconcile.Result{}, r.invalidSpec(ctx, ex, msg)
	}
	rss, err := r.templateReplicaSets(ctx, ex)
	if err != nil {
		return reconcile.Result{}, err
	}
	svcs, err := r.templateServices(ctx, ex)
	if err != nil {
		return reconcile.Result{}, err
	}
	ec := &experimentContext{r: r, ctx: ctx, ex: ex, rss: rss, svcs: svcs, st: ex.Status.DeepCopy(), terminating: experimentTerminating(ex)}
	st := ec.reconcile()
	if err := r.persist(ctx, ex, st); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: ec.requeue}, nil
}

func (r *ExperimentReconciler) invalidSpec(ctx context.Context, ex *v1alpha1.Experiment, msg string) error {
	st := ex.Status.DeepCopy()
	if prev := experimentCondition(*st, v1alpha1.InvalidExperimentSpec); prev != nil && prev.Message != msg {
		removeExperimentCondition(st, v1alpha1.InvalidExperimentSpec)
	}
	now := metav1.NewTime(r.opts.now())
	before := len(st.Conditions)
	setExperimentCondition(st, newExperimentCondition(v1alpha1.InvalidExperimentSpec, corev1.ConditionTrue, "InvalidSpec", msg, now))
	if c := experimentCondition(ex.Status, v1alpha1.InvalidExperimentSpec); c == nil || c.Message != msg || len(st.Conditions) != before {
		r.note(ex, "experiment", ex.Name, "condition", "InvalidSpec", msg)
	}
	return r.persist(ctx, ex, st)
}

// persist patches the status when it changed and notes a phase change
// (Argo's "Experiment<Phase>" event).
func (r *ExperimentReconciler) persist(ctx context.Context, ex *v1alpha1.Experiment, st *v1alpha1.ExperimentStatus) error {
	if equality.Semantic.DeepEqual(&ex.Status, st) {
		return nil
	}
	prev := ex.Status.Phase
	patch := client.MergeFrom(ex.DeepCopy())
	ex.Status = *st
	err := r.opts.Client.Status().Patch(ctx, ex, patch)
	if apierrors.IsNotFound(err) {
		// A real API server serves no /status for Argo's Experiment CRD
		// (no status subresource): Argo patches the object itself.
		err = r.opts.Client.Patch(ctx, ex, patch)
	}
	if err != nil {
		return fmt.Errorf("patch status of experiment %s/%s: %w", ex.Namespace, ex.Name, err)
	}
	if prev != st.Phase {
		detail := fmt.Sprintf("Experiment transitioned from %s -> %s", prev, st.Phase)
		if st.Message != "" {
			detail += ": " + st.Message
		}
		r.note(ex, "experiment", ex.Name, "phase", "Experiment"+string(st.Phase), detail)
	}
	return nil
}

// templateReplicaSets maps template names to the ReplicaSets the
// experiment controls (matched by the template-name annotation).
func (r *ExperimentReconciler) templateReplicaSets(ctx context.Context, ex *v1alpha1.Experiment) (map[string]*appsv1.ReplicaSet, error) {
	list := &appsv1.ReplicaSetList{}
	if err := r.opts.Client.List(ctx, list, client.InNamespace(ex.Namespace)); err != nil {
		return nil, fmt.Errorf("list replicasets of experiment %s: %w", ex.Name, err)
	}
	out := map[string]*appsv1.ReplicaSet{}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	for i := range list.Items {
		rs := &list.Items[i]
		name, ok := experimentMember(rs.ObjectMeta, ex)
		if !ok {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("multiple ReplicaSets match single experiment template: %s", name)
		}
		out[name] = rs
	}
	return out, nil
}

func (r *ExperimentReconciler) templateServices(ctx context.Context, ex *v1alpha1.Experiment) (map[string]*corev1.Service, error) {
	list := &corev1.ServiceList{}
	if err := r.opts.Client.List(ctx, list, client.InNamespace(ex.Namespace)); err != nil {
		return nil, fmt.Errorf("list services of experiment %s: %w", ex.Name, err)
	}
	out := map[string]*corev1.Service{}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	for i := range list.Items {
		svc := &list.Items[i]
		name, ok := experimentMember(svc.ObjectMeta, ex)
		if !ok {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("multiple Services match single experiment template: %s", name)
		}
		out[name] = svc
	}
	return out, nil
}

// experimentMember returns the template an object belongs to: controlled by
// the experiment, annotated with its name and a template it defines.
func experimentMember(m metav1.ObjectMeta, ex *v1alpha1.Experiment) (string, bool) {
	ref := metav1.GetControllerOfNoCopy(&m)
	if ref == nil || ref.UID != ex.UID || m.Annotations[AnnotationExperimentName] != ex.Name {
		return "", false
	}
	name := m.Annotations[AnnotationExperimentTemplate]
	for _, t := range ex.Spec.Templates {
		if name != "" && t.Name == name {
			return name, true
		}
	}
	return "", false
}

// experimentContext is the state of one experiment reconcile.
type experimentContext struct {
	r           *ExperimentReconciler
	ctx         context.Context
	ex          *v1alpha1.Experiment
	rss         map[string]*appsv1.ReplicaSet
	svcs        map[string]*corev1.Service
	st          *v1alpha1.ExperimentStatus
	terminating bool
	requeue     time.Duration
}

func (ec *experimentContext) note(kind, name, verb, reason, detail string) {
	ec.r.note(ec.ex, kind, name, verb, reason, detail)
}

func (ec *experimentContext) enqueueAfter(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if d > ec.r.opts.ResyncPeriod {
		return
	}
	if d == 0 {
		d = time.Millisecond
	}
	if ec.requeue == 0 || d < ec.requeue {
		ec.requeue = d
	}
}

func (ec *experimentContext) reconcile() *v1alpha1.ExperimentStatus {
	for _, t := range ec.ex.Spec.Templates {
		ec.reconcileTemplate(t)
	}
	for _, a := range ec.ex.Spec.Analyses {
		ec.reconcileAnalysis(a)
	}
	now := metav1.NewTime(ec.r.opts.now())
	experimentPhase(ec.ex, ec.st, now)
	experimentConditions(ec.ex, ec.st, now, ec.r.opts.Clock.Now())
	if d, ok := experimentWakeUp(ec.ex, ec.st, ec.r.opts.Clock.Now()); ok {
		ec.enqueueAfter(d)
	}
	return ec.st
}
