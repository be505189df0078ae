// Command rollouts-controller runs rollsim's rollout and analysis
// reconcilers live: under a controller-runtime Manager with watches, the
// real clock and the real providers (Kubernetes Jobs, web/HTTP metrics and
// Prometheus instant queries, the default address from
// ARGO_ROLLOUTS_PROMETHEUS_ADDRESS as in Argo; other provider kinds answer
// "not supported yet" as an Error measurement),
// against the cluster
// of a kubeconfig. It makes the same decisions as the simulated runs, in
// real time.
//
// With --simulate-workloads it also runs rollsim's simulated ReplicaSet and
// Job controllers and fake kubelet in real time, for an API server with no
// nodes and no kube-controller-manager (envtest): pods are created for
// ReplicaSets and turn Ready after --pod-startup.
//
// May import: api, controller, sim/cluster (the simulated workloads),
// controller-runtime, client-go.
package main
