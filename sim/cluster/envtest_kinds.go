package cluster

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/api"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Kinds outside the scheme on the envtest server.
//
// A real API server stores only kinds some CRD declares. So, for a scenario
// on envtest, a CustomResourceDefinition in the manifests is installed on
// the server as written (under its own name: CRDs are not renamed per
// scenario, and scenarios of one process share them), and every other kind
// outside the scheme that the server does not serve gets a permissive CRD
// (namespaced, every version it is used at served, the first stored, a
// schema of type object with x-kubernetes-preserve-unknown-fields), so that
// its objects can be stored as the fake backend stores them
// (docs/envtest.md).

// InstallCRD installs a CustomResourceDefinition (an unstructured object
// as the manifests hold it) on the server, or updates the installed one, and
// waits until its kinds are served.
func (s *EnvtestServer) InstallCRD(obj runtime.Object) (*apiextensionsv1.CustomResourceDefinition, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("install CRD: expected an unstructured object, got %T", obj)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd); err != nil {
		return nil, fmt.Errorf("CustomResourceDefinition %s: %w", u.GetName(), err)
	}
	crd.ResourceVersion, crd.UID = "", ""
	s.kindsMu.Lock()
	defer s.kindsMu.Unlock()
	return s.install(crd)
}

func (s *EnvtestServer) install(crd *apiextensionsv1.CustomResourceDefinition) (*apiextensionsv1.CustomResourceDefinition, error) {
	out, err := envtest.InstallCRDs(s.cfg, envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{crd}})
	if err != nil {
		return nil, err
	}
	for _, v := range crd.Spec.Versions {
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		// The mapper learns the new kinds on its next miss.
		_, _ = s.base.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return crd, nil
}

// serves tells whether the server serves gvk.
func (s *EnvtestServer) serves(gvk schema.GroupVersionKind) bool {
	_, err := s.base.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	return err == nil
}

// EnsureKind makes the server serve gvk, a kind outside rollsim's scheme:
// nothing when it does, else a permissive CRD (added to, when the kind is
// served at other versions only).
func (s *EnvtestServer) EnsureKind(gvk schema.GroupVersionKind) error {
	if api.Scheme.Recognizes(gvk) || gvk.GroupKind() == api.CRDGroupKind || s.serves(gvk) {
		return nil
	}
	s.kindsMu.Lock()
	defer s.kindsMu.Unlock()
	if s.serves(gvk) {
		return nil
	}
	crd := s.permissive[gvk.GroupKind()]
	if crd == nil {
		plural := gvrOf(gvk).Resource
		crd = &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: plural + "." + gvk.Group,
				Annotations: map[string]string{"rollsim.dev/permissive": "a kind the manifests use and no CRD in them declares"}},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: gvk.Group,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: gvk.Kind, ListKind: gvk.Kind + "List",
					Plural: plural, Singular: strings.ToLower(gvk.Kind)},
				Scope: apiextensionsv1.NamespaceScoped,
			},
		}
		if g := gvk.Group; g == "k8s.io" || g == "kubernetes.io" || strings.HasSuffix(g, ".k8s.io") || strings.HasSuffix(g, ".kubernetes.io") {
			// A protected group (Gateway API, the autoscalers, …): the
			// server wants an approval annotation.
			crd.Annotations["api-approved.kubernetes.io"] = "unapproved, a permissive CRD of rollsim's envtest backend"
		}
	}
	preserve := true
	crd.Spec.Versions = append(crd.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{
		Name: gvk.Version, Served: true, Storage: len(crd.Spec.Versions) == 0,
		Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
			Type: "object", XPreserveUnknownFields: &preserve}},
	})
	sort.SliceStable(crd.Spec.Versions, func(i, j int) bool { return crd.Spec.Versions[i].Storage && !crd.Spec.Versions[j].Storage })
	if _, err := s.install(crd.DeepCopy()); err != nil {
		return fmt.Errorf("install a permissive CRD for %s: %w", gvk, err)
	}
	s.permissive[gvk.GroupKind()] = crd
	return nil
}

// InstallKinds makes the server serve every kind of objs (manifest
// objects): their CRDs installed as written, then a permissive CRD for each
// other kind outside the scheme that the server does not serve. The error
// of a CRD the server refuses names it.
func (s *EnvtestServer) InstallKinds(objs []runtime.Object) error {
	for _, o := range objs {
		if _, ok := api.ReadCRD(o); ok {
			if _, err := s.InstallCRD(o); err != nil {
				name := ""
				if acc, e := meta.Accessor(o); e == nil {
					name = acc.GetName()
				}
				return fmt.Errorf("install CustomResourceDefinition %s: %w", name, err)
			}
		}
	}
	for _, o := range objs {
		if _, ok := o.(runtime.Unstructured); ok {
			if err := s.EnsureKind(o.GetObjectKind().GroupVersionKind()); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyCRD is a scenario's create or update of a CustomResourceDefinition:
// installed on the server under its own name (not renamed per scenario),
// and kept in the scenario's cache as the scenario wrote it, with the
// server's uid and resourceVersion and the virtual creation time.
func (r *Remote) applyCRD(obj client.Object, op Op) error {
	installed, err := r.srv.InstallCRD(obj)
	if err != nil {
		return err
	}
	k := r.keyOf(obj)
	old := r.cache[k]
	switch {
	case op == OpCreate && old != nil:
		return apierrors.NewAlreadyExists(schema.GroupResource{Group: api.CRDGroupKind.Group, Resource: "customresourcedefinitions"}, obj.GetName())
	case old != nil:
		obj.SetCreationTimestamp(old.GetCreationTimestamp())
		obj.SetGeneration(old.GetGeneration() + 1)
	default:
		obj.SetCreationTimestamp(metav1.NewTime(r.now().UTC().Truncate(time.Second)))
		obj.SetGeneration(1)
	}
	obj.SetUID(installed.UID)
	obj.SetResourceVersion(installed.ResourceVersion)
	r.notify(op, old, obj)
	return nil
}

func isCRD(obj runtime.Object) bool {
	_, ok := api.ReadCRD(obj)
	return ok
}
