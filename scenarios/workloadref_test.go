package scenarios_test

import (
	"context"
	"testing"

	"github.com/rollsim/rollsim/scenarios"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The referenced Deployment under each workloadRef.scaleDown mode, after v2
// is rolled out through its template: onsuccess scaled it to 0 once
// revision 1 was Healthy, never left it at its 4 replicas.
func TestWorkloadRefScaleDownModes(t *testing.T) {
	for dir, want := range map[string]int32{"baseline": 0, "candidate": 4} {
		t.Run(dir, func(t *testing.T) {
			r := scenarios.RunFile("testdata/spec/workloadref/suite/v1-to-v2.yaml",
				scenarios.RunOptions{Manifests: []string{"testdata/spec/workloadref/" + dir}})
			if !r.Passed() {
				t.Fatalf("scenario failed: %s", r.Report.Error)
			}
			d := &appsv1.Deployment{}
			if err := r.Harness.Client().Get(context.Background(), types.NamespacedName{Namespace: "default", Name: "web"}, d); err != nil {
				t.Fatal(err)
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas != want {
				t.Fatalf("Deployment replicas %v, want %d", d.Spec.Replicas, want)
			}
			if img := d.Spec.Template.Spec.Containers[0].Image; img != "web:v2" {
				t.Fatalf("setImage must edit the Deployment's template: image %s", img)
			}
		})
	}
}

// replay builds its scenario from the referenced Deployment's template.
func TestReplayReadsWorkloadRefTemplate(t *testing.T) {
	s, err := scenarios.ReplayPlan{Manifests: "testdata/spec/workloadref/baseline", Rollout: "web", Image: "web:v2"}.Build()
	if err != nil {
		t.Fatal(err)
	}
	if s.Spec.Initial.Image != "web:v1" {
		t.Fatalf("initial image %q, want the Deployment's web:v1", s.Spec.Initial.Image)
	}
	r := scenarios.Run(s, scenarios.RunOptions{})
	ladder := scenarios.Ladder(r)
	if len(ladder) != 2 || ladder[0].Step != "1/2 setWeight: 25" || ladder[0].Canary != 1 {
		t.Fatalf("ladder %+v", ladder)
	}
	if _, err := (scenarios.ReplayPlan{Manifests: "testdata/lifecycle/invalid", Rollout: "nope", Image: "x"}).Build(); err == nil {
		t.Fatal("an unknown rollout must be an error")
	}
}
