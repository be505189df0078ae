package openshift

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PluginName is the plugin's name in trafficRouting.plugins.
const PluginName = "argoproj-labs/openshift"

// ConfigPath is the configuration's field path in the Rollout.
const ConfigPath = `spec.strategy.canary.trafficRouting.plugins["` + PluginName + `"]`

// RouteGVK is the OpenShift Route's kind.
var RouteGVK = schema.GroupVersionKind{Group: "route.openshift.io", Version: "v1", Kind: "Route"}

// Config is the plugin's configuration, decoded strictly.
type Config struct {
	// Routes are route names, or namespace/name.
	Routes []string `json:"routes"`
	// Namespace appears in the plugin's README and tests but the plugin
	// does not read it; accepted and ignored, as the plugin does.
	Namespace string `json:"namespace,omitempty"`
}

// ErrUnknownField marks configuration the plugin would silently ignore.
var ErrUnknownField = errors.New("unknown field")

// ParseConfig decodes ro's plugin configuration strictly. An unknown field
// wraps ErrUnknownField; any other error is the plugin's own.
func ParseConfig(ro *v1alpha1.Rollout) (*Config, error) {
	raw := bytes.TrimSpace(ro.Spec.Strategy.Canary.TrafficRouting.Plugins[PluginName])
	cfg := &Config{}
	if len(raw) == 0 {
		return nil, errors.New("unexpected end of JSON input")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return nil, fmt.Errorf("%s: %w %s (the plugin's fields: routes, namespace)", ConfigPath, ErrUnknownField, field)
		}
		return nil, err
	}
	return cfg, nil
}

// RouteKey is where the plugin reads a configured route: "ns/name" names
// its namespace, else the rollout's.
func RouteKey(ro *v1alpha1.Rollout, route string) types.NamespacedName {
	if ns, name, ok := strings.Cut(route, "/"); ok {
		return types.NamespacedName{Namespace: ns, Name: strings.Split(name, "/")[0]}
	}
	return types.NamespacedName{Namespace: ro.Namespace, Name: route}
}

// GetRoute reads one Route.
func GetRoute(ctx context.Context, c client.Client, key types.NamespacedName) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(RouteGVK)
	if err := c.Get(ctx, key, u); err != nil {
		return nil, err
	}
	return u, nil
}

// Router is the OpenShift Route plugin of one Rollout.
type Router struct {
	d      trafficrouting.Deps
	cfg    *Config
	cfgErr error
}

// New builds the plugin for d.Rollout; an unknown configuration field is
// refused (an InvalidSpec).
func New(d trafficrouting.Deps) (trafficrouting.Router, error) {
	cfg, err := ParseConfig(d.Rollout)
	if errors.Is(err, ErrUnknownField) {
		return nil, err
	}
	return &Router{d: d, cfg: cfg, cfgErr: err}, nil
}

// Type implements trafficrouting.Router: the plugin's type.
func (r *Router) Type() string { return "Openshift" }

// UpdateHash implements trafficrouting.Router: nothing to do.
func (r *Router) UpdateHash(context.Context, string, string, ...v1alpha1.WeightDestination) error {
	return nil
}

// SetHeaderRoute implements trafficrouting.Router: the plugin does nothing.
func (r *Router) SetHeaderRoute(context.Context, *v1alpha1.SetHeaderRoute) error { return nil }

// SetMirrorRoute implements trafficrouting.Router: the plugin does nothing.
func (r *Router) SetMirrorRoute(context.Context, *v1alpha1.SetMirrorRoute) error { return nil }

// VerifyWeight implements trafficrouting.Router: not implemented by the
// plugin.
func (r *Router) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// RemoveManagedRoutes implements trafficrouting.Router: there are none.
func (r *Router) RemoveManagedRoutes(context.Context) error { return nil }

// SetWeight implements trafficrouting.Router.
func (r *Router) SetWeight(ctx context.Context, w int32, _ ...v1alpha1.WeightDestination) error {
	cs := r.d.Rollout.Spec.Strategy.Canary
	if cs.StableService == "" || cs.CanaryService == "" {
		return pluginError(errors.New("illegal parameter(s)"))
	}
	if r.cfgErr != nil {
		return pluginError(r.cfgErr)
	}
	for _, route := range r.cfg.Routes {
		if err := r.updateRoute(ctx, route, w); err != nil {
			return pluginError(err)
		}
	}
	return nil
}

func pluginError(err error) error {
	return fmt.Errorf("failed to set weight via plugin: %s", err.Error())
}

// updateRoute is the plugin's updateRoute: nothing when spec.to already has
// 100 - weight; else spec.to.weight and the canary as the only alternate
// backend (none at weight 0). The plugin writes the Route back in the
// rollout's namespace, so a Route of another namespace is refused by the
// API server.
func (r *Router) updateRoute(ctx context.Context, route string, w int32) error {
	key := RouteKey(r.d.Rollout, route)
	u, err := GetRoute(ctx, r.d.Client, key)
	if err != nil {
		return err
	}
	alt := int64(100 - w)
	if ToWeight(u) == alt {
		return nil
	}
	if err := unstructured.SetNestedField(u.Object, alt, "spec", "to", "weight"); err != nil {
		return fmt.Errorf("route %s: spec.to: %w", key, err)
	}
	if w == 0 {
		unstructured.RemoveNestedField(u.Object, "spec", "alternateBackends")
	} else {
		backends := []any{map[string]any{"kind": "Service", "name": r.d.Rollout.Spec.Strategy.Canary.CanaryService, "weight": int64(w)}}
		if err := unstructured.SetNestedSlice(u.Object, backends, "spec", "alternateBackends"); err != nil {
			return fmt.Errorf("route %s: spec.alternateBackends: %w", key, err)
		}
	}
	if key.Namespace != r.d.Rollout.Namespace {
		return errors.New("the namespace of the provided object does not match the namespace sent on the request")
	}
	for _, f := range []struct {
		path string
		v    int64
	}{{"spec.to.weight", alt}, {"spec.alternateBackends[0].weight", int64(w)}} {
		if f.v < 0 || f.v > 256 {
			return fmt.Errorf("Route.route.openshift.io %q is invalid: %s: Invalid value: %d: weight must be an integer between 0 and 256", key.Name, f.path, f.v)
		}
	}
	return r.d.Client.Update(ctx, u)
}

// ToWeight is spec.to.weight, 100 when unset (the API server's default).
func ToWeight(u *unstructured.Unstructured) int64 {
	v, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "to", "weight")
	if !found {
		return 100
	}
	return Int(v, 100)
}

// Int is a JSON number as int64, def when it is none.
func Int(v any, def int64) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	}
	return def
}
