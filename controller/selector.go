package controller

import (
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func metav1LabelSelectorAsSelector(ro *v1alpha1.Rollout) (labels.Selector, error) {
	return metav1.LabelSelectorAsSelector(ro.Spec.Selector)
}
