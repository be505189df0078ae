package engine

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/record"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8srecord "k8s.io/client-go/tools/record"
)

// observe turns controller writes into the timeline records rollsim's
// output has (docs/output.md): created, scaled, step, phase, deleted.
func (e *Engine) observe(gvr schema.GroupVersionResource, verb string, old, obj runtime.Object) {
	actor := e.actorOr(actorUser)
	if actor == actorCluster {
		return
	}
	switch gvr.Resource {
	case "replicasets":
		switch verb {
		case "create":
			rs := obj.(*appsv1.ReplicaSet)
			e.record(actor, "replicaset/"+rs.Name, "created", "NewReplicaSetCreated",
				fmt.Sprintf("Created ReplicaSet %s (revision %s) with image %s", rs.Name, rs.Annotations["rollout.argoproj.io/revision"], images(rs)))
			if n := replicas(rs); n != 0 {
				e.record(actor, "replicaset/"+rs.Name, "scaled", "ScalingReplicaSet", fmt.Sprintf("0 → %d", n))
			}
		case "update":
			o, n := old.(*appsv1.ReplicaSet), obj.(*appsv1.ReplicaSet)
			if replicas(o) != replicas(n) {
				e.record(actor, "replicaset/"+n.Name, "scaled", "ScalingReplicaSet", fmt.Sprintf("%d → %d", replicas(o), replicas(n)))
			}
		case "delete":
			e.record(actor, "replicaset/"+old.(*appsv1.ReplicaSet).Name, "deleted", "RevisionHistoryLimit", "")
		}
	case "analysisruns":
		switch verb {
		case "create":
			ar := obj.(*v1alpha1.AnalysisRun)
			e.record(actor, "analysisrun/"+ar.Name, "created", "AnalysisRunCreated", "")
		case "update":
			o, n := old.(*v1alpha1.AnalysisRun), obj.(*v1alpha1.AnalysisRun)
			if o.Status.Phase != n.Status.Phase && n.Status.Phase != "" {
				e.record(actor, "analysisrun/"+n.Name, "phase", "AnalysisRun"+string(n.Status.Phase),
					strings.TrimSuffix(string(n.Status.Phase)+": "+n.Status.Message, ": "))
			}
			for _, m := range n.Status.MetricResults {
				if prev := metricResult(o, m.Name); prev == nil || prev.Count+prev.Failed+prev.Error+prev.Inconclusive != m.Count+m.Failed+m.Error+m.Inconclusive || prev.Phase != m.Phase {
					if len(m.Measurements) > 0 {
						last := m.Measurements[len(m.Measurements)-1]
						if last.Phase != v1alpha1.AnalysisPhaseRunning {
							e.record(actor, "analysisrun/"+n.Name, "measured", "MetricMeasured",
								fmt.Sprintf("%s → %s %s", m.Name, last.Phase, last.Value))
						}
					}
				}
			}
		case "delete":
			e.record(actor, "analysisrun/"+old.(*v1alpha1.AnalysisRun).Name, "deleted", "AnalysisRunDeleted", "")
		}
	case "experiments":
		switch verb {
		case "create":
			e.record(actor, "experiment/"+obj.(*v1alpha1.Experiment).Name, "created", "ExperimentCreated", "")
		case "update":
			o, n := old.(*v1alpha1.Experiment), obj.(*v1alpha1.Experiment)
			if o.Status.Phase != n.Status.Phase && n.Status.Phase != "" {
				e.record(actor, "experiment/"+n.Name, "phase", "Experiment"+string(n.Status.Phase),
					strings.TrimSuffix(string(n.Status.Phase)+": "+n.Status.Message, ": "))
			}
		case "delete":
			e.record(actor, "experiment/"+old.(*v1alpha1.Experiment).Name, "deleted", "ExperimentDeleted", "")
		}
	case "rollouts":
		if verb != "update" {
			return
		}
		o, n := old.(*v1alpha1.Rollout), obj.(*v1alpha1.Rollout)
		if !reflect.DeepEqual(o.Status.CurrentStepIndex, n.Status.CurrentStepIndex) {
			e.record(actor, "rollout/"+n.Name, "step", "StepIndex", fmt.Sprintf("step index %s → %s", idx(o.Status.CurrentStepIndex), idx(n.Status.CurrentStepIndex)))
		}
		if o.Status.Phase != n.Status.Phase || o.Status.Message != n.Status.Message {
			e.record(actor, "rollout/"+n.Name, "phase", string(n.Status.Phase), n.Status.Message)
		}
	}
}

func metricResult(ar *v1alpha1.AnalysisRun, name string) *v1alpha1.MetricResult {
	for i := range ar.Status.MetricResults {
		if ar.Status.MetricResults[i].Name == name {
			return &ar.Status.MetricResults[i]
		}
	}
	return nil
}

func idx(p *int32) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func replicas(rs *appsv1.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}

func images(rs *appsv1.ReplicaSet) string {
	var out []string
	for _, c := range rs.Spec.Template.Spec.Containers {
		out = append(out, c.Image)
	}
	return strings.Join(out, ",")
}

// Event reasons that are decisions, with rollsim's verb for them.
var eventVerbs = map[string]string{
	"RolloutAborted":       "aborted",
	"RolloutCompleted":     "promoted",
	"RolloutPaused":        "paused",
	"RolloutResumed":       "resumed",
	"SwitchService":        "selector",
	"TrafficWeightUpdated": "weight",
	"InvalidSpec":          "condition",
}

// Events the timeline already has from the writes they describe.
var eventSkip = map[string]bool{"ScalingReplicaSet": true, "NewReplicaSetCreated": true, "AnalysisRunCreated": true,
	"ExperimentCreated":      true,
	"RolloutAddedToInformer": true}

var serviceName = regexp.MustCompile(`service '([^']+)'`)

// event records a Kubernetes event a controller emitted.
func (e *Engine) event(obj runtime.Object, reason, msg string) {
	if eventSkip[reason] {
		return
	}
	object := objectName(obj)
	verb, ok := eventVerbs[reason]
	if !ok {
		verb = "event"
	}
	if reason == "SwitchService" {
		if m := serviceName.FindStringSubmatch(msg); m != nil {
			object = "service/" + m[1]
		}
	}
	e.record(e.actorOr(actorRollout), object, verb, reason, msg)
}

func objectName(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return "unknown"
	}
	kind := ""
	switch obj.(type) {
	case *v1alpha1.Rollout:
		kind = "rollout"
	case *v1alpha1.AnalysisRun:
		kind = "analysisrun"
	case *appsv1.ReplicaSet:
		kind = "replicaset"
	case *v1alpha1.Experiment:
		kind = "experiment"
	default:
		kind = strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", obj), "*"))
		kind = kind[strings.LastIndexByte(kind, '.')+1:]
	}
	return kind + "/" + m.GetName()
}

// recorder is Argo's EventRecorder writing to the timeline.
type recorder struct{ e *Engine }

func (r *recorder) Eventf(obj runtime.Object, opts record.EventOptions, format string, args ...any) {
	r.e.event(obj, opts.EventReason, fmt.Sprintf(format, args...))
}

func (r *recorder) Warnf(obj runtime.Object, opts record.EventOptions, format string, args ...any) {
	r.e.event(obj, opts.EventReason, fmt.Sprintf(format, args...))
}

func (r *recorder) K8sRecorder() k8srecord.EventRecorder { return k8sRecorder{e: r.e} }

type k8sRecorder struct{ e *Engine }

func (k k8sRecorder) Event(obj runtime.Object, _, reason, msg string) { k.e.event(obj, reason, msg) }
func (k k8sRecorder) Eventf(obj runtime.Object, _, reason, format string, args ...any) {
	k.e.event(obj, reason, fmt.Sprintf(format, args...))
}
func (k k8sRecorder) AnnotatedEventf(obj runtime.Object, _ map[string]string, _, reason, format string, args ...any) {
	k.e.event(obj, reason, fmt.Sprintf(format, args...))
}
