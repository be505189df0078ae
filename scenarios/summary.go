package scenarios

import (
	"strconv"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim"
	appsv1 "k8s.io/api/apps/v1"
)

type appsv1ReplicaSet = appsv1.ReplicaSet

func summarize(h *sim.Harness) ([]report.Rollout, []report.AnalysisRun) {
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
		sw, aw := weights(ro, rss)
		r := report.Rollout{Namespace: ro.Namespace, Name: ro.Name, Phase: string(ro.Status.Phase), Message: ro.Status.Message,
			CurrentStepIndex: ro.Status.CurrentStepIndex, SetWeight: sw, ActualWeight: aw, Conditions: []report.Condition{}, ReplicaSets: []report.ReplicaSet{}}
		if ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil && ro.Status.Canary.Weights != nil {
			r.TrafficWeights = &report.TrafficWeights{Canary: ro.Status.Canary.Weights.Canary.Weight, Stable: ro.Status.Canary.Weights.Stable.Weight}
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
			r.ReplicaSets = append(r.ReplicaSets, report.ReplicaSet{Name: rs.Name, Role: roleOf(ro, rs.Labels[controller.LabelPodTemplateHash]),
				Revision: rev, Images: imgs, SpecReplicas: spec, AvailableReplicas: rs.Status.AvailableReplicas})
		}
		outR = append(outR, r)
	}
	for _, ns := range sortedKeys(namespaces) {
		ars, _ := h.AnalysisRuns(ns)
		for _, ar := range ars {
			outA = append(outA, summarizeRun(&ar))
		}
	}
	return outR, outA
}

func summarizeRun(ar *v1alpha1.AnalysisRun) report.AnalysisRun {
	out := report.AnalysisRun{Name: ar.Name, Phase: string(ar.Status.Phase), Message: ar.Status.Message, Metrics: []report.Metric{}}
	for _, m := range ar.Status.MetricResults {
		out.Metrics = append(out.Metrics, report.Metric{Name: m.Name, Phase: string(m.Phase), Successful: m.Successful,
			Failed: m.Failed, Inconclusive: m.Inconclusive, Errors: m.Error})
	}
	return out
}
