package controller

import (
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// requireCanaryStableServices is Argo's rule: the routers that split between
// a canary and a stable Service need both (Istio only without a
// DestinationRule, ALB and Istio not with ping-pong).
func requireCanaryStableServices(cs *v1alpha1.CanaryStrategy) bool {
	tr := cs.TrafficRouting
	if tr == nil {
		return false
	}
	return (tr.ALB != nil && cs.PingPong == nil) ||
		(tr.Istio != nil && tr.Istio.DestinationRule == nil && cs.PingPong == nil) ||
		tr.SMI != nil || tr.Apisix != nil || tr.Ambassador != nil || tr.Nginx != nil || tr.AppMesh != nil || tr.Traefik != nil
}

// validateStepRoutes is Argo's validation of setHeaderRoute and
// setMirrorRoute steps: a router that supports them, one match value per
// StringMatch (ALB: exact only), and a managed route of the step's name.
func validateStepRoutes(path string, step v1alpha1.CanaryStep, tr *v1alpha1.RolloutTrafficRouting) string {
	p := field.NewPath("spec", "strategy")
	stepPath := field.NewPath(path)
	if h := step.SetHeaderRoute; h != nil {
		if tr == nil || (tr.Istio == nil && tr.ALB == nil && tr.Apisix == nil && len(tr.Plugins) == 0) {
			return field.Invalid(stepPath.Child("setHeaderRoute"), h, "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix").Error()
		}
		for j, m := range h.Match {
			fp := stepPath.Child("setHeaderRoute", "match").Index(j)
			if tr.ALB != nil {
				if msg := albMatchValue(m.HeaderValue, fp); msg != "" {
					return msg
				}
			} else if msg := oneMatchValue(m.HeaderValue, fp); msg != "" {
				return msg
			}
		}
	}
	if mr := step.SetMirrorRoute; mr != nil {
		if tr == nil || (tr.Istio == nil && len(tr.Plugins) == 0) {
			return field.Invalid(stepPath.Child("setMirrorRoute"), mr, "SetMirrorRoute requires TrafficRouting, supports Istio and Plugins").Error()
		}
		for j, m := range mr.Match {
			fp := stepPath.Child("setMirrorRoute", "match").Index(j)
			for _, v := range []*v1alpha1.StringMatch{m.Method, m.Path} {
				if v == nil {
					continue
				}
				if msg := oneMatchValue(v, fp); msg != "" {
					return msg
				}
			}
		}
	}
	if tr == nil || (step.SetHeaderRoute == nil && step.SetMirrorRoute == nil) {
		return ""
	}
	if tr.ManagedRoutes == nil {
		return field.Required(p.Child("trafficRouting", "managedRoutes"), "Rollout has missing field 'spec.strategy.canary.trafficRouting.managedRoutes'").Error()
	}
	name, child := "", ""
	if step.SetHeaderRoute != nil {
		name, child = step.SetHeaderRoute.Name, "setHeaderRoute"
	} else {
		name, child = step.SetMirrorRoute.Name, "setMirrorRoute"
	}
	for _, r := range tr.ManagedRoutes {
		if r.Name == name {
			return ""
		}
	}
	return field.Invalid(stepPath.Child(child), name, "Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes").Error()
}

func oneMatchValue(m *v1alpha1.StringMatch, fp *field.Path) string {
	const missed = "StringMatch value missed, match value must have one of the following: exact, regex, prefix"
	if m == nil {
		return field.Invalid(fp, m, missed).Error()
	}
	n := 0
	for _, set := range []bool{m.Exact != "", m.Regex != "", m.Prefix != ""} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return field.Invalid(fp, m, "StringMatch match value must have exactly one of the following: exact, regex, prefix").Error()
	case n == 0:
		return field.Invalid(fp, m, missed).Error()
	}
	return ""
}

func albMatchValue(m *v1alpha1.StringMatch, fp *field.Path) string {
	if m == nil {
		return field.Invalid(fp, m, "StringMatch value missed, match value must have one of the following: exact, regex, prefix").Error()
	}
	if m.Exact == "" || m.Regex != "" || m.Prefix != "" {
		return field.Invalid(fp, m, "SetHeaderRoute match value invalid. ALB supports 'exact' value only").Error()
	}
	return ""
}

// validateRouterReferences asks every router that checks its referenced
// objects (Argo's ValidateRolloutReferencedResources) for Argo's message.
func (c *rolloutContext) validateRouterReferences() (string, error) {
	routers, err := c.trafficRouters()
	if err != nil {
		return "", err
	}
	for _, rt := range routers {
		v, ok := rt.(trafficrouting.ReferenceValidator)
		if !ok {
			continue
		}
		if msg, err := v.ValidateReferences(c.ctx); msg != "" || err != nil {
			return msg, err
		}
	}
	return "", nil
}
