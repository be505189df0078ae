// Package cluster is the simulated cluster: one object store seen through a
// controller-runtime client.Client and a client-go kubernetes.Interface, and
// the parts of Kubernetes no API server has here — the ReplicaSet controller
// (ReplicaSet → Pods with deterministic names), a fake kubelet (start-up
// delay, readiness, never-ready versions), the Job controller (pods,
// backoffLimit with 10 s·2ⁿ back-off, Complete/Failed conditions), pod
// evictions checked against PodDisruptionBudgets (the API server's and the
// disruption controller's part, eviction.go), owner
// garbage collection, metadata.generation, and deterministic stand-ins for
// server-set fields (creationTimestamp in virtual time, uid). Objects of
// kinds outside the scheme (a router's VirtualService, any custom resource)
// are stored as *unstructured.Unstructured and served the same way, through
// client.Client and a client-go dynamic.Interface (Store.Dynamic); a
// CustomResourceDefinition in the store declares its kind's scope and status
// subresource (store_kinds.go).
//
// May import: api, the upstream API types, controller-runtime's client,
// fake client and envtest, client-go (fake clientset, testing, dynamic),
// apiextensions-apiserver's v1 types (the CRDs envtest installs),
// apimachinery's validation, sim/engine, sim/trace.
package cluster
