package alb

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

// The annotation prefix and keys the AWS Load Balancer Controller and Argo
// use.
const (
	DefaultAnnotationPrefix = "alb.ingress.kubernetes.io"
	ManagedAnnotations      = "rollouts.argoproj.io/managed-alb-annotations"
	// UseAnnotation is the backend port name of a path whose action comes
	// from an actions.<service> annotation.
	UseAnnotation = "use-annotation"
	maxStickiness = 604800
)

// Action is the forward action the AWS Load Balancer Controller reads from
// an actions.<name> annotation (its JSON field names).
type Action struct {
	Type          string        `json:"Type"`
	ForwardConfig ForwardConfig `json:"ForwardConfig"`
}

// ForwardConfig lists the weighted target groups of a forward action.
type ForwardConfig struct {
	TargetGroups                []TargetGroup `json:"TargetGroups"`
	TargetGroupStickinessConfig *Stickiness   `json:"TargetGroupStickinessConfig,omitempty"`
}

// TargetGroup is one Service (and port) of a forward action.
type TargetGroup struct {
	ServiceName string `json:"ServiceName,omitempty"`
	ServicePort string `json:"ServicePort,omitempty"`
	Weight      *int64 `json:"Weight,omitempty"`
}

// Stickiness is a forward action's target-group stickiness.
type Stickiness struct {
	Enabled         bool  `json:"Enabled"`
	DurationSeconds int64 `json:"DurationSeconds"`
}

// Condition is one condition of a conditions.<name> annotation.
type Condition struct {
	Field            string           `json:"field"`
	HttpHeaderConfig HttpHeaderConfig `json:"httpHeaderConfig"`
}

// HttpHeaderConfig matches a header against any of Values (exact).
type HttpHeaderConfig struct {
	HttpHeaderName string   `json:"httpHeaderName"`
	Values         []string `json:"values"`
}

// Prefix is the rollout's ALB annotation prefix.
func Prefix(alb *v1alpha1.ALBTrafficRouting) string {
	if alb.AnnotationPrefix != "" {
		return alb.AnnotationPrefix
	}
	return DefaultAnnotationPrefix
}

// ActionService is the Service whose action annotation carries the split:
// rootService, else the stable Service.
func ActionService(cs *v1alpha1.CanaryStrategy) string {
	if cs.TrafficRouting.ALB.RootService != "" {
		return cs.TrafficRouting.ALB.RootService
	}
	return cs.StableService
}

// ActionKey is the annotation key of the action named name.
func ActionKey(alb *v1alpha1.ALBTrafficRouting, name string) string {
	return Prefix(alb) + "/actions." + name
}

// ConditionKey is the annotation key of the conditions of the action name.
func ConditionKey(alb *v1alpha1.ALBTrafficRouting, name string) string {
	return Prefix(alb) + "/conditions." + name
}

// Services are the stable and canary Services, the ping-pong pair when
// the rollout uses one (Argo's GetStableAndCanaryServices, ping-pong
// preferred).
func Services(ro *v1alpha1.Rollout) (stable, canary string) {
	cs := ro.Spec.Strategy.Canary
	if pp := cs.PingPong; pp != nil {
		if ro.Status.Canary.StablePingPong == v1alpha1.PPPing {
			return pp.PingService, pp.PongService
		}
		return pp.PongService, pp.PingService
	}
	return cs.StableService, cs.CanaryService
}

func stickiness(alb *v1alpha1.ALBTrafficRouting) (*Stickiness, error) {
	sc := alb.StickinessConfig
	if sc == nil || !sc.Enabled {
		return nil, nil
	}
	if sc.DurationSeconds < 1 || sc.DurationSeconds > maxStickiness {
		return nil, fmt.Errorf("TargetGroupStickinessConfig's duration must be between 1 and 604800 seconds (7 days)!")
	}
	return &Stickiness{Enabled: true, DurationSeconds: sc.DurationSeconds}, nil
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("alb: marshal annotation: %w", err)
	}
	return string(b), nil
}

// forwardAction is the weighted action: the canary first, then each
// additional destination, then the stable with the rest of 100 (Argo's
// order and arithmetic).
func forwardAction(ro *v1alpha1.Rollout, weight int32, additional []v1alpha1.WeightDestination) (string, error) {
	alb := ro.Spec.Strategy.Canary.TrafficRouting.ALB
	stable, canary := Services(ro)
	port := strconv.Itoa(int(alb.ServicePort))
	w := func(v int32) *int64 { x := int64(v); return &x }
	tgs := []TargetGroup{{ServiceName: canary, ServicePort: port, Weight: w(weight)}}
	rest := int32(100) - weight
	for _, d := range additional {
		tgs = append(tgs, TargetGroup{ServiceName: d.ServiceName, ServicePort: port, Weight: w(d.Weight)})
		rest -= d.Weight
	}
	tgs = append(tgs, TargetGroup{ServiceName: stable, ServicePort: port, Weight: w(rest)})
	st, err := stickiness(alb)
	if err != nil {
		return "", err
	}
	return marshal(Action{Type: "forward", ForwardConfig: ForwardConfig{TargetGroups: tgs, TargetGroupStickinessConfig: st}})
}

// headerAction sends everything to the canary Service.
func headerAction(ro *v1alpha1.Rollout) (string, error) {
	alb := ro.Spec.Strategy.Canary.TrafficRouting.ALB
	_, canary := Services(ro)
	all := int64(100)
	st, err := stickiness(alb)
	if err != nil {
		return "", err
	}
	return marshal(Action{Type: "forward", ForwardConfig: ForwardConfig{
		TargetGroups:                []TargetGroup{{ServiceName: canary, ServicePort: strconv.Itoa(int(alb.ServicePort)), Weight: &all}},
		TargetGroupStickinessConfig: st,
	}})
}

// headerConditions are the route's matches as http-header conditions, the
// exact values of one header name merged into one condition.
func headerConditions(route *v1alpha1.SetHeaderRoute) (string, error) {
	var out []Condition
	for _, m := range route.Match {
		exact := ""
		if m.HeaderValue != nil {
			exact = m.HeaderValue.Exact
		}
		merged := false
		for i := range out {
			if out[i].HttpHeaderConfig.HttpHeaderName == m.HeaderName {
				out[i].HttpHeaderConfig.Values = append(out[i].HttpHeaderConfig.Values, exact)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, Condition{Field: "http-header", HttpHeaderConfig: HttpHeaderConfig{HttpHeaderName: m.HeaderName, Values: []string{exact}}})
		}
	}
	return marshal(out)
}

// managed updates the managed-annotations record of rollout in ann: keys
// are added (add) or removed.
func managed(ann map[string]string, rollout string, add bool, keys ...string) error {
	m := map[string][]string{}
	if s := ann[ManagedAnnotations]; s != "" {
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return fmt.Errorf("annotation %s: %w", ManagedAnnotations, err)
		}
	}
	list := m[rollout]
	for _, k := range keys {
		i := indexOf(list, k)
		switch {
		case add && i < 0:
			list = append(list, k)
		case !add && i >= 0:
			list = append(list[:i], list[i+1:]...)
		}
	}
	if list == nil {
		list = []string{}
	}
	m[rollout] = list
	s, err := marshal(m)
	if err != nil {
		return err
	}
	ann[ManagedAnnotations] = s
	return nil
}

func indexOf(list []string, k string) int {
	for i, v := range list {
		if v == k {
			return i
		}
	}
	return -1
}
