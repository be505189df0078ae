package runner

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/check"
	"github.com/rollsim/rollsim/sim"
)

// summarize is the state of the rollouts and analysis runs now; times are
// offsets from t0.
func summarize(h *sim.Harness, t0 time.Time) ([]report.Rollout, []report.AnalysisRun) {
	outR := []report.Rollout{}
	outA := []report.AnalysisRun{}
	ros, err := h.Rollouts()
	if err != nil {
		return outR, outA
	}
	namespaces := map[string]bool{}
	for i := range ros {
		ro := &ros[i]
		namespaces[ro.Namespace] = true
		rss, _ := h.ReplicaSets(ro.Namespace, ro.Name)
		sw, aw := check.Weights(ro, rss)
		r := report.Rollout{Namespace: ro.Namespace, Name: ro.Name, Phase: string(ro.Status.Phase), Message: ro.Status.Message,
			CurrentStepIndex: ro.Status.CurrentStepIndex, SetWeight: sw, ActualWeight: aw, Conditions: []report.Condition{}, ReplicaSets: []report.ReplicaSet{}}
		if ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil && ro.Status.Canary.Weights != nil {
			r.TrafficWeights = &report.TrafficWeights{Canary: ro.Status.Canary.Weights.Canary.Weight, Stable: ro.Status.Canary.Weights.Stable.Weight}
		}
		if c := ro.Spec.Strategy.Canary; c != nil {
			for _, st := range c.Steps {
				r.Steps = append(r.Steps, controller.StepString(st))
			}
		}
		for _, c := range ro.Status.Conditions {
			r.Conditions = append(r.Conditions, report.Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message})
		}
		for _, rs := range rss {
			rev, _ := strconv.ParseInt(rs.Annotations[controller.AnnotationRevision], 10, 64)
			var imgs []string
			for _, c := range rs.Spec.Template.Spec.Containers {
				imgs = append(imgs, c.Image)
			}
			var spec int32
			if rs.Spec.Replicas != nil {
				spec = *rs.Spec.Replicas
			}
			r.ReplicaSets = append(r.ReplicaSets, report.ReplicaSet{Name: rs.Name, Role: check.RoleOf(ro, rs.Labels[controller.LabelPodTemplateHash]),
				Revision: rev, Images: imgs, SpecReplicas: spec, AvailableReplicas: rs.Status.AvailableReplicas})
		}
		outR = append(outR, r)
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		ars, _ := h.AnalysisRuns(ns)
		for _, ar := range ars {
			outA = append(outA, summarizeRun(&ar, t0))
		}
	}
	return outR, outA
}

func summarizeRun(ar *v1alpha1.AnalysisRun, t0 time.Time) report.AnalysisRun {
	out := report.AnalysisRun{Name: ar.Name, Phase: string(ar.Status.Phase), Message: ar.Status.Message, Metrics: []report.Metric{}}
	for _, m := range ar.Status.MetricResults {
		rm := report.Metric{Name: m.Name, Phase: string(m.Phase), Successful: m.Successful,
			Failed: m.Failed, Inconclusive: m.Inconclusive, Errors: m.Error}
		for _, x := range m.Measurements {
			rm.Measurements = append(rm.Measurements, measurement(x, t0))
		}
		out.Metrics = append(out.Metrics, rm)
	}
	return out
}

// measurement is one measurement, its times as offsets from t0 (none when
// t0 is unknown: the run never reached T+0).
func measurement(m v1alpha1.Measurement, t0 time.Time) report.Measurement {
	out := report.Measurement{Phase: string(m.Phase), Value: m.Value, Message: m.Message}
	if t0.IsZero() {
		return out
	}
	if m.StartedAt != nil {
		ms := m.StartedAt.Sub(t0).Milliseconds()
		out.StartedAtMs = &ms
	}
	if m.FinishedAt != nil {
		ms := m.FinishedAt.Sub(t0).Milliseconds()
		out.FinishedAtMs = &ms
	}
	return out
}

// snapshots captures every rollout as `kubectl argo rollouts get` shows it.
func snapshots(h *sim.Harness, t0 time.Time) []report.Snapshot {
	var out []report.Snapshot
	ros, err := h.Rollouts()
	if err != nil {
		return nil
	}
	rolls, runs := summarize(h, t0)
	exps := summarizeExperiments(h, true)
	now := h.Now()
	for i := range ros {
		ro := &ros[i]
		s := report.Snapshot{AtMs: now.Sub(t0).Milliseconds(), Rollout: rolls[i], Strategy: "Canary"}
		if ro.Spec.Strategy.BlueGreen != nil {
			s.Strategy = "BlueGreen"
		} else if ro.Spec.Strategy.Canary != nil {
			s.Steps = len(ro.Spec.Strategy.Canary.Steps)
		}
		if ro.Spec.Replicas != nil {
			s.Desired = *ro.Spec.Replicas
		}
		s.Current, s.Updated, s.Ready, s.Available = ro.Status.Replicas, ro.Status.UpdatedReplicas, ro.Status.ReadyReplicas, ro.Status.AvailableReplicas
		rss, _ := h.ReplicaSets(ro.Namespace, ro.Name)
		pods := &corev1.PodList{}
		_ = h.Client().List(context.Background(), pods, client.InNamespace(ro.Namespace))
		for j, rs := range rss {
			node := report.RevisionNode{ReplicaSet: report.ReplicaSetNode{ReplicaSet: rolls[i].ReplicaSets[j],
				AgeSec: int64(now.Sub(rs.CreationTimestamp.Time).Seconds())}}
			node.Revision = node.ReplicaSet.Revision
			if node.ReplicaSet.Role != "old" && len(rs.Spec.Template.Spec.Containers) > 0 {
				s.Images = append(s.Images, report.ImageRole{Image: rs.Spec.Template.Spec.Containers[0].Image, Role: node.ReplicaSet.Role})
			}
			for _, p := range pods.Items {
				if o, ok := ownerOf(&p, "ReplicaSet"); !ok || o != rs.Name {
					continue
				}
				ready := false
				for _, c := range p.Status.Conditions {
					ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
				}
				node.ReplicaSet.Pods = append(node.ReplicaSet.Pods, report.PodNode{Name: p.Name, Ready: ready, Phase: string(p.Status.Phase),
					AgeSec: int64(now.Sub(p.CreationTimestamp.Time).Seconds())})
			}
			hash := rs.Labels[controller.LabelPodTemplateHash]
			arList, _ := h.AnalysisRuns(ro.Namespace)
			for k, ar := range arList {
				if ar.Labels[controller.LabelPodTemplateHash] == hash {
					for _, sr := range runs {
						if sr.Name == arList[k].Name {
							node.AnalysisRuns = append(node.AnalysisRuns, sr)
						}
					}
				}
			}
			attachExperiments(&node, hash, ro.Name, exps, runs)
			s.Revisions = append(s.Revisions, node)
		}
		out = append(out, s)
	}
	return out
}

func ownerOf(o client.Object, kind string) (string, bool) {
	for _, r := range o.GetOwnerReferences() {
		if r.Kind == kind {
			return r.Name, true
		}
	}
	return "", false
}
