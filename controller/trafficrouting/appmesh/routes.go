package appmesh

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const notWellFormed = "not well-formed"

// weightRoutes sets the weights in vr's routes (all, or those the rollout
// names), with Argo's not-well-formed errors.
func (r *Router) weightRoutes(vr *unstructured.Unstructured, weight int32) error {
	ro := r.d.Rollout
	filter := map[string]bool{}
	for _, n := range r.cfg.VirtualService.Routes {
		filter[n] = true
	}
	path := field.NewPath("spec", "routes")
	routes, found, err := unstructured.NestedSlice(vr.Object, "spec", "routes")
	if !found || err != nil {
		return field.Invalid(path, vr.GetName(), "No routes found")
	}
	for i, ri := range routes {
		rp := path.Index(i)
		route, ok := ri.(map[string]any)
		if !ok {
			return field.Invalid(rp, vr.GetName(), notWellFormed)
		}
		name, ok := route["name"].(string)
		if !ok {
			return field.Invalid(rp.Child("name"), vr.GetName(), notWellFormed)
		}
		if len(filter) > 0 && !filter[name] {
			continue
		}
		rule, rtype, err := RouteRule(route)
		if err != nil {
			return field.Invalid(rp, vr.GetName(), notWellFormed)
		}
		wp := rp.Child(rtype, "action", "weightedTargets")
		wts, found, err := unstructured.NestedSlice(rule, "action", "weightedTargets")
		if !found || err != nil {
			return field.Invalid(wp, vr.GetName(), notWellFormed)
		}
		for j, wi := range wts {
			wt, ok := wi.(map[string]any)
			if !ok {
				return field.Invalid(wp.Index(j), vr.GetName(), notWellFormed)
			}
			ref, ok := wt["virtualNodeRef"].(map[string]any)
			if !ok {
				return field.Invalid(wp.Index(j).Child("virtualNodeRef"), vr.GetName(), notWellFormed)
			}
			vn, _ := ref["name"].(string)
			ns, _ := ref["namespace"].(string)
			if ns != "" && ns != ro.Namespace {
				continue
			}
			switch vn {
			case r.cfg.VirtualNodeGroup.StableVirtualNodeRef.Name:
				wt["weight"] = int64(100 - weight)
			case r.cfg.VirtualNodeGroup.CanaryVirtualNodeRef.Name:
				wt["weight"] = int64(weight)
			}
		}
		if err := unstructured.SetNestedSlice(route, wts, rtype, "action", "weightedTargets"); err != nil {
			return err
		}
	}
	return unstructured.SetNestedSlice(vr.Object, routes, "spec", "routes")
}

var fldVS = field.NewPath("spec", "strategy", "canary", "trafficRouting", "appmesh", "virtualService")

// ValidateReferences implements trafficrouting.ReferenceValidator (Argo's
// getReferencedAppMeshResources and ValidateAppMeshResource).
func (r *Router) ValidateReferences(ctx context.Context) (string, error) {
	ro := r.d.Rollout
	if r.cfg.VirtualService == nil {
		return field.Invalid(fldVS, nil, "must provide virtual-service").Error(), nil
	}
	value := fmt.Sprintf("%s.%s", r.cfg.VirtualService.Name, ro.Namespace)
	vs, err := Get(ctx, r.d.Client, "VirtualService", ro.Namespace, r.cfg.VirtualService.Name)
	if apierrors.IsNotFound(err) {
		return field.Invalid(fldVS, value, err.Error()).Error(), nil
	}
	if err != nil {
		return "", err
	}
	vr, err := RouterOf(ctx, r.d.Client, vs)
	if apierrors.IsNotFound(err) {
		return field.Invalid(fldVS, value, err.Error()).Error(), nil
	}
	if err != nil {
		return "", err
	}
	return validateRouter(vr), nil
}

// validateRouter is Argo's ValidateAppMeshVirtualRouter.
func validateRouter(vr *unstructured.Unstructured) string {
	path := field.NewPath("spec", "routes")
	name := vr.GetName()
	routes, found, err := unstructured.NestedSlice(vr.Object, "spec", "routes")
	if !found || err != nil || len(routes) == 0 {
		return field.Invalid(path, name, fmt.Sprintf("No routes defined for AppMesh virtual-router %s", name)).Error()
	}
	for i, ri := range routes {
		rp := path.Index(i)
		route, ok := ri.(map[string]any)
		if !ok {
			return field.Invalid(rp, name, fmt.Sprintf("Invalid route was found for AppMesh virtual-router %s at index %d", name, i)).Error()
		}
		rn := route["name"]
		rule, rtype, err := RouteRule(route)
		if err != nil {
			return field.Invalid(rp, name, fmt.Sprintf("Error getting route details for AppMesh virtual-router %s and route %s. Error: %s", name, rn, err)).Error()
		}
		wp := rp.Child(rtype, "action", "weightedTargets")
		wts, found, err := unstructured.NestedSlice(rule, "action", "weightedTargets")
		if !found || err != nil {
			return field.Invalid(wp, name, fmt.Sprintf("Invalid route action found for AppMesh virtual-router %s and route %s", name, rn)).Error()
		}
		if len(wts) != 2 {
			return field.Invalid(wp, name, fmt.Sprintf("Invalid number of weightedTargets (%d) for AppMesh virtual-router %s and route %s, expected 2", len(wts), name, rn)).Error()
		}
	}
	return ""
}

// SetHeaderRoute implements trafficrouting.Router: none for App Mesh.
func (r *Router) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements trafficrouting.Router: none for App Mesh.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: App Mesh cannot tell.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// RemoveManagedRoutes implements trafficrouting.Router: there are none.
func (r *Router) RemoveManagedRoutes(context.Context) error { return nil }
