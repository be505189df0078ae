package api

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CRDGroupKind is the kind of a CustomResourceDefinition. rollsim's scheme
// does not register it: a CRD in the manifests is read as an unstructured
// object (CRDKind reads it).
var CRDGroupKind = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// clusterScoped are the cluster-scoped kinds of the Kubernetes built-in API
// groups and of argoproj.io; every other built-in kind is namespaced.
var clusterScoped = map[schema.GroupKind]bool{
	{Kind: "Namespace"}:        true,
	{Kind: "Node"}:             true,
	{Kind: "PersistentVolume"}: true,
	{Kind: "ComponentStatus"}:  true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
	{Group: "storage.k8s.io", Kind: "VolumeAttributesClass"}:                          true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "networking.k8s.io", Kind: "IPAddress"}:                                   true,
	{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                                 true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle"}:                        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
	{Group: "resource.k8s.io", Kind: "DeviceClass"}:                                   true,
	{Group: "resource.k8s.io", Kind: "ResourceSlice"}:                                 true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "argoproj.io", Kind: "ClusterAnalysisTemplate"}:                           true,
}

// BuiltinClusterScoped tells whether gk is a cluster-scoped kind of the
// Kubernetes built-in groups (Namespace, ClusterRole, StorageClass, a
// CustomResourceDefinition, …) or ClusterAnalysisTemplate.
func BuiltinClusterScoped(gk schema.GroupKind) bool { return clusterScoped[gk] }

// CRDKind is what a CustomResourceDefinition declares about its kind.
type CRDKind struct {
	// Kinds are the kind at each version the CRD serves.
	Kinds []schema.GroupVersionKind
	// Namespaced is false for spec.scope Cluster.
	Namespaced bool
	// StatusSubresource: some version declares subresources.status.
	StatusSubresource bool
}

// ReadCRD reads a CustomResourceDefinition (an unstructured object of
// apiextensions.k8s.io); ok is false for any other object or a CRD without
// group and kind.
func ReadCRD(obj runtime.Object) (CRDKind, bool) {
	u, isU := obj.(*unstructured.Unstructured)
	if !isU || u.GroupVersionKind().GroupKind() != CRDGroupKind {
		return CRDKind{}, false
	}
	group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
	scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
	if group == "" || kind == "" {
		return CRDKind{}, false
	}
	out := CRDKind{Namespaced: scope != "Cluster"}
	versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
	for _, v := range versions {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(m, "name")
		if name == "" {
			continue
		}
		out.Kinds = append(out.Kinds, schema.GroupVersionKind{Group: group, Version: name, Kind: kind})
		if _, has, _ := unstructured.NestedMap(m, "subresources", "status"); has {
			out.StatusSubresource = true
		}
	}
	return out, true
}
