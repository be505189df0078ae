package runner

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/benbjohnson/clock"
	"github.com/rollsim/rollsim/controller"
	"github.com/rollsim/rollsim/fakeproviders"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/traffic"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// newFactory builds the scenario's metric providers: scripted and
// traffic-derived answers, with Argo's Job provider for Job metrics.
func newFactory(s *format.Scenario, templates []fakeproviders.Template) *fakeproviders.Factory {
	return &fakeproviders.Factory{
		Answers:   s.Spec.Metrics,
		Templates: templates,
		Log:       &fakeproviders.CallLog{},
	}
}

// wire completes the factory once the harness exists.
func wireFactory(f *fakeproviders.Factory, s *format.Scenario, h *sim.Harness, c client.Client, clk clock.Clock) {
	f.Clock = clk
	f.Rand = h.Engine().Rand()
	f.Fallback = controller.JobProviderFactory{Client: c, Clock: clk}
	f.Versions = fakeproviders.VersionResolverFunc(func(ns, hash string) (string, string) {
		list := &appsv1.ReplicaSetList{}
		if err := c.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{controller.LabelPodTemplateHash: hash}); err != nil || len(list.Items) == 0 {
			return "", ""
		}
		rs := list.Items[0]
		version := ""
		if len(rs.Spec.Template.Spec.Containers) > 0 {
			version, _ = s.VersionOf(rs.Spec.Template.Spec.Containers[0].Image)
		}
		role := ""
		for _, ref := range rs.OwnerReferences {
			ro := &v1alpha1.Rollout{}
			if ref.Kind == "Rollout" && c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: ref.Name}, ro) == nil {
				switch hash {
				case ro.Status.StableRS:
					role = "stable"
				case ro.Status.CurrentPodHash:
					role = "canary"
				}
			}
		}
		return version, role
	})
}

// trafficQuery answers traffic-derived metrics from the traffic model.
type trafficQuery struct {
	ts *trafficSim
	t0 time.Time
}

func (q trafficQuery) Query(measure, scope string, from, to time.Time) (float64, bool) {
	m := q.ts.model
	m.Advance(q.ts.h.Now())
	if !to.After(q.t0) {
		return 0, false // no data before traffic started
	}
	if from.Before(q.t0) {
		from = q.t0
	}
	var sc traffic.Scope
	switch scope {
	case "", "service":
	case "canary", "stable":
		sc.Role = scope
	default:
		if strings.HasPrefix(scope, "cohort:") {
			sc.Cohort = strings.TrimPrefix(scope, "cohort:")
		} else {
			sc.Version = scope
		}
	}
	w := traffic.Window{From: from, To: to}
	switch measure {
	case "successRate":
		return m.SuccessRate(sc, w), true
	case "errorRate":
		return m.ErrorRate(sc, w), true
	case "errorCount":
		return m.Errors(sc, w), true
	case "requestCount":
		return m.Requests(sc, w), true
	case "latencyP50", "latencyP95", "latencyP99":
		qs := map[string]float64{"latencyP50": 0.5, "latencyP95": 0.95, "latencyP99": 0.99}[measure]
		d, ok := m.LatencyQuantile(sc, w, qs)
		if !ok {
			return math.NaN(), true
		}
		return d.Seconds(), true
	}
	return 0, false
}

// lateFactory wires the scenario's provider factory on first use, once the
// harness it reads (random source, clock) exists.
type lateFactory struct {
	f     *fakeproviders.Factory
	wire  func()
	wired bool
}

func (l *lateFactory) NewProvider(ctx context.Context, rc controller.RunContext) (controller.Provider, error) {
	if !l.wired {
		l.wire()
		l.wired = true
	}
	return l.f.NewProvider(ctx, rc)
}
