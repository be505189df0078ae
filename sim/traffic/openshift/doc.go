// Package openshift is the traffic model's half of the OpenShift Route
// plugin: it reads the first Route a Rollout's plugin configuration names,
// as the controller wrote it, into a traffic.Routing — spec.to and
// spec.alternateBackends as weighted destinations (the router's relative
// weights, 0–256). OpenShift routes have no header matches. A Route that
// does not send to the stable Service, or is missing, is read as it is,
// with a Note.
//
// May import: sim/traffic, controller/trafficrouting/openshift, the
// upstream API types, k8s.io/apimachinery.
package openshift
