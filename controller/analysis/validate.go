package analysis

import (
	"errors"
	"fmt"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

// ValidateMetrics checks resolved metrics the way the analysis controller
// does before measuring (utils/analysis ValidateMetrics): at least one
// metric ("no metrics specified"), unique names
// ("metrics[i]: duplicate name 'x'"), and each metric valid
// ("metrics[i]: <ValidateMetric error>").
func ValidateMetrics(metrics []v1alpha1.Metric) error {
	if len(metrics) == 0 {
		return errors.New("no metrics specified")
	}
	seen := map[string]bool{}
	for i, m := range metrics {
		if seen[m.Name] {
			return fmt.Errorf("metrics[%d]: duplicate name '%s'", i, m.Name)
		}
		seen[m.Name] = true
		if err := ValidateMetric(m); err != nil {
			return fmt.Errorf("metrics[%d]: %v", i, err)
		}
	}
	return nil
}

// ValidateMetric checks one metric's limits, count, durations and provider
// (§7.3), with Argo's messages.
func ValidateMetric(metric v1alpha1.Metric) error {
	count := intOr(metric.Count, 0)
	failureLimit := intOr(metric.FailureLimit, 0)
	successLimit := intOr(metric.ConsecutiveSuccessLimit, 0)
	inconclusiveLimit := intOr(metric.InconclusiveLimit, 0)

	switch {
	case successLimit < 0:
		return errors.New("consecutiveSuccessLimit must be >= 0")
	case failureLimit < -1:
		return errors.New("failureLimit must be >= 0, or -1 to be disabled")
	case successLimit == 0 && failureLimit == -1:
		return errors.New("failureLimit and consecutiveSuccessLimit cannot both be disabled")
	case inconclusiveLimit < 0:
		return errors.New("inconclusiveLimit must be >= 0")
	case metric.ConsecutiveErrorLimit != nil && metric.ConsecutiveErrorLimit.IntValue() < 0:
		return errors.New("consecutiveErrorLimit must be >= 0")
	}
	if count > 0 {
		if failureLimit >= 0 {
			if count < failureLimit+successLimit {
				return fmt.Errorf("count (%d) must be >= failureLimit + consecutiveSuccessLimit (%d + %d) if both >= 0", count, failureLimit, successLimit)
			}
		} else if count < successLimit {
			return errors.New("count must be >= consecutiveSuccessLimit")
		}
		if count < inconclusiveLimit {
			return errors.New("count must be >= inconclusiveLimit")
		}
	}
	if count > 1 && metric.Interval == "" {
		return errors.New("interval must be specified when count > 1")
	}
	if metric.Interval != "" {
		if _, err := metric.Interval.Duration(); err != nil {
			return fmt.Errorf("invalid interval string: %v", err)
		}
	}
	if metric.InitialDelay != "" {
		if _, err := metric.InitialDelay.Duration(); err != nil {
			return fmt.Errorf("invalid startDelay string: %v", err)
		}
	}
	switch n := providerCount(metric.Provider); {
	case n == 0:
		return errors.New("no provider specified")
	case n > 1:
		return errors.New("multiple providers specified")
	}
	return nil
}

func providerCount(p v1alpha1.MetricProvider) int {
	n := len(p.Plugin) // each plugin entry counts as one provider
	for _, set := range []bool{
		p.Prometheus != nil, p.Job != nil, p.Web != nil, p.Wavefront != nil,
		p.Kayenta != nil, p.Datadog != nil, p.NewRelic != nil, p.CloudWatch != nil,
		p.Graphite != nil, p.Influxdb != nil, p.SkyWalking != nil,
	} {
		if set {
			n++
		}
	}
	return n
}

// ValidationPlaceholder is the value Argo's rollout validation gives a
// template argument whose value is only known at run time (no value, or a
// valueFrom), so that placeholders in count, interval and the rest resolve.
const ValidationPlaceholder = "dummy-value"

// ResolveForValidation resolves a template's metrics with its own args the
// way Argo validates a step or pre/post-promotion template
// (validation_references.go: setArgValuePlaceHolder, then
// validateAnalysisMetrics): an argument without a value or with a valueFrom
// gets ValidationPlaceholder; one with both is an error ("arg 'x' has both
// Value and ValueFrom fields"); a placeholder that does not resolve is the
// substitution's error. The metrics and args given are not changed.
func ResolveForValidation(metrics []v1alpha1.Metric, args []v1alpha1.Argument) ([]v1alpha1.Metric, error) {
	resolvedArgs := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		resolvedArgs[i] = *a.DeepCopy()
		if a.Value == nil && a.ValueFrom == nil {
			v := ValidationPlaceholder
			resolvedArgs[i].Value = &v
		}
	}
	for i, a := range resolvedArgs {
		if a.ValueFrom == nil {
			continue
		}
		if a.Value != nil {
			return nil, fmt.Errorf("arg '%s' has both Value and ValueFrom fields", a.Name)
		}
		v := ValidationPlaceholder
		resolvedArgs[i].Value = &v
	}
	return SubstituteArgs(metrics, resolvedArgs)
}

// UnboundedMetric names the first metric of a template that runs
// indefinitely once resolved for validation (ResolveForValidation; Argo
// refuses such a template in a step or pre/post-promotion analysis), with
// its count as Argo prints it. err is the resolution's error.
func UnboundedMetric(spec v1alpha1.AnalysisTemplateSpec) (name, count string, found bool, err error) {
	metrics, err := ResolveForValidation(spec.Metrics, spec.Args)
	if err != nil {
		return "", "", false, err
	}
	for _, m := range metrics {
		if _, unbounded := EffectiveCount(m); unbounded {
			count := "<nil>"
			if m.Count != nil {
				count = m.Count.String()
			}
			return m.Name, count, true, nil
		}
	}
	return "", "", false, nil
}
