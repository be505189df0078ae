// Package traffic is rollsim's traffic model: requests per second over
// virtual time, split the way the router splits them, and the counters that
// metrics and exposure are computed from.
//
// It owns:
//
//   - Config (spec.traffic): a request rate, constant or piecewise constant
//     by a schedule, and header cohorts with their shares; the rest is the
//     cohort "default". VersionBehavior: a version's error rate and latency
//     quantiles.
//   - Split and SplitFromCluster: at one instant, for every canary Rollout
//     of a namespace, its router (the nginx canary Ingress's canary-weight,
//     canary-weight-total and canary-by-header[-value|-pattern] annotations;
//     status.canary.weights for another router; without traffic routing the
//     rollout's Service or selector) and the ready pods behind each backend,
//     by pod-template hash. Split.Routes applies a cohort's headers.
//   - Model: integrates the rate over segments between split changes (cost
//     follows changes, not time), and answers requests, errors, success and
//     error rates, latency quantiles per version, Service, role and cohort
//     over a window, and exposure per version and cohort.
//
// Routing follows ingress-nginx's balancer: a request whose header matches
// the canary-by-header rule goes to the canary Service, one the rule rejects
// ("never", or an invalid pattern) to the stable one, any other to the canary
// with probability canary-weight / canary-weight-total (the total counts only
// above 100). A Service spreads its requests over the ready, non-terminating
// pods its selector matches, by pod count (round robin). A canary Service
// with no ready pod has no balancer, so nginx sends all its requests —
// header ones too — to the stable Service; a stable Service with no ready
// pod means nginx answers 503 for everything (unserved requests, counted as
// errors of no version). Header requests thus reach the stable pods until
// the controller switches the canary Service's selector to a canary hash
// with a ready pod. Without traffic routing, requests go through the stable
// Service if the rollout names one (its selector pinned to the stable hash
// by the controller, so the canary gets none of them), else the canary
// Service, else every ready pod the rollout's selector matches: split by
// ready pods per pod-template hash. Every canary Rollout in the namespace
// receives the whole configured rate.
//
// Every other router is read by a RouterReader of its own
// (sim/traffic/<router>, handed to SplitFromCluster by the simulator) into a
// Routing: ordered header-match rules, weighted default destinations and
// mirrors, as the router's objects (VirtualService, ALB annotation,
// HTTPRoute …) say — not as the rollout's status claims, so a misconfigured
// route shows as the exposure a user would get. A mesh does not re-balance:
// a destination with no ready pod answers 503 for its share. Mirrored
// requests are shadow traffic: served and counted in the serving version's
// metrics, answered to nobody, and kept apart in exposure.
//
// Counts are expected values, not samples: requests = rps·Δt·share and
// errors = requests·errorRate, as float64, so runs are deterministic and
// need no random source. Nothing here reads the wall clock.
//
// May import: api, controller/trafficrouting (the router names), the
// upstream API types, controller-runtime's client,
// k8s.io/api and apimachinery, the standard library. Never sim (or its
// other sub-packages), scenarios, report or cmd.
package traffic
