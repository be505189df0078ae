package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/rollsim/rollsim/api"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Versions of the envtest binaries rollsim builds (hack/envtest-bins): the
// default cache folder is named after them.
const (
	EnvtestK8sVersion  = "1.37.1"
	EnvtestEtcdVersion = "3.7.0"
)

// argoModule is the upstream module whose CRD manifests the envtest backend
// installs (manifests/crds in the module, at the version rollsim builds
// with): the real schemas, not a copy.
const argoModule = "github.com/argoproj/argo-rollouts"

// EnvtestServer is one real kube-apiserver and etcd (controller-runtime's
// envtest) with the upstream Argo Rollouts CRDs installed. Scenarios share
// it: each gets its own namespaces (see Remote).
type EnvtestServer struct {
	env    *envtest.Environment
	cfg    *rest.Config
	base   client.Client
	scheme *runtime.Scheme

	mu   sync.Mutex
	next int
	http *http.Client

	// kindsMu guards the installing of CRDs (envtest_kinds.go);
	// permissive holds the permissive CRDs installed so far.
	kindsMu    sync.Mutex
	permissive map[schema.GroupKind]*apiextensionsv1.CustomResourceDefinition
}

// warnings collects the server's warning headers (deprecated fields, say)
// instead of logging them: Remote hands them to the scenario.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeaderWithContext(_ context.Context, code int, _ string, msg string) {
	if code != 299 || msg == "" {
		return
	}
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

// EnvtestAssets finds kube-apiserver and etcd: KUBEBUILDER_ASSETS when set,
// else the folder `make envtest-bins` builds into.
func EnvtestAssets() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"kube-apiserver", "etcd"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if has(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("KUBEBUILDER_ASSETS=%s does not hold both kube-apiserver and etcd", dir)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder to look for the envtest binaries in (set KUBEBUILDER_ASSETS): %w", err)
	}
	dir := filepath.Join(cache, "rollsim", "envtest", fmt.Sprintf("k8s-%s-etcd-%s", EnvtestK8sVersion, EnvtestEtcdVersion))
	if has(dir) {
		return dir, nil
	}
	return "", fmt.Errorf("envtest binaries not found in %s: run `make envtest-bins` (builds kube-apiserver and etcd from Go modules, ≈15 min the first time) or set KUBEBUILDER_ASSETS", dir)
}

// ArgoCRDFiles returns the upstream CRD manifests of the Argo Rollouts module
// rollsim is built with, from the Go module cache (downloaded with `go mod
// download` when missing).
func ArgoCRDFiles() ([]string, error) {
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == argoModule {
				version = d.Version
				if d.Replace != nil {
					version = d.Replace.Version
				}
			}
		}
	}
	dir := ""
	if version == "" {
		// A test binary carries no dependency list: ask the go command about
		// the module the working directory is in.
		out, err := exec.Command("go", "list", "-m", "-json", argoModule).Output()
		if err != nil {
			return nil, fmt.Errorf("cannot tell which %s version this binary was built with (go list -m: %w)", argoModule, err)
		}
		var m struct{ Version, Dir string }
		if err := json.Unmarshal(out, &m); err != nil {
			return nil, fmt.Errorf("go list -m %s: %w", argoModule, err)
		}
		version, dir = m.Version, m.Dir
		if _, err := os.Stat(filepath.Join(dir, "manifests", "crds")); dir != "" && err != nil {
			dir = ""
		}
	}
	if mc, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil && dir == "" {
		d := filepath.Join(strings.TrimSpace(string(mc)), argoModule+"@"+version)
		if _, err := os.Stat(filepath.Join(d, "manifests", "crds")); err == nil {
			dir = d
		}
	}
	if dir == "" {
		out, err := exec.Command("go", "mod", "download", "-json", argoModule+"@"+version).Output()
		if err != nil {
			return nil, fmt.Errorf("download %s@%s for its CRDs: %w", argoModule, version, err)
		}
		var m struct{ Dir, Error string }
		if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
			return nil, fmt.Errorf("download %s@%s for its CRDs: %s", argoModule, version, strings.TrimSpace(m.Error+string(bytes.TrimSpace(out))))
		}
		dir = m.Dir
	}
	files, err := filepath.Glob(filepath.Join(dir, "manifests", "crds", "*-crd.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no CRD manifests in %s/manifests/crds", dir)
	}
	sort.Strings(files)
	return files, nil
}

// StartEnvtest starts kube-apiserver and etcd and installs the upstream
// CRDs. The caller must Stop it (the processes outlive a process that
// forgets to).
func StartEnvtest() (*EnvtestServer, error) {
	assets, err := EnvtestAssets()
	if err != nil {
		return nil, err
	}
	crds, err := ArgoCRDFiles()
	if err != nil {
		return nil, err
	}
	s := api.NewScheme()
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: crds, ErrorIfPathMissing: true},
		Scheme:                s,
	}
	// Room for every Service of every scenario of a process: the shared
	// server never deletes them.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.96.0.0/12")
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("start envtest (kube-apiserver and etcd from %s): %w", assets, err)
	}
	cfg.QPS, cfg.Burst = -1, -1 // no client-side throttling: the simulator is the only client
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("envtest client: %w", err)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("envtest client: %w", err)
	}
	srv := &EnvtestServer{env: env, cfg: cfg, base: client.WithFieldValidation(c, "Strict"), scheme: s, http: hc,
		permissive: map[schema.GroupKind]*apiextensionsv1.CustomResourceDefinition{}}
	return srv, nil
}

// Config is the REST config of the server.
func (s *EnvtestServer) Config() *rest.Config { return s.cfg }

// Stop stops the server's processes.
func (s *EnvtestServer) Stop() error {
	if err := s.env.Stop(); err != nil {
		return fmt.Errorf("stop envtest: %w", err)
	}
	return nil
}

var shared struct {
	sync.Mutex
	srv *EnvtestServer
}

// SharedEnvtest starts the process's envtest server on first use and
// returns it after; StopSharedEnvtest stops it.
func SharedEnvtest() (*EnvtestServer, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		return shared.srv, nil
	}
	srv, err := StartEnvtest()
	if err != nil {
		return nil, err
	}
	shared.srv = srv
	return srv, nil
}

// StopSharedEnvtest stops the shared server if one was started.
func StopSharedEnvtest() error {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv == nil {
		return nil
	}
	err := shared.srv.Stop()
	shared.srv = nil
	return err
}

// RunThenStopEnvtest runs a test binary's tests (m is its *testing.M) and
// stops the shared server they may have started, so that no kube-apiserver
// or etcd outlives the binary; a failed stop fails the run. For TestMain:
// os.Exit(cluster.RunThenStopEnvtest(m)).
func RunThenStopEnvtest(m interface{ Run() int }) int {
	code := m.Run()
	if err := StopSharedEnvtest(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
