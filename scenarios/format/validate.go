package format

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/traffic"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
)

var actionKinds = "setImage, promote, promoteFull, abort, retry, pause, resume, scale, restart or apply"

// Validate checks a decoded scenario, part by part, in file order; the
// first problem is returned with file, line and field.
func (s *Scenario) Validate() error {
	if err := s.validateHeader(); err != nil {
		return err
	}
	names, err := s.validateActions()
	if err != nil {
		return err
	}
	if err := s.validateVersions(); err != nil {
		return err
	}
	if err := s.validateStepPlugins(); err != nil {
		return err
	}
	if err := s.validateMetricsAndTraffic(); err != nil {
		return err
	}
	if err := s.validateImages(); err != nil {
		return err
	}
	if err := s.validateUntil(); err != nil {
		return err
	}
	for i, e := range s.Spec.Expect {
		if err := s.validateExpectation(fmt.Sprintf("spec.expect[%d]", i), e, names); err != nil {
			return err
		}
	}
	return nil
}

// validateHeader: apiVersion, kind, name, namespace, cluster, manifests and
// the initial rollout.
func (s *Scenario) validateHeader() error {
	if s.APIVersion != APIVersion {
		return s.ErrAt("apiVersion", fmt.Sprintf("expected %q, got %q", APIVersion, s.APIVersion))
	}
	if s.Kind != Kind {
		return s.ErrAt("kind", fmt.Sprintf("expected %q, got %q", Kind, s.Kind))
	}
	if s.Metadata.Name == "" {
		return s.ErrAt("metadata.name", "required: a name for the scenario")
	}
	sp := &s.Spec
	if msgs := apivalidation.ValidateNamespaceName(sp.Namespace, false); sp.Namespace != "" && len(msgs) > 0 {
		return s.ErrAt("spec.namespace", fmt.Sprintf("Invalid value: %q: %s (the API server refuses such a namespace)", sp.Namespace, strings.Join(msgs, "; ")))
	}
	switch v := sp.Cluster.TrafficSplitAPIVersion; v {
	case "", "v1alpha1", "v1alpha2", "v1alpha3":
	default:
		return s.ErrAt("spec.cluster.trafficSplitAPIVersion", fmt.Sprintf("Unsupported value: %q: expected v1alpha1, v1alpha2 or v1alpha3 (Argo's --traffic-split-api-version)", v))
	}
	if len(sp.Manifests) == 0 {
		return s.ErrAt("spec.manifests", "required: at least one manifest file or directory")
	}
	for i, m := range sp.Manifests {
		if _, err := os.Stat(s.Resolve(m)); err != nil {
			return s.ErrAt(fmt.Sprintf("spec.manifests[%d]", i), fmt.Sprintf("%s: no such file or directory (paths are relative to the scenario file)", m))
		}
	}
	if sp.Initial.Rollout == "" {
		return s.ErrAt("spec.initial.rollout", "required: the rollout the scenario starts from")
	}
	if sp.Initial.Image == "" {
		return s.ErrAt("spec.initial.image", "required: the image that is stable at T+0")
	}
	return nil
}

// validateActions checks each action's shape and returns the action names
// (anchors for `within`).
func (s *Scenario) validateActions() (map[string]bool, error) {
	names := map[string]bool{}
	for i, a := range s.Spec.Actions {
		if err := s.validateAction(fmt.Sprintf("spec.actions[%d]", i), a, names); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func (s *Scenario) validateAction(path string, a Action, names map[string]bool) error {
	k, n := a.kind()
	if n != 1 {
		return s.ErrAt(path, fmt.Sprintf("expected exactly one of %s; found %d", actionKinds, n))
	}
	if a.Name != "" {
		if names[a.Name] || a.Name == "start" || a.Name == "failureOnset" {
			return s.ErrAt(path+".name", fmt.Sprintf("action name %q is used twice or is reserved (start, failureOnset)", a.Name))
		}
		names[a.Name] = true
	}
	switch {
	case a.SetImage != nil && (a.SetImage.Rollout == "" || a.SetImage.Image == ""):
		return s.ErrAt(path+".setImage", "expected rollout and image")
	case a.Scale != nil && a.Scale.Rollout == "":
		return s.ErrAt(path+".scale.rollout", "required: the rollout to scale")
	case a.Restart != nil && a.Restart.Rollout == "":
		return s.ErrAt(path+".restart.rollout", "required: the rollout to restart")
	case a.Apply != nil && len(a.Apply.Manifests) == 0:
		return s.ErrAt(path+".apply.manifests", "required: files to apply")
	}
	for _, r := range []*RolloutRef{a.Promote, a.PromoteFull, a.Abort, a.Retry, a.Pause, a.Resume} {
		if r != nil && r.Rollout == "" {
			return s.ErrAt(path+"."+k+".rollout", "required: the rollout to act on")
		}
	}
	if a.Apply != nil {
		for j, m := range a.Apply.Manifests {
			if _, err := os.Stat(s.Resolve(m)); err != nil {
				return s.ErrAt(fmt.Sprintf("%s.apply.manifests[%d]", path, j), m+": no such file or directory")
			}
		}
	}
	return nil
}

// validateVersions: job outcomes and error rates.
func (s *Scenario) validateVersions() error {
	sp := &s.Spec
	for _, name := range slices.Sorted(maps.Keys(sp.Versions)) {
		v := sp.Versions[name]
		if v.Job != nil && v.Job.Traffic == nil && v.Job.Result != "succeed" && v.Job.Result != "fail" {
			return s.ErrAt("spec.versions."+name+".job.result", fmt.Sprintf("expected succeed or fail, got %q", v.Job.Result))
		}
		if v.Job != nil && v.Job.Traffic != nil {
			if v.Job.Result != "" {
				return s.ErrAt("spec.versions."+name+".job", "expected either result or traffic, not both")
			}
			if sp.Traffic == nil {
				return s.ErrAt("spec.versions."+name+".job.traffic", "needs spec.traffic (the traffic model) to route the job's requests")
			}
			if v.Job.Traffic.RPS < 0 || v.Job.Traffic.MaxErrors < 0 {
				return s.ErrAt("spec.versions."+name+".job.traffic", "rps and maxErrors must not be negative")
			}
		}
		if v.ErrorRate < 0 || v.ErrorRate > 1 {
			return s.ErrAt("spec.versions."+name+".errorRate", fmt.Sprintf("must be between 0 and 1, got %v", v.ErrorRate))
		}
	}
	return nil
}

// validateMetricsAndTraffic: metric answers, and the traffic model builds.
func (s *Scenario) validateMetricsAndTraffic() error {
	sp := &s.Spec
	for _, key := range slices.Sorted(maps.Keys(sp.Metrics)) {
		a := sp.Metrics[key]
		if err := a.Validate(); err != nil {
			return s.ErrAt("spec.metrics."+key, err.Error())
		}
		if a.Traffic != nil && sp.Traffic == nil {
			return s.ErrAt("spec.metrics."+key+".traffic", "needs spec.traffic (the traffic model) to measure")
		}
	}
	if sp.Traffic != nil {
		if _, err := traffic.New(*sp.Traffic, s.TrafficVersions(), time.Time{}); err != nil {
			path := "spec"
			if msg := err.Error(); strings.HasPrefix(msg, "traffic.") || strings.HasPrefix(msg, "versions.") {
				field := strings.SplitN(msg, ":", 2)[0]
				path = "spec." + field
			}
			return s.ErrAt(path, err.Error())
		}
	}
	return nil
}

// validateImages: every image the scenario deploys matches a version.
func (s *Scenario) validateImages() error {
	sp := &s.Spec
	for i, a := range sp.Actions {
		if a.SetImage != nil {
			if _, ok := s.VersionOf(a.SetImage.Image); !ok {
				return s.ErrAt(fmt.Sprintf("spec.actions[%d].setImage.image", i), s.NoVersion(a.SetImage.Image))
			}
		}
	}
	images := append(append([]string{}, sp.Initial.History...), sp.Initial.Image)
	for _, img := range images {
		if _, ok := s.VersionOf(img); !ok {
			return s.ErrAt("spec.initial", s.NoVersion(img))
		}
	}
	return nil
}

// validateUntil: every action runs before the timeout; phases exist.
func (s *Scenario) validateUntil() error {
	u := s.Spec.Until
	if u == nil {
		return nil
	}
	if u.Timeout != nil {
		for i, a := range s.Spec.Actions {
			if a.At.Duration >= u.Timeout.Duration {
				return s.ErrAt(fmt.Sprintf("spec.actions[%d].at", i), fmt.Sprintf("action at %s is not before until.timeout %s: it would never run", a.At.Duration, u.Timeout.Duration))
			}
		}
	}
	for i, p := range u.Phase {
		if !rolloutPhase(p) {
			return s.ErrAt(fmt.Sprintf("spec.until.phase[%d]", i), fmt.Sprintf("expected Healthy, Degraded, Paused or Progressing, got %q", p))
		}
	}
	return nil
}

func rolloutPhase(p string) bool {
	switch p {
	case "Healthy", "Degraded", "Paused", "Progressing":
		return true
	}
	return false
}

// validateExpectation: exactly one form, and that form's fields.
func (s *Scenario) validateExpectation(path string, e Expectation, names map[string]bool) error {
	forms := 0
	if e.Never != nil {
		forms++
	}
	if e.Outcome != nil {
		forms++
		if x := e.Outcome.Exposure; x != nil {
			if x.Version == "" {
				return s.ErrAt(path+".outcome.exposure.version", "required: the version whose exposure is bounded")
			}
			if s.Spec.Traffic == nil {
				return s.ErrAt(path+".outcome.exposure", "needs spec.traffic (exposure comes from the traffic model)")
			}
		}
	}
	if e.Within != nil {
		forms++
	}
	state := e.IsState()
	if state {
		forms++
	}
	if forms != 1 {
		return s.ErrAt(path, "expected exactly one form: a state check (at + rollout fields), an event check (within + event), never, or outcome")
	}
	switch {
	case state:
		return s.validateStateExpectation(path, e)
	case e.Within != nil:
		if e.Event == "" {
			return s.ErrAt(path+".event", "required with within: the event reason to look for")
		}
		if of := e.Within.Of; of != "start" && of != "failureOnset" && !names[of] {
			return s.ErrAt(path+".within.of", fmt.Sprintf("expected start, failureOnset or the name of an action, got %q", of))
		}
	case e.Never != nil && e.Never.Event == "" && e.Never.Verb == "":
		return s.ErrAt(path+".never", "expected event and/or verb")
	}
	return nil
}

// IsState reports whether e is a state check (rollout fields at a time).
func (e Expectation) IsState() bool {
	return e.Rollout != "" || e.Phase != "" || e.Replicas != nil || e.Available != nil || e.StableImage != "" ||
		e.StepIndex != nil || e.SetWeight != nil || e.ActualWeight != nil || e.Message != ""
}

func (s *Scenario) validateStateExpectation(path string, e Expectation) error {
	if e.Rollout == "" {
		return s.ErrAt(path+".rollout", "required for a state check")
	}
	if e.At != "" && e.At != "end" {
		if _, err := time.ParseDuration(e.At); err != nil {
			return s.ErrAt(path+".at", fmt.Sprintf("expected \"end\" or a duration like \"5m\", got %q", e.At))
		}
	}
	if e.Phase != "" && !rolloutPhase(e.Phase) {
		return s.ErrAt(path+".phase", fmt.Sprintf("expected Healthy, Degraded, Paused or Progressing, got %q", e.Phase))
	}
	return nil
}

// kind names the action's one kind (the first by name when several are
// set) and counts the kinds set.
func (a Action) kind() (string, int) {
	n := 0
	k := ""
	for name, set := range map[string]bool{
		"setImage": a.SetImage != nil, "promote": a.Promote != nil, "promoteFull": a.PromoteFull != nil,
		"abort": a.Abort != nil, "retry": a.Retry != nil, "pause": a.Pause != nil, "resume": a.Resume != nil,
		"scale": a.Scale != nil, "apply": a.Apply != nil, "restart": a.Restart != nil,
	} {
		if set {
			n++
			if k == "" || name < k {
				k = name
			}
		}
	}
	return k, n
}
