package ambassador

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// GVK is the Mapping kind Argo uses by default.
var GVK = schema.GroupVersionKind{Group: "getambassador.io", Version: "v2", Kind: "Mapping"}

// Router is the Ambassador router of one Rollout.
type Router struct {
	d        trafficrouting.Deps
	mappings []string
}

// New builds the Ambassador router for d.Rollout.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	return &Router{d: d, mappings: d.Rollout.Spec.Strategy.Canary.TrafficRouting.Ambassador.Mappings}, nil
}

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "Ambassador" }

// CanaryName is the canary Mapping's name for a base Mapping.
func CanaryName(base string) string {
	if len(base) > 246 {
		base = base[:246]
	}
	return base + "-canary"
}

// Weight is a Mapping's spec.weight (0 when unset).
func Weight(u *unstructured.Unstructured) int64 {
	w, _, _ := unstructured.NestedInt64(u.Object, "spec", "weight")
	return w
}

func (r *Router) get(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(GVK)
	err := r.d.Client.Get(ctx, types.NamespacedName{Namespace: r.d.Rollout.Namespace, Name: name}, u)
	return u, err
}

var fldMappings = field.NewPath("spec", "strategy", "canary", "trafficRouting", "ambassador", "mappings")

// ValidateReferences implements trafficrouting.ReferenceValidator (Argo's
// getAmbassadorMappings and ValidateAmbassadorMapping).
func (r *Router) ValidateReferences(ctx context.Context) (string, error) {
	if len(r.mappings) == 0 {
		return field.Invalid(fldMappings, nil, "must provide at least one mapping").Error(), nil
	}
	var found []*unstructured.Unstructured
	for _, name := range r.mappings {
		u, err := r.get(ctx, name)
		if apierrors.IsNotFound(err) {
			return field.Invalid(fldMappings, name, err.Error()).Error(), nil
		}
		if err != nil {
			return "", err
		}
		found = append(found, u)
	}
	for _, u := range found {
		if Weight(u) != 0 {
			return field.Invalid(field.NewPath("spec", "weight"), u.GetName(), fmt.Sprintf("Ambassador mapping %q can not define weight", u.GetName())).Error(), nil
		}
	}
	return "", nil
}

// SetWeight creates, updates or (weight 0) deletes every canary Mapping.
// Argo notes CanaryMappingWeightUpdate on every call; rollsim when a
// Mapping changes.
func (r *Router) SetWeight(ctx context.Context, weight int32, _ ...v1alpha1.WeightDestination) error {
	var errs []string
	for _, base := range r.mappings {
		if err := r.canary(ctx, base, weight); err != nil {
			errs = append(errs, err.Error())
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errors.New(errs[0])
	}
	return fmt.Errorf("%d errors found: [%s]", len(errs), strings.Join(errs, "]["))
}

// canary brings one base Mapping's canary Mapping to weight. At weight 0
// Argo sets the weight to 0, waits 5 s and deletes it; rollsim deletes a
// canary Mapping already at weight 0 (the next reconcile, at once).
func (r *Router) canary(ctx context.Context, base string, weight int32) error {
	ro := r.d.Rollout
	name := CanaryName(base)
	cur, err := r.get(ctx, name)
	if apierrors.IsNotFound(err) {
		if weight == 0 {
			return nil
		}
		return r.create(ctx, base, weight)
	}
	if err != nil {
		return err
	}
	if weight == 0 && Weight(cur) == 0 {
		if err := r.d.Client.Delete(ctx, cur); err != nil && !apierrors.IsNotFound(err) {
			r.d.Note("rollout", ro.Name, "event", "CanaryMappingCleanupError", fmt.Sprintf("Error deleting canary mapping %q: %s", name, err))
			return err
		}
		r.d.Note("mapping", name, "deleted", "CanaryMappingDeleted", fmt.Sprintf("canary mapping %q deleted", name))
		return nil
	}
	if Weight(cur) == int64(weight) {
		return nil
	}
	next := cur.DeepCopy()
	_ = unstructured.SetNestedField(next.Object, int64(weight), "spec", "weight")
	if err := r.d.Client.Update(ctx, next); err != nil {
		r.d.Note("rollout", ro.Name, "event", "CanaryMappingUpdateError", fmt.Sprintf("Error updating canary mapping %q: %s", name, err))
		return err
	}
	r.d.Note("mapping", name, "event", "CanaryMappingWeightUpdate", fmt.Sprintf("Set canary mapping weight to %d", weight))
	return nil
}

func (r *Router) create(ctx context.Context, base string, weight int32) error {
	ro := r.d.Rollout
	cs := ro.Spec.Strategy.Canary
	b, err := r.get(ctx, base)
	if err != nil {
		if apierrors.IsNotFound(err) {
			r.d.Note("rollout", ro.Name, "event", "AmbassadorMappingNotFound", fmt.Sprintf("Ambassador mapping %q not found", base))
		}
		return err
	}
	if Weight(b) != 0 {
		msg := fmt.Sprintf("Ambassador mapping %q can not define weight", base)
		r.d.Note("rollout", ro.Name, "event", "AmbassadorMappingConfigError", msg)
		return errors.New(msg)
	}
	c := &unstructured.Unstructured{Object: map[string]any{}}
	for k, v := range b.DeepCopy().Object {
		if k != "metadata" {
			c.Object[k] = v
		}
	}
	c.SetName(CanaryName(base))
	c.SetNamespace(b.GetNamespace())
	svc, _, _ := unstructured.NestedString(b.Object, "spec", "service")
	_ = unstructured.SetNestedField(c.Object, strings.Replace(svc, cs.StableService, cs.CanaryService, 1), "spec", "service")
	_ = unstructured.SetNestedField(c.Object, int64(weight), "spec", "weight")
	if err := r.d.Client.Create(ctx, c); err != nil {
		r.d.Note("rollout", ro.Name, "event", "CanaryMappingCreationError", fmt.Sprintf("Error creating canary mapping: %s", err))
		return err
	}
	r.d.Note("mapping", c.GetName(), "created", "CanaryMappingWeightUpdate", fmt.Sprintf("Set canary mapping weight to %d", weight))
	return nil
}

// UpdateHash implements trafficrouting.Router: Ambassador splits by Service.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetHeaderRoute implements trafficrouting.Router: none for Ambassador.
func (r *Router) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements trafficrouting.Router: none for Ambassador.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: Ambassador cannot tell.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// RemoveManagedRoutes implements trafficrouting.Router: there are none.
func (r *Router) RemoveManagedRoutes(context.Context) error { return nil }
