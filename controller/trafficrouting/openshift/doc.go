// Package openshift is the OpenShift Route traffic router plugin
// (argoproj-labs/rollouts-plugin-trafficrouter-openshift, named
// "argoproj-labs/openshift" in trafficRouting.plugins), modelled from the
// plugin's public source at commit ec4d284: for every Route it names
// (`name`, or `namespace/name`), spec.to.weight becomes 100 - weight and
// spec.alternateBackends the canary Service with the weight (none at 0).
// Routes are unstructured route.openshift.io/v1 objects through the
// controller-runtime client. The plugin has no header or mirror routes,
// no hash selection and cannot verify a weight.
//
// May import: controller/trafficrouting, the upstream API types,
// k8s.io/apimachinery, controller-runtime's client.
package openshift
