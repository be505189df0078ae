package validate

import (
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/controller"
)

// experimentFindings checks what Argo rejects in experiments, before a run:
// Argo's own spec check (selector, empty or repeated template names), a
// template whose selector does not select its labels (the API server
// refuses its ReplicaSet, the experiment ends in Error), and an analysis
// naming a template the manifests do not have (the experiment, or the
// rollout's experiment step, ends in Error).
func experimentFindings(objs []manifests.Object) []Finding {
	known := map[string]bool{}
	for _, o := range objs {
		switch t := o.Obj.(type) {
		case *v1alpha1.AnalysisTemplate:
			known["AnalysisTemplate/"+t.Name] = true
		case *v1alpha1.ClusterAnalysisTemplate:
			known["ClusterAnalysisTemplate/"+t.Name] = true
		}
	}
	missing := func(name string, cluster *bool) string {
		kind := "AnalysisTemplate"
		if cluster != nil && *cluster {
			kind = "ClusterAnalysisTemplate"
		}
		if known[kind+"/"+name] {
			return ""
		}
		return fmt.Sprintf("%s %q is not in the manifests: Argo ends the experiment in Error (%s verification failed for analysis)", kind, name, kind)
	}
	var out []Finding
	add := func(s manifests.Source, field, msg string) {
		out = append(out, Finding{File: s.File, Line: s.Line, Field: field, Severity: "error", Msg: msg})
	}
	for _, o := range objs {
		switch x := o.Obj.(type) {
		case *v1alpha1.Experiment:
			if msg := controller.VerifyExperimentSpec(x); msg != "" {
				add(o.Source, "spec.templates", "Argo would reject this Experiment (InvalidSpec): "+msg)
			}
			for i, t := range x.Spec.Templates {
				if err := controller.TemplateSelectorError(x.Name+"-"+t.Name, t); err != nil {
					add(o.Source, fmt.Sprintf("spec.templates[%d].selector", i), err.Error())
				}
			}
			for i, a := range x.Spec.Analyses {
				if msg := missing(a.TemplateName, a.ClusterScope); msg != "" {
					add(o.Source, fmt.Sprintf("spec.analyses[%d].templateName", i), msg)
				}
			}
		case *v1alpha1.Rollout:
			out = append(out, experimentStepFindings(x, o.Source, missing)...)
		}
	}
	return out
}

func experimentStepFindings(ro *v1alpha1.Rollout, s manifests.Source, missing func(string, *bool) string) []Finding {
	cs := ro.Spec.Strategy.Canary
	if cs == nil {
		return nil
	}
	var out []Finding
	for i, st := range cs.Steps {
		if st.Experiment == nil {
			continue
		}
		path := fmt.Sprintf("spec.strategy.canary.steps[%d].experiment", i)
		seen := map[string]bool{}
		for j, t := range st.Experiment.Templates {
			field := fmt.Sprintf("%s.templates[%d]", path, j)
			if seen[t.Name] {
				out = append(out, Finding{File: s.File, Line: s.Line, Field: field + ".name", Severity: "error",
					Msg: fmt.Sprintf("repeated template name '%s': Argo marks the step's Experiment InvalidSpec and the step never completes", t.Name)})
			}
			seen[t.Name] = true
			if t.Selector == nil {
				continue
			}
			labels := map[string]string{}
			for k, v := range ro.Spec.Template.Labels {
				labels[k] = v
			}
			for k, v := range t.Metadata.Labels {
				labels[k] = v
			}
			spec := v1alpha1.TemplateSpec{Name: t.Name, Selector: t.Selector}
			spec.Template.Labels = labels
			if err := controller.TemplateSelectorError(t.Name, spec); err != nil {
				out = append(out, Finding{File: s.File, Line: s.Line, Field: field + ".selector", Severity: "error", Msg: err.Error()})
			}
		}
		for j, a := range st.Experiment.Analyses {
			if msg := missing(a.TemplateName, a.ClusterScope); msg != "" {
				out = append(out, Finding{File: s.File, Line: s.Line, Field: fmt.Sprintf("%s.analyses[%d].templateName", path, j), Severity: "error", Msg: msg})
			}
		}
	}
	return out
}
