package ambassador

import (
	"context"
	"fmt"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	ambrouter "github.com/rollsim/rollsim/controller/trafficrouting/ambassador"
	"github.com/rollsim/rollsim/sim/traffic"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Reader reads Mappings into a traffic.Routing.
type Reader struct{}

// Name implements traffic.RouterReader.
func (Reader) Name() string { return "ambassador" }

func get(ctx context.Context, env traffic.Env, name string) (*unstructured.Unstructured, error) {
	return traffic.GetObject(ctx, env, name, ambrouter.GVK)
}

// ServiceName is the Kubernetes Service a Mapping's service names:
// "[scheme://]name[.namespace][:port]".
func ServiceName(s string) string {
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, ":")
	s, _, _ = strings.Cut(s, ".")
	return s
}

// Read implements traffic.RouterReader.
func (Reader) Read(ctx context.Context, env traffic.Env, ro *v1alpha1.Rollout) (*traffic.Routing, error) {
	ms := ro.Spec.Strategy.Canary.TrafficRouting.Ambassador.Mappings
	if len(ms) == 0 {
		return nil, nil
	}
	base, err := get(ctx, env, ms[0])
	if err != nil || base == nil {
		return nil, err
	}
	rt := &traffic.Routing{}
	dest := func(m *unstructured.Unstructured, w float64) error {
		svc, _, _ := unstructured.NestedString(m.Object, "spec", "service")
		b, err := env.Service(ServiceName(svc))
		if err != nil {
			return err
		}
		if b.Missing {
			rt.Notes = append(rt.Notes, fmt.Sprintf("Mapping %s: service %s does not exist", m.GetName(), svc))
		}
		rt.Default = append(rt.Default, traffic.Destination{Backend: b, Weight: w})
		return nil
	}
	canary, err := get(ctx, env, ambrouter.CanaryName(ms[0]))
	if err != nil {
		return nil, err
	}
	cw := 0.0
	if canary != nil {
		if sameRoute(base, canary) {
			cw = min(100, max(0, float64(ambrouter.Weight(canary))))
			if err := dest(canary, cw); err != nil {
				return nil, err
			}
		} else {
			rt.Notes = append(rt.Notes, fmt.Sprintf("Mapping %s has another prefix or host than %s: it takes none of its requests", canary.GetName(), base.GetName()))
		}
	}
	return rt, dest(base, 100-cw)
}

// sameRoute: Emissary groups Mappings with the same prefix and host.
func sameRoute(a, b *unstructured.Unstructured) bool {
	for _, f := range []string{"prefix", "host", "hostname"} {
		x, _, _ := unstructured.NestedString(a.Object, "spec", f)
		y, _, _ := unstructured.NestedString(b.Object, "spec", f)
		if x != y {
			return false
		}
	}
	return true
}
