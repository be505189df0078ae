package scenarios_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/scenarios"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// After the blue-green promotion the active metadata is on green's pods
// (patched in place) and gone from blue's: a selector on the ephemeral label
// finds exactly green's pods, as a Service selecting role=active would.
func TestEphemeralMetadataIsVisibleToSelectors(t *testing.T) {
	r := scenarios.RunFile("library/spec-ephemeral-bluegreen-promotion.yaml", scenarios.RunOptions{})
	if !r.Passed() {
		t.Fatal("scenario failed")
	}
	pods := &corev1.PodList{}
	if err := r.Harness.Client().List(context.Background(), pods, client.MatchingLabels{"role": "active"}); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 2 {
		t.Fatalf("%d pods with role=active, want green's 2", len(pods.Items))
	}
	for _, p := range pods.Items {
		if !strings.HasPrefix(p.Name, "bluegreen-demo-64ffd4599d-") || p.Annotations["example.com/serving"] != "true" {
			t.Errorf("pod %s (annotations %v) should not carry the active metadata", p.Name, p.Annotations)
		}
		// Relabelled in place: green's first two pods, created before the promotion.
		if n := p.Name[len(p.Name)-1]; n != '0' && n != '1' {
			t.Errorf("pod %s was recreated", p.Name)
		}
	}
	preview := &corev1.PodList{}
	if err := r.Harness.Client().List(context.Background(), preview, client.MatchingLabels{"role": "preview"}); err != nil {
		t.Fatal(err)
	}
	if len(preview.Items) != 0 {
		t.Fatalf("%d pods still labelled role=preview", len(preview.Items))
	}
}
