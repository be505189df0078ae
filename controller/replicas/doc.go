// Package replicas holds the pure replica arithmetic of the Argo Rollouts
// canary strategy: maxSurge/maxUnavailable fenceposts (Fenceposts for a
// rollout; ResolveFenceposts and ResolveIntOrPercent per value, as Argo's
// resolveFenceposts), the current setWeight
// and setCanaryScale, the weighted canary/stable approximation, basic-canary
// and traffic-routed sizing, the abort reverse-step weight, the "at desired
// replica counts" step gate, and the availability budget used to scale down
// "other" ReplicaSets of a basic canary.
//
// It owns no state and does no I/O: every function is a deterministic function
// of its arguments (a Rollout and its ReplicaSets as upstream API objects). It
// reads no clock, creates no events, never mutates its inputs, and does not
// decide *when* a size is applied (the controller applies stable → new →
// others and stops after the first ReplicaSet it scales; see the semantics
// reference §0 and §3.4).
//
// ReplicaSet conventions used throughout (see RSReplicas / RSAvailable):
//   - a nil *ReplicaSet has spec.replicas 0 and no available pods;
//   - a nil spec.replicas counts as 1, the apps/v1 API default (Argo reads it
//     through defaults.GetReplicasOrDefault in allDesiredAreAvailable and
//     dereferences it elsewhere; the API server never stores nil);
//   - "available" is status.availableReplicas, "created" is status.replicas.
//
// May import: the upstream Argo Rollouts API types
// (github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1), k8s.io/api,
// k8s.io/apimachinery and the standard library. Must not import any other
// rollsim package, client-go, or any Argo Rollouts package other than its API
// types.
package replicas
