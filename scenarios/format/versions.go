package format

import (
	"fmt"
	"github.com/rollsim/rollsim/plan"
	"maps"
	"slices"
	"strings"

	"github.com/rollsim/rollsim/sim/traffic"
)

// NoVersion says that img matches no version, and which there are.
func (s *Scenario) NoVersion(img string) string {
	keys := slices.Sorted(maps.Keys(s.Spec.Versions))
	return fmt.Sprintf("image %q matches no version (by full reference or by tag); versions are [%s]; add it or a versions.default", img, strings.Join(keys, ", "))
}

// Tag returns the tag of an image reference ("" without one): the plan's
// rule, so rollsim and the oracle match versions alike.
func Tag(image string) string { return plan.Tag(image) }

// VersionOf finds the version an image runs: by full reference, then by
// tag, then "default".
func (s *Scenario) VersionOf(image string) (string, bool) {
	if _, ok := s.Spec.Versions[image]; ok {
		return image, true
	}
	if t := Tag(image); t != "" {
		if _, ok := s.Spec.Versions[t]; ok {
			return t, true
		}
	}
	if _, ok := s.Spec.Versions["default"]; ok {
		return "default", true
	}
	return "", false
}

// TrafficVersions is the traffic model's view of the versions.
func (s *Scenario) TrafficVersions() map[string]traffic.VersionBehavior {
	out := map[string]traffic.VersionBehavior{}
	for name, v := range s.Spec.Versions {
		out[name] = traffic.VersionBehavior{ErrorRate: v.ErrorRate, Latency: v.Latency}
	}
	return out
}
