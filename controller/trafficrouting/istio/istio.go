package istio

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Router is the Istio router of one Rollout.
type Router struct {
	d     trafficrouting.Deps
	istio *v1alpha1.IstioTrafficRouting
	// seen are the VirtualServices read or written in this reconcile (a
	// Router lives for one): validation, the routes and the weights read
	// each once.
	seen map[string]*unstructured.Unstructured
}

// readVS is the VirtualService as this reconcile last read or wrote it.
func (r *Router) readVS(ctx context.Context, v vsRef) (*unstructured.Unstructured, error) {
	k := v.namespace + "/" + v.name
	if vs, ok := r.seen[k]; ok {
		return vs.DeepCopy(), nil
	}
	vs, err := Get(ctx, r.d.Client, KindVirtualService, v.namespace, v.name)
	if err != nil {
		return nil, err
	}
	if r.seen == nil {
		r.seen = map[string]*unstructured.Unstructured{}
	}
	r.seen[k] = vs
	return vs.DeepCopy(), nil
}

// updateVS writes a VirtualService and remembers what was written.
func (r *Router) updateVS(ctx context.Context, v vsRef, vs *unstructured.Unstructured) error {
	if err := r.d.Client.Update(ctx, vs); err != nil {
		delete(r.seen, v.namespace+"/"+v.name)
		return err
	}
	if r.seen == nil {
		r.seen = map[string]*unstructured.Unstructured{}
	}
	r.seen[v.namespace+"/"+v.name] = vs.DeepCopy()
	return nil
}

// New builds the Istio router for d.Rollout.
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	ist := d.Rollout.Spec.Strategy.Canary.TrafficRouting.Istio
	if d.Rollout.Spec.Strategy.Canary.PingPong != nil {
		return nil, fmt.Errorf("spec.strategy.canary.pingPong with Istio: %w", trafficrouting.ErrNotSupported)
	}
	return &Router{d: d, istio: ist}, nil
}

// Type implements trafficrouting.Router.
func (r *Router) Type() string { return "Istio" }

// virtualServices are the VirtualServices the rollout names.
func (r *Router) virtualServices() []v1alpha1.IstioVirtualService {
	if r.istio.VirtualServices != nil {
		return r.istio.VirtualServices
	}
	if r.istio.VirtualService != nil {
		return []v1alpha1.IstioVirtualService{*r.istio.VirtualService}
	}
	return nil
}

func (r *Router) isManaged(name string) bool {
	for _, m := range r.d.Rollout.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes {
		if m.Name == name {
			return true
		}
	}
	return false
}

// vsRef is one named VirtualService and where it lives.
type vsRef struct {
	ref             v1alpha1.IstioVirtualService
	namespace, name string
}

func (r *Router) refs() []vsRef {
	var out []vsRef
	for _, ref := range r.virtualServices() {
		ns, name := SplitName(ref.Name)
		if ns == "" {
			ns = r.d.Rollout.Namespace
		}
		out = append(out, vsRef{ref: ref, namespace: ns, name: name})
	}
	return out
}

// getVS reads a VirtualService; not found is Argo's VirtualServiceNotFound
// warning and the reconcile's error.
func (r *Router) getVS(ctx context.Context, v vsRef) (*unstructured.Unstructured, error) {
	vs, err := r.readVS(ctx, v)
	if err != nil && isNotFound(err) {
		r.d.Note("rollout", r.d.Rollout.Name, "event", "VirtualServiceNotFound", fmt.Sprintf("VirtualService `%s` not found", v.name))
	}
	return vs, err
}

// SetWeight sets the weights of the configured routes of every
// VirtualService, as Argo's reconcileVirtualService does.
func (r *Router) SetWeight(ctx context.Context, weight int32, additional ...v1alpha1.WeightDestination) error {
	for _, v := range r.refs() {
		vs, err := r.getVS(ctx, v)
		if err != nil {
			return err
		}
		next, changed, err := r.withWeights(vs, v.ref, int64(weight), additional)
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		if err := r.orderRoutes(next); err != nil {
			return fmt.Errorf("[SetWeight] failed to order routes: %w", err)
		}
		if err := r.updateVS(ctx, v, next); err != nil {
			return err
		}
		r.d.Note("virtualservice", v.name, "event", "Updated VirtualService", fmt.Sprintf("VirtualService `%s` set to desiredWeight '%d'", v.name, weight))
	}
	return nil
}

// withWeights validates the routes of every kind the VirtualService has and
// returns a copy with the weights set, and whether anything changed.
func (r *Router) withWeights(vs *unstructured.Unstructured, ref v1alpha1.IstioVirtualService, weight int64, additional []v1alpha1.WeightDestination) (*unstructured.Unstructured, bool, error) {
	next := vs.DeepCopy()
	t := r.targets()
	lists := map[string][]any{}
	var changes []weightChange
	for _, kind := range []string{kindHTTP, kindTLS, kindTCP} {
		routes, found, err := routeList(next, kind)
		if err != nil {
			return nil, false, err
		}
		if !found {
			continue
		}
		if err := r.validateRoutes(kind, ref, routes); err != nil {
			return nil, false, err
		}
		lists[kind] = routes
		idx, _ := r.routeIndexes(next, ref, kind, routes)
		for _, i := range idx {
			if i >= len(routes) {
				break
			}
			changes = append(changes, t.weightChanges(kind, i, routeDestinations(routes[i]), weight, additional)...)
		}
	}
	if err := apply(changes, lists); err != nil {
		return nil, false, err
	}
	for kind, routes := range lists {
		if len(routes) == 0 {
			continue
		}
		if err := unstructured.SetNestedSlice(next.Object, routes, "spec", kind); err != nil {
			return nil, false, err
		}
	}
	return next, len(changes) > 0, nil
}

// UpdateHash points the DestinationRule's canary and stable subsets at the
// hashes (and experiment subsets at theirs), marks it managed by the
// rollout, and drops every other subset, as Argo does; it waits while a
// traffic-receiving ReplicaSet is not fully available when the rollout
// names no Services (Argo #2507).
func (r *Router) UpdateHash(ctx context.Context, canaryHash, stableHash string, additional ...v1alpha1.WeightDestination) error {
	if rs, wait := r.delayDestinationRule(canaryHash, stableHash); wait {
		return fmt.Errorf("delaying destination rule switch: ReplicaSet %s not fully available", rs)
	}
	spec := r.istio.DestinationRule
	if spec == nil {
		return nil
	}
	dr, err := r.getDR(ctx)
	if err != nil {
		return err
	}
	next := dr.DeepCopy()
	ann := next.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[v1alpha1.ManagedByRolloutsKey] = r.d.Rollout.Name
	next.SetAnnotations(ann)
	subsets, _, _ := unstructured.NestedSlice(next.Object, "spec", "subsets")
	if err := unstructured.SetNestedSlice(next.Object, withHashes(subsets, spec, canaryHash, stableHash, additional), "spec", "subsets"); err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(dr.Object, next.Object) {
		return nil
	}
	if err := r.d.Client.Update(ctx, next); err != nil {
		return err
	}
	r.d.Note("destinationrule", spec.Name, "event", "UpdatedDestinationRule", fmt.Sprintf("DestinationRule %s subset updated (%s: %s, %s: %s)",
		spec.Name, spec.CanarySubsetName, canaryHash, spec.StableSubsetName, stableHash))
	return nil
}

func (r *Router) getDR(ctx context.Context) (*unstructured.Unstructured, error) {
	spec := r.istio.DestinationRule
	dr, err := Get(ctx, r.d.Client, KindDestinationRule, r.d.Rollout.Namespace, spec.Name)
	if err != nil && isNotFound(err) {
		r.d.Note("rollout", r.d.Rollout.Name, "event", "DestinationRuleNotFound", fmt.Sprintf("DestinationRule `%s` not found", spec.Name))
	}
	return dr, err
}

// withHashes is the subsets list UpdateHash writes.
func withHashes(subsets []any, spec *v1alpha1.IstioDestinationRule, canaryHash, stableHash string, additional []v1alpha1.WeightDestination) []any {
	byService := map[string]v1alpha1.WeightDestination{}
	var order []string
	for _, a := range additional {
		if _, dup := byService[a.ServiceName]; !dup {
			order = append(order, a.ServiceName)
		}
		byService[a.ServiceName] = a
	}
	setHash := func(s map[string]any, hash string) {
		labels, _ := s["labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
		}
		if hash != "" {
			labels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
		} else {
			delete(labels, v1alpha1.DefaultRolloutUniqueLabelKey)
		}
		s["labels"] = labels
	}
	out := make([]any, 0, len(subsets))
	for _, sv := range subsets {
		s := asMap(sv)
		if s == nil {
			continue
		}
		name := str(s, "name")
		switch {
		case name == spec.CanarySubsetName:
			setHash(s, canaryHash)
		case name == spec.StableSubsetName:
			setHash(s, stableHash)
		case byService[name].ServiceName != "":
			setHash(s, byService[name].PodTemplateHash)
			if byService[name].PodTemplateHash != "" {
				delete(byService, name)
			}
		default:
			continue
		}
		out = append(out, s)
	}
	for _, name := range order {
		if a, ok := byService[name]; ok {
			out = append(out, map[string]any{"name": a.ServiceName,
				"labels": map[string]any{v1alpha1.DefaultRolloutUniqueLabelKey: a.PodTemplateHash}})
		}
	}
	return out
}

// delayDestinationRule is Argo's shouldDelayDestinationRuleUpdate.
func (r *Router) delayDestinationRule(canaryHash, stableHash string) (string, bool) {
	cs := r.d.Rollout.Spec.Strategy.Canary
	if cs.CanaryService != "" || cs.StableService != "" {
		return "", false
	}
	backToStable := r.d.Rollout.Status.Abort
	for _, rs := range r.d.ReplicaSets {
		if !backToStable && rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == stableHash {
			_, backToStable = trafficrouting.DynamicRollbackToStable(r.d.Rollout, rs)
		}
	}
	for _, rs := range r.d.ReplicaSets {
		if rs.Spec.Replicas == nil || *rs.Spec.Replicas == 0 {
			continue
		}
		h := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		if h == "" || (h != stableHash && h != canaryHash) || (backToStable && h == canaryHash) {
			continue
		}
		if rs.Status.AvailableReplicas < *rs.Spec.Replicas {
			return rs.Name, true
		}
	}
	return "", false
}

// VerifyWeight implements trafficrouting.Router: Istio cannot tell.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}
