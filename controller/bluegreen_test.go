package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func bgRollout(image string) *v1alpha1.Rollout {
	ro := canaryRollout()
	r := int32(2)
	ro.Spec.Replicas = &r
	ro.Spec.Template.Spec.Containers[0].Image = image
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "active", PreviewService: "preview"}}
	return ro
}

func bgService(name, hash string) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "demo"}},
	}
	if hash != "" {
		svc.Spec.Selector[LabelPodTemplateHash] = hash
		svc.Annotations = map[string]string{AnnotationManagedBy: "demo"}
	}
	return svc
}

func hashOf(t *testing.T, image string) string {
	t.Helper()
	h, err := PodTemplateHash(&bgRollout(image).Spec.Template, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// bgReplicaSet is an owned ReplicaSet of image with spec = available = n.
func bgReplicaSet(t *testing.T, image string, revision string, n int32, created time.Time) *appsv1.ReplicaSet {
	t.Helper()
	h := hashOf(t, image)
	tmpl := bgRollout(image).Spec.Template
	tmpl.Labels = map[string]string{"app": "demo", LabelPodTemplateHash: h}
	yes := true
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "demo-" + h, Namespace: "ns", Labels: tmpl.Labels, CreationTimestamp: metav1.NewTime(created),
			Annotations:     map[string]string{AnnotationRevision: revision, AnnotationDesiredReplicas: "2"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "demo", UID: "uid-1", Controller: &yes}},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &n, Template: tmpl,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "demo", LabelPodTemplateHash: h}}},
		Status: appsv1.ReplicaSetStatus{Replicas: n, ReadyReplicas: n, AvailableReplicas: n},
	}
}

func getService(t *testing.T, c client.Client, name string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: name}, svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestBlueGreenNewRSReplicas(t *testing.T) {
	p := int32(1)
	active := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "demo-a", Labels: map[string]string{LabelPodTemplateHash: "a"}}}
	newRS := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "demo-n", Labels: map[string]string{LabelPodTemplateHash: "n"}}}
	all := []*appsv1.ReplicaSet{active, newRS}
	cases := []struct {
		name   string
		mutate func(ro *v1alpha1.Rollout)
		want   int32
	}{
		{"no previewReplicaCount", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.BlueGreen.PreviewReplicaCount = nil }, 2},
		{"no active ReplicaSet", func(ro *v1alpha1.Rollout) { ro.Status.BlueGreen.ActiveSelector = "" }, 2},
		{"new is active", func(ro *v1alpha1.Rollout) { ro.Status.BlueGreen.ActiveSelector = "n" }, 2},
		{"full promotion", func(ro *v1alpha1.Rollout) { ro.Status.PromoteFull = true }, 2},
		{"update new to the status", func(ro *v1alpha1.Rollout) { ro.Status.CurrentPodHash = "a" }, 1},
		{"checkpoint not set", func(ro *v1alpha1.Rollout) {}, 1},
		{"checkpoint set", func(ro *v1alpha1.Rollout) { ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true }, 2},
		{"checkpoint set but paused", func(ro *v1alpha1.Rollout) {
			ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true
			ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause}}
		}, 1},
		{"checkpoint set but spec.paused", func(ro *v1alpha1.Rollout) {
			ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true
			ro.Spec.Paused = true
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ro := bgRollout("demo:v2")
			ro.Spec.Strategy.BlueGreen.PreviewReplicaCount = &p
			ro.Status.BlueGreen.ActiveSelector = "a"
			ro.Status.CurrentPodHash = "n"
			tc.mutate(ro)
			if got := BlueGreenNewRSReplicas(ro, all, newRS); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestIsSaturated(t *testing.T) {
	ro := bgRollout("demo:v1")
	rs := bgReplicaSet(t, "demo:v1", "1", 2, time.Time{})
	if !IsSaturated(ro, rs) {
		t.Fatal("2/2 with desired-replicas 2 must be saturated")
	}
	rs.Annotations[AnnotationDesiredReplicas] = "3"
	if IsSaturated(ro, rs) {
		t.Fatal("a stale desired-replicas annotation is not saturated")
	}
	rs.Annotations[AnnotationDesiredReplicas] = "2"
	rs.Status.AvailableReplicas = 1
	if IsSaturated(ro, rs) {
		t.Fatal("1 of 2 available is not saturated")
	}
}

func TestCalculatePhaseBlueGreen(t *testing.T) {
	ro := bgRollout("demo:v2")
	base := v1alpha1.RolloutStatus{CurrentPodHash: "n", StableRS: "s", UpdatedReplicas: 2, AvailableReplicas: 2}
	cases := []struct {
		name   string
		mutate func(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus)
		phase  v1alpha1.RolloutPhase
		msg    string
	}{
		{"no active selector", func(*v1alpha1.Rollout, *v1alpha1.RolloutStatus) {}, v1alpha1.RolloutPhaseProgressing, "active service cutover pending"},
		{"active on the old one", func(_ *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) { st.BlueGreen.ActiveSelector = "s" },
			v1alpha1.RolloutPhaseProgressing, "active service cutover pending"},
		{"switched, post analysis running", func(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) {
			ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis = &v1alpha1.RolloutAnalysis{}
			st.BlueGreen.ActiveSelector = "n"
			st.BlueGreen.PostPromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Status: v1alpha1.AnalysisPhaseRunning}
		}, v1alpha1.RolloutPhaseProgressing, "waiting for analysis to complete"},
		{"switched, post analysis done", func(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) {
			ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis = &v1alpha1.RolloutAnalysis{}
			st.BlueGreen.ActiveSelector = "n"
			st.BlueGreen.PostPromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Status: v1alpha1.AnalysisPhaseSuccessful}
		}, v1alpha1.RolloutPhaseProgressing, "waiting for post-promotion verification to complete"},
		{"promoted", func(_ *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) {
			st.BlueGreen.ActiveSelector = "n"
			st.StableRS = "n"
		}, v1alpha1.RolloutPhaseHealthy, ""},
		{"paused", func(_ *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) {
			st.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause}}
		}, v1alpha1.RolloutPhasePaused, "BlueGreenPause"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ro.DeepCopy()
			st := base.DeepCopy()
			tc.mutate(r, st)
			phase, msg := CalculatePhase(r, st)
			if phase != tc.phase || msg != tc.msg {
				t.Fatalf("got %s %q, want %s %q", phase, msg, tc.phase, tc.msg)
			}
		})
	}
}

func TestBlueGreenValidation(t *testing.T) {
	inf := &v1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "forever", Namespace: "ns"},
		Spec:       v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "m", Interval: "1m", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}}}},
	}
	limit := int32(11)
	cases := []struct {
		name   string
		mutate func(bg *v1alpha1.BlueGreenStrategy)
		objs   []client.Object
		want   string
	}{
		{"same services", func(bg *v1alpha1.BlueGreenStrategy) { bg.PreviewService = "active" }, nil,
			`spec.strategy.activeService: Invalid value: "active": This rollout uses the same service for the active and preview services`},
		{"missing preview service", func(*v1alpha1.BlueGreenStrategy) {}, []client.Object{bgService("active", "")},
			`spec.strategy.blueGreen.previewService: Invalid value: "preview": service "preview" not found`},
		{"revision limit", func(bg *v1alpha1.BlueGreenStrategy) { bg.ScaleDownDelayRevisionLimit = &limit }, nil,
			"spec.strategy.scaleDownDelayRevisionLimit: Invalid value: 11: This rollout's revision history limit can not be smaller than the rollout's scale down limit"},
		{"missing pre-promotion template", func(bg *v1alpha1.BlueGreenStrategy) {
			bg.PrePromotionAnalysis = &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "nope"}}}
		}, []client.Object{bgService("active", ""), bgService("preview", "")},
			`spec.strategy.blueGreen.prePromotionAnalysis.templates: Invalid value: "nope": AnalysisTemplate 'nope' not found`},
		{"indefinite post-promotion metric", func(bg *v1alpha1.BlueGreenStrategy) {
			bg.PostPromotionAnalysis = &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "forever"}}}
		}, []client.Object{bgService("active", ""), bgService("preview", ""), inf},
			"AnalysisTemplate forever has metric m which runs indefinitely. Invalid value for count: <nil>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ro := bgRollout("demo:v1")
			tc.mutate(ro.Spec.Strategy.BlueGreen)
			c, _, _ := reconcileOnce(t, append([]client.Object{ro}, tc.objs...)...)
			got := getRollout(t, c)
			if got.Status.Phase != v1alpha1.RolloutPhaseDegraded || !strings.Contains(got.Status.Message, tc.want) {
				t.Fatalf("phase %s message %q, want it to contain %q", got.Status.Phase, got.Status.Message, tc.want)
			}
		})
	}
}

func TestBlueGreenInitialDeploy(t *testing.T) {
	ro := bgRollout("demo:v1")
	c, rec, _ := reconcileOnce(t, ro, bgService("active", ""), bgService("preview", ""))
	h := hashOf(t, "demo:v1")
	got := getRollout(t, c)
	if got.Status.StableRS != h || got.Status.CurrentPodHash != h {
		t.Fatalf("stableRS %q currentPodHash %q, want both %q", got.Status.StableRS, got.Status.CurrentPodHash, h)
	}
	if got.Status.BlueGreen.PreviewSelector != h || got.Status.BlueGreen.ActiveSelector != "" {
		t.Fatalf("selectors %+v: the preview follows at once, the active waits for saturation", got.Status.BlueGreen)
	}
	if got.Status.Message != "more replicas need to be updated" {
		t.Fatalf("message %q", got.Status.Message)
	}
	if sel := getService(t, c, "preview").Spec.Selector[LabelPodTemplateHash]; sel != h {
		t.Fatalf("preview selector %q, want %q", sel, h)
	}
	rs := &appsv1.ReplicaSet{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "demo-" + h}, rs); err != nil {
		t.Fatal(err)
	}
	if *rs.Spec.Replicas != 2 {
		t.Fatalf("new ReplicaSet at %d, want 2 (blue-green scales in the same reconcile)", *rs.Spec.Replicas)
	}
	found := false
	for _, n := range *rec {
		found = found || (n.Reason == "RolloutCompleted" && strings.HasSuffix(n.Detail, "Initial deploy"))
	}
	if !found {
		t.Fatal("no RolloutCompleted … Initial deploy note")
	}
}

// After a failed post-promotion analysis has been persisted as an abort, the
// next reconcile points the active Service back at the stable ReplicaSet and
// starts the preview's abort scale-down delay.
func TestBlueGreenAbortSwitchesActiveBack(t *testing.T) {
	t0 := time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)
	h1, h2 := hashOf(t, "demo:v1"), hashOf(t, "demo:v2")
	ro := bgRollout("demo:v2")
	ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis = &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}}
	abortedAt := metav1.NewTime(t0.Add(30 * time.Minute))
	ro.Status = v1alpha1.RolloutStatus{
		ObservedGeneration: "1", StableRS: h1, CurrentPodHash: h2, Abort: true, AbortedAt: &abortedAt,
		BlueGreen: v1alpha1.BlueGreenStatus{ActiveSelector: h2, PreviewSelector: h2},
		Conditions: []v1alpha1.RolloutCondition{{Type: v1alpha1.RolloutProgressing, Status: corev1.ConditionFalse, Reason: reasonRolloutAborted,
			Message: "Rollout aborted update to revision 2: Blue/green post-promotion analysis phase error/failed"}},
	}
	tmpl := &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: "ns"},
		Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "m", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}}}}}
	c, rec, res := reconcileOnce(t, ro, tmpl, bgService("active", h2), bgService("preview", h2),
		bgReplicaSet(t, "demo:v1", "1", 2, t0), bgReplicaSet(t, "demo:v2", "2", 2, t0.Add(time.Minute)))
	if sel := getService(t, c, "active").Spec.Selector[LabelPodTemplateHash]; sel != h1 {
		t.Fatalf("active selector %q, want the stable %q", sel, h1)
	}
	got := getRollout(t, c)
	if got.Status.BlueGreen.ActiveSelector != h1 || got.Status.StableRS != h1 || got.Status.Phase != v1alpha1.RolloutPhaseDegraded {
		t.Fatalf("status active %q stable %q phase %s", got.Status.BlueGreen.ActiveSelector, got.Status.StableRS, got.Status.Phase)
	}
	rs := &appsv1.ReplicaSet{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "demo-" + h2}, rs); err != nil {
		t.Fatal(err)
	}
	if *rs.Spec.Replicas != 2 || rs.Annotations[AnnotationScaleDownDeadline] != "2026-01-01T00:00:30Z" {
		t.Fatalf("preview spec %d deadline %q: kept at 2 with a deadline 30 s out", *rs.Spec.Replicas, rs.Annotations[AnnotationScaleDownDeadline])
	}
	if res.RequeueAfter != 30*time.Second {
		t.Fatalf("requeue %s, want 30s", res.RequeueAfter)
	}
	for _, n := range *rec {
		if n.Reason == "AnalysisRunCreated" {
			t.Fatal("an aborted rollout must not start analysis")
		}
	}
}
