package cluster

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PodBehavior is how the fake kubelet runs a pod of some image.
type PodBehavior struct {
	// Startup is the delay from creation to Ready.
	Startup time.Duration
	// NeverReady pods start but never pass their readiness probe.
	NeverReady bool
	// ImagePullError pods cannot pull their image: after Startup the
	// kubelet reports every container Waiting with reason ErrImagePull and
	// the pod stays Pending (never Ready; a Job pod never finishes).
	ImagePullError bool
}

// JobPodBehavior is how one attempt (pod) of an analysis Job runs.
type JobPodBehavior struct {
	Startup  time.Duration // creation to Running
	Duration time.Duration // Running to finished
	Succeed  bool
	Reason   string // why it succeeds or fails, for the timeline
	// Outcome, when set, decides at the end of the attempt (e.g. from the
	// traffic the job sent while it ran) and overrides Succeed and Reason.
	Outcome func(start, end time.Time) (succeed bool, reason string)
}

// Behavior answers the cluster's questions about workloads; scenarios
// implement it from their versions and cluster settings.
type Behavior interface {
	Pod(image string) PodBehavior
	// JobPod is asked once per attempt; target is the image of the
	// ReplicaSet the job's AnalysisRun measures (its pod-template hash).
	JobPod(target string, metric string, attempt int) JobPodBehavior
}

// Scheduler schedules callbacks in virtual time.
type Scheduler interface {
	After(d time.Duration, name string, fn func())
}

// Notes receives the cluster's timeline lines.
type Notes interface {
	Add(actor, object, verb, reason, detail string)
}

// Sim runs the workload controllers no API server has.
type Sim struct {
	c        client.Client
	sched    Scheduler
	notes    Notes
	behavior Behavior
	now      func() time.Time
	// Enqueue asks the harness to sync an object later (e.g. when
	// minReadySeconds elapse).
	Enqueue func(kind, namespace, name string)
	podSeq  map[string]int
	// readySince records when each pod turned ready (virtual, unrounded).
	readySince map[string]time.Time
}

// NewSim returns the workload simulator over a client.
func NewSim(c client.Client, sched Scheduler, notes Notes, b Behavior, now func() time.Time) *Sim {
	return &Sim{c: c, sched: sched, notes: notes, behavior: b, now: now, podSeq: map[string]int{}, readySince: map[string]time.Time{}}
}

const actorCluster = "cluster"

func controllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (s *Sim) ownedPods(ctx context.Context, ns string, uid types.UID) ([]*corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := s.c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("list pods in %s: %w", ns, err)
	}
	var out []*corev1.Pod
	for i := range list.Items {
		p := &list.Items[i]
		if ref := controllerOf(p.OwnerReferences); ref != nil && ref.UID == uid && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func podOrdinal(name string) int {
	i := strings.LastIndexByte(name, '-')
	n, _ := strconv.Atoi(name[i+1:])
	return n
}

// SyncReplicaSet makes a ReplicaSet's pods match spec.replicas and writes
// its status (replicas, ready, available after minReadySeconds).
func (s *Sim) SyncReplicaSet(ctx context.Context, ns, name string) error {
	rs := &appsv1.ReplicaSet{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, rs); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("get ReplicaSet %s/%s: %w", ns, name, err)
	}
	pods, err := s.ownedPods(ctx, ns, rs.UID)
	if err != nil {
		return err
	}
	want := int32(1)
	if rs.Spec.Replicas != nil {
		want = *rs.Spec.Replicas
	}
	for int32(len(pods)) < want {
		p, err := s.createPod(ctx, rs)
		if err != nil {
			return err
		}
		pods = append(pods, p)
	}
	if int32(len(pods)) > want {
		// Not-ready pods go first, then the most recently ready, then the newest.
		sort.SliceStable(pods, func(i, j int) bool {
			ri, rj := podReady(pods[i]), podReady(pods[j])
			if ri != rj {
				return !ri
			}
			ti, tj := s.readySince[pods[i].Name], s.readySince[pods[j].Name]
			if !ti.Equal(tj) {
				return ti.After(tj)
			}
			return podOrdinal(pods[i].Name) > podOrdinal(pods[j].Name)
		})
		for _, p := range pods[:int32(len(pods))-want] {
			if err := s.c.Delete(ctx, p); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete pod %s: %w", p.Name, err)
			}
			delete(s.readySince, p.Name)
		}
		pods = pods[int32(len(pods))-want:]
	}
	var ready, available int32
	now := s.now()
	minReady := time.Duration(rs.Spec.MinReadySeconds) * time.Second
	var nextAvail time.Duration
	for _, p := range pods {
		if !podReady(p) {
			continue
		}
		ready++
		since := s.readySince[p.Name]
		if now.Sub(since) >= minReady {
			available++
		} else if d := since.Add(minReady).Sub(now); nextAvail == 0 || d < nextAvail {
			nextAvail = d
		}
	}
	if nextAvail > 0 && s.Enqueue != nil {
		s.sched.After(nextAvail, "minReadySeconds "+name, func() { s.Enqueue("ReplicaSet", ns, name) })
	}
	st := appsv1.ReplicaSetStatus{
		Replicas:             int32(len(pods)),
		FullyLabeledReplicas: int32(len(pods)),
		ReadyReplicas:        ready,
		AvailableReplicas:    available,
		ObservedGeneration:   rs.Generation,
	}
	if equality.Semantic.DeepEqual(rs.Status, st) {
		return nil
	}
	patch := client.MergeFrom(rs.DeepCopy())
	rs.Status = st
	if err := s.c.Status().Patch(ctx, rs, patch); err != nil {
		return fmt.Errorf("update status of ReplicaSet %s: %w", name, err)
	}
	return nil
}

func (s *Sim) createPod(ctx context.Context, rs *appsv1.ReplicaSet) (*corev1.Pod, error) {
	n := s.podSeq[rs.Namespace+"/"+rs.Name]
	s.podSeq[rs.Namespace+"/"+rs.Name] = n + 1
	isController := true
	labels := map[string]string{}
	for k, v := range rs.Spec.Template.Labels {
		labels[k] = v
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d", rs.Name, n), Namespace: rs.Namespace, Labels: labels,
			Annotations: rs.Spec.Template.Annotations,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID,
				Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec:   *rs.Spec.Template.Spec.DeepCopy(),
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	if err := s.c.Create(ctx, p); err != nil {
		return nil, fmt.Errorf("create pod %s: %w", p.Name, err)
	}
	img := ""
	if len(p.Spec.Containers) > 0 {
		img = p.Spec.Containers[0].Image
	}
	b := s.behavior.Pod(img)
	ns, name := p.Namespace, p.Name
	switch {
	case b.ImagePullError:
		s.sched.After(b.Startup, "kubelet image pull "+name, func() { s.markImagePullError(ns, name) })
	case !b.NeverReady:
		s.sched.After(b.Startup, "kubelet ready "+name, func() { s.markReady(ns, name) })
	}
	return p, nil
}

// markImagePullError is the kubelet failing to pull a pod's images: every
// container Waiting with reason ErrImagePull, the pod Pending. It reports
// whether the pod was still there.
func (s *Sim) markImagePullError(ns, name string) bool {
	ctx := context.Background()
	p := &corev1.Pod{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p); err != nil {
		return false
	}
	patch := client.MergeFrom(p.DeepCopy())
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull",
				Message: fmt.Sprintf("failed to pull image %q: the scenario's version cannot be pulled (imagePullError)", c.Image)}},
		})
	}
	if err := s.c.Status().Patch(ctx, p, patch); err != nil {
		s.notes.Add(actorCluster, "pod/"+name, "error", "KubeletError", err.Error())
		return false
	}
	return true
}

func (s *Sim) markReady(ns, name string) {
	ctx := context.Background()
	p := &corev1.Pod{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p); err != nil {
		return // deleted before it started
	}
	now := metav1.NewTime(s.now().UTC().Truncate(time.Second))
	patch := client.MergeFrom(p.DeepCopy())
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: ptrTrue(),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	s.readySince[name] = s.now()
	if err := s.c.Status().Patch(ctx, p, patch); err != nil {
		s.notes.Add(actorCluster, "pod/"+name, "error", "KubeletError", err.Error())
		return
	}
	s.notes.Add(actorCluster, "pod/"+name, "ready", "", "")
}

func ptrTrue() *bool { t := true; return &t }

// jobLabel is how the timeline names a job: <metric>#<n>.
func jobLabel(job *batchv1.Job) string {
	m := job.Annotations["analysisrun.argoproj.io/metric-name"]
	n := job.Annotations["analysisrun.argoproj.io/job-index"]
	if m == "" {
		return job.Name
	}
	return m + "#" + n
}

// JobLabel is the timeline name of a job.
func JobLabel(job *batchv1.Job) string { return jobLabel(job) }

func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// jobTarget finds the image the job's AnalysisRun measures.
func (s *Sim) jobTarget(ctx context.Context, job *batchv1.Job) string {
	arName := job.Annotations["analysisrun.argoproj.io/name"]
	if arName == "" {
		return ""
	}
	ar := &v1alpha1.AnalysisRun{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: job.Namespace, Name: arName}, ar); err != nil {
		return ""
	}
	hash := ar.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	list := &appsv1.ReplicaSetList{}
	if err := s.c.List(ctx, list, client.InNamespace(job.Namespace), client.MatchingLabels{v1alpha1.DefaultRolloutUniqueLabelKey: hash}); err != nil {
		return ""
	}
	for _, rs := range list.Items {
		if len(rs.Spec.Template.Spec.Containers) > 0 {
			return rs.Spec.Template.Spec.Containers[0].Image
		}
	}
	return ""
}

// SyncJob runs the Job controller for one Job: start an attempt when none
// is active, count finished attempts, retry with 10 s·2ⁿ back-off up to
// backoffLimit, then set Complete or Failed as the real controller does.
func (s *Sim) SyncJob(ctx context.Context, ns, name string) error {
	job := &batchv1.Job{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, job); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("get job %s/%s: %w", ns, name, err)
	}
	if job.DeletionTimestamp != nil || jobCondition(job, batchv1.JobComplete) || jobCondition(job, batchv1.JobFailed) {
		return nil
	}
	pods, err := s.ownedPods(ctx, ns, job.UID)
	if err != nil {
		return err
	}
	var active, succeeded, failed int32
	for _, p := range pods {
		switch p.Status.Phase {
		case corev1.PodSucceeded:
			succeeded++
		case corev1.PodFailed:
			failed++
		default:
			active++
		}
	}
	now := metav1.NewTime(s.now().UTC().Truncate(time.Second))
	st := job.Status.DeepCopy()
	st.Active, st.Succeeded, st.Failed = active, succeeded, failed
	if st.StartTime == nil {
		st.StartTime = &now
	}
	backoffLimit := int32(6)
	if job.Spec.BackoffLimit != nil {
		backoffLimit = *job.Spec.BackoffLimit
	}
	label := jobLabel(job)
	deadline, hasDeadline := time.Time{}, job.Spec.ActiveDeadlineSeconds != nil
	if hasDeadline {
		deadline = st.StartTime.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second)
	}
	switch {
	case succeeded > 0:
		st.Conditions = append(st.Conditions,
			batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods", LastProbeTime: now, LastTransitionTime: now},
			batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods", LastProbeTime: now, LastTransitionTime: now})
		st.CompletionTime = &now
		s.notes.Add(actorCluster, "job/"+label, "succeeded", "Completed", "Job completed")
	case hasDeadline && !s.now().Before(deadline):
		// The Job controller fails a Job active longer than
		// activeDeadlineSeconds and deletes its running pods.
		for _, p := range pods {
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				if err := s.c.Delete(ctx, p); err != nil && !apierrors.IsNotFound(err) {
					return fmt.Errorf("delete pod %s: %w", p.Name, err)
				}
			}
		}
		st.Active = 0
		st.Conditions = append(st.Conditions,
			batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "DeadlineExceeded", Message: "Job was active longer than specified deadline", LastProbeTime: now, LastTransitionTime: now},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "DeadlineExceeded", Message: "Job was active longer than specified deadline", LastProbeTime: now, LastTransitionTime: now})
		s.notes.Add(actorCluster, "job/"+label, "failed", "DeadlineExceeded", fmt.Sprintf("active longer than activeDeadlineSeconds %d", *job.Spec.ActiveDeadlineSeconds))
	case failed > backoffLimit:
		st.Conditions = append(st.Conditions,
			batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastProbeTime: now, LastTransitionTime: now},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastProbeTime: now, LastTransitionTime: now})
		s.notes.Add(actorCluster, "job/"+label, "failed", "BackoffLimitExceeded", fmt.Sprintf("backoffLimit %d reached after %d failed attempts", backoffLimit, failed))
	case active == 0:
		attempt := int(failed) + 1
		key := ns + "/" + name
		if s.podSeq[key] >= attempt {
			break // the next attempt is already scheduled after its back-off
		}
		s.podSeq[key] = attempt
		delay := time.Duration(0)
		if failed > 0 {
			delay = 10 * time.Second << (failed - 1)
			if delay > 6*time.Minute {
				delay = 6 * time.Minute
			}
		}
		uid := job.UID
		start := func() {
			if err := s.startJobPod(context.Background(), ns, name, uid, attempt); err != nil {
				s.notes.Add(actorCluster, "job/"+label, "error", "JobControllerError", err.Error())
			}
		}
		if delay == 0 {
			start()
		} else {
			s.notes.Add(actorCluster, "job/"+label, "event", "BackOff", fmt.Sprintf("attempt %d in %s", attempt, delay))
			s.sched.After(delay, "job backoff "+name, start)
		}
	}
	if hasDeadline && s.now().Before(deadline) && s.Enqueue != nil {
		s.sched.After(deadline.Sub(s.now()), "job deadline "+name, func() { s.Enqueue("Job", ns, name) })
	}
	if equality.Semantic.DeepEqual(&job.Status, st) {
		return nil
	}
	patch := client.MergeFrom(job.DeepCopy())
	job.Status = *st
	if err := s.c.Status().Patch(ctx, job, patch); err != nil {
		return fmt.Errorf("update status of job %s: %w", name, err)
	}
	return nil
}

func (s *Sim) startJobPod(ctx context.Context, ns, name string, uid types.UID, attempt int) error {
	job := &batchv1.Job{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, job); err != nil || job.UID != uid {
		return nil // deleted meanwhile
	}
	label := jobLabel(job)
	isController := true
	labels := map[string]string{"batch.kubernetes.io/job-name": name}
	for k, v := range job.Spec.Template.Labels {
		labels[k] = v
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d", strings.ReplaceAll(name, ".", "-"), attempt), Namespace: ns, Labels: labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: name, UID: uid,
				Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec:   *job.Spec.Template.Spec.DeepCopy(),
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	if err := s.c.Create(ctx, p); err != nil {
		return fmt.Errorf("create pod of job %s: %w", label, err)
	}
	target := s.jobTarget(ctx, job)
	metric := job.Annotations["analysisrun.argoproj.io/metric-name"]
	b := s.behavior.JobPod(target, metric, attempt)
	podName := p.Name
	if img := podImage(p); s.behavior.Pod(img).ImagePullError {
		// The Job's own image cannot be pulled: the pod never runs.
		s.sched.After(b.Startup, "job pod image pull "+podName, func() {
			if s.markImagePullError(ns, podName) {
				s.notes.Add(actorCluster, "job/"+label, "event", "ErrImagePull", fmt.Sprintf("attempt %d: image %s cannot be pulled", attempt, img))
			}
		})
		return nil
	}
	s.sched.After(b.Startup, "job pod running "+podName, func() {
		if !s.setPodPhase(ns, podName, corev1.PodRunning) {
			return
		}
		s.notes.Add(actorCluster, "job/"+label, "started", "", fmt.Sprintf("attempt %d of analysisrun %s running against %s", attempt, job.Annotations["analysisrun.argoproj.io/name"], target))
		started := s.now()
		s.sched.After(b.Duration, "job pod done "+podName, func() {
			if b.Outcome != nil {
				b.Succeed, b.Reason = b.Outcome(started, s.now())
			}
			phase, verb := corev1.PodFailed, "failed"
			if b.Succeed {
				phase, verb = corev1.PodSucceeded, "succeeded"
			}
			if !s.setPodPhase(ns, podName, phase) {
				return
			}
			detail := fmt.Sprintf("attempt %d", attempt)
			if b.Reason != "" {
				detail += ": " + b.Reason
			}
			s.notes.Add(actorCluster, "job/"+label, verb, "PodFinished", detail)
		})
	})
	return nil
}

func podImage(p *corev1.Pod) string {
	if len(p.Spec.Containers) == 0 {
		return ""
	}
	return p.Spec.Containers[0].Image
}

func (s *Sim) setPodPhase(ns, name string, phase corev1.PodPhase) bool {
	ctx := context.Background()
	p := &corev1.Pod{}
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p); err != nil {
		return false
	}
	patch := client.MergeFrom(p.DeepCopy())
	p.Status.Phase = phase
	if err := s.c.Status().Patch(ctx, p, patch); err != nil {
		return false
	}
	return true
}
