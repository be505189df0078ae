package plan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SchemaVersion of the plan JSON.
const SchemaVersion = 1

// Plan is a scenario with everything resolved that an engine needs to run
// it: the objects, the initial state, how each version behaves, the timed
// actions with their times, the metric answers and the end condition. Paths
// are gone (manifests are loaded, namespaces defaulted); expectations are
// not part of it (a diff compares decisions, not verdicts).
type Plan struct {
	SchemaVersion int    `json:"schemaVersion"`
	Scenario      string `json:"scenario"`
	File          string `json:"file"`
	Seed          int64  `json:"seed"`
	// Objects are every manifest object in load order, namespaces defaulted,
	// as JSON (apiVersion and kind set). The initial rollout is among them
	// with the manifest's image; Initial.Images[0] replaces it.
	Objects  []json.RawMessage  `json:"objects"`
	Initial  Initial            `json:"initial"`
	Cluster  Cluster            `json:"cluster"`
	Versions map[string]Version `json:"versions"`
	// Metrics are the scenario's spec.metrics answers as the scenario
	// writes them (docs/scenario-format.md), keyed by metric or
	// template/metric.
	Metrics map[string]json.RawMessage `json:"metrics,omitempty"`
	Actions []Action                   `json:"actions"`
	Until   Until                      `json:"until"`
	// Traffic is true when the scenario has a traffic model (spec.traffic).
	Traffic bool `json:"traffic,omitempty"`
	// RecordedJobs are analysis-job attempt outcomes that rollsim derives
	// from its traffic model (versions with job.traffic): `rollsim resolve`
	// runs the scenario on rollsim and records them by job ("<metric>#<n>",
	// the n-th Job of that metric) and attempt (true: succeeded). Another
	// engine replays them instead of modelling traffic, so these outcomes
	// are rollsim's, not independent (docs/fidelity.md).
	RecordedJobs map[string][]bool `json:"recordedJobs,omitempty"`
}

// Initial is the state at T+0.
type Initial struct {
	// Rollout is namespace/name.
	Rollout string `json:"rollout"`
	// Images are rolled out in order; the last one is stable at T+0.
	Images []string `json:"images"`
	// Container whose image is set ("" or "*": every container).
	Container string `json:"container,omitempty"`
}

// Cluster holds the cluster-wide timings in milliseconds.
type Cluster struct {
	PodStartupMs    int64 `json:"podStartupMs"`
	JobPodStartupMs int64 `json:"jobPodStartupMs"`
}

// Version is how pods of one version behave and what analysis jobs against
// it report.
type Version struct {
	// StartupMs overrides Cluster.PodStartupMs when set.
	StartupMs  *int64 `json:"startupMs,omitempty"`
	NeverReady bool   `json:"neverReady,omitempty"`
	// ImagePullError: pods of this image cannot pull it (never Ready; a
	// Job pod never runs).
	ImagePullError bool `json:"imagePullError,omitempty"`
	Job            *Job `json:"job,omitempty"`
	// JobFromTraffic is true when the job outcome is derived from the
	// traffic model (job.traffic); Job.Result is then empty.
	JobFromTraffic bool `json:"jobFromTraffic,omitempty"`
}

// Job is the outcome of every attempt of an analysis job against a version.
type Job struct {
	Result     string `json:"result"` // succeed | fail
	DurationMs int64  `json:"durationMs"`
}

// Action kinds.
const (
	ActionSetImage    = "setImage"
	ActionPromote     = "promote"
	ActionPromoteFull = "promoteFull"
	ActionAbort       = "abort"
	ActionRetry       = "retry"
	ActionPause       = "pause"
	ActionResume      = "resume"
	ActionScale       = "scale"
	ActionRestart     = "restart"
	ActionApply       = "apply"
)

// Action is one timed scenario action.
type Action struct {
	AtMs int64  `json:"atMs"`
	Name string `json:"name,omitempty"`
	Kind string `json:"kind"`
	// Rollout is namespace/name (every kind but apply).
	Rollout   string `json:"rollout,omitempty"`
	Image     string `json:"image,omitempty"`
	Container string `json:"container,omitempty"`
	Replicas  int32  `json:"replicas,omitempty"`
	// InMs is the restart delay.
	InMs int64 `json:"inMs,omitempty"`
	// Objects are the objects an apply action applies, namespaces defaulted.
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// Until is when a run ends: once every action has fired and Rollout (every
// rollout when empty) has been in one of Phases for ForMs, or at TimeoutMs.
type Until struct {
	Rollout   string   `json:"rollout,omitempty"`
	Phases    []string `json:"phases"`
	ForMs     int64    `json:"forMs"`
	TimeoutMs int64    `json:"timeoutMs"`
}

// Decode reads a plan and checks its schema version.
func Decode(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decode plan: %w", err)
	}
	if p.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("decode plan: schemaVersion %d, expected %d", p.SchemaVersion, SchemaVersion)
	}
	return &p, nil
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
// tag, then "default" (docs/scenario-format.md, Version matching).
func (p *Plan) VersionOf(image string) (string, bool) {
	if _, ok := p.Versions[image]; ok {
		return image, true
	}
	if t := Tag(image); t != "" {
		if _, ok := p.Versions[t]; ok {
			return t, true
		}
	}
	if _, ok := p.Versions["default"]; ok {
		return "default", true
	}
	return "", false
}

// PodStartupMs is how long a pod of image takes to become Ready.
func (p *Plan) PodStartupMs(image string) int64 {
	if v, ok := p.VersionOf(image); ok && p.Versions[v].StartupMs != nil {
		return *p.Versions[v].StartupMs
	}
	return p.Cluster.PodStartupMs
}
