// Package smi is the traffic model's reader of the SMI router: the
// rollout's TrafficSplit (trafficSplitName, else the rollout's name; any of
// the versions Argo writes) as a mesh applies it to the requests for its
// root Service: each backend Service gets its weight's share (a v1alpha1
// quantity or an integer). Without a TrafficSplit, or with one whose
// spec.service is not the rollout's root Service, the requests go through
// the root Service itself: spread over every ready pod it selects. A backend
// Service that does not exist answers 503 for its share. Each such case is
// noted.
//
// May import: sim/traffic, controller/trafficrouting/smi (the kind, name
// and root Service), the upstream API types, k8s.io/apimachinery,
// controller-runtime's client.
package smi
