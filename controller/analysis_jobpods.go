package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// terminalWaitingReasons are the container waiting reasons Argo's Job
// provider treats as a Job that will never progress on its own (the image
// cannot be pulled): the measurement ends Inconclusive, which pauses the
// rollout for a human instead of failing it.
var terminalWaitingReasons = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true}

// labelJobName is the label the Job controller puts on a Job's pods.
const labelJobName = "batch.kubernetes.io/job-name"

// jobPodsError is Argo's processJobPods: the first pod with an init or
// regular container waiting for a terminal reason, as "Pod <pod>, container
// <c> has terminal error (<reason>): <message>\n" (Argo's text, newline
// included). Pods are the Job's selector's (set by the API server; the fake
// backend has none, so the Job controller's job-name label stands in),
// sorted by name. The pod is named without the run's uid that its name
// starts with (uids differ between backends and are never printed).
func (p *JobProvider) jobPodsError(ctx context.Context, run *v1alpha1.AnalysisRun, job *batchv1.Job) (string, error) {
	sel := labels.SelectorFromSet(labels.Set{labelJobName: job.Name})
	if job.Spec.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
		if err != nil {
			return "", err
		}
		sel = s
	}
	pods := &corev1.PodList{}
	if err := p.Client.List(ctx, pods, client.InNamespace(job.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return "", fmt.Errorf("list pods of job %s: %w", job.Name, err)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	for _, pod := range pods.Items {
		for _, statuses := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
			for _, cs := range statuses {
				if w := cs.State.Waiting; w != nil && terminalWaitingReasons[w.Reason] {
					name := strings.TrimPrefix(pod.Name, string(run.UID)+"-")
					return fmt.Sprintf("Pod %s, container %s has terminal error (%s): %s\n", name, cs.Name, w.Reason, w.Message), nil
				}
			}
		}
	}
	return "", nil
}
