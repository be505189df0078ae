// Package smi is the Service Mesh Interface traffic router (Argo's
// rollout/trafficrouting/smi): one TrafficSplit (trafficSplitName, else the
// rollout's name) in the API version the controller is configured with
// (split.smi-spec.io v1alpha1 — weights as quantities — v1alpha2 or
// v1alpha3), created with the rollout as its controller owner when missing,
// its spec patched to the root Service (rootService, else the stable
// Service) and the canary, additional and stable backends' weights. A
// TrafficSplit the rollout does not own is an error, as in Argo. SMI has no
// managed routes and cannot verify a weight. The TrafficSplit is an
// unstructured object, read and written through controller-runtime's client.
//
// May import: controller/trafficrouting, the upstream API types,
// k8s.io/apimachinery, controller-runtime's client.
package smi
