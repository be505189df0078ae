// Package apisix is the traffic model's reader of the APISIX router: the
// main ApisixRoute's first weighted rule (route.rules[0], else the route's
// name) splits requests by its backends' weights (APISIX's default 100 when
// unset); each managed route's ApisixRoute (the header routes the
// controller created) whose rule of that name matches the request's
// headers (exprs Equal and RegexMatch on Header) decides first, higher
// priority first. A backend Service that does not exist answers 503 for its
// share; an expr rollsim does not model makes its rule match nothing; each
// is noted.
//
// May import: sim/traffic, controller/trafficrouting/apisix (the kind and
// rule lookup), the upstream API types, k8s.io/apimachinery,
// controller-runtime's client.
package apisix
