package cluster_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/sim/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunThenStopEnvtest(m)) }

func richTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "d"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox", Ports: []corev1.ContainerPort{{ContainerPort: 9}}}},
			Containers: []corev1.Container{{
				Name: "c", Image: "example.com/app:v1",
				Ports:          []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
				Env:            []corev1.EnvVar{{Name: "E", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				Resources:      corev1.ResourceRequirements{Limits: corev1.ResourceList{"cpu": resource.MustParse("100m")}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80)}}},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 81}}},
				StartupProbe:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}, PeriodSeconds: 2},
			}, {Name: "latest", Image: "example.com/app"}, {Name: "digest", Image: "example.com/app@sha256:0123"}},
			Volumes: []corev1.Volume{
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}},
				{Name: "c", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}},
				{Name: "d", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{}}},
				{Name: "e", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	}
}

// TestDefaultsMatchTheAPIServer: cluster.Default gives a Deployment and a
// Rollout exactly what the real API server stores for them (their pod
// templates are hashed into ReplicaSet names).
func TestDefaultsMatchTheAPIServer(t *testing.T) {
	srv, err := cluster.SharedEnvtest()
	if err != nil {
		t.Fatalf("envtest backend: %v", err)
	}
	r, err := srv.NewCluster(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "d"}}, Template: richTemplate()}}
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "default"},
		Spec: v1alpha1.RolloutSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "d"}}, Template: richTemplate(),
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}}}}
	for _, obj := range []client.Object{dep, ro} {
		want := obj.DeepCopyObject().(client.Object)
		cluster.Default(want)
		if equality.Semantic.DeepEqual(specOf(want), specOf(obj)) {
			t.Fatalf("%T: Default changed nothing; the test would prove nothing", obj)
		}
		if err := r.Create(ctx, obj); err != nil {
			t.Fatalf("create %T: %v", obj, err)
		}
		if !equality.Semantic.DeepEqual(specOf(want), specOf(obj)) {
			t.Errorf("%T: the server stored a different spec than cluster.Default gives:\n%s", obj, jsonDiff(specOf(obj), specOf(want)))
		}
		again := obj.DeepCopyObject().(client.Object)
		cluster.Default(again)
		if !equality.Semantic.DeepEqual(specOf(again), specOf(obj)) {
			t.Errorf("%T: Default is not idempotent on the server's object", obj)
		}
	}
}

func specOf(o client.Object) any {
	switch v := o.(type) {
	case *appsv1.Deployment:
		return v.Spec
	case *v1alpha1.Rollout:
		return v.Spec
	}
	return nil
}

// jsonDiff lists the lines of the indented JSON of server that rollsim
// lacks (-) and the other way round (+).
func jsonDiff(server, rollsim any) string {
	a, _ := json.MarshalIndent(server, "", " ")
	b, _ := json.MarshalIndent(rollsim, "", " ")
	as, bs := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	count := map[string]int{}
	for _, l := range bs {
		count[l]++
	}
	var out []string
	for _, l := range as {
		if count[l] > 0 {
			count[l]--
			continue
		}
		out = append(out, "- server only: "+strings.TrimSpace(l))
	}
	count = map[string]int{}
	for _, l := range as {
		count[l]++
	}
	for _, l := range bs {
		if count[l] > 0 {
			count[l]--
			continue
		}
		out = append(out, "+ rollsim only: "+strings.TrimSpace(l))
	}
	return strings.Join(out, "\n")
}

// TestRemoteShowsScenarioNames: on the shared server an object lives in the
// scenario's own namespace, yet every read — typed, list, metadata-only —
// carries the manifest's namespace and the virtual creation time.
func TestRemoteShowsScenarioNames(t *testing.T) {
	srv, err := cluster.SharedEnvtest()
	if err != nil {
		t.Fatalf("envtest backend: %v", err)
	}
	created := time.Date(2026, 1, 1, 0, 0, 7, 0, time.UTC)
	r, err := srv.NewCluster(func() time.Time { return created }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default"}, Data: map[string]string{"a": "b"}}
	if err := r.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	onServer := &corev1.ConfigMap{}
	if err := r.Clientset().CoreV1().RESTClient().Get().Namespace(r.ServerNamespace("default")).Resource("configmaps").Name("c").Do(ctx).Into(onServer); err != nil {
		t.Fatalf("the object is not in the scenario's server namespace %s: %v", r.ServerNamespace("default"), err)
	}
	if onServer.CreationTimestamp.Time.Equal(created) {
		t.Fatal("the server's creation time is the virtual one; the test would prove nothing")
	}
	got := &corev1.ConfigMap{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: "default", Name: "c"}, got); err != nil {
		t.Fatal(err)
	}
	list := &corev1.ConfigMapList{}
	if err := r.List(ctx, list, client.InNamespace("default")); err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v, %d items", err, len(list.Items))
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	if err := r.Get(ctx, client.ObjectKey{Namespace: "default", Name: "c"}, meta); err != nil {
		t.Fatal(err)
	}
	for what, m := range map[string]metav1.Object{"get": got, "list": &list.Items[0], "metadata": meta} {
		if m.GetNamespace() != "default" || m.GetName() != "c" || !m.GetCreationTimestamp().Time.Equal(created) || m.GetUID() != onServer.UID {
			t.Errorf("%s: %s/%s created %v uid %s, want default/c created %v uid %s", what, m.GetNamespace(), m.GetName(),
				m.GetCreationTimestamp(), m.GetUID(), created, onServer.UID)
		}
	}
}
