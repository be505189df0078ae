package gatewayapi

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Rule is one entry of a route's spec.rules, as stored.
type Rule = map[string]any

// Rules are u's spec.rules; an entry that is not an object is an error
// naming its field.
func Rules(u *unstructured.Unstructured) ([]Rule, error) {
	raw, _, err := unstructured.NestedFieldNoCopy(u.Object, "spec", "rules")
	if err != nil || raw == nil {
		return nil, err
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s %s/%s: spec.rules: expected a list, got %T", u.GetKind(), u.GetNamespace(), u.GetName(), raw)
	}
	out := make([]Rule, 0, len(list))
	for i, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s %s/%s: spec.rules[%d]: expected an object, got %T", u.GetKind(), u.GetNamespace(), u.GetName(), i, r)
		}
		out = append(out, m)
	}
	return out, nil
}

// setRules writes rules back as u's spec.rules.
func setRules(u *unstructured.Unstructured, rules []Rule) {
	list := make([]any, len(rules))
	for i, r := range rules {
		list[i] = r
	}
	if u.Object["spec"] == nil {
		u.Object["spec"] = map[string]any{}
	}
	u.Object["spec"].(map[string]any)["rules"] = list
}

// BackendRefs are a rule's backendRefs (objects only).
func BackendRefs(r Rule) []map[string]any {
	list, _ := r["backendRefs"].([]any)
	var out []map[string]any
	for _, b := range list {
		if m, ok := b.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// RefName is a backendRef's name.
func RefName(ref map[string]any) string {
	s, _ := ref["name"].(string)
	return s
}

// RefWeight is a backendRef's weight, 1 when unset (the Gateway API
// default).
func RefWeight(ref map[string]any) int64 {
	switch w := ref["weight"].(type) {
	case int64:
		return w
	case int:
		return int64(w)
	case int32:
		return int64(w)
	case float64:
		return int64(w)
	}
	return 1
}

// RuleName is a rule's name ("" when unnamed).
func RuleName(r Rule) string {
	s, _ := r["name"].(string)
	return s
}

// hasRefs reports whether r names every one of the Services.
func hasRefs(r Rule, names ...string) bool {
	for _, n := range names {
		found := false
		for _, b := range BackendRefs(r) {
			if RefName(b) == n {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return len(BackendRefs(r)) > 0
}

// IsManagedName is the plugin's isManagedRuleName: the rule carries one of
// the managed route names, or one of them with a "-<n>" suffix (the second
// and later rules built from a multi-rule route).
func IsManagedName(name string, managed map[string]bool) bool {
	if name == "" {
		return false
	}
	if managed[name] {
		return true
	}
	for base := range managed {
		if rest, ok := strings.CutPrefix(name, base+"-"); ok {
			if _, err := strconv.Atoi(rest); err == nil {
				return true
			}
		}
	}
	return false
}

// isCanaryOnly is the plugin's structural test for a managed rule (left by
// versions that did not name their rules): exactly one backendRef, the
// canary Service's; with headers, one of its matches must carry every one
// of their names.
func isCanaryOnly(r Rule, canary string, headers []map[string]any) bool {
	refs := BackendRefs(r)
	if len(refs) != 1 || RefName(refs[0]) != canary {
		return false
	}
	if headers == nil {
		return true
	}
	matches, _ := r["matches"].([]any)
	for _, m := range matches {
		mm, _ := m.(map[string]any)
		have := map[string]bool{}
		hs, _ := mm["headers"].([]any)
		for _, h := range hs {
			if hm, ok := h.(map[string]any); ok {
				n, _ := hm["name"].(string)
				have[n] = true
			}
		}
		all := true
		for _, h := range headers {
			if !have[h["name"].(string)] {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
