package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/annotations"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// refResolver resolves a workloadRef to a Deployment as Argo's informer-based
// resolver does: the Deployment's template (and selector, when the rollout
// has none) is copied into the rollout in memory and the rollout carries the
// Deployment's generation in its workload-generation annotation (kept up to
// date by the cluster model, which is what re-queues the rollout).
type refResolver struct{ e *Engine }

func (r refResolver) Resolve(ro *v1alpha1.Rollout) error {
	if ro.Spec.WorkloadRef == nil {
		annotations.RemoveRolloutWorkloadRefGeneration(ro)
		return nil
	}
	if !ro.Spec.TemplateResolvedFromRef && !ro.Spec.EmptyTemplate() {
		return fmt.Errorf("template must be empty for workload reference rollout")
	}
	ref := ro.Spec.WorkloadRef
	if ref.Kind != "Deployment" || (ref.APIVersion != "apps/v1" && ref.APIVersion != "") {
		return fmt.Errorf("oracle: workloadRef to %s %s is not supported yet (Deployment only)", ref.APIVersion, ref.Kind)
	}
	dep, err := r.e.kube.AppsV1().Deployments(ro.Namespace).Get(context.Background(), ref.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	// Argo reads the Deployment from a dynamic informer and re-marshals the
	// unstructured template; do the same (the pod-template hash depends on
	// the exact struct).
	un, err := runtime.DefaultUnstructuredConverter.ToUnstructured(dep)
	if err != nil {
		return err
	}
	if m, ok, _ := unstructured.NestedMap(un, "spec", "template"); ok {
		var t corev1.PodTemplateSpec
		if err := remarshal(m, &t); err != nil {
			return err
		}
		ro.Spec.SetResolvedTemplate(t)
	}
	if ro.Spec.Selector == nil {
		if m, ok, _ := unstructured.NestedMap(un, "spec", "selector"); ok {
			var sel metav1.LabelSelector
			if err := remarshal(m, &sel); err != nil {
				return err
			}
			ro.Spec.SetResolvedSelector(&sel)
		}
	}
	annotations.SetRolloutWorkloadRefGeneration(ro, strconv.FormatInt(dep.Generation, 10))
	return nil
}

func remarshal(m map[string]any, out any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// reconcileDeployment is rollsim's minimal Deployment controller: one
// ReplicaSet per template, sized to spec.replicas; a template change
// replaces the ReplicaSet at once. Rollouts that reference the Deployment
// get its generation in their workload-generation annotation, as Argo's
// resolver writes it.
func (c *clusterSim) reconcileDeployment(ns, name string) error {
	e := c.e
	ctx := context.Background()
	dep, err := e.kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil // deleted meanwhile
	}
	tmpl, err := json.Marshal(dep.Spec.Template)
	if err != nil {
		return err
	}
	h := fnv.New32a()
	_, _ = h.Write(tmpl)
	hash := fmt.Sprintf("%x", h.Sum32())
	want := int32(1)
	if dep.Spec.Replicas != nil {
		want = *dep.Spec.Replicas
	}
	rss, err := e.kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	found := false
	for i := range rss.Items {
		rs := &rss.Items[i]
		if !metav1.IsControlledBy(rs, dep) {
			continue
		}
		target := int32(0)
		if rs.Labels["pod-template-hash"] == hash {
			found, target = true, want
		}
		if replicas(rs) != target {
			rs.Spec.Replicas = &target
			if _, err := e.kube.AppsV1().ReplicaSets(ns).Update(ctx, rs, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
	}
	if !found {
		yes := true
		labels := map[string]string{"pod-template-hash": hash}
		for k, v := range dep.Spec.Template.Labels {
			labels[k] = v
		}
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: dep.Name + "-" + hash, Namespace: ns, Labels: labels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: &yes}}},
			Spec: appsv1.ReplicaSetSpec{Replicas: &want, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: dep.Spec.Template},
		}
		rs.Spec.Template.Labels = labels
		if _, err := e.kube.AppsV1().ReplicaSets(ns).Create(ctx, rs, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	ros, err := e.argo.ArgoprojV1alpha1().Rollouts(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	gen := strconv.FormatInt(dep.Generation, 10)
	for _, ro := range ros.Items {
		if ro.Spec.WorkloadRef == nil || ro.Spec.WorkloadRef.Name != dep.Name || ro.Annotations[annotations.WorkloadGenerationAnnotation] == gen {
			continue
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, annotations.WorkloadGenerationAnnotation, gen)
		if _, err := e.argo.ArgoprojV1alpha1().Rollouts(ns).Patch(ctx, ro.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// setDeploymentImage sets the image in a workloadRef rollout's Deployment,
// as `kubectl argo rollouts set image` does.
func (e *Engine) setDeploymentImage(ns, rollout, deployment, container, image string) error {
	ctx := context.Background()
	dep, err := e.kube.AppsV1().Deployments(ns).Get(ctx, deployment, metav1.GetOptions{})
	if err != nil {
		return err
	}
	var before []string
	found := false
	for i := range dep.Spec.Template.Spec.Containers {
		ct := &dep.Spec.Template.Spec.Containers[i]
		if container == "" || container == "*" || ct.Name == container {
			before = append(before, ct.Image)
			ct.Image, found = image, true
		}
	}
	if !found {
		return fmt.Errorf("deployment %s has no container %q", deployment, container)
	}
	e.record(actorUser, "rollout/"+rollout, "action", "SetImage", fmt.Sprintf("image %s → %s", strings.Join(before, ","), image))
	_, err = e.kube.AppsV1().Deployments(ns).Update(ctx, dep, metav1.UpdateOptions{})
	return err
}
