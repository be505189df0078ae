package manifests

import (
	"sort"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// RouterKinds says which kinds outside rollsim's scheme a traffic router
// reads and writes, so that they count as modelled by the simulation for
// the rollouts that use that router.
type RouterKinds struct {
	// Router names the router (for tests and messages): "istio", …
	Router string
	// Uses tells whether a rollout's traffic routing uses the router.
	Uses func(tr *v1alpha1.RolloutTrafficRouting) bool
	// Kinds are the kinds it reads and writes (any version).
	Kinds []schema.GroupKind
}

// Routers lists, for each traffic router the simulation models, the kinds
// outside the scheme it works on. A router's package fills in its entry
// here when it starts to read its objects, e.g.
//
//	{Router: "istio", Uses: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Istio != nil },
//	 Kinds: []schema.GroupKind{{Group: "networking.istio.io", Kind: "VirtualService"}, {Group: "networking.istio.io", Kind: "DestinationRule"}}},
//
// An object of such a kind is then modelled when some rollout among the
// manifests routes through that router; otherwise NotModelled lists it.
var Routers = []RouterKinds{
	{Router: "istio", Uses: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Istio != nil },
		Kinds: []schema.GroupKind{{Group: "networking.istio.io", Kind: "VirtualService"}, {Group: "networking.istio.io", Kind: "DestinationRule"}}},
	{Router: "plugins.argoproj-labs/gatewayAPI", Uses: usesPlugin("argoproj-labs/gatewayAPI"), Kinds: []schema.GroupKind{
		{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}, {Group: "gateway.networking.k8s.io", Kind: "GRPCRoute"},
		{Group: "gateway.networking.k8s.io", Kind: "TCPRoute"}, {Group: "gateway.networking.k8s.io", Kind: "TLSRoute"}}},
	{Router: "plugins.argoproj-labs/openshift", Uses: usesPlugin("argoproj-labs/openshift"), Kinds: []schema.GroupKind{
		{Group: "route.openshift.io", Kind: "Route"}}},
	{Router: "smi", Uses: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.SMI != nil },
		Kinds: []schema.GroupKind{{Group: "split.smi-spec.io", Kind: "TrafficSplit"}}},
	{Router: "traefik", Uses: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Traefik != nil },
		Kinds: []schema.GroupKind{{Group: "traefik.io", Kind: "TraefikService"}}},
	{Router: "ambassador", Uses: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Ambassador != nil },
		Kinds: []schema.GroupKind{{Group: "getambassador.io", Kind: "Mapping"}}},
	{Router: "apisix", Uses: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Apisix != nil },
		Kinds: []schema.GroupKind{{Group: "apisix.apache.org", Kind: "ApisixRoute"}}},
	{Router: "appMesh", Uses: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.AppMesh != nil },
		Kinds: []schema.GroupKind{{Group: "appmesh.k8s.aws", Kind: "VirtualService"}, {Group: "appmesh.k8s.aws", Kind: "VirtualRouter"},
			{Group: "appmesh.k8s.aws", Kind: "VirtualNode"}}},
}

// Modelled tells which kinds outside the scheme the rollouts among objs
// make the simulation model: the kinds of the routers they route through.
func Modelled(objs []Object, routers []RouterKinds) map[schema.GroupKind]bool {
	out := map[schema.GroupKind]bool{}
	for _, o := range objs {
		ro, ok := o.Obj.(*v1alpha1.Rollout)
		if !ok {
			continue
		}
		var trs []*v1alpha1.RolloutTrafficRouting
		if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
			trs = append(trs, c.TrafficRouting)
		}
		for _, tr := range trs {
			for _, r := range routers {
				if r.Uses != nil && r.Uses(tr) {
					for _, gk := range r.Kinds {
						out[gk] = true
					}
				}
			}
		}
	}
	return out
}

// NotModelled lists the objects of objs the simulation holds but does not
// model: the unstructured ones (kinds outside the scheme) whose kinds no
// router of a rollout among objs reads (Routers). Sorted by kind,
// namespace, name, then source.
func NotModelled(objs []Object) []Object {
	return notModelled(objs, Routers)
}

func notModelled(objs []Object, routers []RouterKinds) []Object {
	modelled := Modelled(objs, routers)
	var out []Object
	for _, o := range objs {
		if o.IsUnstructured() && !modelled[o.Obj.GetObjectKind().GroupVersionKind().GroupKind()] {
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		ka, kb := a.Obj.GetObjectKind().GroupVersionKind(), b.Obj.GetObjectKind().GroupVersionKind()
		if ka.Kind != kb.Kind {
			return ka.Kind < kb.Kind
		}
		if ka.Group != kb.Group {
			return ka.Group < kb.Group
		}
		if a.Obj.GetNamespace() != b.Obj.GetNamespace() {
			return a.Obj.GetNamespace() < b.Obj.GetNamespace()
		}
		if a.Obj.GetName() != b.Obj.GetName() {
			return a.Obj.GetName() < b.Obj.GetName()
		}
		if a.Source.File != b.Source.File {
			return a.Source.File < b.Source.File
		}
		return a.Source.Line < b.Source.Line
	})
	return out
}

// usesPlugin tells whether a traffic routing names the plugin.
func usesPlugin(name string) func(tr *v1alpha1.RolloutTrafficRouting) bool {
	return func(tr *v1alpha1.RolloutTrafficRouting) bool {
		_, ok := tr.Plugins[name]
		return ok
	}
}
