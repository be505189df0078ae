// Package traefik is the Traefik traffic router (Argo's
// rollout/trafficrouting/traefik): the TraefikService the rollout names
// (weightedTraefikServiceName, traefik.io/v1alpha1 as Argo's default) is
// updated so that its spec.weighted.services entry for the canary Service
// carries the weight and the stable Service's entry the rest of 100. No
// managed routes, no weight verification. The TraefikService is an
// unstructured object read and written through controller-runtime's client.
//
// May import: controller/trafficrouting, the upstream API types,
// k8s.io/apimachinery, controller-runtime's client.
package traefik
