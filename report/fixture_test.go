package report

import "github.com/rollsim/rollsim/sim/trace"

func ms(v int64) *int64 { return &v }

func rate(v float64) *float64 { return &v }

// fixtureResults is hand-built data for the Markdown, JUnit and HTML
// renderers: a failing canary with samples, outcomes, measurements of
// every phase and decisions; a passing two-rollout scenario; a timed-out
// run; an input error with nothing but the error. Given out of file order.
func fixtureResults() []Scenario {
	step := int32(0)
	canary := Scenario{
		Scenario: "canary-error-aborted", File: "scenarios/b-canary.yaml", Passed: false,
		VirtualMs: 200_000, Seed: 7,
		Expectations: []Expectation{
			{Description: "event RolloutAborted within 2m of failureOnset", Passed: true, Message: "at T+02m30s"},
			{Description: `phase Healthy | "quoted" & <b>bold</b>`, Passed: false, Message: "phase is Degraded; see https://example.com/runbook"},
		},
		Rollouts: []Rollout{{
			Namespace: "demo", Name: "web", Phase: "Degraded", Message: "RolloutAborted: Rollout aborted update to revision 2",
			CurrentStepIndex: &step, TrafficWeights: &TrafficWeights{Canary: 0, Stable: 100},
			ReplicaSets: []ReplicaSet{
				{Name: "web-aaa", Role: "stable", Revision: 1, Images: []string{"img:v1"}, SpecReplicas: 5, AvailableReplicas: 5},
				{Name: "web-bbb", Role: "canary", Revision: 2, Images: []string{"img:error"}, SpecReplicas: 0, AvailableReplicas: 0},
			},
		}},
		AnalysisRuns: []AnalysisRun{{Name: "web-bbb-2", Phase: "Failed", Message: "Metric \"success-rate\" assessed Failed",
			Metrics: []Metric{{Name: "success-rate", Phase: "Failed", Successful: 2, Failed: 1, Inconclusive: 1, Errors: 1}}}},
		Outcomes: []Outcome{{
			Rollout: "web", FailureOnsetMs: ms(0), TimeToDetectMs: ms(150_000), TimeToAbortMs: ms(150_000),
			TimeToRollbackMs: ms(10_000), PeakCanaryWeight: 40,
			Exposure: []Exposure{
				{Version: "v1", Cohort: "default", Requests: 3000, FailedRequests: 0},
				{Version: "error", Cohort: "default", Requests: 600, FailedRequests: 120.25},
			},
		}},
		Samples: []Sample{
			{AtMs: 0, Rollout: "web", Weight: 0, StablePods: 5, Phase: "Progressing", ErrorRate: rate(0)},
			{AtMs: 5_000, Rollout: "web", Weight: 20, StablePods: 5, CanaryPods: 1, Phase: "Paused", ErrorRate: rate(0.04)},
			{AtMs: 65_000, Rollout: "web", Weight: 40, StablePods: 5, CanaryPods: 2, Phase: "Paused", ErrorRate: rate(0.08)},
			{AtMs: 150_000, Rollout: "web", Weight: 0, StablePods: 5, CanaryPods: 2, Phase: "Degraded", ErrorRate: rate(0)},
			{AtMs: 160_000, Rollout: "web", Weight: 0, StablePods: 5, CanaryPods: 0, Phase: "Degraded", ErrorRate: rate(0)},
		},
		Timeline: []trace.Record{
			{AtMs: 0, Actor: "user", Object: "rollout/web", Verb: "action", Reason: "SetImage", Detail: "image img:v1 → img:error"},
			{AtMs: 5_000, Actor: "rollout-controller", Object: "rollout/web", Verb: "step", Reason: "RolloutStepCompleted", Detail: "Rollout step 1/4 completed (setWeight: 20)"},
			{AtMs: 5_000, Actor: "rollout-controller", Object: "rollout/web", Verb: "paused", Reason: "RolloutPaused", Detail: "Rollout is paused (CanaryPauseStep) at step 2 pause: 1m"},
			{AtMs: 30_000, Actor: "analysis-controller", Object: "analysisrun/web-bbb-2", Verb: "measured", Reason: "MetricMeasured", Detail: "success-rate → Successful (value [0.99])"},
			{AtMs: 60_000, Actor: "analysis-controller", Object: "analysisrun/web-bbb-2", Verb: "measured", Reason: "MetricMeasured", Detail: "success-rate → Successful (value [0.97])"},
			{AtMs: 65_000, Actor: "rollout-controller", Object: "rollout/web", Verb: "event", Reason: "RolloutResumed", Detail: "Rollout is resumed"},
			{AtMs: 65_000, Actor: "rollout-controller", Object: "rollout/web", Verb: "step", Reason: "RolloutStepCompleted", Detail: "Rollout step 3/4 completed (setWeight: 40)"},
			{AtMs: 90_000, Actor: "analysis-controller", Object: "analysisrun/web-bbb-2", Verb: "measured", Reason: "MetricMeasured", Detail: "success-rate → Inconclusive (value [NaN])"},
			{AtMs: 120_000, Actor: "analysis-controller", Object: "analysisrun/web-bbb-2", Verb: "measured", Reason: "MetricMeasured", Detail: `success-rate → Error: Post "http://prometheus.example.com:9090/api/v1/query": context deadline exceeded`},
			{AtMs: 150_000, Actor: "analysis-controller", Object: "analysisrun/web-bbb-2", Verb: "measured", Reason: "MetricMeasured", Detail: "success-rate → Failed (value [0.8])"},
			{AtMs: 150_000, Actor: "rollout-controller", Object: "rollout/web", Verb: "aborted", Reason: "RolloutAborted", Detail: "Rollout aborted update to revision 2: <script>alert(1)</script> & more"},
			{AtMs: 160_000, Actor: "rollout-controller", Object: "replicaset/web-bbb", Verb: "scaled", Reason: "ScalingReplicaSet", Detail: "2 → 0: scaled down (revision 2) canary, aborted"},
		},
	}
	two := Scenario{
		Scenario: "two-rollouts", File: "scenarios/a-two.yaml", Passed: true, VirtualMs: 95_500, Seed: 1,
		Expectations: []Expectation{{Description: "phase Healthy", Passed: true}},
		Rollouts: []Rollout{
			{Namespace: "ns", Name: "api", Phase: "Healthy"},
			{Namespace: "ns", Name: "ui", Phase: "Healthy"},
		},
		Outcomes: []Outcome{
			{Rollout: "ui", TimeToPromotionMs: ms(90_000), PeakCanaryWeight: 100},
			{Rollout: "api", TimeToPromotionMs: ms(3_725_000), PeakCanaryWeight: 50},
		},
		Samples: []Sample{
			{AtMs: 0, Rollout: "ui", Weight: 0, StablePods: 2, Phase: "Progressing"},
			{AtMs: 0, Rollout: "api", Weight: 0, StablePods: 3, Phase: "Progressing"},
			{AtMs: 30_000, Rollout: "api", Weight: 50, StablePods: 3, CanaryPods: 3, Phase: "Progressing"},
			{AtMs: 45_000, Rollout: "ui", Weight: 100, StablePods: 2, CanaryPods: 2, Phase: "Progressing"},
			{AtMs: 90_000, Rollout: "ui", Weight: 0, StablePods: 2, OldPods: 2, Phase: "Healthy"},
			{AtMs: 90_000, Rollout: "api", Weight: 0, StablePods: 3, OldPods: 0, Phase: "Healthy"},
		},
		Timeline: []trace.Record{
			{AtMs: 90_000, Actor: "rollout-controller", Object: "rollout/ui", Verb: "promoted", Reason: "RolloutCompleted", Detail: "Rollout completed update to revision 2"},
		},
	}
	timeout := Scenario{
		Scenario: "stuck", File: "scenarios/c-stuck.yaml", Passed: false, VirtualMs: 3_600_000,
		Error: "timeout after 1h0m0s of virtual time", ErrorKind: "timeout",
		Expectations: []Expectation{{Description: "phase Healthy", Passed: false, Message: "phase is Paused"}},
		Rollouts:     []Rollout{{Namespace: "ns", Name: "stuck", Phase: "Paused"}},
		Timeline: []trace.Record{
			{AtMs: 1_000, Actor: "rollout-controller", Object: "rollout/stuck", Verb: "paused", Reason: "RolloutPaused", Detail: "Rollout is paused (CanaryPauseStep) at step 1 pause"},
			{AtMs: 2_000, Actor: "cluster", Object: "pod/x", Verb: "event", Reason: "Odd", Detail: "control \x01 char and ``` fence"},
		},
	}
	input := Scenario{Scenario: "", File: "scenarios/d-broken.yaml", Passed: false, Error: "scenarios/d-broken.yaml:3: spec: unknown field \"bogus\"", ErrorKind: "input"}
	return []Scenario{canary, timeout, input, two}
}
