package scenarios

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// "The image cannot be pulled" is a version behaviour for any pod of that
// image: here the rollout's canary (v2) pods stay Pending with their
// container Waiting (ErrImagePull) and never become Ready, so the rollout
// never gets past its first step; the library scenario
// analysis-job-image-pull-inconclusive covers a Job's pod.
func TestImagePullErrorRolloutPods(t *testing.T) {
	s, err := LoadFile("library/analysis-args-resolved.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v := s.Spec.Versions["v2"]
	v.ImagePullError = true
	s.Spec.Versions["v2"] = v
	s.Spec.Expect = nil
	r := Run(s, RunOptions{})
	if r.Harness == nil {
		t.Fatalf("run failed: %s", r.Report.Error)
	}
	pods := &corev1.PodList{}
	if err := r.Harness.Client().List(context.Background(), pods, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pods.Items {
		if !strings.HasPrefix(p.Name, "guestbook-8458755875-") { // revision 2 (v2)
			continue
		}
		found = true
		cs := p.Status.ContainerStatuses
		if p.Status.Phase != corev1.PodPending || len(cs) != 1 || cs[0].State.Waiting == nil || cs[0].State.Waiting.Reason != "ErrImagePull" || cs[0].Ready {
			t.Fatalf("v2 pod %s: phase %s statuses %+v, want Pending with ErrImagePull", p.Name, p.Status.Phase, cs)
		}
	}
	if !found {
		t.Fatalf("no v2 pod:\n%s", r.Timeline())
	}
	if strings.Contains(r.Timeline(), "pod/guestbook-8458755875-0                     ready") {
		t.Fatalf("a v2 pod became ready:\n%s", r.Timeline())
	}
}
