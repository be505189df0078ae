package controller

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

// PodTemplateHash is Argo's pod-template hash: FNV-32a over the JSON of the
// template, then the collision count, safe-encoded.
func PodTemplateHash(template *corev1.PodTemplateSpec, collisionCount *int32) (string, error) {
	h := fnv.New32a()
	b, err := json.Marshal(template)
	if err != nil {
		return "", fmt.Errorf("hash pod template: %w", err)
	}
	_, _ = h.Write(b)
	if collisionCount != nil {
		cb := make([]byte, 8)
		binary.LittleEndian.PutUint32(cb, uint32(*collisionCount))
		_, _ = h.Write(cb)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32())), nil
}

// StepsHash is Argo's hash of the canary steps ("" for blue-green).
func StepsHash(ro *v1alpha1.Rollout) string {
	if ro.Spec.Strategy.Canary == nil || ro.Spec.Strategy.BlueGreen != nil {
		return ""
	}
	h := fnv.New32a()
	b, err := json.Marshal(ro.Spec.Strategy.Canary.Steps)
	if err != nil {
		return ""
	}
	_, _ = h.Write(b)
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}
