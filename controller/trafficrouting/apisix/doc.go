// Package apisix is the Apache APISIX traffic router (Argo's
// rollout/trafficrouting/apisix): in the ApisixRoute the rollout names
// (apisix.apache.org/v2, Argo's default), every rule of `route.rules` (the
// route's name when none) gets the canary backend's weight and the stable
// backend's rest of 100. A setHeaderRoute step creates (or updates) an
// ApisixRoute named after the managed route, cloned from the main one and
// owned by the rollout: its rules keep only the canary backend (weight 100),
// one priority higher, matching the step's headers as APISIX exprs; a step
// without match, and RemoveManagedRoutes, delete it. The ApisixRoutes are
// unstructured objects through controller-runtime's client.
//
// May import: controller/trafficrouting, the upstream API types,
// k8s.io/apimachinery, controller-runtime's client.
package apisix
