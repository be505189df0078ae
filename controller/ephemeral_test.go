package controller

import (
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEphemeralMetadataSwitchKeepsForeignKeys(t *testing.T) {
	rs := &appsv1.ReplicaSet{}
	rs.Spec.Template.Labels = map[string]string{"app": "demo", "sidecar": "istio"}
	canary := &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}, Annotations: map[string]string{"note": "c"}}
	if m := injectTemplateMetadata(rs, canary); m.String() != "label role=canary, annotation note=c" {
		t.Fatalf("first injection: %q", m)
	}
	if m := injectTemplateMetadata(rs, canary); !m.empty() {
		t.Fatalf("second injection of the same metadata changed %q", m)
	}
	pod := metav1.ObjectMeta{Labels: map[string]string{"app": "demo", "role": "canary", "sidecar": "istio"}, Annotations: map[string]string{"note": "c"}}
	stable := &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}}
	m := planMetadata(&pod, injectedMetadata(rs), stable)
	if m.String() != "label role=stable, annotation note removed" {
		t.Fatalf("switch to stable: %q", m)
	}
	m.apply(&pod)
	if pod.Labels["role"] != "stable" || pod.Labels["sidecar"] != "istio" || pod.Labels["app"] != "demo" || len(pod.Annotations) != 0 {
		t.Fatalf("pod after switch: %v %v", pod.Labels, pod.Annotations)
	}
	if m := injectTemplateMetadata(rs, nil); m.String() != "label role removed, annotation note removed" ||
		rs.Annotations[AnnotationEphemeralMetadata] != "" || rs.Spec.Template.Labels["sidecar"] != "istio" {
		t.Fatalf("removal: %q, template %v, annotations %v", m, rs.Spec.Template.Labels, rs.Annotations)
	}
}
