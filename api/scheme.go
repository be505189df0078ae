package api

import (
	rolloutsv1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// NewScheme returns a scheme with the Kubernetes built-in types and the
// argoproj.io/v1alpha1 types (Rollout, AnalysisTemplate,
// ClusterAnalysisTemplate, AnalysisRun, Experiment) registered.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(rolloutsv1alpha1.AddToScheme(s))
	return s
}

// Scheme is a shared, read-only scheme for decoding and encoding.
var Scheme = NewScheme()
