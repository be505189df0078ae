package controller

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/replicas"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const defaultNginxPrefix = "nginx.ingress.kubernetes.io"

// DesiredTrafficWeight is Argo's weight ladder (§3.9) for a traffic-routed
// canary: the first rule that matches decides. It returns the weight and a
// short reason that goes into the timeline.
func (c *rolloutContext) desiredTrafficWeight() (int32, string) {
	ro := c.ro
	m := replicas.MaxWeight(ro)
	fullyPromoted := ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash
	switch {
	case fullyPromoted:
		return 0, "fully promoted"
	case c.pause.aborted():
		if c.canary().DynamicStableScale {
			w := replicas.ReverseStepWeight(ro, c.newRS, c.stableRS)
			if cur := ro.Status.Canary.Weights; cur != nil && w > cur.Canary.Weight {
				w = cur.Canary.Weight
			}
			return w, "aborted (dynamicStableScale steps down)"
		}
		return 0, "aborted"
	case c.newRS == nil || c.newRS.Status.AvailableReplicas == 0:
		return 0, "canary has no available pod"
	case ro.Status.PromoteFull:
		if c.canary().DynamicStableScale {
			return m * c.newRS.Status.AvailableReplicas / replicas.Replicas(ro), "full promotion (dynamicStableScale)"
		}
		if cur := ro.Status.Canary.Weights; cur != nil {
			return cur.Canary.Weight, "full promotion keeps the weight"
		}
		return 0, "full promotion keeps the weight"
	}
	steps := c.canary().Steps
	if len(steps) == 0 {
		return 0, "no steps"
	}
	_, idx := currentStep(ro)
	if !replicas.AtDesiredReplicaCountsForCanary(ro, c.newRS, c.stableRS, c.otherRSs, nil) {
		w := int32(0)
		for i := int32(0); i < *idx && int(i) < len(steps); i++ {
			if steps[i].SetWeight != nil {
				w = *steps[i].SetWeight
			}
		}
		return w, "canary not yet at desired replicas"
	}
	if int(*idx) < len(steps) {
		return replicas.CurrentSetWeight(ro), fmt.Sprintf("step %d", *idx)
	}
	return m, "all steps done"
}

// reconcileTrafficRouting sets the router's weight and records it in
// status.canary.weights.
func (c *rolloutContext) reconcileTrafficRouting() error {
	ro := c.ro
	tr := c.canary().TrafficRouting
	if tr == nil {
		c.newStatus.Canary.Weights = nil
		return nil
	}
	prev := ro.Status.Canary.Weights
	c.newStatus.Canary.Weights = prev.DeepCopy()
	w, why := c.desiredTrafficWeight()
	if c.pause.aborted() && !(ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash) && (!c.canary().DynamicStableScale || w == 0) {
		if err := c.ensureServiceTarget(c.canary().CanaryService, c.stableRS, false); err != nil {
			return err
		}
	}
	m := replicas.MaxWeight(ro)
	r := replicas.Replicas(ro)
	if c.stableRS == nil || c.stableRS.Status.AvailableReplicas < int32(int64(m-w)*int64(r)/int64(m)) {
		return nil
	}
	canaryHash := c.newHash
	stableHash := c.stableRS.Labels[LabelPodTemplateHash]
	fullyPromoted := ro.Status.StableRS != "" && ro.Status.StableRS == c.newHash
	if fullyPromoted {
		canaryHash = stableHash
	}
	if err := c.setNginxWeight(w); err != nil {
		return err
	}
	c.newStatus.Canary.Weights = &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: w, PodTemplateHash: canaryHash, ServiceName: c.canary().CanaryService},
		Stable: v1alpha1.WeightDestination{Weight: m - w, PodTemplateHash: stableHash, ServiceName: c.canary().StableService},
	}
	if prev == nil || prev.Canary.Weight != w {
		from := int32(0)
		if prev != nil {
			from = prev.Canary.Weight
		}
		c.note("rollout", ro.Name, "weight", "TrafficWeightUpdated", fmt.Sprintf("Traffic weight updated from %d to %d (%s)", from, w, why))
	}
	return nil
}

func (c *rolloutContext) setNginxWeight(w int32) error {
	ro := c.ro
	ng := c.canary().TrafficRouting.Nginx
	if ng == nil {
		return nil
	}
	stables := ng.StableIngresses
	if ng.StableIngress != "" {
		stables = append([]string{ng.StableIngress}, stables...)
	}
	for _, name := range stables {
		if err := c.ensureCanaryIngress(ng, name, w); err != nil {
			return err
		}
	}
	_ = ro
	return nil
}

func (c *rolloutContext) ensureCanaryIngress(ng *v1alpha1.NginxTrafficRouting, stableName string, w int32) error {
	ro := c.ro
	stable := &networkingv1.Ingress{}
	if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: ro.Namespace, Name: stableName}, stable); err != nil {
		return fmt.Errorf("get stable ingress %s: %w", stableName, err)
	}
	desired, err := c.desiredCanaryIngress(ng, stable, w)
	if err != nil {
		return err
	}
	cur := &networkingv1.Ingress{}
	err = c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: ro.Namespace, Name: desired.Name}, cur)
	if apierrors.IsNotFound(err) {
		if err := c.r.opts.Client.Create(c.ctx, desired); err != nil {
			return fmt.Errorf("create canary ingress %s: %w", desired.Name, err)
		}
		c.note("ingress", desired.Name, "created", "CreatingCanaryIngress", fmt.Sprintf("canary-weight %d", w))
		return nil
	}
	if err != nil {
		return fmt.Errorf("get canary ingress %s: %w", desired.Name, err)
	}
	next := cur.DeepCopy()
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	for k, v := range desired.Annotations {
		next.Annotations[k] = v
	}
	next.Spec = desired.Spec
	if equality.Semantic.DeepEqual(cur.Annotations, next.Annotations) && equality.Semantic.DeepEqual(cur.Spec, next.Spec) {
		return nil
	}
	if err := c.r.opts.Client.Patch(c.ctx, next, client.MergeFrom(cur)); err != nil {
		return fmt.Errorf("patch canary ingress %s: %w", desired.Name, err)
	}
	return nil
}

func (c *rolloutContext) desiredCanaryIngress(ng *v1alpha1.NginxTrafficRouting, stable *networkingv1.Ingress, w int32) (*networkingv1.Ingress, error) {
	ro := c.ro
	prefix := ng.AnnotationPrefix
	if prefix == "" {
		prefix = defaultNginxPrefix
	}
	stableSvc, canarySvc := c.canary().StableService, c.canary().CanaryService
	spec := networkingv1.IngressSpec{IngressClassName: stable.Spec.IngressClassName, TLS: stable.Spec.TLS}
	for _, rule := range stable.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		var paths []networkingv1.HTTPIngressPath
		for _, p := range rule.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name == stableSvc {
				cp := *p.DeepCopy()
				cp.Backend.Service.Name = canarySvc
				paths = append(paths, cp)
			}
		}
		if len(paths) > 0 {
			spec.Rules = append(spec.Rules, networkingv1.IngressRule{Host: rule.Host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}})
		}
	}
	if len(spec.Rules) == 0 {
		return nil, fmt.Errorf("ingress `%s` has no rules using service %s backend", stable.Name, stableSvc)
	}
	ann := map[string]string{
		prefix + "/canary":        "true",
		prefix + "/canary-weight": strconv.Itoa(int(w)),
	}
	if v, ok := stable.Annotations["kubernetes.io/ingress.class"]; ok {
		ann["kubernetes.io/ingress.class"] = v
	}
	if tr := c.canary().TrafficRouting; tr.MaxTrafficWeight != nil {
		ann[prefix+"/canary-weight-total"] = strconv.Itoa(int(*tr.MaxTrafficWeight))
	}
	for k, v := range ng.AdditionalIngressAnnotations {
		if !strings.HasPrefix(k, prefix+"/") {
			k = prefix + "/" + k
		}
		ann[k] = v
	}
	for k, v := range ng.CanaryIngressAnnotations {
		ann[k] = v
	}
	isController := true
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{
			Name: api.CanaryIngressName(ro.Name, stable.Name), Namespace: ro.Namespace, Annotations: ann,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Rollout",
				Name: ro.Name, UID: ro.UID, Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec: spec,
	}, nil
}
