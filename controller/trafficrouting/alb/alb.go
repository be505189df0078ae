package alb

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Router is the ALB router of one Rollout.
type Router struct {
	d   trafficrouting.Deps
	alb *v1alpha1.ALBTrafficRouting
}

// New builds the ALB router for d.Rollout.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	return &Router{d: d, alb: d.Rollout.Spec.Strategy.Canary.TrafficRouting.ALB}, nil
}

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "ALB" }

// Ingresses are the Ingresses the rollout names: `ingresses` when set, else
// `ingress`.
func Ingresses(alb *v1alpha1.ALBTrafficRouting) []string {
	if alb.Ingresses != nil {
		return alb.Ingresses
	}
	return []string{alb.Ingress}
}

var fldALB = field.NewPath("spec", "strategy", "canary", "trafficRouting", "alb")

// ValidateReferences implements trafficrouting.ReferenceValidator: exactly
// one of ingress and ingresses, every Ingress exists and has a rule whose
// backend is the action Service (Argo's ValidateRolloutAlbIngressesConfig,
// getReferencedALBIngresses and validateAlbIngress).
func (r *Router) ValidateReferences(ctx context.Context) (string, error) {
	switch multi, single := r.alb.Ingresses != nil, r.alb.Ingress != ""; {
	case multi && single:
		return field.InternalError(fldALB, fmt.Errorf("Either Ingress or Ingresses must be configured. Both are configured.")).Error(), nil
	case !multi && !single:
		return field.InternalError(fldALB, fmt.Errorf("Either Ingress or Ingresses must be configured. Neither are configured.")).Error(), nil
	}
	path, value := fldALB.Child("ingress"), any(r.alb.Ingress)
	if r.alb.Ingresses != nil {
		path, value = fldALB.Child("ingresses"), r.alb.Ingresses
	}
	var found []*networkingv1.Ingress
	for _, name := range Ingresses(r.alb) {
		ing, err := r.get(ctx, name)
		if apierrors.IsNotFound(err) {
			return field.Invalid(path, value, err.Error()).Error(), nil
		}
		if err != nil {
			return "", err
		}
		found = append(found, ing)
	}
	svc := ActionService(r.d.Rollout.Spec.Strategy.Canary)
	for _, ing := range found {
		if !hasRuleWithService(ing, svc) {
			v := any(r.alb.Ingress)
			if r.alb.Ingresses != nil {
				v = ing.Name
			}
			return field.Invalid(path, v, fmt.Sprintf("ingress `%s` has no rules using service %s backend", ing.Name, svc)).Error(), nil
		}
	}
	return "", nil
}

func (r *Router) get(ctx context.Context, name string) (*networkingv1.Ingress, error) {
	ing := &networkingv1.Ingress{}
	err := r.d.Client.Get(ctx, types.NamespacedName{Namespace: r.d.Rollout.Namespace, Name: name}, ing)
	return ing, err
}

func hasRuleWithService(ing *networkingv1.Ingress, svc string) bool {
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name == svc {
				return true
			}
		}
	}
	return false
}

// SetWeight writes the forward action with weight to every Ingress. As in
// Argo, the first Ingress already at the desired annotations ends the walk.
func (r *Router) SetWeight(ctx context.Context, weight int32, additional ...v1alpha1.WeightDestination) error {
	ro := r.d.Rollout
	svc := ActionService(ro.Spec.Strategy.Canary)
	for _, name := range Ingresses(r.alb) {
		ing, err := r.get(ctx, name)
		if err != nil {
			return fmt.Errorf("get ingress %s: %w", name, err)
		}
		if !hasRuleWithService(ing, svc) {
			return fmt.Errorf("ingress does not have service `%s` in rules", svc)
		}
		next := ing.DeepCopy()
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		key := ActionKey(r.alb, svc)
		if next.Annotations[key], err = forwardAction(ro, weight, additional); err != nil {
			return err
		}
		if err := managed(next.Annotations, ro.Name, true, key); err != nil {
			return err
		}
		patched, err := r.patch(ctx, ing, next)
		if err != nil || !patched {
			return err
		}
		r.d.Note("ingress", name, "event", "PatchingALBIngress", fmt.Sprintf("Updating Ingress `%s` to desiredWeight '%d'", name, weight))
	}
	return nil
}

// patch writes next over cur as a merge patch; false when nothing changed.
func (r *Router) patch(ctx context.Context, cur, next *networkingv1.Ingress) (bool, error) {
	if equality.Semantic.DeepEqual(cur.Annotations, next.Annotations) && equality.Semantic.DeepEqual(cur.Spec, next.Spec) {
		return false, nil
	}
	if err := r.d.Client.Patch(ctx, next, client.MergeFrom(cur)); err != nil {
		return false, fmt.Errorf("error patching alb ingress `%s`: %w", cur.Name, err)
	}
	return true, nil
}

// UpdateHash implements trafficrouting.Router: ALB selects by Service.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetMirrorRoute implements trafficrouting.Router: ALB has no mirror routes
// (validation refuses the step).
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }
