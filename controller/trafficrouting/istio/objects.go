package istio

import (
	"context"
	"fmt"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Group is Istio's networking API group.
const Group = "networking.istio.io"

// Versions are the networking.istio.io versions Istio serves, in the order
// they are tried (Argo's default is v1alpha3; every version is the same
// object in a real cluster).
var Versions = []string{"v1alpha3", "v1beta1", "v1"}

// Kinds.
const (
	KindVirtualService  = "VirtualService"
	KindDestinationRule = "DestinationRule"
)

// lastVersion remembers, per kind, the version a Get last found an object
// at, so the next Get tries it first: only a hint (every version is still
// tried), so results do not depend on it.
var lastVersion sync.Map // kind → version

// Get reads an Istio object at the first version the cluster holds it.
func Get(ctx context.Context, c client.Client, kind, namespace, name string) (*unstructured.Unstructured, error) {
	var last error
	order := Versions
	if v, ok := lastVersion.Load(kind); ok && v.(string) != Versions[0] {
		order = append([]string{v.(string)}, Versions...)
	}
	for _, v := range order {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: Group, Version: v, Kind: kind})
		err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, u)
		if err == nil {
			lastVersion.Store(kind, v)
			return u, nil
		}
		last = err
		if !apierrors.IsNotFound(err) && !isNoMatch(err) {
			return nil, err
		}
	}
	if apierrors.IsNotFound(last) || isNoMatch(last) {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: Group, Resource: strings.ToLower(kind) + "s"}, name)
	}
	return nil, last
}

func isNoMatch(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "no matches for kind") || strings.Contains(err.Error(), "no kind is registered"))
}

// SplitName is Argo's GetVirtualServiceNamespaceName: "name.namespace"
// (optionally ending .cluster.local) or a plain name.
func SplitName(ref string) (namespace, name string) {
	ref = strings.TrimSuffix(ref, ".cluster.local")
	fields := strings.Split(ref, ".")
	if len(fields) >= 2 {
		return fields[len(fields)-1], strings.Join(fields[:len(fields)-1], ".")
	}
	return "", ref
}

// ShortHost is the Service name of a destination host ("svc.ns.svc…" →
// "svc"), as Argo compares them.
func ShortHost(host string) string {
	if i := strings.Index(host, "."); i > 0 {
		return host[:i]
	} else if i == 0 {
		return ""
	}
	return host
}

// routeList is spec.<kind> of a VirtualService (http, tls or tcp), with
// whether the field exists.
func routeList(vs *unstructured.Unstructured, kind string) ([]any, bool, error) {
	l, found, err := unstructured.NestedSlice(vs.Object, "spec", kind)
	if err != nil {
		return nil, false, fmt.Errorf("VirtualService %s: spec.%s: %w", vs.GetName(), kind, err)
	}
	return l, found, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// number reads a JSON number (float64 after decoding, int64 in some
// clients) as an int64.
func number(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	}
	return 0
}
