package format

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rollsim/rollsim/fakeproviders"
	"github.com/rollsim/rollsim/sim/traffic"
)

// APIVersion and Kind of a scenario file.
const (
	APIVersion = "rollsim.dev/v1alpha1"
	Kind       = "Scenario"
)

// Duration is a Go duration written as a string ("30s", "2m30s").
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected a duration string like \"30s\" or \"2m\", got %s", string(b))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("expected a duration like \"30s\" or \"2m\": %q: %v", s, err)
	}
	if v < 0 {
		return fmt.Errorf("duration %q must not be negative", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// Scenario is one scenario file.
type Scenario struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`

	// File is the scenario's path (set by the loader).
	File string `json:"-"`
	// dir is where relative paths are resolved from.
	dir string
	// lines maps field paths to lines, for error messages after decoding.
	lines func(path string) int
}

// Metadata names a scenario.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Spec is what a scenario declares.
type Spec struct {
	// Seed for the scenario's single random source (default 1).
	Seed *int64 `json:"seed,omitempty"`
	// Manifests: files, directories or kustomize directories, relative to
	// the scenario file.
	Manifests []string `json:"manifests"`
	// Namespace given to manifests that have none (default "default").
	Namespace string             `json:"namespace,omitempty"`
	Initial   Initial            `json:"initial"`
	Cluster   ClusterSpec        `json:"cluster,omitempty"`
	Versions  map[string]Version `json:"versions,omitempty"`
	// Traffic turns on the traffic model: requests per second split the way
	// the router splits them, per-version error rates and latency.
	Traffic *traffic.Config `json:"traffic,omitempty"`
	// Metrics answer the analysis metrics (every provider but Job), keyed
	// by "metric" or "template/metric": a script over virtual time, per
	// version, or derived from the traffic model.
	Metrics map[string]fakeproviders.Answer `json:"metrics,omitempty"`
	// StepPlugins answer the canary `plugin` steps, keyed by plugin name,
	// then by version (or "default"): what the plugin's Run returns over
	// virtual time (scenarios/format/stepplugins.go; answered by scenarios/runner).
	StepPlugins map[string]map[string]StepPluginScript `json:"stepPlugins,omitempty"`
	Actions     []Action                               `json:"actions,omitempty"`
	Until       *Until                                 `json:"until,omitempty"`
	Expect      []Expectation                          `json:"expect,omitempty"`
}

// Initial is the state at T+0: the rollout is deployed with history[0],
// then updated to each later history image and to image (each with a full
// promotion), and T+0 is the first instant the last one is Healthy and
// settled.
type Initial struct {
	Rollout   string   `json:"rollout"`
	Image     string   `json:"image"`
	History   []string `json:"history,omitempty"`
	Container string   `json:"container,omitempty"`
}

// ClusterSpec is the cluster's behaviour.
type ClusterSpec struct {
	// PodStartup: creation to Ready (default 5s).
	PodStartup *Duration `json:"podStartup,omitempty"`
	// JobPodStartup: creation to Running for analysis job pods (default 2s).
	JobPodStartup *Duration `json:"jobPodStartup,omitempty"`
	// ALBWeightVerifyDelay turns on ALB weight verification (Argo's
	// --alb-verify-weight): the load balancer's target groups take the
	// weights an Ingress's annotations carry this long after they were
	// written. Unset: verification is off, as in Argo by default.
	ALBWeightVerifyDelay *Duration `json:"albWeightVerifyDelay,omitempty"`
	// TrafficSplitAPIVersion is the SMI TrafficSplit version the
	// controller writes (Argo's --traffic-split-api-version): v1alpha1
	// (default), v1alpha2 or v1alpha3.
	TrafficSplitAPIVersion string `json:"trafficSplitAPIVersion,omitempty"`
}

// Version is how an image behaves; versions are matched by full image
// reference or by tag.
type Version struct {
	// Startup overrides cluster.podStartup for this version.
	Startup *Duration `json:"startup,omitempty"`
	// NeverReady pods never pass readiness.
	NeverReady bool `json:"neverReady,omitempty"`
	// ImagePullError: the image cannot be pulled. Pods of this image (a
	// rollout's or an analysis Job's) stay Pending with their containers
	// Waiting (ErrImagePull): never Ready, a Job pod never runs.
	ImagePullError bool `json:"imagePullError,omitempty"`
	// Bad marks the version as faulty: the first setImage action that
	// deploys it is the failureOnset anchor. Default: true when job.result
	// is fail.
	Bad *bool `json:"bad,omitempty"`
	// Job is the outcome of an analysis Job run against this version.
	Job *JobOutcome `json:"job,omitempty"`
	// ErrorRate is the fraction of requests this version answers with an
	// error (traffic model).
	ErrorRate float64 `json:"errorRate,omitempty"`
	// Latency are this version's latency percentiles (traffic model).
	Latency *traffic.Latency `json:"latency,omitempty"`
}

// JobOutcome is what an analysis job does against a version: a scripted
// result, or one derived from the requests it sends through the traffic
// model.
type JobOutcome struct {
	// Duration: Running to finished (default 60s).
	Duration *Duration `json:"duration,omitempty"`
	// Result: succeed or fail (scripted).
	Result string `json:"result,omitempty"`
	// Traffic: the job sends requests and fails above a threshold of errors.
	Traffic *JobTraffic `json:"traffic,omitempty"`
}

// JobTraffic is a job that probes the service: rps requests per second with
// the given headers for the job's duration, routed like any request; it
// fails when more than maxErrors of them fail.
type JobTraffic struct {
	RPS       float64           `json:"rps,omitempty"`
	Header    map[string]string `json:"header,omitempty"`
	MaxErrors float64           `json:"maxErrors"`
}

// Action is one timed action.
type Action struct {
	// At is the time after T+0.
	At Duration `json:"at"`
	// Name makes the action an anchor for `within` expectations.
	Name        string         `json:"name,omitempty"`
	SetImage    *SetImage      `json:"setImage,omitempty"`
	Promote     *RolloutRef    `json:"promote,omitempty"`
	PromoteFull *RolloutRef    `json:"promoteFull,omitempty"`
	Abort       *RolloutRef    `json:"abort,omitempty"`
	Retry       *RolloutRef    `json:"retry,omitempty"`
	Pause       *RolloutRef    `json:"pause,omitempty"`
	Resume      *RolloutRef    `json:"resume,omitempty"`
	Scale       *ScaleAction   `json:"scale,omitempty"`
	Restart     *RestartAction `json:"restart,omitempty"`
	Apply       *ApplyAction   `json:"apply,omitempty"`
}

// RolloutRef addresses a rollout as "name" or "namespace/name".
type RolloutRef struct {
	Rollout string `json:"rollout"`
}

// SetImage is `kubectl argo rollouts set image`.
type SetImage struct {
	Rollout   string `json:"rollout"`
	Image     string `json:"image"`
	Container string `json:"container,omitempty"`
}

// ScaleAction sets spec.replicas.
type ScaleAction struct {
	Rollout  string `json:"rollout"`
	Replicas int32  `json:"replicas"`
}

// RestartAction is `kubectl argo rollouts restart`: spec.restartAt = now + in.
type RestartAction struct {
	Rollout string    `json:"rollout"`
	In      *Duration `json:"in,omitempty"`
}

// ApplyAction applies manifests (relative to the scenario file).
type ApplyAction struct {
	Manifests []string `json:"manifests"`
}

// Until ends the run: every listed rollout in one of the phases, held for
// `for`, checked only at quiet instants after T+0 and after the last action.
type Until struct {
	Rollout string    `json:"rollout,omitempty"`
	Phase   []string  `json:"phase,omitempty"`
	For     *Duration `json:"for,omitempty"`
	Timeout *Duration `json:"timeout,omitempty"`
}

// Expectation is one check. Exactly one of the forms applies:
//   - state: `at` (a duration after T+0, or "end") with rollout fields;
//   - event: `within` a duration of an anchor, an event must occur;
//   - never: an event must never occur.
type Expectation struct {
	Description string `json:"description,omitempty"`
	// At is "end" or a duration such as "5m".
	At      string `json:"at,omitempty"`
	Rollout string `json:"rollout,omitempty"`
	Phase   string `json:"phase,omitempty"`
	// Message must be contained in the rollout's status message.
	Message      string         `json:"message,omitempty"`
	StableImage  string         `json:"stableImage,omitempty"`
	StepIndex    *int32         `json:"stepIndex,omitempty"`
	SetWeight    *int32         `json:"setWeight,omitempty"`
	ActualWeight *int32         `json:"actualWeight,omitempty"`
	Replicas     *RoleCounts    `json:"replicas,omitempty"`
	Available    *RoleCounts    `json:"available,omitempty"`
	Within       *Within        `json:"within,omitempty"`
	Event        string         `json:"event,omitempty"`
	Object       string         `json:"object,omitempty"`
	Never        *EventSelector `json:"never,omitempty"`
	// Outcome checks outcome metrics at the end of the run.
	Outcome *OutcomeExpect `json:"outcome,omitempty"`
}

// OutcomeExpect bounds a rollout's outcome metrics (see docs/output.md).
type OutcomeExpect struct {
	// Rollout is "name" or "namespace/name"; empty = the first rollout.
	Rollout             string          `json:"rollout,omitempty"`
	TimeToPromotion     *Bound          `json:"timeToPromotion,omitempty"`
	TimeToDetect        *Bound          `json:"timeToDetect,omitempty"`
	TimeToAbort         *Bound          `json:"timeToAbort,omitempty"`
	TimeToRollback      *Bound          `json:"timeToRollback,omitempty"`
	MaxPeakCanaryWeight *int32          `json:"maxPeakCanaryWeight,omitempty"`
	Exposure            *ExposureExpect `json:"exposure,omitempty"`
}

// Bound limits a duration; never: true requires that it never happened.
type Bound struct {
	Max   *Duration `json:"max,omitempty"`
	Min   *Duration `json:"min,omitempty"`
	Never bool      `json:"never,omitempty"`
}

// ExposureExpect limits what a version served (traffic model).
type ExposureExpect struct {
	Version           string   `json:"version"`
	Cohort            string   `json:"cohort,omitempty"`
	MaxRequests       *float64 `json:"maxRequests,omitempty"`
	MinRequests       *float64 `json:"minRequests,omitempty"`
	MaxFailedRequests *float64 `json:"maxFailedRequests,omitempty"`
	// MinShadowRequests and MaxShadowRequests bound the mirrored copies
	// the version served (a setMirrorRoute), apart from real requests.
	MinShadowRequests *float64 `json:"minShadowRequests,omitempty"`
	MaxShadowRequests *float64 `json:"maxShadowRequests,omitempty"`
}

// RoleCounts are pod counts by ReplicaSet role.
type RoleCounts struct {
	Stable *int32 `json:"stable,omitempty"`
	Canary *int32 `json:"canary,omitempty"`
	Old    *int32 `json:"old,omitempty"`
}

// Within is a window after an anchor: start, failureOnset, or an action's name.
type Within struct {
	Duration Duration `json:"duration"`
	Of       string   `json:"of"`
}

// EventSelector matches timeline records by reason, and optionally object and verb.
type EventSelector struct {
	Event  string `json:"event,omitempty"`
	Object string `json:"object,omitempty"`
	Verb   string `json:"verb,omitempty"`
}
