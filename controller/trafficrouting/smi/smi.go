package smi

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Group is the SMI traffic-split API group; Versions are the versions Argo
// writes, DefaultVersion its default.
const (
	Group          = "split.smi-spec.io"
	Kind           = "TrafficSplit"
	DefaultVersion = "v1alpha1"
)

// Versions are the TrafficSplit versions Argo can write.
var Versions = []string{"v1alpha1", "v1alpha2", "v1alpha3"}

// GVK is the TrafficSplit kind in version v.
func GVK(v string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: Group, Version: v, Kind: Kind}
}

// Router is the SMI router of one Rollout.
type Router struct {
	d       trafficrouting.Deps
	smi     *v1alpha1.SMITrafficRouting
	version string
}

// New builds the SMI router for d.Rollout; an API version Argo does not
// know is Argo's error.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	v := d.SMIAPIVersion
	if v == "" {
		v = DefaultVersion
	}
	known := false
	for _, k := range Versions {
		known = known || k == v
	}
	if !known {
		return nil, fmt.Errorf("Unsupported TrafficSplit API version `%s`", v)
	}
	return &Router{d: d, smi: d.Rollout.Spec.Strategy.Canary.TrafficRouting.SMI, version: v}, nil
}

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "SMI" }

// Name is the TrafficSplit's name: trafficSplitName, else the rollout's.
func Name(ro *v1alpha1.Rollout) string {
	if n := ro.Spec.Strategy.Canary.TrafficRouting.SMI.TrafficSplitName; n != "" {
		return n
	}
	return ro.Name
}

// RootService is the Service the TrafficSplit splits: rootService, else
// the stable Service.
func RootService(cs *v1alpha1.CanaryStrategy) string {
	if cs.TrafficRouting.SMI.RootService != "" {
		return cs.TrafficRouting.SMI.RootService
	}
	return cs.StableService
}

// SetWeight creates the TrafficSplit, or patches its spec to the weights.
func (r *Router) SetWeight(ctx context.Context, weight int32, additional ...v1alpha1.WeightDestination) error {
	ro := r.d.Rollout
	name := Name(ro)
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(GVK(r.version))
	err := r.d.Client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: name}, cur)
	if apierrors.IsNotFound(err) {
		return r.create(ctx, name, weight, additional)
	}
	if err != nil {
		return fmt.Errorf("get TrafficSplit %s: %w", name, err)
	}
	if !ownedBy(cur, ro) {
		return fmt.Errorf("Rollout does not own TrafficSplit `%s`", name)
	}
	spec := r.spec(weight, additional)
	if equality.Semantic.DeepEqual(cur.Object["spec"], spec) {
		return nil
	}
	next := cur.DeepCopy()
	next.Object["spec"] = spec
	if err := r.d.Client.Patch(ctx, next, client.MergeFrom(cur)); err != nil {
		return fmt.Errorf("patch TrafficSplit %s: %w", name, err)
	}
	return nil
}

func (r *Router) create(ctx context.Context, name string, weight int32, additional []v1alpha1.WeightDestination) error {
	ro := r.d.Rollout
	ts := &unstructured.Unstructured{Object: map[string]any{"spec": r.spec(weight, additional)}}
	ts.SetGroupVersionKind(GVK(r.version))
	ts.SetName(name)
	ts.SetNamespace(ro.Namespace)
	ts.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))})
	if err := r.d.Client.Create(ctx, ts); err != nil {
		r.d.Note("rollout", ro.Name, "event", "TrafficSplitNotCreated", fmt.Sprintf("TrafficSplit `%s` failed creation: %v", name, err))
		return fmt.Errorf("create TrafficSplit %s: %w", name, err)
	}
	r.d.Note("trafficsplit", name, "created", "TrafficSplitCreated", fmt.Sprintf("TrafficSplit `%s` created", name))
	return nil
}

// spec is the TrafficSplit spec: the canary first, each additional
// destination, then the stable Service with the rest of 100; weights are
// quantities (strings) in v1alpha1, integers after.
func (r *Router) spec(weight int32, additional []v1alpha1.WeightDestination) map[string]any {
	ro := r.d.Rollout
	cs := ro.Spec.Strategy.Canary
	w := func(v int32) any {
		if r.version == "v1alpha1" {
			return fmt.Sprint(v)
		}
		return int64(v)
	}
	backends := []any{map[string]any{"service": cs.CanaryService, "weight": w(weight)}}
	rest := int32(100) - weight
	for _, d := range additional {
		backends = append(backends, map[string]any{"service": d.ServiceName, "weight": w(d.Weight)})
		rest -= d.Weight
	}
	backends = append(backends, map[string]any{"service": cs.StableService, "weight": w(rest)})
	return map[string]any{"service": RootService(cs), "backends": backends}
}

func ownedBy(u *unstructured.Unstructured, ro *v1alpha1.Rollout) bool {
	for _, o := range u.GetOwnerReferences() {
		if o.Controller != nil && *o.Controller && o.UID == ro.UID {
			return true
		}
	}
	return false
}

// UpdateHash implements trafficrouting.Router: SMI splits by Service.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetHeaderRoute implements trafficrouting.Router: SMI has no header routes.
func (r *Router) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements trafficrouting.Router: SMI has no mirror routes.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: SMI cannot tell.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// RemoveManagedRoutes implements trafficrouting.Router: there are none.
func (r *Router) RemoveManagedRoutes(context.Context) error { return nil }
