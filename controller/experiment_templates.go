package controller

import (
	"fmt"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reconcileTemplate brings one template's ReplicaSet (and Service) to what
// the experiment wants and assesses the template, as Argo's
// reconcileTemplate does.
func (ec *experimentContext) reconcileTemplate(t v1alpha1.TemplateSpec) {
	ts := templateStatusOf(ec.ex.Status, t.Name)
	if ts == nil {
		ts = &v1alpha1.TemplateStatus{Name: t.Name}
	}
	prev := ts.DeepCopy()
	desired := templateReplicas(ec.ex, t)
	now := metav1.NewTime(ec.r.opts.now())
	rs := ec.rss[t.Name]
	if rs == nil {
		ec.createTemplateRS(t, ts, now)
		rs = ec.rss[t.Name]
	} else {
		switch {
		case t.Service != nil && desired != 0:
			ec.ensureTemplateService(t, ts, rs)
		case t.Service != nil && rs.Status.AvailableReplicas == 0, t.Service == nil:
			ec.deleteTemplateService(t.Name, ts, "ReplicaSet scaled down")
		}
		if desired == 0 {
			ec.addTemplateScaleDownDelay(t.Name, rs)
			rs = ec.rss[t.Name]
		}
		if specReplicas(rs) != desired {
			ec.scaleTemplateRS(rs, t, ts, desired)
			ts.LastTransitionTime = &now
		}
	}
	if rs != nil {
		ts.Replicas, ts.UpdatedReplicas = rs.Status.Replicas, rs.Status.Replicas
		ts.ReadyReplicas, ts.AvailableReplicas = rs.Status.ReadyReplicas, rs.Status.AvailableReplicas
	} else {
		ts.Replicas, ts.UpdatedReplicas, ts.ReadyReplicas, ts.AvailableReplicas = 0, 0, 0, 0
	}
	if prev.Replicas != ts.Replicas || prev.UpdatedReplicas != ts.UpdatedReplicas || prev.ReadyReplicas != ts.ReadyReplicas ||
		prev.AvailableReplicas != ts.AvailableReplicas {
		ts.LastTransitionTime = &now
	}
	if !ts.Status.Completed() {
		ec.assessTemplate(t, ts, desired, now)
	}
	if prev.Status != ts.Status {
		msg := fmt.Sprintf("Template '%s' transitioned from %s -> %s", t.Name, prev.Status, ts.Status)
		if ts.Message != "" {
			msg += ": " + ts.Message
		}
		ec.note("experiment", ec.ex.Name, "event", "Template"+string(ts.Status), msg)
	}
	setTemplateStatus(ec.st, *ts)
}

// assessTemplate: Running once every desired pod is available (Successful
// when the duration passed or the experiment terminates); otherwise
// Progressing, Failed once progressDeadlineSeconds passed since the last
// transition.
func (ec *experimentContext) assessTemplate(t v1alpha1.TemplateSpec, ts *v1alpha1.TemplateStatus, desired int32, now metav1.Time) {
	precise := ec.r.opts.Clock.Now()
	if desired == ts.AvailableReplicas {
		passed, _ := passedDuration(ec.ex, precise)
		if passed || ec.terminating {
			ts.Status = v1alpha1.TemplateStatusSuccessful
		} else {
			ts.Status = v1alpha1.TemplateStatusRunning
		}
		return
	}
	from := now
	if ts.LastTransitionTime != nil {
		from = *ts.LastTransitionTime
	}
	pds := experimentProgressDeadline(ec.ex)
	switch {
	case precise.After(from.Add(time.Duration(pds) * time.Second)):
		ts.Status = v1alpha1.TemplateStatusFailed
		ts.Message = fmt.Sprintf("Template '%s' exceeded its progressDeadlineSeconds (%d)", t.Name, pds)
	case ec.terminating:
		ts.Status = v1alpha1.TemplateStatusSuccessful
	default:
		ts.Status = v1alpha1.TemplateStatusProgressing
	}
}

// templateReplicaSet is the ReplicaSet Argo makes for a template: named
// <experiment>-<template>, the template's labels plus the pod-template hash
// (computed without any hash label the template carries), the selector plus
// the hash, annotated with the experiment and template names.
func templateReplicaSet(ex *v1alpha1.Experiment, t v1alpha1.TemplateSpec, collisionCount *int32) (*appsv1.ReplicaSet, error) {
	if err := TemplateSelectorError(ex.Name+"-"+t.Name, t); err != nil {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: ex.Name + "-" + t.Name}}, err
	}
	tmpl := t.Template.DeepCopy()
	delete(tmpl.Labels, LabelPodTemplateHash)
	hash, err := PodTemplateHash(tmpl, collisionCount)
	if err != nil {
		return nil, err
	}
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[LabelPodTemplateHash] = hash
	sel := t.Selector.DeepCopy()
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[LabelPodTemplateHash] = hash
	labels := map[string]string{}
	for k, v := range tmpl.Labels {
		labels[k] = v
	}
	zero := int32(0)
	isController := true
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: ex.Name + "-" + t.Name, Namespace: ex.Namespace, Labels: labels,
			Annotations: map[string]string{AnnotationExperimentName: ex.Name, AnnotationExperimentTemplate: t.Name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Experiment",
				Name: ex.Name, UID: ex.UID, Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: t.MinReadySeconds, Selector: sel, Template: *tmpl},
	}, nil
}

// createTemplateRS creates the template's ReplicaSet with 0 replicas (the
// next reconcile scales it up, as in Argo).
func (ec *experimentContext) createTemplateRS(t v1alpha1.TemplateSpec, ts *v1alpha1.TemplateStatus, now metav1.Time) {
	rs, err := templateReplicaSet(ec.ex, t, ts.CollisionCount)
	if err == nil {
		err = ec.r.opts.Client.Create(ec.ctx, rs)
		if apierrors.IsAlreadyExists(err) {
			existing := &appsv1.ReplicaSet{}
			if gerr := ec.r.opts.Client.Get(ec.ctx, client.ObjectKeyFromObject(rs), existing); gerr == nil {
				if name, ok := experimentMember(existing.ObjectMeta, ec.ex); ok && name == t.Name {
					ec.rss[t.Name] = existing
					ts.LastTransitionTime = &now
					return
				}
			}
		}
	}
	if err != nil {
		ts.Status = v1alpha1.TemplateStatusError
		ts.Message = fmt.Sprintf("Failed to create ReplicaSet for template '%s': %v", t.Name, err)
		ec.note("replicaset", rs.Name, "error", "FailedRSCreate", ts.Message)
		return
	}
	ec.note("replicaset", rs.Name, "created", "NewReplicaSetCreated",
		fmt.Sprintf("Created ReplicaSet %s for template '%s' of experiment %s with image %s (0 replicas)", rs.Name, t.Name, ec.ex.Name, images(&rs.Spec.Template)))
	ec.rss[t.Name] = rs
	ts.LastTransitionTime = &now
}

// scaleTemplateRS scales a template's ReplicaSet; a scale to 0 waits for
// its scale-down deadline.
func (ec *experimentContext) scaleTemplateRS(rs *appsv1.ReplicaSet, t v1alpha1.TemplateSpec, ts *v1alpha1.TemplateStatus, desired int32) {
	why := "template " + t.Name
	if desired == 0 {
		if left, ok := scaleDownRemaining(rs, ec.r.opts.Clock.Now()); ok {
			ec.enqueueAfter(left)
			desired = 1
			if t.Replicas != nil {
				desired = *t.Replicas
			}
		}
		why += ", experiment " + experimentEndReason(ec.ex)
	}
	from := specReplicas(rs)
	if from == desired {
		return
	}
	cp := rs.DeepCopy()
	patch := client.MergeFrom(rs.DeepCopy())
	cp.Spec.Replicas = &desired
	if err := ec.r.opts.Client.Patch(ec.ctx, cp, patch); err != nil {
		ts.Status = v1alpha1.TemplateStatusError
		ts.Message = fmt.Sprintf("Unable to scale ReplicaSet for template '%s' to desired replica count '%v': %v", t.Name, desired, err)
		ec.note("replicaset", rs.Name, "error", "ReplicaSetUpdateError", ts.Message)
		return
	}
	dir := "up"
	if desired < from {
		dir = "down"
	}
	ec.note("replicaset", rs.Name, "scaled", "ScalingReplicaSet",
		fmt.Sprintf("%d → %d: Scaled %s ReplicaSet %s from %d to %d (%s)", from, desired, dir, rs.Name, from, desired, why))
	ec.rss[t.Name] = cp
}

func experimentEndReason(ex *v1alpha1.Experiment) string {
	switch {
	case ex.Spec.Terminate:
		return "terminated"
	case ex.Status.Phase.Completed():
		return string(ex.Status.Phase)
	}
	return "terminating"
}

// scaleDownRemaining is the time left before the ReplicaSet's scale-down
// deadline (ok=false: none, unparsable, or passed).
func scaleDownRemaining(rs *appsv1.ReplicaSet, now time.Time) (time.Duration, bool) {
	s, ok := rs.Annotations[AnnotationScaleDownDeadline]
	if !ok {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || !t.After(now) {
		return 0, false
	}
	return t.Sub(now), true
}

// addTemplateScaleDownDelay annotates a template ReplicaSet that is to be
// scaled down with its deadline (scaleDownDelaySeconds, default 30), or
// removes the deadline when the delay is 0.
func (ec *experimentContext) addTemplateScaleDownDelay(name string, rs *appsv1.ReplicaSet) {
	delay := time.Duration(experimentScaleDownDelay(ec.ex)) * time.Second
	_, has := rs.Annotations[AnnotationScaleDownDeadline]
	if (delay == 0) != has {
		return // nothing to add (already set) or to remove (none)
	}
	cp := rs.DeepCopy()
	patch := client.MergeFrom(rs.DeepCopy())
	detail := "scale-down deadline removed (scaleDownDelaySeconds 0)"
	if delay == 0 {
		delete(cp.Annotations, AnnotationScaleDownDeadline)
	} else {
		if cp.Annotations == nil {
			cp.Annotations = map[string]string{}
		}
		deadline := ec.r.opts.Clock.Now().UTC().Add(delay).Truncate(time.Second)
		cp.Annotations[AnnotationScaleDownDeadline] = deadline.Format(time.RFC3339)
		detail = fmt.Sprintf("scale down in %s (experiment scaleDownDelaySeconds)", delay)
	}
	if err := ec.r.opts.Client.Patch(ec.ctx, cp, patch); err != nil {
		ec.note("replicaset", rs.Name, "error", "ScaleDownDeadline", err.Error())
		return
	}
	ec.note("replicaset", rs.Name, "event", "ScaleDownDeadline", detail)
	ec.rss[name] = cp
}

// ensureTemplateService creates the template's Service (named after the
// ReplicaSet unless the template names it), selecting the ReplicaSet's
// labels, one port per container port; a template without ports gets none.
func (ec *experimentContext) ensureTemplateService(t v1alpha1.TemplateSpec, ts *v1alpha1.TemplateStatus, rs *appsv1.ReplicaSet) {
	svc := ec.svcs[t.Name]
	var ports []corev1.ServicePort
	for _, ctr := range rs.Spec.Template.Spec.Containers {
		for _, p := range ctr.Ports {
			ports = append(ports, corev1.ServicePort{Name: p.Name, Protocol: p.Protocol, Port: p.ContainerPort, TargetPort: intstr.FromInt32(p.ContainerPort)})
		}
	}
	if (svc != nil && svc.Name == rs.Name) || len(ports) == 0 {
		return
	}
	name := rs.Name
	if t.Service.Name != "" {
		name = t.Service.Name
	}
	created, err := ec.createService(name, t, rs.Labels, ports)
	if err != nil {
		ts.Status = v1alpha1.TemplateStatusError
		ts.Message = fmt.Sprintf("Failed to create Service %s for template '%s': %v", name, t.Name, err)
		ec.note("service", name, "error", "ServiceCreateError", ts.Message)
		return
	}
	ec.svcs[t.Name] = created
	ts.ServiceName = created.Name
	ts.PodTemplateHash = rs.Labels[LabelPodTemplateHash]
}

func (ec *experimentContext) createService(name string, t v1alpha1.TemplateSpec, selector map[string]string, ports []corev1.ServicePort) (*corev1.Service, error) {
	isController := true
	sel := map[string]string{}
	for k, v := range selector {
		sel[k] = v
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ec.ex.Namespace,
			Annotations: map[string]string{AnnotationExperimentName: ec.ex.Name, AnnotationExperimentTemplate: t.Name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Experiment",
				Name: ec.ex.Name, UID: ec.ex.UID, Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec: corev1.ServiceSpec{Selector: sel, Ports: ports},
	}
	err := ec.r.opts.Client.Create(ec.ctx, svc)
	if apierrors.IsAlreadyExists(err) {
		existing := &corev1.Service{}
		if gerr := ec.r.opts.Client.Get(ec.ctx, types.NamespacedName{Namespace: ec.ex.Namespace, Name: name}, existing); gerr != nil {
			return nil, fmt.Errorf("did not get existing service with name %s: %v", name, gerr)
		}
		if owner, ok := experimentMember(existing.ObjectMeta, ec.ex); !ok || owner != t.Name {
			return nil, fmt.Errorf("service %s already exists and is not owned by experiment template %s", name, t.Name)
		}
		return existing, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create service: %v", err)
	}
	ec.note("service", name, "created", "ServiceCreated", fmt.Sprintf("Service %s for template '%s' of experiment %s selects %s", name, t.Name, ec.ex.Name, hashSelector(selector)))
	return svc, nil
}

func hashSelector(selector map[string]string) string {
	return fmt.Sprintf("%s=%s", LabelPodTemplateHash, selector[LabelPodTemplateHash])
}

func (ec *experimentContext) deleteTemplateService(name string, ts *v1alpha1.TemplateStatus, why string) {
	svc := ec.svcs[name]
	if svc == nil {
		return
	}
	if err := ec.r.opts.Client.Delete(ec.ctx, svc); err != nil && !apierrors.IsNotFound(err) {
		ts.Status = v1alpha1.TemplateStatusError
		ts.Message = fmt.Sprintf("Failed to delete Service for template '%s': %v", name, err)
		return
	}
	ec.note("service", svc.Name, "deleted", "ServiceDeleted", fmt.Sprintf("Service of template '%s' removed (%s)", name, why))
	ec.svcs[name] = nil
	ts.ServiceName = ""
	ts.PodTemplateHash = ""
}
