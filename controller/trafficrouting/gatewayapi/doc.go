// Package gatewayapi is the Gateway API traffic router plugin
// (argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi, named
// "argoproj-labs/gatewayAPI" in trafficRouting.plugins), modelled from the
// plugin's public source at v0.15.0: its configuration (httpRoute(s),
// grpcRoute(s), tcpRoute(s), tlsRoute(s), label selectors, namespace, the
// in-progress label), the backendRefs weights it writes on the HTTPRoute,
// GRPCRoute, TCPRoute and TLSRoute rules that name the canary and stable
// Services, the managed header rules it adds for setHeaderRoute and removes
// afterwards, and the errors it returns. The routes are unstructured objects
// read and written through the controller-runtime client, as the plugin's
// own clientset does. The plugin has no mirror routes (setMirrorRoute is a
// no-op), no hash selection and always reports the weight verified.
//
// May import: controller/trafficrouting, the upstream API types, k8s.io/api
// and apimachinery, controller-runtime's client.
package gatewayapi
