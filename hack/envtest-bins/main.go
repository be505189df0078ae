package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	k8sVersion := flag.String("k8s-version", "1.37.1", "Kubernetes version of kube-apiserver (k8s.io/kubernetes tag, with or without the leading v)")
	etcdVersion := flag.String("etcd-version", "3.7.0", "etcd version (go.etcd.io/etcd/server/v3 tag, with or without the leading v)")
	dir := flag.String("dir", "", "base cache folder; the binaries go to <dir>/k8s-<v>-etcd-<v>/ (default $XDG_CACHE_HOME/rollsim/envtest or ~/.cache/rollsim/envtest)")
	flag.Parse()
	if flag.NArg() != 0 {
		fail(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}

	if assets := os.Getenv("KUBEBUILDER_ASSETS"); assets != "" {
		if hasBinary(assets, "kube-apiserver") && hasBinary(assets, "etcd") {
			logf("KUBEBUILDER_ASSETS=%s already holds kube-apiserver and etcd; nothing to build", assets)
			fmt.Println(assets)
			return
		}
		logf("KUBEBUILDER_ASSETS=%s does not hold both kube-apiserver and etcd; building into the cache instead", assets)
	}

	binDir, err := run(*k8sVersion, *etcdVersion, *dir)
	if err != nil {
		fail(err)
	}
	fmt.Println(binDir)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "envtest-bins: error: %v\n", err)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "envtest-bins: "+format+"\n", args...)
}

// run builds whatever is missing and returns the folder holding both binaries.
func run(k8sVersion, etcdVersion, dir string) (string, error) {
	k8sV, err := semver(k8sVersion)
	if err != nil {
		return "", fmt.Errorf("-k8s-version: %w", err)
	}
	etcdV, err := semver(etcdVersion)
	if err != nil {
		return "", fmt.Errorf("-etcd-version: %w", err)
	}
	if dir == "" {
		cache, err := os.UserCacheDir() // $XDG_CACHE_HOME, else ~/.cache
		if err != nil {
			return "", fmt.Errorf("no cache folder (set -dir): %w", err)
		}
		dir = filepath.Join(cache, "rollsim", "envtest")
	}
	binDir, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("k8s-%s-etcd-%s", k8sV[1:], etcdV[1:])))
	if err != nil {
		return "", err
	}

	needAPIServer := !hasBinary(binDir, "kube-apiserver")
	needEtcd := !hasBinary(binDir, "etcd")
	if !needAPIServer && !needEtcd {
		logf("kube-apiserver %s and etcd %s already in %s; nothing to build", k8sV, etcdV, binDir)
		return binDir, nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp("", "envtest-bins-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)

	if needEtcd {
		if err := buildEtcd(work, binDir, etcdV); err != nil {
			return "", fmt.Errorf("building etcd %s: %w", etcdV, err)
		}
	}
	if needAPIServer {
		if err := buildAPIServer(work, binDir, k8sV); err != nil {
			return "", fmt.Errorf("building kube-apiserver %s: %w", k8sV, err)
		}
	}
	logf("done: kube-apiserver %s and etcd %s in %s", k8sV, etcdV, binDir)
	return binDir, nil
}

// semver normalises "1.37.1" or "v1.37.1" to "v1.37.1" and checks its shape.
func semver(v string) (string, error) {
	v = "v" + strings.TrimPrefix(v, "v")
	parts := strings.Split(v[1:], ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("%q is not a MAJOR.MINOR.PATCH version", v)
	}
	for _, p := range parts[:2] {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return "", fmt.Errorf("%q is not a MAJOR.MINOR.PATCH version", v)
		}
	}
	return v, nil
}

func hasBinary(dir, name string) bool {
	fi, err := os.Stat(filepath.Join(dir, name))
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func buildEtcd(work, binDir, v string) error {
	const mod = "go.etcd.io/etcd/server/v3"
	logf("building etcd %s from %s (cold build ≈2 min on 2 cores)…", v, mod)
	start := time.Now()
	wrapper := filepath.Join(work, "etcd")
	gomod := fmt.Sprintf("module rollsim.local/envtest-bins/etcd\n\ngo 1.26\n\nrequire %s %s\n\ntool %s\n", mod, v, mod)
	if err := writeModule(wrapper, gomod); err != nil {
		return err
	}
	if err := tidy(wrapper); err != nil {
		return err
	}
	if err := build(wrapper, binDir, "etcd", mod, "-s -w"); err != nil {
		return err
	}
	logf("built etcd %s in %s", v, time.Since(start).Round(time.Second))
	return nil
}

func buildAPIServer(work, binDir, v string) error {
	const mod = "k8s.io/kubernetes"
	const pkg = mod + "/cmd/kube-apiserver"
	start := time.Now()
	logf("downloading %s@%s to read its replace block…", mod, v)
	replaces, err := stagingReplaces(work, mod, v)
	if err != nil {
		return err
	}
	logf("building kube-apiserver %s (cold build ≈10–15 min on 2 cores)…", v)
	var b strings.Builder
	fmt.Fprintf(&b, "module rollsim.local/envtest-bins/kube-apiserver\n\ngo 1.26\n\nrequire %s %s\n\ntool %s\n\nreplace (\n", mod, v, pkg)
	for _, r := range replaces {
		fmt.Fprintf(&b, "\t%s\n", r)
	}
	b.WriteString(")\n")
	wrapper := filepath.Join(work, "kube-apiserver")
	if err := writeModule(wrapper, b.String()); err != nil {
		return err
	}
	if err := tidy(wrapper); err != nil {
		return err
	}
	parts := strings.Split(v[1:], ".")
	var ldflags []string
	ldflags = append(ldflags, "-s", "-w")
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ldflags = append(ldflags,
			"-X", p+".gitVersion="+v,
			"-X", p+".gitMajor="+parts[0],
			"-X", p+".gitMinor="+parts[1],
			"-X", p+".gitTreeState=clean",
			"-X", p+".buildDate="+time.Now().UTC().Format(time.RFC3339),
		)
	}
	if err := build(wrapper, binDir, "kube-apiserver", pkg, strings.Join(ldflags, " ")); err != nil {
		return err
	}
	logf("built kube-apiserver %s in %s", v, time.Since(start).Round(time.Second))
	return nil
}

// stagingReplaces returns the replace directives the wrapper module needs:
// k8s.io/kubernetes' own replaces, with every local ./staging/src/... target
// turned into the published module at the matching v0.X.Y version.
func stagingReplaces(work, mod, v string) ([]string, error) {
	dl := filepath.Join(work, "download")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return nil, err
	}
	out, err := goCmd(dl, true, "mod", "download", "-json", mod+"@"+v)
	var info struct {
		GoMod, Error string
	}
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return nil, errors.New(info.Error) // e.g. unknown version
	}
	if err != nil {
		return nil, err
	}
	if jerr := json.Unmarshal(out, &info); jerr != nil {
		return nil, fmt.Errorf("parsing go mod download output: %w", jerr)
	}
	if info.GoMod == "" {
		return nil, fmt.Errorf("go mod download gave no GoMod path for %s@%s", mod, v)
	}
	out, err = goCmd(dl, true, "mod", "edit", "-json", info.GoMod)
	if err != nil {
		return nil, err
	}
	var gm struct {
		Replace []struct {
			Old, New struct{ Path, Version string }
		}
	}
	if err := json.Unmarshal(out, &gm); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", info.GoMod, err)
	}
	staging := "v0." + strings.SplitN(v[1:], ".", 2)[1] // v1.37.1 -> v0.37.1
	var replaces []string
	for _, r := range gm.Replace {
		old := r.Old.Path
		if r.Old.Version != "" {
			old += " " + r.Old.Version
		}
		switch {
		case strings.HasPrefix(r.New.Path, "./staging/src/"):
			replaces = append(replaces, fmt.Sprintf("%s => %s %s", old, r.Old.Path, staging))
		case r.New.Version != "":
			replaces = append(replaces, fmt.Sprintf("%s => %s %s", old, r.New.Path, r.New.Version))
		default:
			return nil, fmt.Errorf("%s: unexpected local replace %s => %s", info.GoMod, old, r.New.Path)
		}
	}
	if len(replaces) == 0 {
		return nil, fmt.Errorf("%s has no replace block; expected its k8s.io/* staging modules", info.GoMod)
	}
	logf("%d replace directives taken from %s", len(replaces), info.GoMod)
	return replaces, nil
}

func writeModule(dir, gomod string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644)
}

func tidy(dir string) error {
	logf("  go mod tidy in %s", dir)
	_, err := goCmd(dir, false, "mod", "tidy")
	return err
}

// build compiles pkg into binDir/name, through a temporary name so an
// interrupted build never leaves a half-written binary behind.
func build(dir, binDir, name, pkg, ldflags string) error {
	tmp := filepath.Join(binDir, "."+name+".tmp")
	logf("  go build -o %s %s", filepath.Join(binDir, name), pkg)
	if _, err := goCmd(dir, false, "build", "-ldflags", ldflags, "-o", tmp, pkg); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, filepath.Join(binDir, name))
}

// goCmd runs the go command in dir with GOFLAGS=-mod=mod and workspaces off.
// If capture is set, stdout is returned; otherwise it goes to stderr. Stderr
// always goes to our stderr.
func goCmd(dir string, capture bool, args ...string) ([]byte, error) {
	cmd := exec.Command(goBinary(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"), "GOWORK=off")
	cmd.Stderr = os.Stderr
	var out bytes.Buffer
	if capture {
		cmd.Stdout = &out
	} else {
		cmd.Stdout = os.Stderr
	}
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("go %s (in %s): %w", strings.Join(args, " "), dir, err)
	}
	return out.Bytes(), nil
}

// goBinary is the go command on PATH, normally the toolchain running us, so
// the wrapper modules build with the project's Go (GOTOOLCHAIN=local works).
func goBinary() string { return "go" }
