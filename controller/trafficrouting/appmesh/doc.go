// Package appmesh is the AWS App Mesh traffic router (Argo's
// rollout/trafficrouting/appmesh): UpdateHash points the stable and canary
// VirtualNodes' spec.podSelector.matchLabels at the stable and canary
// pod-template hashes (Argo's placeholders stable-hash / canary-hash when
// there is none, or when the canary is the stable); SetWeight sets, in the
// VirtualRouter of the rollout's VirtualService, every route's (or the
// named routes') weightedTargets for the canary and stable VirtualNodes to
// weight and 100 − weight. Reference validation is Argo's (the
// VirtualService exists and uses a VirtualRouter whose routes have exactly
// two weighted targets). App Mesh objects (appmesh.k8s.aws/v1beta2) are
// unstructured, through controller-runtime's client.
//
// May import: controller/trafficrouting, the upstream API types,
// k8s.io/apimachinery, controller-runtime's client.
package appmesh
