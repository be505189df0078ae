package sim

import (
	"context"
	"fmt"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/sim/cluster"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// onExperimentChange: an Experiment write reconciles the experiment and
// the Rollout that owns it (Argo's experiment and rollout informers).
func (h *Harness) onExperimentChange(c cluster.Change, obj runtime.Object) {
	k := key{kindExperiment, c.Namespace, c.Name}
	if c.Op == cluster.OpDelete {
		delete(h.known, k)
	} else {
		h.known[k] = true
	}
	h.dirty[k] = true
	if o, ok := ownerName(obj, "Rollout"); ok {
		h.dirty[key{kindRollout, c.Namespace, o}] = true
	}
}

// onExperimentRunChange: an experiment's AnalysisRun wakes the experiment
// only once the run has completed (Argo's enqueueIfCompleted).
func (h *Harness) onExperimentRunChange(c cluster.Change, experiment string) {
	obj := c.New
	if obj == nil {
		obj = c.Old
	}
	if ar, ok := obj.(*v1alpha1.AnalysisRun); ok && ar.Status.Phase.Completed() {
		h.dirty[key{kindExperiment, c.Namespace, experiment}] = true
	}
}

// Experiments lists the experiments in a namespace, sorted by name.
func (h *Harness) Experiments(ns string) ([]v1alpha1.Experiment, error) {
	list := &v1alpha1.ExperimentList{}
	if err := h.store.Client().List(context.Background(), list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("list experiments: %w", err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items, nil
}
