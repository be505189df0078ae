package controller

import (
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A step or pre/post-promotion template whose count comes from an arg is
// validated with the arg resolved (Argo: setArgValuePlaceHolder and
// validateAnalysisMetrics in ValidateAnalysisTemplateWithType): a default
// value bounds it; an arg known only at run time resolves to a placeholder
// that is no count, so the metric still runs indefinitely.
func TestTemplateArgsResolvedBeforeTheIndefiniteCheck(t *testing.T) {
	tmpl := func(name string, arg v1alpha1.Argument) *v1alpha1.AnalysisTemplate {
		n := intstr.FromString("{{args.n}}")
		return &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
			Spec: v1alpha1.AnalysisTemplateSpec{Args: []v1alpha1.Argument{arg},
				Metrics: []v1alpha1.Metric{{Name: "m", Count: &n, Interval: "{{args.n}}s", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}}}}}
	}
	three := "3"
	bounded := tmpl("bounded", v1alpha1.Argument{Name: "n", Value: &three})
	runtime := tmpl("runtime", v1alpha1.Argument{Name: "n"})
	// The rollout passes n from a run-time value (the run's arg is a
	// placeholder in validation, too).
	ref := func(name string) *v1alpha1.RolloutAnalysis {
		return &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: name}},
			Args: []v1alpha1.AnalysisRunArgument{{Name: "n", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: ptrTo(v1alpha1.Latest)}}}}
	}
	step := func(name string) *v1alpha1.Rollout {
		return canaryRollout(v1alpha1.CanaryStep{Analysis: ref(name)})
	}
	pre := func(name string) *v1alpha1.Rollout {
		ro := bgRollout("demo:v1")
		ro.Spec.Strategy.BlueGreen.PrePromotionAnalysis = ref(name)
		return ro
	}
	post := func(name string) *v1alpha1.Rollout {
		ro := bgRollout("demo:v1")
		ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis = ref(name)
		return ro
	}
	indefinite := `AnalysisTemplate runtime has metric m which runs indefinitely. Invalid value for count: dummy-value`
	for _, c := range []struct {
		name string
		ro   *v1alpha1.Rollout
		want string // "" when valid
	}{
		{"canary step, default count", step("bounded"), ""},
		{"canary step, run-time count", step("runtime"), "spec.strategy.canary.steps[0].analysis.templates: Invalid value: \"runtime\": " + indefinite},
		{"pre-promotion, default count", pre("bounded"), ""},
		{"pre-promotion, run-time count", pre("runtime"), indefinite},
		{"post-promotion, default count", post("bounded"), ""},
		{"post-promotion, run-time count", post("runtime"), indefinite},
	} {
		t.Run(c.name, func(t *testing.T) {
			objs := []client.Object{c.ro, bounded, runtime}
			if c.ro.Spec.Strategy.BlueGreen != nil {
				objs = append(objs, bgService("active", ""), bgService("preview", ""))
			}
			cl, _, _ := reconcileOnce(t, objs...)
			got := getRollout(t, cl)
			invalid := got.Status.Phase == v1alpha1.RolloutPhaseDegraded && strings.Contains(got.Status.Message, "InvalidSpec")
			if c.want == "" && invalid {
				t.Fatalf("a valid template was refused: %s", got.Status.Message)
			}
			if c.want != "" && (!invalid || !strings.Contains(got.Status.Message, c.want)) {
				t.Fatalf("phase %s message %q, want InvalidSpec containing %q", got.Status.Phase, got.Status.Message, c.want)
			}
		})
	}
}
