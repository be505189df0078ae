package cluster

import (
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MetadataErrors is the API server's check of an object's metadata on
// create (apimachinery's ValidateObjectMetaAccessor, as every resource's
// strategy calls it): the name by the kind's rule, the namespace (a DNS-1123
// label, required for a namespaced kind, forbidden otherwise), labels,
// annotations, owner references and finalizers. The fake backend refuses
// what fails here, with the server's message; the envtest backend's server
// does it itself.
func MetadataErrors(gk schema.GroupKind, obj metav1.Object, namespaced bool) field.ErrorList {
	if gk == api.CRDGroupKind {
		return nil // a CRD's name is <plural>.<group>, checked by its own rule
	}
	if ns := obj.GetNamespace(); !namespaced && ns != "" {
		// The server clears the namespace of a cluster-scoped object
		// before it validates.
		obj.SetNamespace("")
		defer obj.SetNamespace(ns)
	}
	return validation.ValidateObjectMetaAccessor(obj, namespaced, nameRule(gk), field.NewPath("metadata"))
}

// nameRule is the rule the API server applies to names of kind gk: a
// DNS-1123 label for Namespaces, a DNS-1035 label for Services, a path
// segment for the RBAC kinds, a DNS-1123 subdomain for every other kind
// (the built-in ones rollsim's manifests hold, and custom resources).
func nameRule(gk schema.GroupKind) validation.ValidateNameFunc {
	switch {
	case gk.Group == "" && gk.Kind == "Namespace":
		return validation.ValidateNamespaceName
	case gk.Group == "" && gk.Kind == "Service":
		// A DNS-1123 label since Kubernetes 1.34 (RelaxedServiceNameValidation,
		// on by default in the servers rollsim's envtest runs), no
		// longer a DNS-1035 one.
		return validation.NameIsDNSLabel
	case gk.Group == "rbac.authorization.k8s.io":
		return path.ValidatePathSegmentName
	}
	return validation.NameIsDNSSubdomain
}

// SpecErrors is the API server's check of the parts of a spec that the
// simulation relies on, on create and update: a negative spec.replicas. A
// Rollout's CRD declares a scale subresource on .spec.replicas, so the
// server refuses a negative count ("should be a non-negative integer")
// before Argo could see it; the built-in workloads' validation refuses it
// too.
func SpecErrors(obj runtime.Object) field.ErrorList {
	var replicas *int32
	msg, path := "must be greater than or equal to 0", field.NewPath("spec", "replicas")
	switch o := obj.(type) {
	case *v1alpha1.Rollout:
		// The server names the field by the CRD's specReplicasPath.
		replicas, msg, path = o.Spec.Replicas, "should be a non-negative integer", field.NewPath(".spec.replicas")
	case *appsv1.Deployment:
		replicas = o.Spec.Replicas
	case *appsv1.ReplicaSet:
		replicas = o.Spec.Replicas
	case *appsv1.StatefulSet:
		replicas = o.Spec.Replicas
	}
	if replicas != nil && *replicas < 0 {
		return field.ErrorList{field.Invalid(path, *replicas, msg)}
	}
	return nil
}
