package controller

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Ephemeral metadata (Argo's rollout/ephemeralmetadata.go): canaryMetadata /
// stableMetadata and previewMetadata / activeMetadata are labels and
// annotations injected into a ReplicaSet's pod template and patched onto its
// existing pods in place — the pods are not recreated. What was injected is
// remembered in the ReplicaSet annotation below, so a later sync removes only
// the keys it added.

// AnnotationEphemeralMetadata records the metadata injected into a
// ReplicaSet's pod template (JSON of the PodTemplateMetadata).
const AnnotationEphemeralMetadata = "rollout.argoproj.io/ephemeral-metadata"

// ephemeralMetadata returns the rollout's (new, stable) metadata: canary and
// stable for canary, preview and active for blue-green.
func ephemeralMetadata(ro *v1alpha1.Rollout) (newMD, stableMD *v1alpha1.PodTemplateMetadata) {
	if cs := ro.Spec.Strategy.Canary; cs != nil {
		return cs.CanaryMetadata, cs.StableMetadata
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		return bg.PreviewMetadata, bg.ActiveMetadata
	}
	return nil, nil
}

// injectedMetadata is what the ReplicaSet's annotation says was injected
// (nil when absent or unparsable, as in Argo).
func injectedMetadata(rs *appsv1.ReplicaSet) *v1alpha1.PodTemplateMetadata {
	s, ok := rs.Annotations[AnnotationEphemeralMetadata]
	if !ok {
		return nil
	}
	var md *v1alpha1.PodTemplateMetadata
	if err := json.Unmarshal([]byte(s), &md); err != nil {
		return nil
	}
	return md
}

// metadataChange is the planned edit of one object's labels and
// annotations: desired keys set, previously injected keys no longer desired
// removed. Keys are sorted so the timeline is stable.
type metadataChange struct {
	setLabels, setAnnotations map[string]string
	delLabels, delAnnotations []string
}

func (m metadataChange) empty() bool {
	return len(m.setLabels)+len(m.setAnnotations)+len(m.delLabels)+len(m.delAnnotations) == 0
}

func (m metadataChange) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m.setLabels)) {
		parts = append(parts, fmt.Sprintf("label %s=%s", k, m.setLabels[k]))
	}
	for _, k := range m.delLabels {
		parts = append(parts, "label "+k+" removed")
	}
	for _, k := range slices.Sorted(maps.Keys(m.setAnnotations)) {
		parts = append(parts, fmt.Sprintf("annotation %s=%s", k, m.setAnnotations[k]))
	}
	for _, k := range m.delAnnotations {
		parts = append(parts, "annotation "+k+" removed")
	}
	return strings.Join(parts, ", ")
}

// planMetadata is Argo's SyncEphemeralPodMetadata as a pure plan.
func planMetadata(meta *metav1.ObjectMeta, injected, desired *v1alpha1.PodTemplateMetadata) metadataChange {
	var m metadataChange
	diff := func(cur, want map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range want {
			if prev, ok := cur[k]; !ok || prev != v {
				out[k] = v
			}
		}
		return out
	}
	stale := func(cur, was, want map[string]string) []string {
		var out []string
		for k := range was {
			if _, still := want[k]; still {
				continue
			}
			if _, ok := cur[k]; ok {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	var wantL, wantA, wasL, wasA map[string]string
	if desired != nil {
		wantL, wantA = desired.Labels, desired.Annotations
	}
	if injected != nil {
		wasL, wasA = injected.Labels, injected.Annotations
	}
	m.setLabels, m.setAnnotations = diff(meta.Labels, wantL), diff(meta.Annotations, wantA)
	m.delLabels, m.delAnnotations = stale(meta.Labels, wasL, wantL), stale(meta.Annotations, wasA, wantA)
	return m
}

func (m metadataChange) apply(meta *metav1.ObjectMeta) {
	if len(m.setLabels) > 0 && meta.Labels == nil {
		meta.Labels = map[string]string{}
	}
	if len(m.setAnnotations) > 0 && meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	maps.Copy(meta.Labels, m.setLabels)
	maps.Copy(meta.Annotations, m.setAnnotations)
	for _, k := range m.delLabels {
		delete(meta.Labels, k)
	}
	for _, k := range m.delAnnotations {
		delete(meta.Annotations, k)
	}
}

// injectTemplateMetadata edits rs's pod template for md (nil removes what
// was injected) and records md in the annotation. It reports the change.
func injectTemplateMetadata(rs *appsv1.ReplicaSet, md *v1alpha1.PodTemplateMetadata) metadataChange {
	m := planMetadata(&rs.Spec.Template.ObjectMeta, injectedMetadata(rs), md)
	if m.empty() {
		return m
	}
	m.apply(&rs.Spec.Template.ObjectMeta)
	if md != nil {
		b, _ := json.Marshal(md)
		if rs.Annotations == nil {
			rs.Annotations = map[string]string{}
		}
		rs.Annotations[AnnotationEphemeralMetadata] = string(b)
	} else {
		delete(rs.Annotations, AnnotationEphemeralMetadata)
	}
	return m
}

// newRSMetadata is the metadata a new ReplicaSet is created with: the
// canary/preview metadata when there is a stable ReplicaSet, else the
// stable/active metadata (it will become the stable one).
func (c *rolloutContext) newRSMetadata() *v1alpha1.PodTemplateMetadata {
	newMD, stableMD := ephemeralMetadata(c.ro)
	if c.stableRS != nil {
		return newMD
	}
	return stableMD
}

// reconcileEphemeralMetadata is Argo's: steady state gives the new (= stable)
// ReplicaSet the stable metadata; during an update the new one gets the
// canary/preview metadata and the stable one the stable/active metadata;
// every other ReplicaSet loses what was injected.
func (c *rolloutContext) reconcileEphemeralMetadata() error {
	newMD, stableMD := ephemeralMetadata(c.ro)
	if newMD == nil && stableMD == nil {
		return nil
	}
	if c.ro.Status.StableRS == "" || c.ro.Status.StableRS == podHash(c.newRS) {
		if err := c.syncEphemeralMetadata(c.newRS, stableMD); err != nil {
			return err
		}
	} else {
		if err := c.syncEphemeralMetadata(c.newRS, newMD); err != nil {
			return err
		}
		if err := c.syncEphemeralMetadata(c.stableRS, stableMD); err != nil {
			return err
		}
	}
	for _, rs := range c.otherRSs {
		if err := c.syncEphemeralMetadata(rs, nil); err != nil {
			return err
		}
	}
	return nil
}

// syncEphemeralMetadata updates the ReplicaSet first (pods it creates from
// now on carry md), then its existing pods, as Argo orders it.
func (c *rolloutContext) syncEphemeralMetadata(rs *appsv1.ReplicaSet, md *v1alpha1.PodTemplateMetadata) error {
	if rs == nil {
		return nil
	}
	injected := injectedMetadata(rs)
	cp := rs.DeepCopy()
	if m := injectTemplateMetadata(cp, md); !m.empty() {
		patch := client.MergeFrom(rs.DeepCopy())
		if err := c.r.opts.Client.Patch(c.ctx, cp, patch); err != nil {
			return fmt.Errorf("sync ephemeral metadata to ReplicaSet %s: %w", rs.Name, err)
		}
		c.note("replicaset", rs.Name, "event", "EphemeralMetadata", "pod template: "+m.String())
		c.replaceRS(cp)
	}
	if specReplicas(cp) == 0 {
		return nil
	}
	pods, err := c.podsOf(cp)
	if err != nil {
		return err
	}
	for _, p := range pods {
		m := planMetadata(&p.ObjectMeta, injected, md)
		if m.empty() {
			continue
		}
		pcp := p.DeepCopy()
		m.apply(&pcp.ObjectMeta)
		if err := c.r.opts.Client.Patch(c.ctx, pcp, client.MergeFrom(p)); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("sync ephemeral metadata to pod %s: %w", p.Name, err)
		}
		c.note("pod", p.Name, "event", "EphemeralMetadata", "in place: "+m.String())
	}
	return nil
}

// podsOf lists the pods rs controls, sorted by name.
func (c *rolloutContext) podsOf(rs *appsv1.ReplicaSet) ([]*corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := c.r.opts.Client.List(c.ctx, list, client.InNamespace(rs.Namespace)); err != nil {
		return nil, fmt.Errorf("list pods of ReplicaSet %s: %w", rs.Name, err)
	}
	var pods []*corev1.Pod
	for i := range list.Items {
		p := &list.Items[i]
		if ref := metav1.GetControllerOf(p); ref != nil && ref.UID == rs.UID {
			pods = append(pods, p)
		}
	}
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return pods, nil
}
