// Package ambassador is the traffic model's reader of the Ambassador
// router: the rollout's first base Mapping and its `<base>-canary` Mapping
// as Emissary groups Mappings of one prefix: the canary Mapping's service
// gets spec.weight percent, the base Mapping's service the rest. A canary
// Mapping with another prefix (or host) is not in the base's group and
// takes none of its requests; a Mapping service naming no existing Service
// answers 503 for its share; each is noted.
//
// May import: sim/traffic, controller/trafficrouting/ambassador (the kind
// and names), the upstream API types, k8s.io/apimachinery,
// controller-runtime's client.
package ambassador
