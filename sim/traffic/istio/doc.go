// Package istio is the Istio half of the traffic model: it reads the
// VirtualServices a Rollout names (and the DestinationRule whose subsets
// select pod-template hashes) as the controller left them, and turns their
// HTTP routes into a traffic.Routing — each match block a header rule, the
// route's destinations weighted backends (a Service's selector, narrowed by
// the subset's labels), a mirror its shadow copy. A destination whose
// Service or subset does not exist answers 503 for its share and is noted,
// as Envoy would ("no healthy upstream").
//
// May import: sim/traffic, controller/trafficrouting/istio (object access
// and naming), the upstream API types, apimachinery, controller-runtime's
// client.
package istio
