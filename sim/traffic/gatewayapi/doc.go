// Package gatewayapi is the traffic model's half of the Gateway API plugin:
// it reads the HTTPRoute (or GRPCRoute, TCPRoute, TLSRoute) a Rollout's
// plugin configuration names, as the controller wrote it, into a
// traffic.Routing — every rule that sends to the canary or stable Service,
// its header matches (Exact, RegularExpression), the backendRefs' weights
// and RequestMirror filters. Gateway API's precedence between rules is
// modelled by the number of header matches; paths, methods and query
// parameters are not (every request is taken to match them). A route that
// routes differently from what the rollout's status claims (missing, or
// with no rule naming both Services, or weights other than the recorded
// ones) is read as it is, with a Note.
//
// May import: sim/traffic, controller/trafficrouting/gatewayapi (the
// plugin's configuration and rule accessors), the upstream API types,
// k8s.io/apimachinery, controller-runtime's client.
package gatewayapi
