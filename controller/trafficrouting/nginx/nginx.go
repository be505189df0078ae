package nginx

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultAnnotationPrefix is ingress-nginx's annotation prefix.
const DefaultAnnotationPrefix = "nginx.ingress.kubernetes.io"

// Router is the nginx router of one Rollout.
type Router struct {
	d  trafficrouting.Deps
	ng *v1alpha1.NginxTrafficRouting
}

// New builds the nginx router for d.Rollout.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	return &Router{d: d, ng: d.Rollout.Spec.Strategy.Canary.TrafficRouting.Nginx}, nil
}

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "Nginx" }

// stableIngresses are stableIngress, then stableIngresses, as Argo reads them.
func (r *Router) stableIngresses() []string {
	names := append([]string(nil), r.ng.StableIngresses...)
	if r.ng.StableIngress != "" {
		names = append([]string{r.ng.StableIngress}, names...)
	}
	return names
}

// ValidateReferences implements trafficrouting.ReferenceValidator: every
// stable Ingress must exist.
func (r *Router) ValidateReferences(ctx context.Context) (string, error) {
	ro := r.d.Rollout
	for _, name := range r.stableIngresses() {
		ing := &networkingv1.Ingress{}
		if err := r.d.Client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: name}, ing); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Sprintf("spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: %q: ingress.networking.k8s.io %q not found", name, name), nil
			}
			return "", err
		}
	}
	return "", nil
}

// SetWeight creates or updates the canary Ingress of every stable Ingress.
func (r *Router) SetWeight(ctx context.Context, w int32, _ ...v1alpha1.WeightDestination) error {
	for _, name := range r.stableIngresses() {
		if err := r.ensureCanaryIngress(ctx, name, w); err != nil {
			return err
		}
	}
	return nil
}

// UpdateHash implements trafficrouting.Router: nginx selects by Service.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetHeaderRoute implements trafficrouting.Router: nginx has no managed routes.
func (r *Router) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements trafficrouting.Router: nginx has no managed routes.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: nginx cannot tell.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// RemoveManagedRoutes implements trafficrouting.Router: there are none.
func (r *Router) RemoveManagedRoutes(context.Context) error { return nil }

func (r *Router) ensureCanaryIngress(ctx context.Context, stableName string, w int32) error {
	ro := r.d.Rollout
	stable := &networkingv1.Ingress{}
	if err := r.d.Client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: stableName}, stable); err != nil {
		return fmt.Errorf("get stable ingress %s: %w", stableName, err)
	}
	desired, err := r.desiredCanaryIngress(stable, w)
	if err != nil {
		return err
	}
	cur := &networkingv1.Ingress{}
	err = r.d.Client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: desired.Name}, cur)
	if apierrors.IsNotFound(err) {
		if err := r.d.Client.Create(ctx, desired); err != nil {
			return fmt.Errorf("create canary ingress %s: %w", desired.Name, err)
		}
		r.d.Note("ingress", desired.Name, "created", "CreatingCanaryIngress", fmt.Sprintf("canary-weight %d", w))
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
	if err := r.d.Client.Patch(ctx, next, client.MergeFrom(cur)); err != nil {
		return fmt.Errorf("patch canary ingress %s: %w", desired.Name, err)
	}
	return nil
}

func (r *Router) desiredCanaryIngress(stable *networkingv1.Ingress, w int32) (*networkingv1.Ingress, error) {
	ro := r.d.Rollout
	cs := ro.Spec.Strategy.Canary
	prefix := r.ng.AnnotationPrefix
	if prefix == "" {
		prefix = DefaultAnnotationPrefix
	}
	spec, err := canaryRules(stable, cs.StableService, cs.CanaryService)
	if err != nil {
		return nil, err
	}
	ann := map[string]string{
		prefix + "/canary":        "true",
		prefix + "/canary-weight": strconv.Itoa(int(w)),
	}
	if v, ok := stable.Annotations["kubernetes.io/ingress.class"]; ok {
		ann["kubernetes.io/ingress.class"] = v
	}
	if mw := cs.TrafficRouting.MaxTrafficWeight; mw != nil {
		ann[prefix+"/canary-weight-total"] = strconv.Itoa(int(*mw))
	}
	for k, v := range r.ng.AdditionalIngressAnnotations {
		if !strings.HasPrefix(k, prefix+"/") {
			k = prefix + "/" + k
		}
		ann[k] = v
	}
	for k, v := range r.ng.CanaryIngressAnnotations {
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

// canaryRules are the stable Ingress's rules that use the stable Service,
// pointed at the canary Service.
func canaryRules(stable *networkingv1.Ingress, stableSvc, canarySvc string) (networkingv1.IngressSpec, error) {
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
		return spec, fmt.Errorf("ingress `%s` has no rules using service %s backend", stable.Name, stableSvc)
	}
	return spec, nil
}
