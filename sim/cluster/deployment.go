package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SyncDeployment is a minimal Deployment controller, enough for rollouts
// that reference a Deployment (workloadRef): one ReplicaSet for the current
// template, sized to spec.replicas, and the Deployment's status from it.
// Rolling updates of the Deployment itself are not simulated (a template
// change replaces the ReplicaSet at once; docs/fidelity.md).
func (s *Sim) SyncDeployment(ctx context.Context, ns, name string) error {
	d := &appsv1.Deployment{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, d); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("get Deployment %s/%s: %w", ns, name, err)
	}
	b, err := json.Marshal(d.Spec.Template)
	if err != nil {
		return fmt.Errorf("hash Deployment %s template: %w", name, err)
	}
	h := fnv.New32a()
	_, _ = h.Write(b)
	hash := fmt.Sprintf("%x", h.Sum32())
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	list := &appsv1.ReplicaSetList{}
	if err := s.c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("list ReplicaSets of Deployment %s: %w", name, err)
	}
	var current *appsv1.ReplicaSet
	for i := range list.Items {
		rs := &list.Items[i]
		ref := controllerOf(rs.OwnerReferences)
		if ref == nil || ref.UID != d.UID {
			continue
		}
		if rs.Labels["pod-template-hash"] == hash {
			current = rs
			continue
		}
		if rs.Spec.Replicas == nil || *rs.Spec.Replicas != 0 { // an old template: gone at once
			zero := int32(0)
			patch := client.MergeFrom(rs.DeepCopy())
			rs.Spec.Replicas = &zero
			if err := s.c.Patch(ctx, rs, patch); err != nil {
				return fmt.Errorf("scale old ReplicaSet %s: %w", rs.Name, err)
			}
		}
	}
	if current == nil {
		labels := map[string]string{"pod-template-hash": hash}
		for k, v := range d.Spec.Template.Labels {
			labels[k] = v
		}
		sel := d.Spec.Selector.DeepCopy()
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
		sel.MatchLabels["pod-template-hash"] = hash
		tmpl := *d.Spec.Template.DeepCopy()
		tmpl.Labels = labels
		isController := true
		current = &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-" + hash, Namespace: ns, Labels: labels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID,
					Controller: &isController, BlockOwnerDeletion: &isController}}},
			Spec: appsv1.ReplicaSetSpec{Replicas: &want, Selector: sel, Template: tmpl, MinReadySeconds: d.Spec.MinReadySeconds},
		}
		if err := s.c.Create(ctx, current); err != nil {
			return fmt.Errorf("create ReplicaSet of Deployment %s: %w", name, err)
		}
	} else if current.Spec.Replicas == nil || *current.Spec.Replicas != want {
		patch := client.MergeFrom(current.DeepCopy())
		current.Spec.Replicas = &want
		if err := s.c.Patch(ctx, current, patch); err != nil {
			return fmt.Errorf("scale ReplicaSet %s: %w", current.Name, err)
		}
	}
	st := appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: current.Status.Replicas,
		UpdatedReplicas: current.Status.Replicas, ReadyReplicas: current.Status.ReadyReplicas,
		AvailableReplicas: current.Status.AvailableReplicas}
	if equality.Semantic.DeepEqual(d.Status, st) {
		return nil
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Status = st
	if err := s.c.Status().Patch(ctx, d, patch); err != nil {
		return fmt.Errorf("update status of Deployment %s: %w", name, err)
	}
	return nil
}
