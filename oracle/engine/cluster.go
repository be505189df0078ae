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
	// Work noticed in observe, done in step: observe runs inside the fake
	// clientset's lock and must not call it.
	newJobs  []*batchv1.Job
	gc       []types.UID
	podGC    []*pod
	dirtyDep map[string]bool
	byName   map[string]*pod // namespace/name → pod
}

type pod struct {
	ns, rs  string
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
	recorded        []bool // outcomes per attempt replayed from rollsim's run (job.traffic)
	why             string
	backoffLimit    int32
	failures        int32
	gone            bool
}

func newClusterSim(e *Engine) *clusterSim {
	return &clusterSim{e: e, pods: map[string][]*pod{}, podSeq: map[string]int{}, dirtyRS: map[string]bool{},
		jobs: map[string]*job{}, jobSeq: map[string]int{}, byName: map[string]*pod{}, dirtyDep: map[string]bool{}}
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
				c.podGC = append(c.podGC, p)
			}
			delete(c.pods, key(rs.Namespace, rs.Name))
			delete(c.dirtyRS, key(rs.Namespace, rs.Name))
			return
		}
		rs := obj.(*appsv1.ReplicaSet)
		c.dirtyRS[key(rs.Namespace, rs.Name)] = true
	case "deployments":
		if verb != "delete" {
			d := obj.(*appsv1.Deployment)
			c.dirtyDep[key(d.Namespace, d.Name)] = true
		}
	case "pods":
		if verb == "delete" {
			// An eviction (Argo's pod restarter) or our own deletion.
			po := old.(*corev1.Pod)
			if p, ok := c.byName[key(po.Namespace, po.Name)]; ok && !p.gone {
				p.gone = true
				c.dirtyRS[key(p.ns, p.rs)] = true
			}
			delete(c.byName, key(po.Namespace, po.Name))
		}
	case "jobs":
		switch verb {
		case "create":
			c.newJobs = append(c.newJobs, obj.(*batchv1.Job).DeepCopy())
		case "delete":
			j := old.(*batchv1.Job)
			if st, ok := c.jobs[key(j.Namespace, j.Name)]; ok {
				st.gone = true
				delete(c.jobs, key(j.Namespace, j.Name))
			}
		}
	case "analysisruns":
		if verb == "delete" {
			c.gc = append(c.gc, old.(*v1alpha1.AnalysisRun).UID)
		}
	case "rollouts":
		if verb == "delete" {
			c.gc = append(c.gc, old.(*v1alpha1.Rollout).UID)
		}
	case "experiments":
		if verb == "delete" {
			c.gc = append(c.gc, old.(*v1alpha1.Experiment).UID)
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
	// An Experiment owns its AnalysisRuns and template Services; a Rollout
	// its Experiments.
	ars, _ := e.argo.ArgoprojV1alpha1().AnalysisRuns("").List(ctx, metav1.ListOptions{})
	for _, ar := range ars.Items {
		for _, ref := range ar.OwnerReferences {
			if ref.UID == uid && ref.Kind == "Experiment" {
				_ = e.argo.ArgoprojV1alpha1().AnalysisRuns(ar.Namespace).Delete(ctx, ar.Name, metav1.DeleteOptions{})
			}
		}
	}
	svcs, _ := e.kube.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	for _, svc := range svcs.Items {
		for _, ref := range svc.OwnerReferences {
			if ref.UID == uid {
				_ = e.kube.CoreV1().Services(svc.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{})
			}
		}
	}
	exs, _ := e.argo.ArgoprojV1alpha1().Experiments("").List(ctx, metav1.ListOptions{})
	for _, ex := range exs.Items {
		for _, ref := range ex.OwnerReferences {
			if ref.UID == uid {
				_ = e.argo.ArgoprojV1alpha1().Experiments(ex.Namespace).Delete(ctx, ex.Name, metav1.DeleteOptions{})
			}
		}
	}
}

// step reconciles one dirty ReplicaSet; false when none is dirty.
func (c *clusterSim) step() bool {
	if len(c.newJobs) > 0 {
		j := c.newJobs[0]
		c.newJobs = c.newJobs[1:]
		c.startJob(j)
		return true
	}
	if len(c.podGC) > 0 {
		p := c.podGC[0]
		c.podGC = c.podGC[1:]
		c.deletePod(p)
		return true
	}
	if len(c.gc) > 0 {
		uid := c.gc[0]
		c.gc = c.gc[1:]
		prev := c.e.actor
		c.e.actor = actorCluster
		c.collect(uid)
		c.e.actor = prev
		return true
	}
	if len(c.dirtyDep) > 0 {
		k := sortedKeys(c.dirtyDep)[0]
		delete(c.dirtyDep, k)
		ns, name, _ := strings.Cut(k, "/")
		prev := c.e.actor
		c.e.actor = actorCluster
		err := c.reconcileDeployment(ns, name)
		c.e.actor = prev
		if err != nil {
			c.e.fail("deployment %s: %v", k, err)
		}
		return true
	}
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
	// Pods evicted or deleted since the last reconcile are gone.
	live := pods[:0]
	for _, p := range pods {
		if !p.gone {
			live = append(live, p)
		}
	}
	pods = live
	for len(pods) < want {
		p := &pod{ns: ns, rs: name, name: fmt.Sprintf("%s-%d", name, c.podSeq[k]), seq: c.podSeq[k]}
		c.podSeq[k]++
		pods = append(pods, p)
		if err := c.createPod(rs, p); err != nil {
			return err
		}
		if v, ok := e.p.VersionOf(image); !ok || !e.p.Versions[v].NeverReady {
			startup := time.Duration(e.p.PodStartupMs(image)) * time.Millisecond
			e.schedule(e.Now().Add(startup), "pod ready", func() {
				if p.gone {
					return
				}
				t := e.Now()
				p.readyAt = &t
				e.record(actorCluster, "pod/"+p.name, "ready", "", "")
				c.markReady(p)
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
			c.deletePod(p)
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
		st.durationMs = e.p.Versions[v].Job.DurationMs
		rec, ok := e.p.RecordedJobs[strings.TrimPrefix(st.label, "job/")]
		if !ok {
			e.fail("job %s (%s): the plan has no recorded outcome for it (outcomes derived from the traffic model are replayed from rollsim's run)", j.Name, st.label)
		}
		st.recorded = rec
		st.why = fmt.Sprintf("version %s: outcome replayed from rollsim's traffic model", v)
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
	succeed := st.succeed
	if st.recorded != nil {
		if int(n) > len(st.recorded) {
			e.fail("job %s: attempt %d has no recorded outcome (rollsim ran %d)", st.label, n, len(st.recorded))
		} else {
			succeed = st.recorded[n-1]
		}
	}
	if succeed {
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

// createPod writes the pod object (Argo's pod restarter lists and evicts
// pods; nothing else reads them).
func (c *clusterSim) createPod(rs *appsv1.ReplicaSet, p *pod) error {
	yes := true
	po := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: p.ns, Labels: rs.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}}},
		Spec:   rs.Spec.Template.Spec,
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	c.byName[key(p.ns, p.name)] = p
	_, err := c.e.kube.CoreV1().Pods(p.ns).Create(context.Background(), po, metav1.CreateOptions{})
	return err
}

func (c *clusterSim) markReady(p *pod) {
	e := c.e
	prev := e.actor
	e.actor = actorCluster
	defer func() { e.actor = prev }()
	ctx := context.Background()
	po, err := e.kube.CoreV1().Pods(p.ns).Get(ctx, p.name, metav1.GetOptions{})
	if err != nil {
		return
	}
	t := metav1.NewTime(e.nowSeconds())
	po.Status.Phase = corev1.PodRunning
	po.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: t}}
	if _, err := e.kube.CoreV1().Pods(p.ns).UpdateStatus(ctx, po, metav1.UpdateOptions{}); err != nil {
		e.fail("pod %s: %v", p.name, err)
	}
}

func (c *clusterSim) deletePod(p *pod) {
	delete(c.byName, key(p.ns, p.name))
	_ = c.e.kube.CoreV1().Pods(p.ns).Delete(context.Background(), p.name, metav1.DeleteOptions{})
}
