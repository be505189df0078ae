// Package trafficrouting is the rollout controller's contract with traffic
// routers: the Router interface (Argo's TrafficRoutingReconciler: update the
// hashes, set the weight, set and remove header and mirror routes, verify the
// weight), the dependencies a router is given (Deps), and the list of routers
// a Rollout asks for (Requested). Each router is a package of its own below
// this one (controller/trafficrouting/<router>) that reads and writes its
// objects through a controller-runtime client — typed for Ingresses and
// Services, unstructured for every CRD, as Argo does — and never waits.
//
// May import: the upstream API types, k8s.io/api and apimachinery,
// controller-runtime's client, benbjohnson/clock. Never controller (which
// imports this), sim, scenarios or cmd.
package trafficrouting
