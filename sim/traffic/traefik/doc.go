// Package traefik is the traffic model's reader of the Traefik router: the
// TraefikService the rollout names (traefik.io/v1alpha1) as Traefik's
// weighted round robin applies it: each spec.weighted.services entry gets
// its weight's share (Traefik's default weight 1 when unset). An entry
// naming a Service that does not exist answers 503 for its share, with a
// Note; no TraefikService means the rollout's requests reach the stable
// Service (nil Routing).
//
// May import: sim/traffic, controller/trafficrouting/traefik (the kind),
// the upstream API types, k8s.io/apimachinery, controller-runtime's client.
package traefik
