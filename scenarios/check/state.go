package check

import (
	"fmt"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/controller/replicas"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	appsv1 "k8s.io/api/apps/v1"
)

// Cluster is what a state check reads (the sim harness has it).
type Cluster interface {
	Rollout(ns, name string) (*v1alpha1.Rollout, error)
	ReplicaSets(ns, rollout string) ([]appsv1.ReplicaSet, error)
}

// RoleOf is a ReplicaSet's role by its pod-template hash: stable, canary
// (the rollout's current pods) or old.
func RoleOf(ro *v1alpha1.Rollout, hash string) string {
	switch hash {
	case ro.Status.StableRS:
		return "stable"
	case ro.Status.CurrentPodHash:
		return "canary"
	}
	return "old"
}

// State checks a state expectation against the cluster now; ns is the
// namespace of a rollout named without one.
func State(e format.Expectation, c Cluster, ns string) report.Expectation {
	out := report.Expectation{Description: e.Describe()}
	ns, n := format.SplitRef(e.Rollout, ns)
	ro, err := c.Rollout(ns, n)
	if err != nil {
		out.Message = err.Error()
		return out
	}
	var fails []string
	if e.Phase != "" && string(ro.Status.Phase) != e.Phase {
		fails = append(fails, fmt.Sprintf("phase is %s (%q), want %s", ro.Status.Phase, ro.Status.Message, e.Phase))
	}
	if e.Message != "" && !strings.Contains(ro.Status.Message, e.Message) {
		fails = append(fails, fmt.Sprintf("message is %q, want it to contain %q", ro.Status.Message, e.Message))
	}
	rss, _ := c.ReplicaSets(ns, n)
	spec, avail, stableImage := byRole(ro, rss)
	if e.StableImage != "" && stableImage != e.StableImage {
		fails = append(fails, fmt.Sprintf("stable image is %q, want %q", stableImage, e.StableImage))
	}
	if e.StepIndex != nil && (ro.Status.CurrentStepIndex == nil || *ro.Status.CurrentStepIndex != *e.StepIndex) {
		got := "none"
		if ro.Status.CurrentStepIndex != nil {
			got = fmt.Sprint(*ro.Status.CurrentStepIndex)
		}
		fails = append(fails, fmt.Sprintf("step index is %s, want %d", got, *e.StepIndex))
	}
	sw, aw := Weights(ro, rss)
	if e.SetWeight != nil && sw != *e.SetWeight {
		fails = append(fails, fmt.Sprintf("setWeight is %d, want %d", sw, *e.SetWeight))
	}
	if e.ActualWeight != nil && aw != *e.ActualWeight {
		fails = append(fails, fmt.Sprintf("actualWeight is %d, want %d", aw, *e.ActualWeight))
	}
	fails = roleCounts(fails, "replicas", e.Replicas, spec)
	fails = roleCounts(fails, "available", e.Available, avail)
	out.Passed = len(fails) == 0
	out.Message = strings.Join(fails, "; ")
	return out
}

// byRole sums spec and available replicas by role, and finds the stable
// ReplicaSet's first image.
func byRole(ro *v1alpha1.Rollout, rss []appsv1.ReplicaSet) (spec, avail map[string]int32, stableImage string) {
	spec, avail = map[string]int32{}, map[string]int32{}
	for _, rs := range rss {
		role := RoleOf(ro, rs.Labels[controller.LabelPodTemplateHash])
		if rs.Spec.Replicas != nil {
			spec[role] += *rs.Spec.Replicas
		}
		avail[role] += rs.Status.AvailableReplicas
		if role == "stable" && len(rs.Spec.Template.Spec.Containers) > 0 {
			stableImage = rs.Spec.Template.Spec.Containers[0].Image
		}
	}
	return spec, avail, stableImage
}

func roleCounts(fails []string, what string, want *format.RoleCounts, got map[string]int32) []string {
	if want == nil {
		return fails
	}
	for _, p := range []struct {
		role string
		n    *int32
	}{{"stable", want.Stable}, {"canary", want.Canary}, {"old", want.Old}} {
		if p.n != nil && got[p.role] != *p.n {
			fails = append(fails, fmt.Sprintf("%s %s is %d, want %d", p.role, what, got[p.role], *p.n))
		}
	}
	return fails
}

// Weights returns Argo's SetWeight and ActualWeight as `kubectl argo
// rollouts get` shows them.
func Weights(ro *v1alpha1.Rollout, rss []appsv1.ReplicaSet) (int32, int32) {
	if ro.Spec.Strategy.Canary == nil {
		return 0, 0
	}
	m := replicas.MaxWeight(ro)
	sw := replicas.CurrentSetWeight(ro)
	steps := len(ro.Spec.Strategy.Canary.Steps)
	if ro.Status.CurrentStepIndex != nil && int(*ro.Status.CurrentStepIndex) >= steps {
		return sw, m
	}
	if ro.Spec.Strategy.Canary.TrafficRouting != nil {
		if w := ro.Status.Canary.Weights; w != nil {
			return sw, w.Canary.Weight
		}
		return sw, 0
	}
	var canaryAvail int32
	for _, rs := range rss {
		if rs.Labels[controller.LabelPodTemplateHash] == ro.Status.CurrentPodHash {
			canaryAvail += rs.Status.AvailableReplicas
		}
	}
	if ro.Status.AvailableReplicas == 0 {
		return sw, 0
	}
	return sw, canaryAvail * m / ro.Status.AvailableReplicas
}
