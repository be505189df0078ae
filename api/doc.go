// Package api holds what rollsim adds over the upstream argoproj.io/v1alpha1
// types (github.com/argoproj/argo-rollouts, pinned at v1.10.2): the scheme
// that registers them beside the Kubernetes built-in types, and the names Argo
// gives the objects it creates where more than one layer must agree on them
// (CanaryIngressName). The manifest loader lives in api/manifests.
//
// May import: the upstream API types, k8s.io/apimachinery, k8s.io/client-go's
// scheme. Must not import any other rollsim package.
package api
