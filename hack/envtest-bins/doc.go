// Command envtest-bins builds the kube-apiserver and etcd binaries that
// controller-runtime's envtest needs, from Go modules, into a cache folder
// keyed by version, and prints that folder (suitable for KUBEBUILDER_ASSETS)
// on stdout.
//
// It exists because setup-envtest downloads prebuilt binaries from the
// internet, which is not always reachable, while the Go module proxy is. It
// only shells out to the go command that runs it (GOTOOLCHAIN=local is fine).
//
// kube-apiserver is built from k8s.io/kubernetes/cmd/kube-apiserver inside a
// throwaway wrapper module. k8s.io/kubernetes replaces its k8s.io/* staging
// modules with local directories (./staging/src/k8s.io/...), and replace
// directives of a dependency are ignored, so the wrapper copies that replace
// block from k8s.io/kubernetes' own go.mod (found with `go mod download
// -json`), mapping every staging module to its published v0.X.Y tag. The
// version is stamped with -ldflags -X so the server reports a real version.
//
// etcd is built from go.etcd.io/etcd/server/v3, whose module root is the etcd
// main package, inside a second wrapper module.
//
// If both binaries already exist in the target folder, or KUBEBUILDER_ASSETS
// already names a folder holding both, nothing is built.
//
// Usage (normally through `make envtest-bins`):
//
//	go run ./hack/envtest-bins [-k8s-version 1.37.1] [-etcd-version 3.7.0] [-dir DIR]
//
// The binaries go to DIR/k8s-<k8s-version>-etcd-<etcd-version>/, where DIR
// defaults to $XDG_CACHE_HOME/rollsim/envtest (or ~/.cache/rollsim/envtest).
// A cold build takes about 10–15 minutes on 2 cores (see docs/envtest.md).
//
// It may import only the Go standard library; it is a build tool, not part of
// rollsim, and nothing imports it.
package main
