package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// clusterSim is rollsim's cluster model (docs/fidelity.md, Cluster model):
// the ReplicaSet controller with pods that become Ready after their
// version's start-up delay, the Job controller with one pod per attempt and
// exponential back-off, and garbage collection. Pods are kept in memory:
// neither controller reads them for the supported scenarios.
type clusterSim struct {
	e       *Engine
	pods    map[string][]*pod // by ReplicaSet namespace/name
	podSeq  map[string]int
	dirtyRS map[string]bool
	jobs    map[string]*job
	jobSeq  map[string]int // attempts named per metric, as rollsim does
}

type pod struct {
	name    string
	seq     int
	readyAt *time.Time
	gone    bool
}

type job struct {
	ns, name, label string
	metric          string
	image           string
	startupMs       int64
	durationMs      int64
	succeed         bool
	why             string
	backoffLimit    int32
	failures        int32
	gone            bool
}

func newClusterSim(e *Engine) *clusterSim {
	return &clusterSim{e: e, pods: map[string][]*pod{}, podSeq: map[string]int{}, dirtyRS: map[string]bool{},
		jobs: map[string]*job{}, jobSeq: map[string]int{}}
}

func key(ns, name string) string { return ns + "/" + name }

// observe reacts to writes (the watch the real controllers would have).
func (c *clusterSim) observe(gvr schema.GroupVersionResource, verb string, old, obj runtime.Object) {
	switch gvr.Resource {
	case "replicasets":
		if verb == "delete" {
			rs := old.(*appsv1.ReplicaSet)
			for _, p := range c.pods[key(rs.Namespace, rs.Name)] {
				p.gone = true
			}
			delete(c.pods, key(rs.Namespace, rs.Name))
			delete(c.dirtyRS, key(rs.Namespace, rs.Name))
			return
		}
		rs := obj.(*appsv1.ReplicaSet)
		c.dirtyRS[key(rs.Namespace, rs.Name)] = true
	case "jobs":
		switch verb {
		case "create":
			c.startJob(obj.(*batchv1.Job))
		case "delete":
			j := old.(*batchv1.Job)
			if st, ok := c.jobs[key(j.Namespace, j.Name)]; ok {
				st.gone = true
				delete(c.jobs, key(j.Namespace, j.Name))
			}
		}
	case "analysisruns":
		if verb == "delete" {
			c.collect(old.(*v1alpha1.AnalysisRun).UID)
		}
	case "rollouts":
		if verb == "delete" {
			c.collect(old.(*v1alpha1.Rollout).UID)
		}
	}
}

// collect deletes the Jobs and ReplicaSets an owner owned.
func (c *clusterSim) collect(uid types.UID) {
	ctx := context.Background()
	e := c.e
	jobs, _ := e.kube.BatchV1().Jobs("").List(ctx, metav1.ListOptions{})
	for _, j := range jobs.Items {
		for _, ref := range j.OwnerReferences {
			if ref.UID == uid {
				_ = e.kube.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{})
			}
		}
	}
	rss, _ := e.kube.AppsV1().ReplicaSets("").List(ctx, metav1.ListOptions{})
	for _, rs := range rss.Items {
		for _, ref := range rs.OwnerReferences {
			if ref.UID == uid {
				_ = e.kube.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{})
			}
		}
	}
}

// step reconciles one dirty ReplicaSet; false when none is dirty.
func (c *clusterSim) step() bool {
	if len(c.dirtyRS) == 0 {
		return false
	}
	keys := sortedKeys(c.dirtyRS)
	k := keys[0]
	delete(c.dirtyRS, k)
	ns, name, _ := strings.Cut(k, "/")
	prev := c.e.actor
	c.e.actor = actorCluster
	defer func() { c.e.actor = prev }()
	if err := c.reconcileRS(ns, name); err != nil {
		c.e.fail("replicaset %s: %v", k, err)
	}
	return true
}

func (c *clusterSim) reconcileRS(ns, name string) error {
	e := c.e
	ctx := context.Background()
	rs, err := e.kube.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil // deleted meanwhile
	}
	k := key(ns, name)
	want := int(replicas(rs))
	pods := c.pods[k]
	image := ""
	if len(rs.Spec.Template.Spec.Containers) > 0 {
		image = rs.Spec.Template.Spec.Containers[0].Image
	}
	for len(pods) < want {
		p := &pod{name: fmt.Sprintf("%s-%d", name, c.podSeq[k]), seq: c.podSeq[k]}
		c.podSeq[k]++
		pods = append(pods, p)
		if v, ok := e.p.VersionOf(image); !ok || !e.p.Versions[v].NeverReady {
			startup := time.Duration(e.p.PodStartupMs(image)) * time.Millisecond
			e.schedule(e.Now().Add(startup), "pod ready", func() {
				if p.gone {
					return
				}
				t := e.Now()
				p.readyAt = &t
				e.record(actorCluster, "pod/"+p.name, "ready", "", "")
				c.dirtyRS[k] = true
				if mrs := rs.Spec.MinReadySeconds; mrs > 0 {
					e.schedule(t.Add(time.Duration(mrs)*time.Second), "pod available", func() { c.dirtyRS[k] = true })
				}
			})
		}
	}
	if len(pods) > want {
		// Not-ready pods first, then the most recently ready, then the newest.
		sort.SliceStable(pods, func(i, j int) bool {
			a, b := pods[i], pods[j]
			if (a.readyAt == nil) != (b.readyAt == nil) {
				return a.readyAt == nil
			}
			if a.readyAt != nil && !a.readyAt.Equal(*b.readyAt) {
				return a.readyAt.After(*b.readyAt)
			}
			return a.seq > b.seq
		})
		for _, p := range pods[:len(pods)-want] {
			p.gone = true
		}
		pods = append([]*pod{}, pods[len(pods)-want:]...)
		sort.Slice(pods, func(i, j int) bool { return pods[i].seq < pods[j].seq })
	}
	c.pods[k] = pods
	var ready, avail int32
	for _, p := range pods {
		if p.readyAt != nil {
			ready++
			if !e.Now().Before(p.readyAt.Add(time.Duration(rs.Spec.MinReadySeconds) * time.Second)) {
				avail++
			}
		}
	}
	st := appsv1.ReplicaSetStatus{Replicas: int32(len(pods)), FullyLabeledReplicas: int32(len(pods)), ReadyReplicas: ready,
		AvailableReplicas: avail, ObservedGeneration: rs.Generation}
	if equality.Semantic.DeepEqual(st, rs.Status) {
		return nil
	}
	rs.Status = st
	_, err = e.kube.AppsV1().ReplicaSets(ns).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	return err
}

// startJob begins attempt 1 of a Job created by Argo's Job provider. The
// outcome comes from the version of the image the Job's AnalysisRun
// measures (its rollouts-pod-template-hash → ReplicaSet → image).
func (c *clusterSim) startJob(j *batchv1.Job) {
	e := c.e
	st := &job{ns: j.Namespace, name: j.Name, backoffLimit: 6, startupMs: e.p.Cluster.JobPodStartupMs, durationMs: 60000, succeed: true}
	if j.Spec.BackoffLimit != nil {
		st.backoffLimit = *j.Spec.BackoffLimit
	}
	st.metric = j.Labels["analysisrun.argoproj.io/metric-name"]
	if st.metric == "" {
		parts := strings.Split(j.Name, ".")
		if len(parts) >= 3 {
			st.metric = parts[len(parts)-2]
		}
	}
	c.jobSeq[st.metric]++
	st.label = fmt.Sprintf("job/%s#%d", st.metric, c.jobSeq[st.metric])
	st.image = c.measuredImage(j)
	v, ok := e.p.VersionOf(st.image)
	switch {
	case !ok || e.p.Versions[v].Job == nil:
		st.why = fmt.Sprintf("no job outcome for %s: succeeds", st.image)
	case e.p.Versions[v].JobFromTraffic:
		st.why = "job outcome from traffic: not supported by the oracle, succeeds"
		e.fail("job %s: outcomes derived from the traffic model are not supported yet", j.Name)
	default:
		jb := e.p.Versions[v].Job
		st.durationMs, st.succeed = jb.DurationMs, jb.Result == "succeed"
		st.why = fmt.Sprintf("version %s: job %s", v, jb.Result)
	}
	c.jobs[key(j.Namespace, j.Name)] = st
	c.attempt(st, 1)
}

func (c *clusterSim) measuredImage(j *batchv1.Job) string {
	e := c.e
	ctx := context.Background()
	for _, ref := range j.OwnerReferences {
		if ref.Kind != "AnalysisRun" {
			continue
		}
		ar, err := e.argo.ArgoprojV1alpha1().AnalysisRuns(j.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		if img := e.imageOfHash(j.Namespace, ar.Labels["rollouts-pod-template-hash"]); img != "" {
			return img
		}
	}
	return ""
}

// imageOfHash is the first container image of the ReplicaSet with a hash.
func (e *Engine) imageOfHash(ns, hash string) string {
	if hash == "" {
		return ""
	}
	rss, err := e.kube.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "rollouts-pod-template-hash=" + hash})
	if err != nil || len(rss.Items) == 0 || len(rss.Items[0].Spec.Template.Spec.Containers) == 0 {
		return ""
	}
	return rss.Items[0].Spec.Template.Spec.Containers[0].Image
}

func (c *clusterSim) attempt(st *job, n int32) {
	e := c.e
	startup := time.Duration(st.startupMs) * time.Millisecond
	e.schedule(e.Now().Add(startup), "job pod running", func() {
		if st.gone {
			return
		}
		e.record(actorCluster, st.label, "started", "", fmt.Sprintf("attempt %d running against %s", n, st.image))
		e.schedule(e.Now().Add(time.Duration(st.durationMs)*time.Millisecond), "job pod finished", func() {
			if st.gone {
				return
			}
			c.finish(st, n)
		})
	})
}

func (c *clusterSim) finish(st *job, n int32) {
	e := c.e
	prev := e.actor
	e.actor = actorCluster
	defer func() { e.actor = prev }()
	ctx := context.Background()
	j, err := e.kube.BatchV1().Jobs(st.ns).Get(ctx, st.name, metav1.GetOptions{})
	if err != nil {
		return
	}
	now := metav1.NewTime(e.nowSeconds())
	cond := func(t batchv1.JobConditionType, reason string) batchv1.JobCondition {
		return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, LastProbeTime: now, LastTransitionTime: now}
	}
	if st.succeed {
		e.record(actorCluster, st.label, "succeeded", "PodFinished", fmt.Sprintf("attempt %d: %s", n, st.why))
		j.Status.Succeeded = 1
		j.Status.Active = 0
		j.Status.CompletionTime = &now
		j.Status.Conditions = append(j.Status.Conditions, cond(batchv1.JobSuccessCriteriaMet, "CompletionsReached"), cond(batchv1.JobComplete, "CompletionsReached"))
	} else {
		st.failures++
		e.record(actorCluster, st.label, "failed", "PodFinished", fmt.Sprintf("attempt %d: %s", n, st.why))
		j.Status.Failed = st.failures
		if st.failures <= st.backoffLimit {
			delay := 10 * time.Second << (st.failures - 1)
			if delay > 6*time.Minute {
				delay = 6 * time.Minute
			}
			e.record(actorCluster, st.label, "event", "BackOff", fmt.Sprintf("attempt %d in %s", n+1, delay))
			e.schedule(e.Now().Add(delay), "job retry", func() {
				if !st.gone {
					c.attempt(st, n+1)
				}
			})
		} else {
			e.record(actorCluster, st.label, "failed", "BackoffLimitExceeded",
				fmt.Sprintf("backoffLimit %d reached after %d failed attempts", st.backoffLimit, st.failures))
			j.Status.Active = 0
			j.Status.Conditions = append(j.Status.Conditions, cond(batchv1.JobFailureTarget, "BackoffLimitExceeded"), cond(batchv1.JobFailed, "BackoffLimitExceeded"))
		}
	}
	if _, err := e.kube.BatchV1().Jobs(st.ns).UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
		e.fail("job %s: %v", st.name, err)
	}
}
