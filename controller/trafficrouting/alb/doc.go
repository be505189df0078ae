// Package alb is the AWS Load Balancer Controller traffic router (Argo's
// rollout/trafficrouting/alb): the Rollout's Ingresses (`ingress` or
// `ingresses`) carry an `alb.ingress.kubernetes.io/actions.<service>`
// forward action whose target groups split the weight between the canary
// and the stable (or rootService) Service, header routes as
// `actions.<route>`/`conditions.<route>` annotation pairs with a
// `use-annotation` path per rule, and the list of annotations each rollout
// manages in `rollouts.argoproj.io/managed-alb-annotations`. VerifyWeight
// asks the simulator's WeightVerifier whether the load balancer has taken
// the weights; without one, verification is off (Argo's default).
//
// May import: controller/trafficrouting, controller/replicas (step and
// weight arithmetic), the upstream API types, k8s.io/api and apimachinery,
// controller-runtime's client.
package alb
