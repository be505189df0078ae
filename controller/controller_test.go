package controller

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/api"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func canaryRollout(steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	r := int32(4)
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "ns", Generation: 1, UID: "uid-1"},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &r,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "demo"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "demo"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "demo:v1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: steps}},
		},
	}
}

type notes []Note

func (n *notes) Record(x Note) { *n = append(*n, x) }

func reconcileOnce(t *testing.T, objs ...client.Object) (client.Client, *notes, reconcile.Result) {
	t.Helper()
	c := crfake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Rollout{}, &appsv1.ReplicaSet{}).Build()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := &notes{}
	r, err := NewRolloutReconciler(Options{Client: c, Clock: clk, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "demo"}})
	if err != nil {
		t.Fatal(err)
	}
	return c, rec, res
}

func getRollout(t *testing.T, c client.Client) *v1alpha1.Rollout {
	t.Helper()
	ro := &v1alpha1.Rollout{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "demo"}, ro); err != nil {
		t.Fatal(err)
	}
	return ro
}

func TestMissingServiceIsInvalidSpec(t *testing.T) {
	w := int32(20)
	ro := canaryRollout(v1alpha1.CanaryStep{SetWeight: &w})
	ro.Spec.Strategy.Canary.StableService = "missing-svc"
	c, rec, res := reconcileOnce(t, ro)
	got := getRollout(t, c)
	if got.Status.Phase != v1alpha1.RolloutPhaseDegraded || !strings.Contains(got.Status.Message, `InvalidSpec: The Rollout "demo" is invalid`) ||
		!strings.Contains(got.Status.Message, "missing-svc") {
		t.Fatalf("phase %s message %q", got.Status.Phase, got.Status.Message)
	}
	if res.RequeueAfter != invalidSpecRetry {
		t.Fatalf("requeue %s, want %s", res.RequeueAfter, invalidSpecRetry)
	}
	found := false
	for _, n := range *rec {
		found = found || (n.Verb == "condition" && n.Reason == "InvalidSpec")
	}
	if !found {
		t.Fatal("the InvalidSpec condition is not in the timeline")
	}
	rsList := &appsv1.ReplicaSetList{}
	_ = c.List(context.Background(), rsList)
	if len(rsList.Items) != 0 {
		t.Fatal("an invalid rollout must stay untouched")
	}
}

func TestUnsupportedFeaturesSayNotSupportedYet(t *testing.T) {
	cases := map[string]*v1alpha1.Rollout{}
	weight := int32(10)
	exp := canaryRollout(v1alpha1.CanaryStep{Experiment: &v1alpha1.RolloutExperimentStep{Templates: []v1alpha1.RolloutExperimentTemplate{
		{Name: "c", SpecRef: v1alpha1.CanarySpecRef, Weight: &weight}}}})
	exp.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{SMI: &v1alpha1.SMITrafficRouting{}}
	exp.Spec.Strategy.Canary.StableService, exp.Spec.Strategy.Canary.CanaryService = "stable", "canary"
	cases["experiment template weight"] = exp
	plugin := canaryRollout()
	plugin.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Plugins: map[string]json.RawMessage{"acme/router": json.RawMessage(`{}`)}}
	cases[`traffic router plugin "acme/router"`] = plugin
	for what, ro := range cases {
		t.Run(what, func(t *testing.T) {
			c, _, _ := reconcileOnce(t, ro)
			got := getRollout(t, c)
			if got.Status.Phase != v1alpha1.RolloutPhaseDegraded || !strings.Contains(got.Status.Message, "not supported yet") ||
				!strings.Contains(got.Status.Message, what) {
				t.Fatalf("phase %s message %q", got.Status.Phase, got.Status.Message)
			}
		})
	}
}

func TestFirstReconcileCreatesRevisionOneReplicaSet(t *testing.T) {
	w := int32(20)
	ro := canaryRollout(v1alpha1.CanaryStep{SetWeight: &w})
	c, rec, _ := reconcileOnce(t, ro)
	hash, err := PodTemplateHash(&ro.Spec.Template, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := &appsv1.ReplicaSet{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "demo-" + hash}, rs); err != nil {
		t.Fatalf("new ReplicaSet demo-%s not created: %v", hash, err)
	}
	if rs.Annotations[AnnotationRevision] != "1" || *rs.Spec.Replicas != 0 || rs.Labels[LabelPodTemplateHash] != hash {
		t.Fatalf("unexpected ReplicaSet: %+v", rs.ObjectMeta)
	}
	if rs.Spec.Selector.MatchLabels[LabelPodTemplateHash] != hash {
		t.Fatal("selector lacks the pod-template hash")
	}
	if (*rec)[0].Reason != "NewReplicaSetCreated" {
		t.Fatalf("first note %+v", (*rec)[0])
	}
}

func TestPodTemplateHashIsStableAndTemplateSensitive(t *testing.T) {
	a := canaryRollout().Spec.Template
	b := a.DeepCopy()
	h1, _ := PodTemplateHash(&a, nil)
	h2, _ := PodTemplateHash(b, nil)
	if h1 != h2 || h1 == "" {
		t.Fatalf("hash not stable: %s %s", h1, h2)
	}
	b.Spec.Containers[0].Image = "demo:v2"
	h3, _ := PodTemplateHash(b, nil)
	one := int32(1)
	h4, _ := PodTemplateHash(&a, &one)
	if h3 == h1 || h4 == h1 {
		t.Fatal("hash ignores the image or the collision count")
	}
}

func TestStepString(t *testing.T) {
	w := int32(40)
	r := int32(1)
	d := intstrFromString("3m")
	cases := map[string]v1alpha1.CanaryStep{
		"setWeight: 40":               {SetWeight: &w},
		"pause":                       {Pause: &v1alpha1.RolloutPause{}},
		"pause: 3m":                   {Pause: &v1alpha1.RolloutPause{Duration: &d}},
		"setCanaryScale{replicas: 1}": {SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: &r}},
		"setCanaryScale{matchTrafficWeight: true}": {SetCanaryScale: &v1alpha1.SetCanaryScale{MatchTrafficWeight: true}},
		"analysis": {Analysis: &v1alpha1.RolloutAnalysis{}},
	}
	for want, step := range cases {
		if got := StepString(step); got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
}

func TestCalculatePhaseOrder(t *testing.T) {
	ro := canaryRollout()
	st := &v1alpha1.RolloutStatus{
		Conditions:      []v1alpha1.RolloutCondition{{Type: v1alpha1.RolloutProgressing, Reason: "RolloutAborted", Message: "Rollout aborted update to revision 2"}},
		PauseConditions: []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}},
	}
	if p, m := CalculatePhase(ro, st); p != v1alpha1.RolloutPhaseDegraded || m != "RolloutAborted: Rollout aborted update to revision 2" {
		t.Fatalf("abort must win over pause: %s %q", p, m)
	}
	st.Conditions = nil
	if p, m := CalculatePhase(ro, st); p != v1alpha1.RolloutPhasePaused || m != "CanaryPauseStep" {
		t.Fatalf("%s %q", p, m)
	}
	ro.Spec.Paused = true
	if p, m := CalculatePhase(ro, st); p != v1alpha1.RolloutPhasePaused || m != "manually paused" {
		t.Fatalf("%s %q", p, m)
	}
	ro.Spec.Paused = false
	st.PauseConditions = nil
	st.UpdatedReplicas, st.AvailableReplicas, st.Replicas = 4, 4, 4
	st.StableRS, st.CurrentPodHash = "a", "b"
	if p, m := CalculatePhase(ro, st); p != v1alpha1.RolloutPhaseProgressing || m != "waiting for all steps to complete" {
		t.Fatalf("%s %q", p, m)
	}
	st.StableRS = "b"
	if p, _ := CalculatePhase(ro, st); p != v1alpha1.RolloutPhaseHealthy {
		t.Fatalf("%s", p)
	}
}

func TestUnbuiltSpecFieldsAreNotSupported(t *testing.T) {
	for field, mutate := range map[string]func(*v1alpha1.Rollout){
		"spec.workloadRef.kind": func(ro *v1alpha1.Rollout) {
			ro.Spec.Template = corev1.PodTemplateSpec{}
			ro.Spec.WorkloadRef = &v1alpha1.ObjectRef{Kind: "PodTemplate", Name: "d"}
		},
	} {
		ro := canaryRollout()
		mutate(ro)
		c, _, _ := reconcileOnce(t, ro)
		got := getRollout(t, c)
		if got.Status.Phase != v1alpha1.RolloutPhaseDegraded || !strings.Contains(got.Status.Message, field+":") || !strings.Contains(got.Status.Message, "not supported yet") {
			t.Errorf("%s: phase %s message %q", field, got.Status.Phase, got.Status.Message)
		}
	}
}
