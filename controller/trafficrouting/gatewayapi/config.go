package gatewayapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PluginName is the plugin's name in trafficRouting.plugins.
const PluginName = "argoproj-labs/gatewayAPI"

// The plugin's default in-progress label.
const (
	DefaultInProgressLabelKey   = "rollouts.argoproj.io/gatewayapi-canary"
	DefaultInProgressLabelValue = "in-progress"
)

// RouteRef names one route the plugin controls; UseHeaderRoutes says
// whether setHeaderRoute adds its managed rules to it.
type RouteRef struct {
	Name            string `json:"name"`
	UseHeaderRoutes bool   `json:"useHeaderRoutes,omitempty"`
}

// Config is the plugin's configuration, the JSON under
// trafficRouting.plugins["argoproj-labs/gatewayAPI"], decoded strictly.
type Config struct {
	HTTPRoute  string     `json:"httpRoute,omitempty"`
	GRPCRoute  string     `json:"grpcRoute,omitempty"`
	TCPRoute   string     `json:"tcpRoute,omitempty"`
	TLSRoute   string     `json:"tlsRoute,omitempty"`
	Namespace  string     `json:"namespace,omitempty"`
	HTTPRoutes []RouteRef `json:"httpRoutes,omitempty"`
	GRPCRoutes []RouteRef `json:"grpcRoutes,omitempty"`
	TCPRoutes  []RouteRef `json:"tcpRoutes,omitempty"`
	TLSRoutes  []RouteRef `json:"tlsRoutes,omitempty"`

	HTTPRouteSelector *metav1.LabelSelector `json:"httpRouteSelector,omitempty"`
	GRPCRouteSelector *metav1.LabelSelector `json:"grpcRouteSelector,omitempty"`
	TCPRouteSelector  *metav1.LabelSelector `json:"tcpRouteSelector,omitempty"`
	TLSRouteSelector  *metav1.LabelSelector `json:"tlsRouteSelector,omitempty"`

	DisableInProgressLabel bool   `json:"disableInProgressLabel,omitempty"`
	InProgressLabelKey     string `json:"inProgressLabelKey,omitempty"`
	InProgressLabelValue   string `json:"inProgressLabelValue,omitempty"`

	// ConfigMap is where plugin versions before v0.13 kept their managed
	// routes; later versions ignore it. Accepted so manifests written for
	// them still load.
	ConfigMap string `json:"configMap,omitempty"`
}

// ErrUnknownField marks configuration the plugin would silently ignore:
// rollsim refuses it (docs/fidelity.md).
var ErrUnknownField = errors.New("unknown field")

// ConfigPath is the configuration's field path in the Rollout.
const ConfigPath = `spec.strategy.canary.trafficRouting.plugins["` + PluginName + `"]`

// ParseConfig decodes ro's plugin configuration strictly into Config, with
// the plugin's defaults: the namespace is the rollout's, and the singular
// httpRoute/grpcRoute/tcpRoute/tlsRoute join their lists with header routes
// on. An unknown field wraps ErrUnknownField; any other error is the
// plugin's own (a type mismatch, a route without a name).
func ParseConfig(ro *v1alpha1.Rollout) (*Config, error) {
	raw := ro.Spec.Strategy.Canary.TrafficRouting.Plugins[PluginName]
	cfg := &Config{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cfg); err != nil {
			if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
				return nil, fmt.Errorf("%s: %w %s (the plugin's fields: %s)", ConfigPath, ErrUnknownField, field, knownFields)
			}
			return nil, err
		}
	}
	if cfg.Namespace == "" {
		cfg.Namespace = ro.Namespace
	}
	for _, s := range []struct {
		one  string
		list *[]RouteRef
	}{{cfg.HTTPRoute, &cfg.HTTPRoutes}, {cfg.GRPCRoute, &cfg.GRPCRoutes}, {cfg.TCPRoute, &cfg.TCPRoutes}, {cfg.TLSRoute, &cfg.TLSRoutes}} {
		if s.one != "" {
			*s.list = append(*s.list, RouteRef{Name: s.one, UseHeaderRoutes: true})
		}
	}
	for _, k := range kinds {
		for i, r := range *k.refs(cfg) {
			if r.Name == "" {
				// The plugin's validator (go-playground/validator) message.
				return nil, fmt.Errorf("Key: 'GatewayAPITrafficRouting.%s[%d].Name' Error:Field validation for 'Name' failed on the 'required' tag", k.goField, i)
			}
		}
	}
	return cfg, nil
}

const knownFields = "httpRoute, httpRoutes, grpcRoute, grpcRoutes, tcpRoute, tcpRoutes, tlsRoute, tlsRoutes, namespace, " +
	"httpRouteSelector, grpcRouteSelector, tcpRouteSelector, tlsRouteSelector, disableInProgressLabel, " +
	"inProgressLabelKey, inProgressLabelValue, configMap; each route: name, useHeaderRoutes"

func (c *Config) labelKey() string {
	if c.InProgressLabelKey != "" {
		return c.InProgressLabelKey
	}
	return DefaultInProgressLabelKey
}

func (c *Config) labelValue() string {
	if c.InProgressLabelValue != "" {
		return c.InProgressLabelValue
	}
	return DefaultInProgressLabelValue
}
