// Package alb is the traffic model's reader of the ALB router: it reads the
// first Ingress a Rollout names (trafficRouting.alb.ingress or
// ingresses[0]) as the AWS Load Balancer Controller would program the
// load balancer from it: the paths of the first HTTP rule in order, a path
// whose backend port is `use-annotation` taking its forward action from the
// `actions.<service>` annotation (weighted target groups) and its
// header conditions from `conditions.<service>`; the path to the action
// Service (rootService or the stable Service) is the default. A path to the
// action Service by port number ignores the annotation (all traffic to that
// Service), a missing or unparsable annotation, a target group whose
// Service does not exist: each is the exposure the load balancer gives,
// with a Note.
//
// May import: sim/traffic, controller/trafficrouting/alb (the annotation
// keys and JSON shapes), the upstream API types, k8s.io/api and
// apimachinery, controller-runtime's client.
package alb
