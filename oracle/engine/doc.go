// Package engine runs a resolved scenario (github.com/rollsim/rollsim/plan)
// on the upstream Argo Rollouts rollout and analysis controllers, imported as
// a library, in virtual time.
//
// It owns the virtual clock and event queue, the fake API server (client-go's
// object tracker behind a reactor that sets resourceVersion, generation,
// uid and creation time and emulates the status subresource), the workqueues
// (delayed items fire on the virtual clock; each controller sync is one
// synchronous step of the driver), the informer quiescence count (after each
// write the driver waits until every handler has seen it), the simulated
// cluster (ReplicaSet controller, kubelet, Job controller, garbage
// collection) with rollsim's cluster model, the metric answer server and the
// timeline in rollsim's JSON result format.
//
// May import: Argo Rollouts and its k8s.io modules (pinned by oracle/go.mod)
// and the neutral plan package, reached as oracle/internal/plan (a symlink
// to the main module's plan/). Never other rollsim packages: they pull newer
// k8s.io modules than Argo builds with.
package engine
