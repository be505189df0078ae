package controller

import (
	"context"
	"errors"
	"time"

	"github.com/benbjohnson/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Note is one decision or observation the controller reports.
type Note struct {
	Actor     string // "rollout-controller" or "analysis-controller"
	Kind      string // lower-case kind: rollout, replicaset, analysisrun, service, ingress, job
	Namespace string
	Name      string
	Verb      string // from the closed list in sim/trace
	Reason    string // Argo's event reason where Argo emits one
	Detail    string
}

// Recorder receives the controller's notes. It is defined here, by its
// consumer; the simulator adapts it to its timeline.
type Recorder interface {
	Record(Note)
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(Note)

// Record calls f.
func (f RecorderFunc) Record(n Note) { f(n) }

type discard struct{}

func (discard) Record(Note) {}

// Options wires a reconciler to its world.
type Options struct {
	Client    client.Client
	Clock     clock.Clock
	Recorder  Recorder
	Providers ProviderFactory
	// StepPlugins answers canary plugin steps; nil refuses them as not
	// supported yet.
	StepPlugins StepPlugins
	// ResyncPeriod bounds every requeue (Argo: 15 minutes).
	ResyncPeriod time.Duration
	// WeightVerifier answers traffic routers' weight verification (ALB);
	// nil: every weight is verified as soon as it is set.
	WeightVerifier TrafficRouterWeightVerifier
	// SMIAPIVersion is the SMI TrafficSplit API version (Argo's
	// --traffic-split-api-version): v1alpha1 (default), v1alpha2, v1alpha3.
	SMIAPIVersion string
}

func (o *Options) validate() error {
	if o.Client == nil {
		return errors.New("controller options: Client is required")
	}
	if o.Clock == nil {
		return errors.New("controller options: Clock is required")
	}
	if o.Recorder == nil {
		o.Recorder = discard{}
	}
	if o.ResyncPeriod == 0 {
		o.ResyncPeriod = 15 * time.Minute
	}
	return nil
}

// now returns the injected clock's time truncated to whole seconds, the
// precision Kubernetes persists metav1.Time with.
func (o *Options) now() time.Time { return o.Clock.Now().UTC().Truncate(time.Second) }

// ProviderFactory returns the metric provider for a metric.
type ProviderFactory interface {
	NewProvider(ctx context.Context, run RunContext) (Provider, error)
}
