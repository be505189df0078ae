package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim/cluster"
	"github.com/rollsim/rollsim/sim/traffic"
	"gopkg.in/yaml.v3"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
)

// Error is a scenario-file error: file, line, field and what was expected.
type Error = manifests.Error

// LoadFile reads and validates one scenario file.
func LoadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read scenario: %v", errors.Unwrap(err))}
	}
	return Parse(path, data)
}

// Parse decodes and validates scenario data; file names it in errors and
// anchors relative paths.
func Parse(file string, data []byte) (*Scenario, error) {
	s := &Scenario{}
	if err := manifests.StrictUnmarshal(file, data, s); err != nil {
		return nil, err
	}
	s.File = file
	s.dir = filepath.Dir(file)
	s.lines = lineFinder(data)
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Expand turns files and directories into scenario files: a directory
// contributes its *.yaml and *.yml files (non-recursively), sorted.
func Expand(paths ...string) ([]string, []error) {
	var files []string
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: "no such file or directory"})
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: fmt.Sprintf("cannot read directory: %v", err)})
			continue
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			if ext := filepath.Ext(e.Name()); ext == ".yaml" || ext == ".yml" {
				files = append(files, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			errs = append(errs, &Error{File: p, Msg: "directory holds no *.yaml scenario files"})
		}
	}
	sort.Strings(files)
	return files, errs
}

func (s *Scenario) errAt(path, msg string) error {
	line := 0
	if s.lines != nil {
		line = s.lines(path)
	}
	return &Error{File: s.File, Line: line, Field: path, Msg: msg}
}

// Resolve makes a path relative to the scenario file absolute-ish.
func (s *Scenario) Resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.dir, p)
}

var actionKinds = "setImage, promote, promoteFull, abort, retry, pause, resume, scale, restart or apply"

func (s *Scenario) validate() error {
	if s.APIVersion != APIVersion {
		return s.errAt("apiVersion", fmt.Sprintf("expected %q, got %q", APIVersion, s.APIVersion))
	}
	if s.Kind != Kind {
		return s.errAt("kind", fmt.Sprintf("expected %q, got %q", Kind, s.Kind))
	}
	if s.Metadata.Name == "" {
		return s.errAt("metadata.name", "required: a name for the scenario")
	}
	sp := &s.Spec
	if msgs := apivalidation.ValidateNamespaceName(sp.Namespace, false); sp.Namespace != "" && len(msgs) > 0 {
		return s.errAt("spec.namespace", fmt.Sprintf("Invalid value: %q: %s (the API server refuses such a namespace)", sp.Namespace, strings.Join(msgs, "; ")))
	}
	switch v := sp.Cluster.TrafficSplitAPIVersion; v {
	case "", "v1alpha1", "v1alpha2", "v1alpha3":
	default:
		return s.errAt("spec.cluster.trafficSplitAPIVersion", fmt.Sprintf("Unsupported value: %q: expected v1alpha1, v1alpha2 or v1alpha3 (Argo's --traffic-split-api-version)", v))
	}
	if len(sp.Manifests) == 0 {
		return s.errAt("spec.manifests", "required: at least one manifest file or directory")
	}
	for i, m := range sp.Manifests {
		if _, err := os.Stat(s.Resolve(m)); err != nil {
			return s.errAt(fmt.Sprintf("spec.manifests[%d]", i), fmt.Sprintf("%s: no such file or directory (paths are relative to the scenario file)", m))
		}
	}
	if sp.Initial.Rollout == "" {
		return s.errAt("spec.initial.rollout", "required: the rollout the scenario starts from")
	}
	if sp.Initial.Image == "" {
		return s.errAt("spec.initial.image", "required: the image that is stable at T+0")
	}
	names := map[string]bool{}
	for i, a := range sp.Actions {
		path := fmt.Sprintf("spec.actions[%d]", i)
		k, n := a.kind()
		if n != 1 {
			return s.errAt(path, fmt.Sprintf("expected exactly one of %s; found %d", actionKinds, n))
		}
		if a.Name != "" {
			if names[a.Name] || a.Name == "start" || a.Name == "failureOnset" {
				return s.errAt(path+".name", fmt.Sprintf("action name %q is used twice or is reserved (start, failureOnset)", a.Name))
			}
			names[a.Name] = true
		}
		switch {
		case a.SetImage != nil && (a.SetImage.Rollout == "" || a.SetImage.Image == ""):
			return s.errAt(path+".setImage", "expected rollout and image")
		case a.Scale != nil && a.Scale.Rollout == "":
			return s.errAt(path+".scale.rollout", "required: the rollout to scale")
		case a.Restart != nil && a.Restart.Rollout == "":
			return s.errAt(path+".restart.rollout", "required: the rollout to restart")
		case a.Apply != nil && len(a.Apply.Manifests) == 0:
			return s.errAt(path+".apply.manifests", "required: files to apply")
		}
		for _, r := range []*RolloutRef{a.Promote, a.PromoteFull, a.Abort, a.Retry, a.Pause, a.Resume} {
			if r != nil && r.Rollout == "" {
				return s.errAt(path+"."+k+".rollout", "required: the rollout to act on")
			}
		}
		if a.Apply != nil {
			for j, m := range a.Apply.Manifests {
				if _, err := os.Stat(s.Resolve(m)); err != nil {
					return s.errAt(fmt.Sprintf("%s.apply.manifests[%d]", path, j), m+": no such file or directory")
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sp.Versions)) {
		v := sp.Versions[name]
		if v.Job != nil && v.Job.Traffic == nil && v.Job.Result != "succeed" && v.Job.Result != "fail" {
			return s.errAt("spec.versions."+name+".job.result", fmt.Sprintf("expected succeed or fail, got %q", v.Job.Result))
		}
		if v.Job != nil && v.Job.Traffic != nil {
			if v.Job.Result != "" {
				return s.errAt("spec.versions."+name+".job", "expected either result or traffic, not both")
			}
			if sp.Traffic == nil {
				return s.errAt("spec.versions."+name+".job.traffic", "needs spec.traffic (the traffic model) to route the job's requests")
			}
			if v.Job.Traffic.RPS < 0 || v.Job.Traffic.MaxErrors < 0 {
				return s.errAt("spec.versions."+name+".job.traffic", "rps and maxErrors must not be negative")
			}
		}
		if v.ErrorRate < 0 || v.ErrorRate > 1 {
			return s.errAt("spec.versions."+name+".errorRate", fmt.Sprintf("must be between 0 and 1, got %v", v.ErrorRate))
		}
	}
	if err := s.validateStepPlugins(); err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(sp.Metrics)) {
		a := sp.Metrics[key]
		if err := a.Validate(); err != nil {
			return s.errAt("spec.metrics."+key, err.Error())
		}
		if a.Traffic != nil && sp.Traffic == nil {
			return s.errAt("spec.metrics."+key+".traffic", "needs spec.traffic (the traffic model) to measure")
		}
	}
	if sp.Traffic != nil {
		if _, err := traffic.New(*sp.Traffic, s.trafficVersions(), time.Time{}); err != nil {
			path := "spec"
			if msg := err.Error(); strings.HasPrefix(msg, "traffic.") || strings.HasPrefix(msg, "versions.") {
				field := strings.SplitN(msg, ":", 2)[0]
				path = "spec." + field
			}
			return s.errAt(path, err.Error())
		}
	}
	images := append(append([]string{}, sp.Initial.History...), sp.Initial.Image)
	for i, a := range sp.Actions {
		if a.SetImage != nil {
			if _, ok := s.VersionOf(a.SetImage.Image); !ok {
				return s.errAt(fmt.Sprintf("spec.actions[%d].setImage.image", i), s.noVersion(a.SetImage.Image))
			}
		}
	}
	for _, img := range images {
		if _, ok := s.VersionOf(img); !ok {
			return s.errAt("spec.initial", s.noVersion(img))
		}
	}
	if u := sp.Until; u != nil && u.Timeout != nil {
		for i, a := range sp.Actions {
			if a.At.Duration >= u.Timeout.Duration {
				return s.errAt(fmt.Sprintf("spec.actions[%d].at", i), fmt.Sprintf("action at %s is not before until.timeout %s: it would never run", a.At.Duration, u.Timeout.Duration))
			}
		}
	}
	if u := sp.Until; u != nil {
		for i, p := range u.Phase {
			switch p {
			case "Healthy", "Degraded", "Paused", "Progressing":
			default:
				return s.errAt(fmt.Sprintf("spec.until.phase[%d]", i), fmt.Sprintf("expected Healthy, Degraded, Paused or Progressing, got %q", p))
			}
		}
	}
	for i, e := range sp.Expect {
		path := fmt.Sprintf("spec.expect[%d]", i)
		forms := 0
		if e.Never != nil {
			forms++
		}
		if e.Outcome != nil {
			forms++
			if x := e.Outcome.Exposure; x != nil {
				if x.Version == "" {
					return s.errAt(path+".outcome.exposure.version", "required: the version whose exposure is bounded")
				}
				if sp.Traffic == nil {
					return s.errAt(path+".outcome.exposure", "needs spec.traffic (exposure comes from the traffic model)")
				}
			}
		}
		if e.Within != nil {
			forms++
		}
		state := e.Rollout != "" || e.Phase != "" || e.Replicas != nil || e.Available != nil || e.StableImage != "" || e.StepIndex != nil || e.SetWeight != nil || e.ActualWeight != nil || e.Message != ""
		if state {
			forms++
		}
		if forms != 1 {
			return s.errAt(path, "expected exactly one form: a state check (at + rollout fields), an event check (within + event), never, or outcome")
		}
		if state {
			if e.Rollout == "" {
				return s.errAt(path+".rollout", "required for a state check")
			}
			if e.At != "" && e.At != "end" {
				if _, err := time.ParseDuration(e.At); err != nil {
					return s.errAt(path+".at", fmt.Sprintf("expected \"end\" or a duration like \"5m\", got %q", e.At))
				}
			}
			if e.Phase != "" {
				switch e.Phase {
				case "Healthy", "Degraded", "Paused", "Progressing":
				default:
					return s.errAt(path+".phase", fmt.Sprintf("expected Healthy, Degraded, Paused or Progressing, got %q", e.Phase))
				}
			}
		}
		if e.Within != nil {
			if e.Event == "" {
				return s.errAt(path+".event", "required with within: the event reason to look for")
			}
			if of := e.Within.Of; of != "start" && of != "failureOnset" && !names[of] {
				return s.errAt(path+".within.of", fmt.Sprintf("expected start, failureOnset or the name of an action, got %q", of))
			}
		}
		if e.Never != nil && e.Never.Event == "" && e.Never.Verb == "" {
			return s.errAt(path+".never", "expected event and/or verb")
		}
	}
	return nil
}

func (s *Scenario) noVersion(img string) string {
	keys := slices.Sorted(maps.Keys(s.Spec.Versions))
	return fmt.Sprintf("image %q matches no version (by full reference or by tag); versions are [%s]; add it or a versions.default", img, strings.Join(keys, ", "))
}

// Tag returns the tag of an image reference ("" without one).
func Tag(image string) string {
	if i := strings.LastIndex(image, "@"); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndex(image, "/")
	if i := strings.LastIndex(image, ":"); i > slash {
		return image[i+1:]
	}
	return ""
}

// VersionOf finds the version an image runs: by full reference, then by
// tag, then "default".
func (s *Scenario) VersionOf(image string) (string, bool) {
	if _, ok := s.Spec.Versions[image]; ok {
		return image, true
	}
	if t := Tag(image); t != "" {
		if _, ok := s.Spec.Versions[t]; ok {
			return t, true
		}
	}
	if _, ok := s.Spec.Versions["default"]; ok {
		return "default", true
	}
	return "", false
}

// lineFinder maps a dotted field path with [i] indices to its line.
func lineFinder(data []byte) func(string) int {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return func(string) int { return 0 }
	}
	return func(path string) int {
		n := root.Content[0]
		line := n.Line
		for _, part := range splitPath(path) {
			if idx, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
				if idx >= len(n.Content) {
					return line
				}
				n = n.Content[idx]
				line = n.Line
				continue
			}
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		}
		return line
	}
}

func splitPath(path string) []string {
	var out []string
	for _, p := range strings.Split(path, ".") {
		for p != "" {
			i := strings.IndexByte(p, '[')
			if i < 0 {
				out = append(out, p)
				break
			}
			if i > 0 {
				out = append(out, p[:i])
			}
			j := strings.IndexByte(p, ']')
			if j < i {
				out = append(out, p[i+1:])
				break
			}
			out = append(out, p[i+1:j])
			p = p[j+1:]
		}
	}
	return out
}

// trafficVersions is the traffic model's view of the versions.
func (s *Scenario) trafficVersions() map[string]traffic.VersionBehavior {
	out := map[string]traffic.VersionBehavior{}
	for name, v := range s.Spec.Versions {
		out[name] = traffic.VersionBehavior{ErrorRate: v.ErrorRate, Latency: v.Latency}
	}
	return out
}

func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	return data, nil
}

// addNotModelled adds the objects of objs that the simulation does not
// model (manifests.NotModelled) to list, once each, sorted by kind,
// namespace, name and source.
func addNotModelled(list []report.NotModelled, objs []manifests.Object) []report.NotModelled {
	seen := map[report.NotModelled]bool{}
	for _, n := range list {
		seen[n] = true
	}
	for _, o := range manifests.NotModelled(objs) {
		gvk := o.Obj.GetObjectKind().GroupVersionKind()
		n := report.NotModelled{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: o.Obj.GetNamespace(),
			Name: o.Obj.GetName(), File: o.Source.File, Line: o.Source.Line}
		if !seen[n] {
			seen[n] = true
			list = append(list, n)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.APIVersion != b.APIVersion {
			return a.APIVersion < b.APIVersion
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return list
}

// metadataErrors checks the objects' metadata as the API server checks it
// on create (cluster.MetadataErrors: names, namespaces, labels, …), and a
// negative spec.replicas (cluster.SpecErrors), so that
// both backends refuse the same objects with the server's message, at the
// object's file and line.
func metadataErrors(objs []manifests.Object) error {
	var errs []error
	for _, o := range objs {
		gk := o.Obj.GetObjectKind().GroupVersionKind().GroupKind()
		fes := cluster.MetadataErrors(gk, o.Obj, manifests.Namespaced(o, objs))
		for _, fe := range append(fes, cluster.SpecErrors(o.Obj)...) {
			errs = append(errs, o.ErrorAt(fe.Field, fmt.Sprintf("the API server rejected %s %s: %s", gk.Kind, o.Obj.GetName(), fe.ErrorBody())))
		}
	}
	return errors.Join(errs...)
}
