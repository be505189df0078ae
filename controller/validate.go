package controller

import (
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/analysis"
	"github.com/rollsim/rollsim/controller/replicas"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// validate is the subset of Argo's ValidateRollout and referenced-resource
// validation that rollsim implements; the message follows Argo's wording
// where Argo has one. "" means valid.
func (c *rolloutContext) validate() string {
	ro := c.ro
	s := ro.Spec.Strategy
	// Argo's first check. An API server refuses a negative count before
	// (the Rollout CRD's scale subresource), and so do both backends; the
	// check stays for objects that reach the controller otherwise.
	if r := ro.Spec.Replicas; r != nil && *r < 0 {
		return fmt.Sprintf("spec.replicas: Invalid value: %d: must be greater than or equal to 0", *r)
	}
	if ro.Spec.Selector == nil || (len(ro.Spec.Selector.MatchLabels) == 0 && len(ro.Spec.Selector.MatchExpressions) == 0) {
		return "spec.selector: Required value: Rollout has missing field '.spec.selector'"
	}
	sel, err := metav1LabelSelectorAsSelector(ro)
	if err != nil {
		return "spec.selector: Invalid value: " + err.Error()
	}
	if !sel.Matches(labels.Set(ro.Spec.Template.Labels)) {
		return "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`"
	}
	// Argo validates the spec's fields before the strategy, and passes
	// spec.strategy as the strategy's own path, so the strategy's errors read
	// spec.strategy.strategy, spec.strategy.steps[i], spec.strategy.stableService.
	pds := int32(600)
	if ro.Spec.ProgressDeadlineSeconds != nil {
		pds = *ro.Spec.ProgressDeadlineSeconds
	}
	if pds <= ro.Spec.MinReadySeconds {
		return fmt.Sprintf("spec.progressDeadlineSeconds: Invalid value: %d: must be greater than minReadySeconds", pds)
	}
	if s.Canary == nil && s.BlueGreen == nil {
		return "spec.strategy.strategy: Required value: Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'"
	}
	if s.Canary != nil && s.BlueGreen != nil {
		return "spec.strategy.strategy: Invalid value: \"blueGreen: true canary: true\": Multiple Strategies can not be listed"
	}
	if s.BlueGreen != nil {
		return c.validateBlueGreen()
	}
	cs := s.Canary
	m := replicas.MaxWeight(ro)
	tr := cs.TrafficRouting
	if cs.StableService != "" && cs.StableService == cs.CanaryService {
		return fmt.Sprintf("spec.strategy.stableService: Invalid value: %q: This rollout uses the same service for the stable and canary services, but two different services are required.", cs.StableService)
	}
	if requireCanaryStableServices(cs) {
		if cs.StableService == "" {
			return "spec.strategy.stableService: Invalid value: \"\": Canary service and Stable service must to be set to use Traffic Routing"
		}
		if cs.CanaryService == "" {
			return "spec.strategy.canaryService: Invalid value: \"\": Canary service and Stable service must to be set to use Traffic Routing"
		}
	}
	if tr == nil && cs.ScaleDownDelaySeconds != nil {
		return fmt.Sprintf("spec.strategy.scaleDownDelaySeconds: Invalid value: %d: Canary scaleDownDelaySeconds can only be used with traffic routing", *cs.ScaleDownDelaySeconds)
	}
	if tr == nil && cs.DynamicStableScale {
		return "spec.strategy.dynamicStableScale: Invalid value: true: Canary dynamicStableScale can only be used with traffic routing"
	}
	for i, step := range cs.Steps {
		// Argo's hasMultipleStepsType counts only setWeight, pause,
		// experiment and analysis: setCanaryScale and the route steps may
		// share a step with one of them (Argo's APISIX example does).
		n, kinds := 0, 0
		for i, set := range []bool{step.SetWeight != nil, step.Pause != nil, step.Analysis != nil, step.Experiment != nil,
			step.SetCanaryScale != nil, step.SetHeaderRoute != nil, step.SetMirrorRoute != nil, step.Plugin != nil} {
			if set {
				kinds++
				if i < 4 {
					n++
				}
			}
		}
		path := fmt.Sprintf("spec.strategy.steps[%d]", i)
		const stepMsg = "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause"
		if n > 1 {
			return fmt.Sprintf("%s: Invalid value: \"step.Experiment: %t step.Pause: %t step.SetWeight: %t step.Analysis: %t\": %s",
				path, step.Experiment != nil, step.Pause != nil, step.SetWeight != nil, step.Analysis != nil, stepMsg)
		}
		if kinds == 0 {
			return fmt.Sprintf("%s: Invalid value: \"step.Experiment: true step.Pause: true step.SetWeight: true step.Analysis: true step.SetCanaryScale: true step.SetHeaderRoute: true step.SetMirrorRoute: true step.Plugin: true\": %s", path, stepMsg)
		}
		switch {
		case step.SetWeight != nil && (*step.SetWeight < 0 || *step.SetWeight > m):
			return fmt.Sprintf("%s.setWeight: Invalid value: %d: SetWeight needs to be between 0 and %d", path, *step.SetWeight, m)
		case step.Pause != nil && step.Pause.DurationSeconds() < 0:
			return fmt.Sprintf("%s.pause.duration: Invalid value: %d: Duration needs to be greater than 0", path, step.Pause.DurationSeconds())
		case step.SetCanaryScale != nil && tr == nil:
			return "spec.strategy.trafficRouting: Required value: SetCanaryScale requires TrafficRouting to be set"
		case step.Experiment != nil:
			if msg := validateExperimentStep(path, step.Experiment, tr); msg != "" {
				return msg
			}
		case step.Plugin != nil && c.r.opts.StepPlugins == nil:
			return fmt.Sprintf("%s.plugin: %v (no step plugin answers configured)", path, ErrNotSupported)
		}
		if msg := validateStepRoutes(path, step, tr); msg != "" {
			return msg
		}
	}
	if tr != nil && tr.MaxTrafficWeight != nil && tr.Nginx == nil && len(tr.Plugins) == 0 {
		return fmt.Sprintf("spec.strategy.trafficRouting.maxTrafficWeight: Invalid value: %d: Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins", *tr.MaxTrafficWeight)
	}
	if name := c.unsupportedRouter(); name != "" {
		return unsupportedRouterMessage(name)
	}
	for _, sv := range []struct{ field, name string }{{"stableService", cs.StableService}, {"canaryService", cs.CanaryService}} {
		name := sv.name
		if name == "" {
			continue
		}
		svc := &corev1.Service{}
		if err := c.r.opts.Client.Get(c.ctx, types.NamespacedName{Namespace: ro.Namespace, Name: name}, svc); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Sprintf("spec.strategy.canary.%s: Invalid value: %q: service %q not found", sv.field, name, name)
			}
			return err.Error()
		}
		if owner := svc.Annotations[AnnotationManagedBy]; owner != "" && owner != ro.Name {
			return fmt.Sprintf("spec.strategy.canary.%s: Invalid value: %q: Service %q is managed by another Rollout", sv.field, name, name)
		}
	}
	if msg, err := c.validateRouterReferences(); msg != "" || err != nil {
		if err != nil {
			return err.Error()
		}
		return msg
	}
	if cs.Analysis != nil && len(cs.Analysis.Templates) > 0 {
		if msg := c.validateAnalysis("spec.strategy.canary.analysis.templates", &cs.Analysis.RolloutAnalysis, true); msg != "" {
			return msg
		}
	}
	for i, step := range cs.Steps {
		if step.Analysis != nil && len(step.Analysis.Templates) > 0 {
			if msg := c.validateAnalysis(fmt.Sprintf("spec.strategy.canary.steps[%d].analysis.templates", i), step.Analysis, false); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// validateAnalysis is Argo's ValidateAnalysisTemplatesWithType for one
// analysis: the templates exist, merge into one run with the rollout's args
// (no duplicate metric, no conflicting argument), a step or pre/post analysis
// has no metric that runs indefinitely, and a background analysis supplies
// every argument its templates leave without a value.
func (c *rolloutContext) validateAnalysis(path string, ra *v1alpha1.RolloutAnalysis, background bool) string {
	templates, clusterTemplates, err := analysis.CollectTemplates(ra.Templates, c.getTemplate, c.getClusterTemplate)
	if err != nil {
		if apierrors.IsNotFound(err) {
			for _, ref := range ra.Templates {
				kind := "AnalysisTemplate"
				var gerr error
				if ref.IsClusterScope() {
					kind = "ClusterAnalysisTemplate"
					_, gerr = c.getClusterTemplate(ref.TemplateName)
				} else {
					_, gerr = c.getTemplate(ref.TemplateName)
				}
				if apierrors.IsNotFound(gerr) {
					return fmt.Sprintf("%s: Invalid value: %q: %s '%s' not found", path, ref.TemplateName, kind, ref.TemplateName)
				}
			}
		}
		return fmt.Sprintf("%s: Invalid value: %v", path, err)
	}
	var names []string
	for _, t := range templates {
		names = append(names, t.Name)
	}
	for _, t := range clusterTemplates {
		names = append(names, t.Name)
	}
	value := fmt.Sprintf("templateNames: %s", names)
	var args []v1alpha1.Argument
	for _, a := range ra.Args {
		v := a.Value
		if a.ValueFrom != nil && v == "" {
			v = "value-from-placeholder"
		}
		val := v
		args = append(args, v1alpha1.Argument{Name: a.Name, Value: &val})
	}
	if _, err := analysis.BuildRunSpec(templates, clusterTemplates, args, nil, nil); err != nil {
		return fmt.Sprintf("%s: Invalid value: %q: %v", path, value, err)
	}
	for _, t := range templates {
		if msg := c.validateTemplate(path, t.Name, t.Spec, background); msg != "" {
			return msg
		}
	}
	for _, t := range clusterTemplates {
		if msg := c.validateTemplate(path, t.Name, t.Spec, background); msg != "" {
			return msg
		}
	}
	return ""
}

func (c *rolloutContext) validateTemplate(path, name string, spec v1alpha1.AnalysisTemplateSpec, background bool) string {
	if !background {
		return unboundedTemplateMessage(path, name, spec)
	}
	cs := c.ro.Spec.Strategy.Canary
	for _, arg := range spec.Args {
		if arg.Value != nil || arg.ValueFrom != nil {
			continue
		}
		if cs == nil || cs.Analysis == nil || cs.Analysis.Args == nil {
			return fmt.Sprintf("%s: Invalid value: %q: missing analysis arguments in rollout spec", path, name)
		}
		found := false
		for _, ra := range cs.Analysis.Args {
			found = found || ra.Name == arg.Name
		}
		if !found {
			return fmt.Sprintf("%s: Invalid value: %q: %s", path, name, arg.Name)
		}
	}
	return ""
}
