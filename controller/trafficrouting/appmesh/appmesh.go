package appmesh

import (
	"context"
	"errors"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Group and Version are App Mesh's CRD group and Argo's default version.
const (
	Group   = "appmesh.k8s.aws"
	Version = "v1beta2"
)

// RouteTypes are the route kinds Argo weights, in its order.
var RouteTypes = []string{"httpRoute", "tcpRoute", "http2Route", "grpcRoute"}

// GVK is the App Mesh kind k.
func GVK(k string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: Group, Version: Version, Kind: k}
}

// Router is the App Mesh router of one Rollout.
type Router struct {
	d   trafficrouting.Deps
	cfg *v1alpha1.AppMeshTrafficRouting
}

// New builds the App Mesh router for d.Rollout.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	return &Router{d: d, cfg: d.Rollout.Spec.Strategy.Canary.TrafficRouting.AppMesh}, nil
}

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "AppMesh" }

// Get reads the App Mesh object of kind named name in ns.
func Get(ctx context.Context, c client.Client, kind, ns, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(GVK(kind))
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u)
	return u, err
}

// RouterOf is the VirtualRouter a VirtualService's provider names.
func RouterOf(ctx context.Context, c client.Client, vs *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ref, found, _ := unstructured.NestedMap(vs.Object, "spec", "provider", "virtualRouter", "virtualRouterRef")
	if !found {
		return nil, errors.New("Virtual-service is not associated with virtual-router")
	}
	ns, _ := ref["namespace"].(string)
	if ns == "" {
		ns = vs.GetNamespace()
	}
	name, _ := ref["name"].(string)
	return Get(ctx, c, "VirtualRouter", ns, name)
}

// RouteRule is a route's rule and its type (httpRoute, …).
func RouteRule(route map[string]any) (map[string]any, string, error) {
	for _, t := range RouteTypes {
		if m, found, _ := unstructured.NestedMap(route, t); found {
			return m, t, nil
		}
	}
	return nil, "", errors.New("Route has unsupported route type")
}

// UpdateHash points the VirtualNodes at the hashes.
func (r *Router) UpdateHash(ctx context.Context, canaryHash, stableHash string, _ ...v1alpha1.WeightDestination) error {
	if stableHash == "" {
		stableHash = "stable-hash"
	}
	if err := r.hashNode(ctx, r.cfg.VirtualNodeGroup.StableVirtualNodeRef.Name, stableHash); err != nil {
		return err
	}
	if canaryHash == stableHash || canaryHash == "" {
		canaryHash = "canary-hash"
	}
	return r.hashNode(ctx, r.cfg.VirtualNodeGroup.CanaryVirtualNodeRef.Name, canaryHash)
}

func (r *Router) hashNode(ctx context.Context, name, hash string) error {
	ro := r.d.Rollout
	cur, err := Get(ctx, r.d.Client, "VirtualNode", ro.Namespace, name)
	if apierrors.IsNotFound(err) {
		r.d.Note("rollout", ro.Name, "event", "VirtualNodeNotFound", fmt.Sprintf("VirtualNode `%s` not found in namespace `%s`", name, ro.Namespace))
		return errors.New("Virtual-node is missing")
	}
	if err != nil {
		return err
	}
	next := cur.DeepCopy()
	ann := next.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[v1alpha1.ManagedByRolloutsKey] = ro.Name
	next.SetAnnotations(ann)
	ml, _, err := unstructured.NestedMap(next.Object, "spec", "podSelector", "matchLabels")
	if err != nil {
		return err
	}
	if ml == nil {
		ml = map[string]any{}
	}
	ml[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	if err := unstructured.SetNestedMap(next.Object, ml, "spec", "podSelector", "matchLabels"); err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(cur.Object, next.Object) {
		return nil
	}
	if err := r.d.Client.Update(ctx, next); err != nil {
		return err
	}
	r.d.Note("virtualnode", name, "selector", "VirtualNodeHashUpdated", fmt.Sprintf("podSelector %s=%s", v1alpha1.DefaultRolloutUniqueLabelKey, hash))
	return nil
}

// SetWeight sets the canary and stable weighted targets of the routes.
func (r *Router) SetWeight(ctx context.Context, weight int32, _ ...v1alpha1.WeightDestination) error {
	ro := r.d.Rollout
	vs, err := Get(ctx, r.d.Client, "VirtualService", ro.Namespace, r.cfg.VirtualService.Name)
	if apierrors.IsNotFound(err) {
		r.d.Note("rollout", ro.Name, "event", "VirtualServiceNotFound", fmt.Sprintf("VirtualService `%s` not found in namespace `%s`", r.cfg.VirtualService.Name, ro.Namespace))
		return errors.New("Virtual-service is missing")
	}
	if err != nil {
		return err
	}
	vr, err := RouterOf(ctx, r.d.Client, vs)
	if apierrors.IsNotFound(err) {
		r.d.Note("rollout", ro.Name, "event", "VirtualRouterNotFound", fmt.Sprintf("VirtualRouter for `%s` not found in namespace `%s`", r.cfg.VirtualService.Name, ro.Namespace))
		return errors.New("Virtual-router is missing")
	}
	if err != nil {
		return err
	}
	next := vr.DeepCopy()
	if err := r.weightRoutes(next, weight); err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(vr.Object, next.Object) {
		return nil
	}
	return r.d.Client.Update(ctx, next)
}
