package sim

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/sim/cluster"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

type fixedBehavior struct{ startup time.Duration }

func (b fixedBehavior) Pod(string) cluster.PodBehavior {
	return cluster.PodBehavior{Startup: b.startup}
}
func (b fixedBehavior) JobPod(string, string, int) cluster.JobPodBehavior {
	return cluster.JobPodBehavior{Startup: 2 * time.Second, Duration: time.Minute, Succeed: true}
}

func load(t *testing.T, files ...string) []client.Object {
	t.Helper()
	dec := serializer.NewCodecFactory(api.Scheme).UniversalDeserializer()
	var out []client.Object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(b), "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			obj, _, err := dec.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			co := obj.(client.Object)
			if co.GetNamespace() == "" {
				co.SetNamespace("default")
			}
			out = append(out, co)
		}
	}
	return out
}

func TestBasicCanaryBlueToYellow(t *testing.T) {
	h, err := New(Config{Seed: 1, Behavior: fixedBehavior{startup: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	objs := load(t, "testdata/service.yaml", "testdata/rollout.yaml")
	if err := h.Apply(objs...); err != nil {
		t.Fatal(err)
	}
	ok, err := h.RunUntil(h.Now().Add(10*time.Minute), func() bool {
		s, err := h.Settled("default", "rollouts-demo")
		return err == nil && s
	})
	if err != nil || !ok {
		ro, _ := h.Rollout("default", "rollouts-demo")
		t.Fatalf("initial deploy did not settle: ok=%v err=%v status=%+v", ok, err, ro.Status)
	}
	h.StartTimeline()
	if err := h.SetImage("default", "rollouts-demo", "", "argoproj/rollouts-demo:yellow"); err != nil {
		t.Fatal(err)
	}
	h.After(2*time.Minute, "promote", func() {
		if err := h.Promote("default", "rollouts-demo", false); err != nil {
			t.Error(err)
		}
	})
	ok, err = h.RunUntil(h.Now().Add(30*time.Minute), func() bool {
		s, err := h.Settled("default", "rollouts-demo")
		return err == nil && s
	})
	t.Log("\n" + strings.Join(lines(h), "\n"))
	if err != nil || !ok {
		t.Fatalf("rollout did not finish: ok=%v err=%v", ok, err)
	}
	ro, _ := h.Rollout("default", "rollouts-demo")
	if ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		t.Fatalf("phase %s", ro.Status.Phase)
	}
}

func lines(h *Harness) []string {
	var out []string
	for _, r := range h.Recorder().Records() {
		out = append(out, r.Text())
	}
	return out
}
