package sim

import (
	"github.com/rollsim/rollsim/sim/cluster"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// This file holds the harness's router-specific wiring.

// albVerifier answers the ALB router's weight verification: the simulated
// load balancer takes an Ingress's annotations Config.ALBWeightVerifyDelay
// after they last changed
// (an Ingress never patched since it was applied is in effect).
type albVerifier struct{ h *Harness }

// Verified implements controller.TrafficRouterWeightVerifier.
func (v albVerifier) Verified(kind, namespace, name string) bool {
	at, ok := v.h.annotated[kind+"/"+namespace+"/"+name]
	if !ok {
		return true
	}
	return !v.h.eng.Now().Before(at.Add(*v.h.cfg.ALBWeightVerifyDelay))
}

// noteIngressAnnotations records when an Ingress's annotations changed.
func (h *Harness) noteIngressAnnotations(c cluster.Change) {
	var before, after map[string]string
	if m, err := meta.Accessor(c.Old); c.Old != nil && err == nil {
		before = m.GetAnnotations()
	}
	if m, err := meta.Accessor(c.New); c.New != nil && err == nil {
		after = m.GetAnnotations()
	}
	if c.Op == cluster.OpUpdate && !equality.Semantic.DeepEqual(before, after) {
		h.annotated["ingress/"+c.Namespace+"/"+c.Name] = h.eng.Now()
	}
}

// unwatchedKinds are router kinds Argo's rollout controller has no informer
// for (it watches Istio's VirtualServices and DestinationRules, not
// these): a change to one re-queues no rollout, as in Argo. Requeuing on
// them would also turn Argo's per-reconcile churn (APISIX's header route
// removed and re-created while the canary has no available pod) into a
// livelock.
var unwatchedKinds = map[schema.GroupKind]bool{
	{Group: "split.smi-spec.io", Kind: "TrafficSplit"}: true,
	{Group: "traefik.io", Kind: "TraefikService"}:      true,
	{Group: "getambassador.io", Kind: "Mapping"}:       true,
	{Group: "apisix.apache.org", Kind: "ApisixRoute"}:  true,
	{Group: "appmesh.k8s.aws", Kind: "VirtualRouter"}:  true,
	{Group: "appmesh.k8s.aws", Kind: "VirtualNode"}:    true,
	{Group: "appmesh.k8s.aws", Kind: "VirtualService"}: true,
}

func unwatchedRouterKind(obj runtime.Object) bool {
	return obj != nil && unwatchedKinds[obj.GetObjectKind().GroupVersionKind().GroupKind()]
}
