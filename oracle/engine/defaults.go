package engine

import (
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	appsdefaults "k8s.io/kubernetes/pkg/apis/apps/v1"
)

// defaultObject applies the API server's defaulting to an object before it
// is stored: Kubernetes' own defaulting for a Deployment (a workloadRef
// rollout copies and hashes its pod template, so the ReplicaSet names
// depend on it), and for a Rollout the defaults Argo's CRD schema declares
// that a Go value can tell from absent (a port's protocol, a gRPC probe's
// service, a file key reference's optional).
func defaultObject(obj runtime.Object) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		appsdefaults.SetObjectDefaults_Deployment(o)
	case *v1alpha1.Rollout:
		defaultRolloutTemplate(&o.Spec.Template.Spec)
	case *batchv1.Job:
		defaultJob(o)
	}
}

// defaultJob is the API server's Job defaulting that Argo's Job provider
// reads: a selector on the controller-uid label, and the labels on the pod
// template (it lists a Job's pods by that selector).
func defaultJob(j *batchv1.Job) {
	if j.Spec.Selector != nil {
		return
	}
	uid := string(j.UID)
	j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": uid}}
	if j.Spec.Template.Labels == nil {
		j.Spec.Template.Labels = map[string]string{}
	}
	for k, v := range map[string]string{"batch.kubernetes.io/controller-uid": uid, "controller-uid": uid,
		"batch.kubernetes.io/job-name": j.Name, "job-name": j.Name} {
		j.Spec.Template.Labels[k] = v
	}
}

func defaultRolloutTemplate(p *corev1.PodSpec) {
	empty, no := "", false
	probe := func(pr *corev1.Probe) {
		if pr != nil && pr.GRPC != nil && pr.GRPC.Service == nil {
			pr.GRPC.Service = &empty
		}
	}
	each := func(c *corev1.Container) {
		for i := range c.Ports {
			if c.Ports[i].Protocol == "" {
				c.Ports[i].Protocol = corev1.ProtocolTCP
			}
		}
		probe(c.LivenessProbe)
		probe(c.ReadinessProbe)
		probe(c.StartupProbe)
		for i := range c.Env {
			if vf := c.Env[i].ValueFrom; vf != nil && vf.FileKeyRef != nil && vf.FileKeyRef.Optional == nil {
				vf.FileKeyRef.Optional = &no
			}
		}
	}
	for i := range p.InitContainers {
		each(&p.InitContainers[i])
	}
	for i := range p.Containers {
		each(&p.Containers[i])
	}
}
