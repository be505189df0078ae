package gatewayapi

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Group is the Gateway API's API group.
const Group = "gateway.networking.k8s.io"

// Kind is one route kind the plugin controls.
type Kind struct {
	// Kind is the object kind ("HTTPRoute").
	Kind string
	// Versions are the API versions the route is read at: the plugin's
	// clientset version first, then the versions the same CRD also serves
	// (an API server converts between them; rollsim's store keeps the
	// version the manifest was written in).
	Versions []string
	// Lower is the kind as the plugin's messages spell it ("httpRoute").
	Lower string
	// Headers: setHeaderRoute adds managed rules to routes of this kind.
	Headers bool
	// SkipsManaged: SetWeight leaves the managed header rules alone and
	// needs both Services' backendRefs (HTTP, gRPC); TCP and TLS routes
	// weigh every backendRef of the Services.
	SkipsManaged bool

	goField  string
	refs     func(*Config) *[]RouteRef
	selector func(*Config) *metav1.LabelSelector
}

// kinds are the route kinds in the order the plugin visits them.
var kinds = []Kind{
	{Kind: "HTTPRoute", Versions: []string{"v1", "v1beta1"}, Lower: "httpRoute", Headers: true, SkipsManaged: true, goField: "HTTPRoutes",
		refs: func(c *Config) *[]RouteRef { return &c.HTTPRoutes }, selector: func(c *Config) *metav1.LabelSelector { return c.HTTPRouteSelector }},
	{Kind: "GRPCRoute", Versions: []string{"v1", "v1alpha2"}, Lower: "grpcRoute", Headers: true, SkipsManaged: true, goField: "GRPCRoutes",
		refs: func(c *Config) *[]RouteRef { return &c.GRPCRoutes }, selector: func(c *Config) *metav1.LabelSelector { return c.GRPCRouteSelector }},
	{Kind: "TCPRoute", Versions: []string{"v1alpha2"}, Lower: "tcpRoute", goField: "TCPRoutes",
		refs: func(c *Config) *[]RouteRef { return &c.TCPRoutes }, selector: func(c *Config) *metav1.LabelSelector { return c.TCPRouteSelector }},
	{Kind: "TLSRoute", Versions: []string{"v1alpha2"}, Lower: "tlsRoute", goField: "TLSRoutes",
		refs: func(c *Config) *[]RouteRef { return &c.TLSRoutes }, selector: func(c *Config) *metav1.LabelSelector { return c.TLSRouteSelector }},
}

// Kinds are the route kinds the plugin controls, in the order it visits
// them.
func Kinds() []Kind { return kinds }

// Refs are the routes of kind k that cfg names.
func (k Kind) Refs(cfg *Config) []RouteRef { return *k.refs(cfg) }

// notFound is the plugin's error when no backendRef names the Services.
func (k Kind) notFound() string {
	if k.SkipsManaged {
		return fmt.Sprintf("backendRef was not found in %s", k.Lower)
	}
	return fmt.Sprintf("backendRef list was not found in %s", k.Lower)
}

// refsNotFound is the plugin's error when the route's backendRefs do not
// name the Services, with where rollsim looked and what it found.
func (k Kind) refsNotFound(u *unstructured.Unstructured, rules []Rule, canary, stable string) error {
	var names []string
	seen := map[string]bool{}
	for _, r := range rules {
		for _, b := range BackendRefs(r) {
			if n := RefName(b); !seen[n] {
				seen[n] = true
				names = append(names, strconv.Quote(n))
			}
		}
	}
	found := "none"
	if len(names) > 0 {
		found = strings.Join(names, ", ")
	}
	return fmt.Errorf("%s (%s %s/%s spec.rules[].backendRefs must name the canaryService %q and the stableService %q; they name %s)",
		k.notFound(), k.Kind, u.GetNamespace(), u.GetName(), canary, stable, found)
}

// Get reads the route name of kind k in ns, at the first version the store
// has it; the error is the one for the plugin's own version.
func (k Kind) Get(ctx context.Context, c client.Client, ns, name string) (*unstructured.Unstructured, error) {
	var first error
	for _, v := range k.Versions {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: Group, Version: v, Kind: k.Kind})
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u)
		if err == nil {
			return u, nil
		}
		if first == nil {
			first = err
		}
		if !apierrors.IsNotFound(err) && !isNoMatch(err) {
			return nil, err
		}
	}
	return nil, first
}

// List lists the routes of kind k in ns whose labels sel selects, at every
// version, each route once, sorted by name.
func (k Kind) List(ctx context.Context, c client.Client, ns string, sel client.MatchingLabelsSelector) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	for _, v := range k.Versions {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(schema.GroupVersionKind{Group: Group, Version: v, Kind: k.Kind + "List"})
		if err := c.List(ctx, l, client.InNamespace(ns), sel); err != nil {
			if isNoMatch(err) || apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		for _, it := range l.Items {
			if !seen[it.GetName()] {
				seen[it.GetName()] = true
				names = append(names, it.GetName())
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

func isNoMatch(err error) bool {
	return meta.IsNoMatchError(err) || runtime.IsNotRegisteredError(err)
}
