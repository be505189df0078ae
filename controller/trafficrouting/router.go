package trafficrouting

import (
	"context"
	"errors"
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ErrNotSupported marks a router feature rollsim does not simulate yet; the
// controller turns it into an InvalidSpec-style condition.
var ErrNotSupported = errors.New("not supported yet")

// Router is one traffic router a canary Rollout names: Argo's
// TrafficRoutingReconciler. The controller calls, per reconcile and in this
// order: RemoveManagedRoutes (when the rollout is promoted, aborted or has no
// available canary), SetHeaderRoute / SetMirrorRoute (for the current step),
// UpdateHash, SetWeight and VerifyWeight.
type Router interface {
	// Type is the router's name as Argo logs it ("Nginx", "Istio", …).
	Type() string
	// UpdateHash points the router's pod-template-hash selections (Istio
	// DestinationRule subsets, …) at the canary and stable hashes.
	UpdateHash(ctx context.Context, canaryHash, stableHash string, additional ...v1alpha1.WeightDestination) error
	// SetWeight sends weight (of MaxTrafficWeight) to the canary and the
	// additional destinations' weights to them, the rest to the stable.
	SetWeight(ctx context.Context, weight int32, additional ...v1alpha1.WeightDestination) error
	// SetHeaderRoute creates, updates or (no match) removes a managed
	// header route.
	SetHeaderRoute(ctx context.Context, route *v1alpha1.SetHeaderRoute) error
	// SetMirrorRoute creates, updates or (no match) removes a managed
	// mirror route.
	SetMirrorRoute(ctx context.Context, route *v1alpha1.SetMirrorRoute) error
	// VerifyWeight reports whether the weight has taken effect: nil when
	// the router cannot tell (most), else verified or not yet.
	VerifyWeight(ctx context.Context, weight int32, additional ...v1alpha1.WeightDestination) (*bool, error)
	// RemoveManagedRoutes removes every managed header and mirror route.
	RemoveManagedRoutes(ctx context.Context) error
}

// ReferenceValidator is implemented by a router whose objects Argo checks
// before it reconciles (getReferencedResources and
// ValidateRolloutReferencedResources): a non-empty message is Argo's
// InvalidSpec message, with its field path.
type ReferenceValidator interface {
	ValidateReferences(ctx context.Context) (string, error)
}

// Notef reports one router decision to the timeline: the object's lower-case
// kind and name, a verb from the timeline's closed list, Argo's event reason
// and a detail.
type Notef func(kind, name, verb, reason, detail string)

// WeightVerifier answers VerifyWeight for routers whose weights take effect
// outside the cluster (ALB target groups): whether the weights the router
// last wrote to an object (lower-case kind, namespace, name) are in effect
// now. The simulator supplies it from the scenario; nil means always
// verified.
type WeightVerifier interface {
	Verified(kind, namespace, name string) bool
}

// Deps is what a router is given for one reconcile.
type Deps struct {
	// Rollout is the Rollout as read at the start of the reconcile. A router
	// reads it; it never writes it.
	Rollout *v1alpha1.Rollout
	// Status is the status the reconcile will persist; routers that record
	// their own status (ALB's status.alb) write it here.
	Status *v1alpha1.RolloutStatus
	// ReplicaSets are the rollout's ReplicaSets, as the controller sees them.
	ReplicaSets []*appsv1.ReplicaSet
	Client      client.Client
	Clock       clock.Clock
	Note        Notef
	Verifier    WeightVerifier
	// SMIAPIVersion is the TrafficSplit version the SMI router writes
	// (Argo's --traffic-split-api-version; "" is v1alpha1).
	SMIAPIVersion string
}

// Factory builds the router of one kind for d.Rollout. The controller keeps
// a factory per name Requested returns ("plugins.<name>" for a plugin); a
// requested name without a factory is "not supported yet".
type Factory func(d Deps) (Router, error)

// Requested lists the routers a traffic-routing spec names, as Argo builds
// them (Istio, Nginx, ALB, SMI, Ambassador, AppMesh, Traefik, Apisix, then
// each plugin), plugins sorted by name so the order is the same every run.
func Requested(tr *v1alpha1.RolloutTrafficRouting) []string {
	if tr == nil {
		return nil
	}
	var out []string
	for _, r := range []struct {
		set  bool
		name string
	}{
		{tr.Istio != nil, "istio"}, {tr.Nginx != nil, "nginx"}, {tr.ALB != nil, "alb"}, {tr.SMI != nil, "smi"},
		{tr.Ambassador != nil, "ambassador"}, {tr.AppMesh != nil, "appMesh"}, {tr.Traefik != nil, "traefik"},
		{tr.Apisix != nil, "apisix"},
	} {
		if r.set {
			out = append(out, r.name)
		}
	}
	var plugins []string
	for name := range tr.Plugins {
		plugins = append(plugins, "plugins."+name)
	}
	sort.Strings(plugins)
	return append(out, plugins...)
}

// DynamicRollbackToStable is Argo's IsDynamicallyRollingBackToStable: a
// fully promoted dynamicStableScale rollout whose recorded canary weight
// still points at another hash than desired (its stable ReplicaSet) while
// desired is not yet fully available. It returns that other hash.
func DynamicRollbackToStable(ro *v1alpha1.Rollout, desired *appsv1.ReplicaSet) (string, bool) {
	cs := ro.Spec.Strategy.Canary
	if cs == nil || cs.TrafficRouting == nil || !cs.DynamicStableScale || desired == nil {
		return "", false
	}
	if ro.Status.StableRS == "" || ro.Status.StableRS != ro.Status.CurrentPodHash || ro.Status.Canary.Weights == nil {
		return "", false
	}
	cur := ro.Status.Canary.Weights.Canary.PodTemplateHash
	if cur == desired.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] {
		return "", false
	}
	if ro.Spec.Replicas != nil && desired.Status.AvailableReplicas >= *ro.Spec.Replicas {
		return "", false
	}
	return cur, true
}
