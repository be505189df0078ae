package analysis

import (
	"fmt"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

// TemplateGetter looks up a namespaced AnalysisTemplate by name; the error
// (typically a NotFound) is passed through by CollectTemplates.
type TemplateGetter func(name string) (*v1alpha1.AnalysisTemplate, error)

// ClusterTemplateGetter looks up a ClusterAnalysisTemplate by name.
type ClusterTemplateGetter func(name string) (*v1alpha1.ClusterAnalysisTemplate, error)

// CollectTemplates resolves template references recursively, in Argo's
// order (rollout/analysis.go getAnalysisTemplatesFromRefs): each referenced
// template is appended, then the templates it references; finally both lists
// are de-duplicated by name, first occurrence kept. A lookup error stops the
// walk. A reference cycle is reported as an error
// ("analysis template reference cycle through <kind> '<name>'") where Argo
// would recurse without end.
func CollectTemplates(refs []v1alpha1.AnalysisTemplateRef, get TemplateGetter, getCluster ClusterTemplateGetter) ([]*v1alpha1.AnalysisTemplate, []*v1alpha1.ClusterAnalysisTemplate, error) {
	var templates []*v1alpha1.AnalysisTemplate
	var clusterTemplates []*v1alpha1.ClusterAnalysisTemplate
	visiting := map[string]bool{}
	var walk func(refs []v1alpha1.AnalysisTemplateRef) error
	walk = func(refs []v1alpha1.AnalysisTemplateRef) error {
		for _, ref := range refs {
			key := "AnalysisTemplate/" + ref.TemplateName
			var nested []v1alpha1.AnalysisTemplateRef
			if ref.IsClusterScope() {
				key = "ClusterAnalysisTemplate/" + ref.TemplateName
				t, err := getCluster(ref.TemplateName)
				if err != nil {
					return err
				}
				clusterTemplates = append(clusterTemplates, t)
				nested = t.Spec.Templates
			} else {
				t, err := get(ref.TemplateName)
				if err != nil {
					return err
				}
				templates = append(templates, t)
				nested = t.Spec.Templates
			}
			if len(nested) == 0 {
				continue
			}
			if visiting[key] {
				kind := "AnalysisTemplate"
				if ref.IsClusterScope() {
					kind = "ClusterAnalysisTemplate"
				}
				return fmt.Errorf("analysis template reference cycle through %s '%s'", kind, ref.TemplateName)
			}
			visiting[key] = true
			err := walk(nested)
			delete(visiting, key)
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(refs); err != nil {
		return nil, nil, err
	}
	t, ct := UniqueTemplates(templates, clusterTemplates)
	return t, ct, nil
}

// UniqueTemplates drops templates whose name was already seen (per kind),
// keeping the first occurrence and the order.
func UniqueTemplates(templates []*v1alpha1.AnalysisTemplate, clusterTemplates []*v1alpha1.ClusterAnalysisTemplate) ([]*v1alpha1.AnalysisTemplate, []*v1alpha1.ClusterAnalysisTemplate) {
	seen := map[string]bool{}
	outT := []*v1alpha1.AnalysisTemplate{}
	for _, t := range templates {
		if !seen[t.Name] {
			seen[t.Name] = true
			outT = append(outT, t)
		}
	}
	seenC := map[string]bool{}
	outC := []*v1alpha1.ClusterAnalysisTemplate{}
	for _, t := range clusterTemplates {
		if !seenC[t.Name] {
			seenC[t.Name] = true
			outC = append(outC, t)
		}
	}
	return outT, outC
}

// FlattenTemplates combines templates (namespaced first, then cluster) into
// one spec (utils/analysis FlattenTemplates), checking in this order:
//   - metrics concatenated; a repeated name is an error
//     "two metrics have the same name 'x'";
//   - dryRun rules concatenated; a repeated metricName is an error
//     "two Dry-Run metric rules have the same name 'x'";
//   - measurementRetention likewise:
//     "two Measurement Retention metric rules have the same name 'x'";
//   - args merged by name: two non-nil different values are an error
//     "Argument `x` specified multiple times with different values: 'a', 'b'";
//     an earlier arg with a nil value is replaced by the later one; an
//     earlier non-nil value is kept.
//
// The nested template references (spec.templates) are not part of the
// result; CollectTemplates expands them first.
func FlattenTemplates(templates []*v1alpha1.AnalysisTemplate, clusterTemplates []*v1alpha1.ClusterAnalysisTemplate) (*v1alpha1.AnalysisTemplateSpec, error) {
	specs := make([]*v1alpha1.AnalysisTemplateSpec, 0, len(templates)+len(clusterTemplates))
	for _, t := range templates {
		specs = append(specs, &t.Spec)
	}
	for _, t := range clusterTemplates {
		specs = append(specs, &t.Spec)
	}

	var metrics []v1alpha1.Metric
	var dryRun []v1alpha1.DryRun
	var retention []v1alpha1.MeasurementRetention
	for _, s := range specs {
		metrics = append(metrics, s.Metrics...)
		dryRun = append(dryRun, s.DryRun...)
		retention = append(retention, s.MeasurementRetention...)
	}
	names := map[string]bool{}
	for _, m := range metrics {
		if names[m.Name] {
			return nil, fmt.Errorf("two metrics have the same name '%s'", m.Name)
		}
		names[m.Name] = true
	}
	if err := checkDryRunRules(dryRun); err != nil {
		return nil, err
	}
	if err := checkRetentionRules(retention); err != nil {
		return nil, err
	}

	var args []v1alpha1.Argument
	for _, s := range specs {
		for _, a := range s.Args {
			var err error
			if args, err = mergeTemplateArg(args, a); err != nil {
				return nil, err
			}
		}
	}
	return &v1alpha1.AnalysisTemplateSpec{
		Metrics:              metrics,
		DryRun:               dryRun,
		MeasurementRetention: retention,
		Args:                 args,
	}, nil
}

func mergeTemplateArg(args []v1alpha1.Argument, next v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	for i, prev := range args {
		if prev.Name != next.Name {
			continue
		}
		if prev.Value != nil && next.Value != nil && *prev.Value != *next.Value {
			return nil, fmt.Errorf("Argument `%s` specified multiple times with different values: '%s', '%s'", prev.Name, *prev.Value, *next.Value)
		}
		if prev.Value == nil {
			args[i] = next
		}
		return args, nil
	}
	return append(args, next), nil
}

func checkDryRunRules(rules []v1alpha1.DryRun) error {
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.MetricName] {
			return fmt.Errorf("two Dry-Run metric rules have the same name '%s'", r.MetricName)
		}
		seen[r.MetricName] = true
	}
	return nil
}

func checkRetentionRules(rules []v1alpha1.MeasurementRetention) error {
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.MetricName] {
			return fmt.Errorf("two Measurement Retention metric rules have the same name '%s'", r.MetricName)
		}
		seen[r.MetricName] = true
	}
	return nil
}

// MergeArgs overlays the rollout's (resolved) args on the template args
// (utils/analysis MergeArgs): a rollout arg replaces the value — or, when it
// has no value, the valueFrom — of the same-named template arg; rollout args
// the template does not declare are ignored. Any arg then left with neither
// value nor valueFrom is an error "args.x was not resolved". The template
// slice is not modified.
func MergeArgs(rolloutArgs []v1alpha1.Argument, templateArgs []v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	merged := append([]v1alpha1.Argument(nil), templateArgs...)
	for _, in := range rolloutArgs {
		for i := range merged {
			if merged[i].Name != in.Name {
				continue
			}
			if in.Value != nil {
				merged[i].Value = in.Value
			} else if in.ValueFrom != nil {
				merged[i].ValueFrom = in.ValueFrom
			}
			break
		}
	}
	for _, a := range merged {
		if a.Value == nil && a.ValueFrom == nil {
			return nil, fmt.Errorf("args.%s was not resolved", a.Name)
		}
	}
	return merged, nil
}

// BuildRunSpec is the spec of a new AnalysisRun built from templates
// (NewAnalysisRunFromTemplates): FlattenTemplates, then MergeArgs with the
// rollout's args, then the rollout's dryRun / measurementRetention rules
// followed by the templates' ones (repeated metricName is an error, as in
// FlattenTemplates).
func BuildRunSpec(templates []*v1alpha1.AnalysisTemplate, clusterTemplates []*v1alpha1.ClusterAnalysisTemplate, args []v1alpha1.Argument, dryRun []v1alpha1.DryRun, retention []v1alpha1.MeasurementRetention) (*v1alpha1.AnalysisRunSpec, error) {
	spec, err := FlattenTemplates(templates, clusterTemplates)
	if err != nil {
		return nil, err
	}
	mergedArgs, err := MergeArgs(args, spec.Args)
	if err != nil {
		return nil, err
	}
	var allDry []v1alpha1.DryRun
	allDry = append(append(allDry, dryRun...), spec.DryRun...)
	if err := checkDryRunRules(allDry); err != nil {
		return nil, err
	}
	var allRetention []v1alpha1.MeasurementRetention
	allRetention = append(append(allRetention, retention...), spec.MeasurementRetention...)
	if err := checkRetentionRules(allRetention); err != nil {
		return nil, err
	}
	return &v1alpha1.AnalysisRunSpec{
		Metrics:              spec.Metrics,
		Args:                 mergedArgs,
		DryRun:               allDry,
		MeasurementRetention: allRetention,
	}, nil
}
