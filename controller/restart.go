package controller

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/controller/replicas"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// restartPodCheck is how often Argo rechecks a restart in progress.
const restartPodCheck = 30 * time.Second

// needsRestart: spec.restartAt is set, not yet reached by status.restartedAt,
// and already in the past.
func needsRestart(ro *v1alpha1.Rollout, now time.Time) bool {
	if ro.Spec.RestartAt == nil {
		return false
	}
	if ro.Status.RestartedAt != nil && ro.Spec.RestartAt.Equal(ro.Status.RestartedAt) {
		return false
	}
	return now.After(ro.Spec.RestartAt.Time)
}

// reconcilePodRestarts is Argo's RolloutPodRestarter: pods created before
// spec.restartAt are evicted (the eviction subresource, so
// PodDisruptionBudgets apply: a refused pod waits for the next check),
// max(maxUnavailable, 1) at a time and only while availability allows,
// rechecking every 30 s; status.restartedAt is set once every pod is newer.
// It returns how many pods it evicted.
func (c *rolloutContext) reconcilePodRestarts() (int, error) {
	ro := c.ro
	now := c.r.opts.Clock.Now()
	if ro.Spec.RestartAt != nil && !now.After(ro.Spec.RestartAt.Time) {
		c.enqueueAfter(ro.Spec.RestartAt.Sub(now))
	}
	if !needsRestart(ro, now) {
		return 0, nil
	}
	owners := map[string]bool{}
	for _, rs := range c.allRSs {
		owners[string(rs.UID)] = true
	}
	list := &corev1.PodList{}
	if err := c.r.opts.Client.List(c.ctx, list, client.InNamespace(ro.Namespace)); err != nil {
		return 0, fmt.Errorf("list pods of rollout %s: %w", ro.Name, err)
	}
	var pods []*corev1.Pod
	for i := range list.Items {
		p := &list.Items[i]
		for _, ref := range p.OwnerReferences {
			if owners[string(ref.UID)] {
				pods = append(pods, p)
				break
			}
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	var total int32
	for _, rs := range c.allRSs {
		total += specReplicas(rs)
	}
	r := replicas.Replicas(ro)
	_, u := replicas.Fenceposts(ro)
	concurrent := max(u, 1)
	effMinAvailable := max(r, total) - concurrent
	minReady := time.Duration(ro.Spec.MinReadySeconds) * time.Second
	var available int32
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue && !cond.LastTransitionTime.Add(minReady).After(now) {
				available++
			}
		}
	}
	canRestart := available - effMinAvailable
	restartAt := ro.Spec.RestartAt.Time
	needs, restarted := 0, 0
	var blocked []string
	var blockedMsg string
	for _, p := range pods {
		if !p.CreationTimestamp.Time.Before(restartAt) {
			continue
		}
		needs++
		if canRestart <= 0 || p.DeletionTimestamp != nil {
			continue
		}
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}
		if err := c.r.opts.Client.SubResource("eviction").Create(c.ctx, p, ev); err != nil {
			if apierrors.IsTooManyRequests(err) {
				// A PodDisruptionBudget refused it: Argo skips the pod and
				// retries in 30 s.
				blocked = append(blocked, p.Name)
				blockedMsg = evictionMessage(err)
				continue
			}
			if !apierrors.IsNotFound(err) {
				return restarted, fmt.Errorf("evict pod %s: %w", p.Name, err)
			}
		}
		c.note("pod", p.Name, "deleted", "PodRestart", fmt.Sprintf("evicted: created before restartAt %s", restartAt.UTC().Format(time.RFC3339)))
		canRestart--
		restarted++
	}
	if len(blocked) > 0 {
		c.note("rollout", ro.Name, "event", "PodRestartBlocked", fmt.Sprintf("eviction of %s refused: %s", strings.Join(blocked, ", "), blockedMsg))
	}
	if needs-restarted != 0 {
		c.enqueueAfter(restartPodCheck)
	} else {
		c.newStatus.RestartedAt = ro.Spec.RestartAt
	}
	return restarted, nil
}

// evictionMessage is the API server's refusal with its budget cause.
func evictionMessage(err error) string {
	msg := err.Error()
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Details != nil {
		for _, c := range st.Status().Details.Causes {
			msg += " " + c.Message
		}
	}
	return msg
}
