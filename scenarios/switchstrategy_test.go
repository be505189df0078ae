package scenarios

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// After a blue-green rollout is switched to canary, the Services it no
// longer references have no rollouts-pod-template-hash selector and no
// managed-by annotation (Argo's service controller, service/service.go
// syncService; Argo's e2e TestBlueGreenToCanary expects the former active
// Service's selector to be just {app: …}).
func TestSwitchToCanaryReleasesServices(t *testing.T) {
	r := RunFile("library/lifecycle-bluegreen-to-canary.yaml", RunOptions{})
	if !r.Passed() {
		t.Fatalf("run failed: %s\n%s", r.Report.Error, r.Timeline())
	}
	for _, name := range []string{"bluegreen-active", "bluegreen-preview"} {
		svc := &corev1.Service{}
		if err := r.Harness.Client().Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, svc); err != nil {
			t.Fatal(err)
		}
		if _, ok := svc.Spec.Selector["rollouts-pod-template-hash"]; ok {
			t.Errorf("service %s still selects a pod-template hash: %v", name, svc.Spec.Selector)
		}
		if _, ok := svc.Annotations["argo-rollouts.argoproj.io/managed-by-rollouts"]; ok {
			t.Errorf("service %s still carries the managed-by annotation", name)
		}
		if svc.Spec.Selector["app"] != "bluegreen-demo" {
			t.Errorf("service %s lost its own selector: %v", name, svc.Spec.Selector)
		}
	}
}
