package runner

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// summarizeExperiments is every experiment's state, by namespace and name;
// with pods (for the tree view) when withPods.
func summarizeExperiments(h *sim.Harness, withPods bool) []report.Experiment {
	ros, err := h.Rollouts()
	if err != nil {
		return nil
	}
	namespaces := map[string]bool{}
	for _, ro := range ros {
		namespaces[ro.Namespace] = true
	}
	var out []report.Experiment
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		exs, _ := h.Experiments(ns)
		rss := &appsv1.ReplicaSetList{}
		_ = h.Client().List(context.Background(), rss, client.InNamespace(ns))
		pods := &corev1.PodList{}
		if withPods {
			_ = h.Client().List(context.Background(), pods, client.InNamespace(ns))
		}
		for i := range exs {
			out = append(out, summarizeExperiment(&exs[i], rss.Items, pods.Items, h.Now()))
		}
	}
	return out
}

func summarizeExperiment(ex *v1alpha1.Experiment, rss []appsv1.ReplicaSet, pods []corev1.Pod, now time.Time) report.Experiment {
	out := report.Experiment{Name: ex.Name, Phase: string(ex.Status.Phase), Message: ex.Status.Message,
		Templates: []report.ExperimentTemplate{}, Analyses: []report.ExperimentAnalysis{}}
	if o, ok := ownerOf(ex, "Rollout"); ok {
		out.Owner = o
	}
	for _, t := range ex.Spec.Templates {
		rt := report.ExperimentTemplate{Name: t.Name}
		for _, ts := range ex.Status.TemplateStatuses {
			if ts.Name == t.Name {
				rt.Status, rt.Message, rt.Service = string(ts.Status), ts.Message, ts.ServiceName
			}
		}
		for _, rs := range rss {
			if o, ok := ownerOf(&rs, "Experiment"); !ok || o != ex.Name || rs.Annotations[v1alpha1.ExperimentTemplateNameAnnotationKey] != t.Name {
				continue
			}
			rt.ReplicaSet = rs.Name
			if rs.Spec.Replicas != nil {
				rt.SpecReplicas = *rs.Spec.Replicas
			}
			rt.AvailableReplicas = rs.Status.AvailableReplicas
			for _, c := range rs.Spec.Template.Spec.Containers {
				rt.Images = append(rt.Images, c.Image)
			}
			for _, p := range pods {
				if o, ok := ownerOf(&p, "ReplicaSet"); ok && o == rs.Name {
					ready := false
					for _, c := range p.Status.Conditions {
						ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
					}
					rt.Pods = append(rt.Pods, report.PodNode{Name: p.Name, Ready: ready, Phase: string(p.Status.Phase),
						AgeSec: int64(now.Sub(p.CreationTimestamp.Time).Seconds())})
				}
			}
		}
		out.Templates = append(out.Templates, rt)
	}
	for _, a := range ex.Spec.Analyses {
		ra := report.ExperimentAnalysis{Name: a.Name}
		for _, as := range ex.Status.AnalysisRuns {
			if as.Name == a.Name {
				ra.AnalysisRun, ra.Phase, ra.Message = as.AnalysisRun, string(as.Phase), as.Message
			}
		}
		out.Analyses = append(out.Analyses, ra)
	}
	return out
}

// attachExperiments puts a rollout's experiments (by their pod-template
// hash label, as Argo's tree does) and their runs under the revision.
func attachExperiments(node *report.RevisionNode, hash, rollout string, exps []report.Experiment, runs []report.AnalysisRun) {
	for _, ex := range exps {
		if ex.Owner != rollout || !experimentOfHash(ex.Name, rollout, hash) {
			continue
		}
		node.Experiments = append(node.Experiments, ex)
		for _, a := range ex.Analyses {
			for _, r := range runs {
				if r.Name == a.AnalysisRun {
					node.ExperimentRuns = append(node.ExperimentRuns, r)
				}
			}
		}
	}
}

// experimentOfHash: a step's experiment is named <rollout>-<hash>-….
func experimentOfHash(name, rollout, hash string) bool {
	prefix := rollout + "-" + hash + "-"
	return hash != "" && len(name) > len(prefix) && name[:len(prefix)] == prefix
}
