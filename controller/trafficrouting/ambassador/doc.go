// Package ambassador is the Ambassador (Emissary) traffic router (Argo's
// rollout/trafficrouting/ambassador): for every base Mapping the rollout
// names (getambassador.io/v2 Mapping, Argo's default) a canary Mapping
// `<base>-canary`, cloned from the base with its service's stable Service
// name replaced by the canary Service and spec.weight the canary weight;
// created when the weight is above 0, updated, and deleted once the weight
// is back to 0. Reference validation is Argo's: at least one mapping, each
// exists and defines no weight. The Mappings are unstructured objects
// through controller-runtime's client.
//
// May import: controller/trafficrouting, the upstream API types,
// k8s.io/apimachinery, controller-runtime's client.
package ambassador
