package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/pkg/kubectl-argo-rollouts/cmd/abort"
	"github.com/argoproj/argo-rollouts/pkg/kubectl-argo-rollouts/cmd/promote"
	"github.com/argoproj/argo-rollouts/pkg/kubectl-argo-rollouts/cmd/restart"
	"github.com/argoproj/argo-rollouts/pkg/kubectl-argo-rollouts/cmd/retry"
	"github.com/rollsim/rollsim/oracle/internal/plan"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Error kinds, as in rollsim's result (docs/output.md).
const (
	ErrInput   = "input"
	ErrTimeout = "timeout"
	ErrRun     = "run"
)

// setupLimit bounds each set-up phase in virtual time.
const setupLimit = 6 * time.Hour

// Run runs a plan and returns its result in rollsim's format.
func Run(p *plan.Plan) plan.ScenarioResult {
	res := plan.ScenarioResult{Scenario: p.Scenario, File: p.File, Seed: p.Seed, Expectations: []json.RawMessage{},
		Rollouts: []plan.RolloutState{}, AnalysisRuns: []plan.AnalysisState{}, Outcomes: []json.RawMessage{}, Timeline: []plan.Record{}}
	e, err := New(p)
	if err != nil {
		res.Error, res.ErrorKind = err.Error(), ErrRun
		return res
	}
	defer e.Close()
	kind, err := e.run()
	if err != nil {
		res.Error, res.ErrorKind = err.Error(), kind
	} else if len(e.errs) > 0 {
		res.Error, res.ErrorKind = "oracle: "+strings.Join(e.errs, "; "), ErrRun
	}
	if !e.t0.IsZero() {
		res.VirtualMs = e.Now().Sub(e.t0).Milliseconds()
	}
	res.Timeline = append(res.Timeline, e.timeline...)
	res.Rollouts, res.AnalysisRuns = e.summarize()
	res.Passed = res.Error == ""
	return res
}

func (e *Engine) run() (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := e.p
	roNS, roName, _ := strings.Cut(p.Initial.Rollout, "/")
	var rollouts []*v1alpha1.Rollout
	var others []runtime.Object
	for i, raw := range p.Objects {
		obj, err := decodeObject(raw)
		if err != nil {
			return ErrInput, fmt.Errorf("plan object %d: %w", i, err)
		}
		if err := e.prepare(obj); err != nil {
			return ErrInput, err
		}
		if ro, ok := obj.(*v1alpha1.Rollout); ok {
			if ro.Namespace == roNS && ro.Name == roName && ro.Spec.WorkloadRef != nil {
				// The image lives in the Deployment (set below).
				rollouts = append(rollouts, ro)
				continue
			}
			if ro.Namespace == roNS && ro.Name == roName {
				if err := setImage(ro, p.Initial.Container, p.Initial.Images[0]); err != nil {
					return ErrInput, err
				}
			}
			rollouts = append(rollouts, ro)
			continue
		}
		others = append(others, obj)
	}
	for _, ro := range rollouts {
		if ref := ro.Spec.WorkloadRef; ref != nil && ro.Namespace == roNS && ro.Name == roName {
			found := false
			for _, o := range others {
				if d, ok := o.(*appsv1.Deployment); ok && d.Namespace == ro.Namespace && d.Name == ref.Name {
					found = true
					for i := range d.Spec.Template.Spec.Containers {
						ct := &d.Spec.Template.Spec.Containers[i]
						if p.Initial.Container == "" || p.Initial.Container == "*" || ct.Name == p.Initial.Container {
							ct.Image = p.Initial.Images[0]
						}
					}
				}
			}
			if !found {
				return ErrInput, fmt.Errorf("rollout %s: workloadRef Deployment %s is not in the manifests", ro.Name, ref.Name)
			}
		}
	}
	sort.SliceStable(others, func(i, j int) bool {
		_, a := others[i].(*corev1.Namespace)
		_, b := others[j].(*corev1.Namespace)
		return a && !b
	})
	// Everything exists before the informers start: they see it in their
	// initial list.
	for _, o := range others {
		if err := e.apply(o); err != nil {
			return ErrInput, fmt.Errorf("apply %s: %w", describe(o), err)
		}
	}
	if err := e.buildControllers(); err != nil {
		return ErrRun, err
	}
	for _, ro := range rollouts {
		if err := e.apply(ro); err != nil {
			return ErrInput, fmt.Errorf("apply rollout %s: %w", ro.Name, err)
		}
	}
	e.startInformers(ctx)
	e.resync()
	settled := func() bool {
		for _, ro := range rollouts {
			if !e.settled(ro.Namespace, ro.Name) {
				return false
			}
		}
		return true
	}
	setup := func(what string) error {
		ok, err := e.runUntil(ctx, e.Now().Add(setupLimit), settled)
		if err != nil {
			return fmt.Errorf("set-up (%s): %w", what, err)
		}
		if !ok {
			ro, _ := e.argo.ArgoprojV1alpha1().Rollouts(roNS).Get(ctx, roName, metav1.GetOptions{})
			msg := ""
			if ro != nil {
				msg = fmt.Sprintf(": rollout %s is %s %q", roName, ro.Status.Phase, ro.Status.Message)
			}
			return fmt.Errorf("set-up (%s) did not become Healthy and settled within %s of virtual time%s", what, setupLimit, msg)
		}
		return nil
	}
	if err := setup("initial deploy of " + p.Initial.Images[0]); err != nil {
		return ErrRun, err
	}
	for _, img := range p.Initial.Images[1:] {
		if err := e.setImage(roNS, roName, p.Initial.Container, img); err != nil {
			return ErrInput, err
		}
		// Let the controller see the update (its syncs run a few ms after
		// an informer event, through Argo's rate limiter) before promoting.
		updated := func() bool {
			ro, err := e.argo.ArgoprojV1alpha1().Rollouts(roNS).Get(ctx, roName, metav1.GetOptions{})
			return err == nil && ro.Status.ObservedGeneration == strconv.FormatInt(ro.Generation, 10) && ro.Status.CurrentPodHash != ro.Status.StableRS
		}
		if ok, err := e.runUntil(ctx, e.Now().Add(time.Minute), updated); err != nil || !ok {
			return ErrRun, fmt.Errorf("set-up: update to %s was not picked up by the controller within a minute (%v)", img, err)
		}
		if _, err := promote.PromoteRollout(e.argo.ArgoprojV1alpha1().Rollouts(roNS), roName, false, false, true); err != nil {
			return ErrRun, fmt.Errorf("set-up: promote --full: %w", err)
		}
		if err := setup("update to " + img); err != nil {
			return ErrRun, err
		}
	}
	// T+0 is the whole second at which the set-up settled: Argo's
	// controllers react a few milliseconds after the cluster change that
	// settled it (their rate limiter), rollsim's at that very instant, so
	// actions and scripted answers count from the same second on both.
	e.t0 = e.Now().Truncate(time.Second)
	e.started = true

	fired := 0
	var actionErr error
	last := int64(0)
	for i, a := range p.Actions {
		a := a
		i := i
		if a.AtMs > last {
			last = a.AtMs
		}
		e.schedule(e.t0.Add(time.Duration(a.AtMs)*time.Millisecond), "action", func() {
			fired++
			if err := e.action(ctx, a); err != nil && actionErr == nil {
				actionErr = fmt.Errorf("spec.actions[%d] (%s): %w", i, a.Kind, err)
			}
		})
	}
	u := p.Until
	if last >= u.TimeoutMs {
		return ErrInput, fmt.Errorf("until.timeout %s does not leave time after the last action", time.Duration(u.TimeoutMs)*time.Millisecond)
	}
	var since *time.Time
	hold := time.Duration(u.ForMs) * time.Millisecond
	done := func() bool {
		if actionErr != nil {
			return true
		}
		if fired < len(p.Actions) || !e.untilHolds(u) {
			since = nil
			return false
		}
		if since == nil {
			t := e.Now()
			since = &t
			if hold > 0 {
				e.schedule(t.Add(hold), "until.for", func() {})
			}
		}
		return e.Now().Sub(*since) >= hold
	}
	ok, err := e.runUntil(ctx, e.t0.Add(time.Duration(u.TimeoutMs)*time.Millisecond), done)
	if err != nil {
		return ErrRun, err
	}
	if actionErr != nil {
		return ErrInput, actionErr
	}
	if !ok {
		e.setNow(e.t0.Add(time.Duration(u.TimeoutMs) * time.Millisecond))
		return ErrTimeout, fmt.Errorf("timeout: the until condition did not hold within %s of virtual time", time.Duration(u.TimeoutMs)*time.Millisecond)
	}
	return "", nil
}

// prepare points analysis templates at the answer server.
func (e *Engine) prepare(obj runtime.Object) error {
	switch t := obj.(type) {
	case *v1alpha1.AnalysisTemplate:
		return e.answers.rewriteMetrics(t.Name, t.Spec.Metrics)
	case *v1alpha1.ClusterAnalysisTemplate:
		return e.answers.rewriteMetrics(t.Name, t.Spec.Metrics)
	}
	return nil
}

func describe(o runtime.Object) string {
	m, err := meta.Accessor(o)
	if err != nil {
		return fmt.Sprintf("%T", o)
	}
	return fmt.Sprintf("%T %s/%s", o, m.GetNamespace(), m.GetName())
}

func setImage(ro *v1alpha1.Rollout, container, image string) error {
	found := false
	for i := range ro.Spec.Template.Spec.Containers {
		c := &ro.Spec.Template.Spec.Containers[i]
		if container == "" || container == "*" || c.Name == container {
			c.Image, found = image, true
		}
	}
	if !found {
		return fmt.Errorf("rollout %s has no container %q", ro.Name, container)
	}
	return nil
}

func (e *Engine) setImage(ns, name, container, image string) error {
	ctx := context.Background()
	ro, err := e.argo.ArgoprojV1alpha1().Rollouts(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if ref := ro.Spec.WorkloadRef; ref != nil && ref.Kind == "Deployment" {
		return e.setDeploymentImage(ns, name, ref.Name, container, image)
	}
	var before []string
	for _, c := range ro.Spec.Template.Spec.Containers {
		if container == "" || container == "*" || c.Name == container {
			before = append(before, c.Image)
		}
	}
	if err := setImage(ro, container, image); err != nil {
		return err
	}
	e.record(actorUser, "rollout/"+name, "action", "SetImage", fmt.Sprintf("image %s → %s", strings.Join(before, ","), image))
	_, err = e.argo.ArgoprojV1alpha1().Rollouts(ns).Update(ctx, ro, metav1.UpdateOptions{})
	return err
}

func (e *Engine) patchSpec(ns, name, patch string) error {
	_, err := e.argo.ArgoprojV1alpha1().Rollouts(ns).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// action applies a scenario action as the user would, through Argo's
// kubectl plugin where it has a function for it.
func (e *Engine) action(ctx context.Context, a plan.Action) error {
	e.actor = actorUser
	defer func() { e.actor = "" }()
	ns, name, _ := strings.Cut(a.Rollout, "/")
	ros := e.argo.ArgoprojV1alpha1().Rollouts(ns)
	var err error
	switch a.Kind {
	case plan.ActionSetImage:
		return e.setImage(ns, name, a.Container, a.Image)
	case plan.ActionPromote:
		e.record(actorUser, "rollout/"+name, "action", "Promote", "kubectl argo rollouts promote")
		_, err = promote.PromoteRollout(ros, name, false, false, false)
	case plan.ActionPromoteFull:
		e.record(actorUser, "rollout/"+name, "action", "PromoteFull", "kubectl argo rollouts promote --full")
		_, err = promote.PromoteRollout(ros, name, false, false, true)
	case plan.ActionAbort:
		e.record(actorUser, "rollout/"+name, "action", "Abort", "kubectl argo rollouts abort")
		_, err = abort.AbortRollout(ros, name)
	case plan.ActionRetry:
		e.record(actorUser, "rollout/"+name, "action", "Retry", "kubectl argo rollouts retry rollout")
		_, err = retry.RetryRollout(ros, name)
	case plan.ActionPause:
		e.record(actorUser, "rollout/"+name, "action", "Pause", "spec.paused = true")
		err = e.patchSpec(ns, name, `{"spec":{"paused":true}}`)
	case plan.ActionResume:
		e.record(actorUser, "rollout/"+name, "action", "Resume", "spec.paused = false")
		err = e.patchSpec(ns, name, `{"spec":{"paused":false}}`)
	case plan.ActionScale:
		e.record(actorUser, "rollout/"+name, "action", "Scale", fmt.Sprintf("spec.replicas → %d", a.Replicas))
		err = e.patchSpec(ns, name, fmt.Sprintf(`{"spec":{"replicas":%d}}`, a.Replicas))
	case plan.ActionRestart:
		at := e.Now().Add(time.Duration(a.InMs) * time.Millisecond).Truncate(time.Second)
		e.record(actorUser, "rollout/"+name, "action", "Restart", "spec.restartAt = "+at.Format(time.RFC3339))
		_, err = restart.RestartRollout(ros, name, &at)
	case plan.ActionApply:
		e.record(actorUser, "manifests", "action", "Apply", fmt.Sprintf("%d objects", len(a.Objects)))
		for _, raw := range a.Objects {
			obj, derr := decodeObject(raw)
			if derr != nil {
				return derr
			}
			if err := e.prepare(obj); err != nil {
				return err
			}
			if err := e.apply(obj); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("action kind %q is not supported by the oracle", a.Kind)
	}
	return err
}

// settled: Healthy, the spec observed, no old ReplicaSet holding pods and
// no scale-down deadline pending (rollsim's set-up condition).
func (e *Engine) settled(ns, name string) bool {
	ctx := context.Background()
	ro, err := e.argo.ArgoprojV1alpha1().Rollouts(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil || ro.Status.Phase != v1alpha1.RolloutPhaseHealthy || ro.Status.ObservedGeneration != strconv.FormatInt(ro.Generation, 10) {
		return false
	}
	rss, err := e.kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	for _, rs := range rss.Items {
		if !metav1.IsControlledBy(&rs, ro) {
			continue
		}
		if rs.Labels["rollouts-pod-template-hash"] == ro.Status.StableRS {
			if rs.Status.AvailableReplicas != replicas(&rs) {
				return false
			}
			continue
		}
		if replicas(&rs) != 0 || rs.Status.Replicas != 0 || rs.Annotations["scale-down-deadline"] != "" {
			return false
		}
	}
	return true
}

// untilHolds: every rollout the condition names (u.Rollout, or all of them)
// is in one of u.Phases. The rollouts are read from the API, so a rollout
// created by an apply action counts as soon as it exists (and until.rollout
// naming one that does not exist yet does not hold).
func (e *Engine) untilHolds(u plan.Until) bool {
	ctx := context.Background()
	list, err := e.argo.ArgoprojV1alpha1().Rollouts("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	found := false
	for i := range list.Items {
		ro := &list.Items[i]
		if u.Rollout != "" && u.Rollout != ro.Namespace+"/"+ro.Name {
			continue
		}
		found = true
		ok := false
		for _, ph := range u.Phases {
			if string(ro.Status.Phase) == ph {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return found
}

// summarize is the final state in rollsim's result format.
func (e *Engine) summarize() ([]plan.RolloutState, []plan.AnalysisState) {
	ctx := context.Background()
	ros := []plan.RolloutState{}
	ars := []plan.AnalysisState{}
	list, err := e.argo.ArgoprojV1alpha1().Rollouts("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return ros, ars
	}
	rss, _ := e.kube.AppsV1().ReplicaSets("").List(ctx, metav1.ListOptions{})
	for _, ro := range list.Items {
		st := plan.RolloutState{Namespace: ro.Namespace, Name: ro.Name, Phase: string(ro.Status.Phase), Message: ro.Status.Message,
			CurrentStepIndex: ro.Status.CurrentStepIndex, ReplicaSets: []plan.ReplicaState{}}
		for _, rs := range rss.Items {
			if !metav1.IsControlledBy(&rs, &ro) {
				continue
			}
			hash := rs.Labels["rollouts-pod-template-hash"]
			role := "old"
			switch hash {
			case ro.Status.StableRS:
				role = "stable"
			case ro.Status.CurrentPodHash:
				role = "canary"
			}
			rev, _ := strconv.ParseInt(rs.Annotations["rollout.argoproj.io/revision"], 10, 64)
			var imgs []string
			for _, c := range rs.Spec.Template.Spec.Containers {
				imgs = append(imgs, c.Image)
			}
			st.ReplicaSets = append(st.ReplicaSets, plan.ReplicaState{Name: rs.Name, Role: role, Revision: rev, Images: imgs,
				SpecReplicas: replicas(&rs), AvailableReplicas: rs.Status.AvailableReplicas})
		}
		sort.Slice(st.ReplicaSets, func(i, j int) bool { return st.ReplicaSets[i].Revision < st.ReplicaSets[j].Revision })
		ros = append(ros, st)
	}
	sort.Slice(ros, func(i, j int) bool { return ros[i].Namespace+"/"+ros[i].Name < ros[j].Namespace+"/"+ros[j].Name })
	arl, err := e.argo.ArgoprojV1alpha1().AnalysisRuns("").List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, ar := range arl.Items {
			ars = append(ars, plan.AnalysisState{Name: ar.Name, Phase: string(ar.Status.Phase), Message: ar.Status.Message})
		}
	}
	sort.Slice(ars, func(i, j int) bool { return ars[i].Name < ars[j].Name })
	return ros, ars
}
