package cluster

import (
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Default fills in what the API server's defaulting fills in for the
// objects whose content a decision reads: a Deployment (its
// pod template is what a Rollout with a workloadRef copies and hashes, so
// the pod-template-hash and the ReplicaSet names depend on these
// defaults), and a Secret (stringData merged into data, which Argo reads
// for secretKeyRef args). Other objects are left alone. The fake backend has no
// defaulting of its own; the envtest backend's server does the same, so
// calling Default before a write is a no-op there. A test checks these
// defaults against the real server's (docs/fidelity.md).
//
// A Rollout's template is CRD content: the server applies only the defaults
// the upstream CRD declares. Of those, the ones a Go value can tell from
// absent are a port's protocol (TCP), a gRPC probe's service ("") and a
// file key reference's optional (false).
func Default(obj client.Object) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		defaultDeployment(o)
	case *appsv1.ReplicaSet:
		// The server defaults a ReplicaSet's pod template as a
		// Deployment's; an experiment copies and hashes the new
		// ReplicaSet's template, so its hash depends on them.
		defaultPodSpec(&o.Spec.Template.Spec)
	case *v1alpha1.Rollout:
		defaultRolloutTemplate(&o.Spec.Template.Spec)
	case *corev1.Secret:
		// The API server merges stringData into data (stringData wins) and
		// never stores it.
		for k, v := range o.StringData {
			if o.Data == nil {
				o.Data = map[string][]byte{}
			}
			o.Data[k] = []byte(v)
		}
		o.StringData = nil
	}
}

func defaultRolloutTemplate(p *corev1.PodSpec) {
	eachContainer(p, func(c *corev1.Container) {
		declaredDefaults(c)
		for i := range c.Env {
			if vf := c.Env[i].ValueFrom; vf != nil && vf.FileKeyRef != nil && vf.FileKeyRef.Optional == nil {
				f := false
				vf.FileKeyRef.Optional = &f
			}
		}
	})
}

// declaredDefaults are the defaults the container types declare that a Go
// value can tell from absent: a port's protocol and a gRPC probe's service.
// Built-in defaulting and the Rollout CRD both apply them.
func declaredDefaults(c *corev1.Container) {
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = corev1.ProtocolTCP
		}
	}
	for _, pr := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if pr != nil && pr.GRPC != nil && pr.GRPC.Service == nil {
			empty := ""
			pr.GRPC.Service = &empty
		}
	}
}

// eachContainer calls fn for every container of a pod spec: init, regular
// and ephemeral.
func eachContainer(p *corev1.PodSpec, fn func(*corev1.Container)) {
	for i := range p.InitContainers {
		fn(&p.InitContainers[i])
	}
	for i := range p.Containers {
		fn(&p.Containers[i])
	}
	for i := range p.EphemeralContainers {
		c := corev1.Container(p.EphemeralContainers[i].EphemeralContainerCommon)
		fn(&c)
		p.EphemeralContainers[i].EphemeralContainerCommon = corev1.EphemeralContainerCommon(c)
	}
}

func defaultDeployment(d *appsv1.Deployment) {
	s := &d.Spec
	if s.Replicas == nil {
		one := int32(1)
		s.Replicas = &one
	}
	if s.Strategy.Type == "" {
		s.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if s.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		q := intstr.FromString("25%")
		if s.Strategy.RollingUpdate.MaxUnavailable == nil {
			v := q
			s.Strategy.RollingUpdate.MaxUnavailable = &v
		}
		if s.Strategy.RollingUpdate.MaxSurge == nil {
			v := q
			s.Strategy.RollingUpdate.MaxSurge = &v
		}
	}
	if s.RevisionHistoryLimit == nil {
		v := int32(10)
		s.RevisionHistoryLimit = &v
	}
	if s.ProgressDeadlineSeconds == nil {
		v := int32(600)
		s.ProgressDeadlineSeconds = &v
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultPodSpec(p *corev1.PodSpec) {
	if p.RestartPolicy == "" {
		p.RestartPolicy = corev1.RestartPolicyAlways
	}
	if p.TerminationGracePeriodSeconds == nil {
		v := int64(30)
		p.TerminationGracePeriodSeconds = &v
	}
	if p.DNSPolicy == "" {
		p.DNSPolicy = corev1.DNSClusterFirst
	}
	if p.SecurityContext == nil {
		p.SecurityContext = &corev1.PodSecurityContext{}
	}
	if p.SchedulerName == "" {
		p.SchedulerName = corev1.DefaultSchedulerName
	}
	mode := int32(0o644)
	for i := range p.Volumes {
		v := &p.Volumes[i].VolumeSource
		switch {
		case v.Secret != nil && v.Secret.DefaultMode == nil:
			m := mode
			v.Secret.DefaultMode = &m
		case v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil:
			m := mode
			v.ConfigMap.DefaultMode = &m
		case v.DownwardAPI != nil && v.DownwardAPI.DefaultMode == nil:
			m := mode
			v.DownwardAPI.DefaultMode = &m
		case v.Projected != nil && v.Projected.DefaultMode == nil:
			m := mode
			v.Projected.DefaultMode = &m
		}
	}
	eachContainer(p, defaultContainer)
}

func defaultContainer(c *corev1.Container) {
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = pullPolicy(c.Image)
	}
	declaredDefaults(c)
	for i := range c.Env {
		if vf := c.Env[i].ValueFrom; vf != nil && vf.FieldRef != nil && vf.FieldRef.APIVersion == "" {
			vf.FieldRef.APIVersion = "v1"
		}
	}
	for _, pr := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		defaultProbe(pr)
	}
}

// pullPolicy is the server's default: Always for an image without a tag or
// tagged latest, IfNotPresent otherwise (a digest counts as a tag).
func pullPolicy(image string) corev1.PullPolicy {
	if strings.Contains(image, "@") {
		return corev1.PullIfNotPresent
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	if i < 0 || name[i+1:] == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if p.HTTPGet != nil && p.HTTPGet.Scheme == "" {
		p.HTTPGet.Scheme = corev1.URISchemeHTTP
	}
}
