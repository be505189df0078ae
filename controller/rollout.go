package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Annotation and label keys Argo uses.
const (
	LabelPodTemplateHash        = v1alpha1.DefaultRolloutUniqueLabelKey // rollouts-pod-template-hash
	AnnotationRevision          = "rollout.argoproj.io/revision"
	AnnotationDesiredReplicas   = "rollout.argoproj.io/desired-replicas"
	AnnotationScaleDownDeadline = v1alpha1.DefaultReplicaSetScaleDownDeadlineAnnotationKey
	AnnotationManagedBy         = "argo-rollouts.argoproj.io/managed-by-rollouts"
	LabelRolloutType            = "rollout-type"
	LabelStepIndex              = "step-index"

	actorRollout    = "rollout-controller"
	invalidRetryCap = 10 * time.Second
)

// ErrNotSupported marks a feature rollsim does not simulate yet. It becomes
// an InvalidSpec-style condition and a timeline line, never a silent skip.
var ErrNotSupported = trafficrouting.ErrNotSupported

// RolloutReconciler reconciles argoproj.io/v1alpha1 Rollouts.
type RolloutReconciler struct {
	opts Options
	// invalid counts each rollout's consecutive invalid reconciles, for
	// the retry schedule of Argo's rate limiter (invalidRetry).
	mu      sync.Mutex
	invalid map[types.NamespacedName]int
}

// invalidRetry is when an invalid rollout is retried: Argo's sync returns
// the validation error and its workqueue re-adds the rollout through
// DefaultArgoRolloutsRateLimiter, 1 ms doubled per consecutive failure and
// capped at 10 s (reset by a sync that succeeds). Argo has no
// AnalysisTemplate event handler, so a template that appears later is only
// seen at such a retry.
func (r *RolloutReconciler) invalidRetry(ro *v1alpha1.Rollout) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name}
	n := r.invalid[k]
	r.invalid[k] = n + 1
	if n >= 14 { // 2^14 ms > 10 s
		return invalidRetryCap
	}
	return min(time.Millisecond<<n, invalidRetryCap)
}

// validAgain forgets a rollout's failures (Argo's Forget after a sync that
// succeeds).
func (r *RolloutReconciler) validAgain(ro *v1alpha1.Rollout) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.invalid, types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name})
}

// NewRolloutReconciler validates opts and returns a reconciler.
func NewRolloutReconciler(opts Options) (*RolloutReconciler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &RolloutReconciler{opts: opts, invalid: map[types.NamespacedName]int{}}, nil
}

var _ reconcile.Reconciler = (*RolloutReconciler)(nil)

func (r *RolloutReconciler) note(ro *v1alpha1.Rollout, kind, name, verb, reason, detail string) {
	r.opts.Recorder.Record(Note{Actor: actorRollout, Kind: kind, Namespace: ro.Namespace, Name: name, Verb: verb, Reason: reason, Detail: detail})
}

// Reconcile runs one reconcile of one Rollout, as Argo's syncHandler does.
func (r *RolloutReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ro := &v1alpha1.Rollout{}
	if err := r.opts.Client.Get(ctx, req.NamespacedName, ro); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("get rollout %s: %w", req.NamespacedName, err)
	}
	if ro.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	if ro.Spec.Replicas == nil {
		patch := client.MergeFrom(ro.DeepCopy())
		one := int32(1)
		ro.Spec.Replicas = &one
		if err := r.opts.Client.Patch(ctx, ro, patch); err != nil {
			return reconcile.Result{}, fmt.Errorf("default spec.replicas of rollout %s: %w", req.NamespacedName, err)
		}
		r.note(ro, "rollout", ro.Name, "spec", "", "spec.replicas defaulted to 1")
		return reconcile.Result{}, nil
	}
	workloadMsg, err := r.resolveWorkloadRef(ctx, ro)
	if err != nil {
		return reconcile.Result{}, err
	}
	c, err := r.newContext(ctx, ro)
	if err != nil {
		return reconcile.Result{}, err
	}
	c.workloadMsg = workloadMsg
	if err := c.run(); err != nil {
		if errors.Is(err, errEndReconcile) {
			return reconcile.Result{RequeueAfter: c.requeue}, nil
		}
		r.note(ro, "rollout", ro.Name, "error", "ReconcileError", err.Error())
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: c.requeue}, nil
}

// rolloutContext is the state of one reconcile.
type rolloutContext struct {
	r   *RolloutReconciler
	ctx context.Context
	ro  *v1alpha1.Rollout
	// stepCompleted: this reconcile completed the current step (its
	// RolloutStepCompleted note records the index change).
	stepCompleted bool

	newHash  string
	newRS    *appsv1.ReplicaSet
	stableRS *appsv1.ReplicaSet
	otherRSs []*appsv1.ReplicaSet
	allRSs   []*appsv1.ReplicaSet

	newStatus v1alpha1.RolloutStatus
	pause     pauseContext
	ars       currentAnalysisRuns
	otherARs  []*v1alpha1.AnalysisRun
	exs       experimentSet
	bg        blueGreenContext
	// stepPlugin is the canary plugin steps' state (stepplugin.go).
	stepPlugin stepPluginContext

	requeue time.Duration
	// routers are the traffic routers of this reconcile, built once.
	routers []trafficrouting.Router
	// workloadMsg is why spec.workloadRef could not be resolved ("" = fine).
	workloadMsg string
}

type currentAnalysisRuns struct {
	step       *v1alpha1.AnalysisRun
	background *v1alpha1.AnalysisRun
	pre        *v1alpha1.AnalysisRun // blue-green pre-promotion
	post       *v1alpha1.AnalysisRun // blue-green post-promotion
}

func (c *rolloutContext) now() time.Time { return c.r.opts.now() }

// enqueueAfter asks for a reconcile d from now (the smallest request wins).
func (c *rolloutContext) enqueueAfter(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if d > c.r.opts.ResyncPeriod {
		return
	}
	if c.requeue == 0 || d < c.requeue {
		if d == 0 {
			d = time.Millisecond
		}
		c.requeue = d
	}
}

func (c *rolloutContext) note(kind, name, verb, reason, detail string) {
	c.r.note(c.ro, kind, name, verb, reason, detail)
}

func (r *RolloutReconciler) newContext(ctx context.Context, ro *v1alpha1.Rollout) (*rolloutContext, error) {
	c := &rolloutContext{r: r, ctx: ctx, ro: ro}
	c.pause.ro = ro
	hash, err := PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	if err != nil {
		return nil, err
	}
	c.newHash = hash
	rsList := &appsv1.ReplicaSetList{}
	if err := r.opts.Client.List(ctx, rsList, client.InNamespace(ro.Namespace)); err != nil {
		return nil, fmt.Errorf("list replicasets of rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	for i := range rsList.Items {
		rs := &rsList.Items[i]
		if !ownedBy(rs.OwnerReferences, "Rollout", ro.Name) || rs.DeletionTimestamp != nil {
			continue
		}
		c.allRSs = append(c.allRSs, rs)
	}
	sort.Slice(c.allRSs, func(i, j int) bool { return c.allRSs[i].Name < c.allRSs[j].Name })
	c.classify()
	// status.alb and status.albs carry over too (Argo copies them into the
	// new status; the ALB router updates them in place).
	c.newStatus = v1alpha1.RolloutStatus{RestartedAt: ro.Status.RestartedAt, ALB: ro.Status.ALB.DeepCopy(),
		ALBs: append([]v1alpha1.ALBStatus(nil), ro.Status.ALBs...)}
	// Recorded weights carry over from one reconcile to the next.
	c.newStatus.Canary.Weights = ro.Status.Canary.Weights.DeepCopy()
	if ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash && ro.Status.Abort {
		c.pause.removeAbort = true // a fully promoted rollout drops its abort
	}
	return c, nil
}

func (c *rolloutContext) classify() {
	c.newRS, c.stableRS, c.otherRSs = nil, nil, nil
	for _, rs := range c.allRSs {
		h := rs.Labels[LabelPodTemplateHash]
		switch {
		case h == c.newHash:
			c.newRS = rs
		case h != "" && h == c.ro.Status.StableRS:
			c.stableRS = rs
		default:
			c.otherRSs = append(c.otherRSs, rs)
		}
	}
	if c.newRS != nil && c.ro.Status.StableRS == c.newHash {
		c.stableRS = c.newRS
	}
}

func ownedBy(refs []metav1.OwnerReference, kind, name string) bool {
	for _, ref := range refs {
		if ref.Kind == kind && ref.Name == name && ref.Controller != nil && *ref.Controller {
			return true
		}
	}
	return false
}

func revisionOf(obj metav1.Object) int64 {
	v, err := strconv.ParseInt(obj.GetAnnotations()[AnnotationRevision], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

func specReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

func (c *rolloutContext) run() error {
	ro := c.ro
	if c.workloadMsg != "" {
		return c.invalidSpec(c.workloadMsg)
	}
	if msg := c.validate(); msg != "" {
		return c.invalidSpec(msg)
	}
	c.r.validAgain(ro)
	if cond := getCondition(ro.Status.Conditions, v1alpha1.InvalidSpec); cond != nil {
		c.note("rollout", ro.Name, "condition", "InvalidSpec", "spec is valid again")
	}
	if err := c.syncRevision(); err != nil {
		return err
	}
	if err := c.checkPausedConditions(); err != nil {
		return err
	}
	if err := c.releaseServices(); err != nil {
		return err
	}
	if c.isScalingEvent() {
		return c.syncReplicasOnly()
	}
	if isBlueGreen(ro) {
		return c.rolloutBlueGreen()
	}
	return c.rolloutCanary()
}

// syncRevision creates the new ReplicaSet if missing and gives a reused one
// the next revision number, as Argo does in getAllReplicaSetsAndSyncRevision.
func (c *rolloutContext) syncRevision() error {
	maxRev := int64(0)
	for _, rs := range c.allRSs {
		if c.newRS != nil && rs.Name == c.newRS.Name {
			continue
		}
		if v := revisionOf(rs); v > maxRev {
			maxRev = v
		}
	}
	if c.newRS == nil {
		return c.createNewRS(maxRev + 1)
	}
	if revisionOf(c.newRS) <= maxRev {
		rs := c.newRS.DeepCopy()
		patch := client.MergeFrom(c.newRS.DeepCopy())
		if rs.Annotations == nil {
			rs.Annotations = map[string]string{}
		}
		old := rs.Annotations[AnnotationRevision]
		rs.Annotations[AnnotationRevision] = strconv.FormatInt(maxRev+1, 10)
		if err := c.r.opts.Client.Patch(c.ctx, rs, patch); err != nil {
			return fmt.Errorf("set revision of ReplicaSet %s: %w", rs.Name, err)
		}
		c.note("replicaset", rs.Name, "event", "RolloutUpdated", fmt.Sprintf("revision %s → %d (reused ReplicaSet)", old, maxRev+1))
		c.replaceRS(rs)
	}
	return nil
}

func (c *rolloutContext) replaceRS(rs *appsv1.ReplicaSet) {
	for i := range c.allRSs {
		if c.allRSs[i].Name == rs.Name {
			c.allRSs[i] = rs
		}
	}
	c.classify()
}

func (c *rolloutContext) createNewRS(revision int64) error {
	ro := c.ro
	tmpl := ro.Spec.Template.DeepCopy()
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[LabelPodTemplateHash] = c.newHash
	sel := ro.Spec.Selector.DeepCopy()
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[LabelPodTemplateHash] = c.newHash
	zero := int32(0)
	isController := true
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ro.Name + "-" + c.newHash,
			Namespace: ro.Namespace,
			Labels:    tmpl.Labels,
			Annotations: map[string]string{
				AnnotationRevision:        strconv.FormatInt(revision, 10),
				AnnotationDesiredReplicas: strconv.Itoa(int(*ro.Spec.Replicas)),
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Rollout", Name: ro.Name, UID: ro.UID,
				Controller: &isController, BlockOwnerDeletion: &isController,
			}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        &zero,
			MinReadySeconds: ro.Spec.MinReadySeconds,
			Selector:        sel,
			Template:        *tmpl,
		},
	}
	rs.Spec.Template.Labels = maps.Clone(tmpl.Labels) // the ReplicaSet's own labels carry no ephemeral metadata
	injectTemplateMetadata(rs, c.newRSMetadata())
	if err := c.r.opts.Client.Create(c.ctx, rs); err != nil {
		return fmt.Errorf("create ReplicaSet %s: %w", rs.Name, err)
	}
	c.note("replicaset", rs.Name, "created", "NewReplicaSetCreated",
		fmt.Sprintf("Created ReplicaSet %s (revision %d) with image %s", rs.Name, revision, images(&rs.Spec.Template)))
	c.allRSs = append(c.allRSs, rs)
	sort.Slice(c.allRSs, func(i, j int) bool { return c.allRSs[i].Name < c.allRSs[j].Name })
	c.classify()
	return nil
}

func images(t *corev1.PodTemplateSpec) string {
	s := ""
	for i, ct := range t.Spec.Containers {
		if i > 0 {
			s += ","
		}
		s += ct.Image
	}
	return s
}

// invalidSpec writes the InvalidSpec condition, as Argo does, and retries in 20 s.
func (c *rolloutContext) invalidSpec(msg string) error {
	ro := c.ro
	full := fmt.Sprintf("The Rollout %q is invalid: %s", ro.Name, msg)
	st := ro.Status.DeepCopy()
	prev := getCondition(st.Conditions, v1alpha1.InvalidSpec)
	if prev == nil || prev.Message != full {
		setCondition(st, v1alpha1.RolloutCondition{Type: v1alpha1.InvalidSpec, Status: corev1.ConditionTrue, Reason: "InvalidSpec", Message: full}, c.now())
		c.note("rollout", ro.Name, "condition", "InvalidSpec", full)
	}
	st.ObservedGeneration = strconv.FormatInt(ro.Generation, 10)
	st.Phase, st.Message = CalculatePhase(ro, st)
	if err := c.patchStatus(st); err != nil {
		return err
	}
	c.enqueueAfter(c.r.invalidRetry(ro))
	return nil
}

func (c *rolloutContext) patchStatus(st *v1alpha1.RolloutStatus) error {
	ro := c.ro
	if equalStatus(&ro.Status, st) {
		return nil
	}
	prevPhase, prevMsg := ro.Status.Phase, ro.Status.Message
	patch := client.MergeFrom(ro.DeepCopy())
	ro.Status = *st
	if err := c.r.opts.Client.Status().Patch(c.ctx, ro, patch); err != nil {
		return fmt.Errorf("patch status of rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	if st.Phase != prevPhase || st.Message != prevMsg {
		c.note("rollout", ro.Name, "phase", string(st.Phase), st.Message)
	}
	return nil
}
