package manifests

import (
	"encoding/json"
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"

	"github.com/rollsim/rollsim/api"
)

// Kinds outside rollsim's scheme.
//
// An object of a kind the scheme does not know is loaded as an
// *unstructured.Unstructured when some cluster could serve it: a kind in an
// API group with a dot in its name (as every CRD's group has) that is not
// one of the groups the scheme holds — networking.istio.io,
// gateway.networking.k8s.io, monitoring.coreos.com, …; and, in argoproj.io
// (shared by Argo CD, Workflows and Events), any kind that is not an Argo
// Rollouts kind at another version or a misspelling of one. Its metadata is
// checked strictly (it is the API server's ObjectMeta for every kind); the
// rest is kept as written, since only the kind's own schema could judge
// it.
//
// Every other unknown pair is an error, as before: a kind in a group without
// a dot ("", apps, batch: only Kubernetes itself serves those, and the
// scheme has all of its kinds), an unknown kind or version in a built-in
// group the scheme knows (networking.k8s.io/v1beta1 Ingress), a misspelt
// Rollouts kind, and a Kustomization.

// mustBeTyped tells whether gvk, unknown to the scheme, is an error rather
// than an unstructured object.
func mustBeTyped(gvk schema.GroupVersionKind) bool {
	switch {
	case !strings.Contains(gvk.Group, "."), gvk.Group == "kustomize.config.k8s.io":
		return true
	case gvk.Group == rolloutsGV.Group:
		kinds := objectKinds(rolloutsGV)
		return closest(gvk.Kind, kinds) != ""
	}
	return len(api.Scheme.PrioritizedVersionsForGroup(gvk.Group)) > 0
}

// metadataOnly is what every kind shares and the loader checks strictly.
type metadataOnly struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
}

var metadataOnlyType = reflect.TypeOf(&metadataOnly{})

// decodeUnstructured loads a document of a kind outside the scheme.
func (d *document) decodeUnstructured(jsonData []byte, top map[string]json.RawMessage, gvk schema.GroupVersionKind) ([]Object, []*Error) {
	if raw, ok := top["metadata"]; ok {
		md, _ := json.Marshal(map[string]json.RawMessage{"metadata": raw})
		var into metadataOnly
		var strictErrs []error
		err := safely(func() (e error) {
			strictErrs, e = kjson.UnmarshalStrict(md, &into)
			return e
		})
		if err != nil {
			return nil, []*Error{d.fatalError(err, md, jsonTree(md), metadataOnlyType)}
		}
		var errs []*Error
		for _, e := range strictErrs {
			errs = append(errs, d.strictError(e.Error(), jsonTree(md), metadataOnlyType))
		}
		if len(errs) > 0 {
			return nil, errs
		}
	}
	u := &unstructured.Unstructured{}
	if err := safely(func() error { return u.UnmarshalJSON(jsonData) }); err != nil {
		return nil, []*Error{d.errAt(nil, "cannot read the object: "+err.Error())}
	}
	u.SetGroupVersionKind(gvk)
	return []Object{{Obj: u, Source: Source{File: d.file, Line: d.line}, doc: d}}, nil
}

// IsUnstructured tells whether the object was loaded as an unstructured
// object (its kind is not in rollsim's scheme).
func (o Object) IsUnstructured() bool {
	_, ok := o.Obj.(*unstructured.Unstructured)
	return ok
}

// Namespaced tells whether obj is of a namespaced kind: every kind but the
// built-in cluster-scoped ones (api.BuiltinClusterScoped) and those that a
// CustomResourceDefinition among objs declares with scope Cluster. A kind
// that nobody declares is assumed namespaced, as most custom resources
// are.
func Namespaced(obj Object, objs []Object) bool {
	gk := obj.Obj.GetObjectKind().GroupVersionKind().GroupKind()
	if api.BuiltinClusterScoped(gk) {
		return false
	}
	if !obj.IsUnstructured() {
		return true
	}
	for _, o := range objs {
		if crd, ok := api.ReadCRD(o.Obj); ok && !crd.Namespaced {
			for _, k := range crd.Kinds {
				if k.GroupKind() == gk {
					return false
				}
			}
		}
	}
	return true
}

// DefaultNamespaces puts every object of a namespaced kind that names no
// namespace in ns, as kubectl apply -n ns would.
func DefaultNamespaces(objs []Object, ns string) {
	for _, o := range objs {
		if o.Obj.GetNamespace() == "" && Namespaced(o, objs) {
			o.Obj.SetNamespace(ns)
		}
	}
}
