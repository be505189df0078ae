package analysis

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	placeholderOpen  = "{{"
	placeholderClose = "}}"
	// secretPlaceholder stands in for secretKeyRef args while metrics are
	// resolved for assessment (Argo: getResolvedMetricsWithoutSecrets).
	secretPlaceholder = "temp-for-secret"
)

// SubstituteString replaces every {{tag}} in s (utils/template ResolveArgs):
// the tag, whitespace-trimmed, is looked up as "args.<name>". Errors:
//   - an arg without value: `argument "x" was not supplied` (even if unused);
//   - "{{" with no "}}" after it:
//     `Cannot find end tag="}}" in the template="<s>" starting from "<rest>"`;
//   - an unknown tag: `failed to resolve {{<tag as written>}}` (when several
//     are unknown, the last one is named; unknown tags become "").
//
// Later args with the same name win. Values are inserted verbatim.
func SubstituteString(s string, args []v1alpha1.Argument) (string, error) {
	texts, tags, err := splitPlaceholders(s)
	if err != nil {
		return "", err
	}
	values := make(map[string]string, len(args))
	for _, a := range args {
		if a.Value == nil {
			return "", fmt.Errorf("argument %q was not supplied", a.Name)
		}
		values["args."+a.Name] = *a.Value
	}
	if len(tags) == 0 {
		return s, nil
	}
	var b strings.Builder
	var unresolved error
	for i, tag := range tags {
		b.WriteString(texts[i])
		if v, ok := values[strings.TrimSpace(tag)]; ok {
			b.WriteString(v)
		} else {
			unresolved = fmt.Errorf("failed to resolve {{%s}}", tag)
		}
	}
	b.WriteString(texts[len(texts)-1])
	return b.String(), unresolved
}

// splitPlaceholders cuts s into len(tags)+1 literal texts around the
// {{tag}} placeholders (the first "}}" after each "{{" closes it).
func splitPlaceholders(s string) (texts, tags []string, err error) {
	rest := s
	for {
		open := strings.Index(rest, placeholderOpen)
		if open < 0 {
			texts = append(texts, rest)
			return texts, tags, nil
		}
		texts = append(texts, rest[:open])
		rest = rest[open+len(placeholderOpen):]
		end := strings.Index(rest, placeholderClose)
		if end < 0 {
			return nil, nil, fmt.Errorf("Cannot find end tag=%q in the template=%q starting from %q", placeholderClose, s, rest)
		}
		tags = append(tags, rest[:end])
		rest = rest[end+len(placeholderClose):]
	}
}

// quoteArgs escapes arg values for insertion inside JSON strings (Go quoting
// without the surrounding quotes, as Argo's ResolveQuotedArgs does: `"` and
// `\` are escaped, newlines become \n; non-printable characters become Go
// escapes such as \x00 that JSON then rejects).
func quoteArgs(args []v1alpha1.Argument) []v1alpha1.Argument {
	out := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		out[i] = v1alpha1.Argument{Name: a.Name}
		if a.Value != nil {
			q := strconv.Quote(*a.Value)
			q = q[1 : len(q)-1]
			out[i].Value = &q
		}
	}
	return out
}

// SubstituteMetric resolves {{args.x}} placeholders anywhere in one metric:
// the metric is marshalled to JSON, the placeholders are replaced with the
// quote-escaped values (SubstituteString) and the JSON is decoded again, so
// placeholders in IntOrString fields (count, failureLimit, …) and in
// provider fields alike are replaced. A value that breaks the JSON gives the
// decoder's error.
func SubstituteMetric(metric v1alpha1.Metric, args []v1alpha1.Argument) (v1alpha1.Metric, error) {
	raw, err := json.Marshal(metric)
	if err != nil {
		return v1alpha1.Metric{}, err
	}
	resolved, err := SubstituteString(string(raw), quoteArgs(args))
	if err != nil {
		return v1alpha1.Metric{}, err
	}
	var out v1alpha1.Metric
	if err := json.Unmarshal([]byte(resolved), &out); err != nil {
		return v1alpha1.Metric{}, err
	}
	return out, nil
}

// SubstituteArgs applies SubstituteMetric to every metric, stopping at the
// first error. Every arg must have a value (see SubstituteString).
func SubstituteArgs(metrics []v1alpha1.Metric, args []v1alpha1.Argument) ([]v1alpha1.Metric, error) {
	out := make([]v1alpha1.Metric, 0, len(metrics))
	for _, m := range metrics {
		r, err := SubstituteMetric(m, args)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ResolveMetricsWithoutSecrets substitutes args into metrics for assessment
// and scheduling, with every secretKeyRef arg replaced by a placeholder value
// (secrets are only read when measuring).
func ResolveMetricsWithoutSecrets(metrics []v1alpha1.Metric, args []v1alpha1.Argument) ([]v1alpha1.Metric, error) {
	masked := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		masked[i] = *a.DeepCopy()
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			v := secretPlaceholder
			masked[i].ValueFrom = nil
			masked[i].Value = &v
		}
	}
	return SubstituteArgs(metrics, masked)
}

// ResolveArgs builds the AnalysisRun args from a rollout's analysis args
// (BuildArgumentsForRolloutAnalysisRun): value as given; or
// valueFrom.podTemplateHashValue Stable / Latest => stableHash / latestHash;
// or valueFrom.fieldRef.fieldPath: paths beginning with "metadata" use the
// downward-API forms (metadata.name, .namespace, .uid, .labels, .annotations,
// .labels['k'], .annotations['k']); any other path walks the Rollout's JSON
// (ExtractRolloutField). Every arg gets a value.
//
// Errors, as Argo words and returns them: a bad metadata path fails at once;
// a bad JSON path leaves the value "" and the error is returned together with
// the args, but a later fieldRef arg that resolves clears it (Argo keeps only
// the last fieldRef's outcome). The caller fails AnalysisRun creation on any
// returned error.
func ResolveArgs(args []v1alpha1.AnalysisRunArgument, stableHash, latestHash string, rollout *v1alpha1.Rollout) ([]v1alpha1.Argument, error) {
	var lastErr error
	out := make([]v1alpha1.Argument, 0, len(args))
	for _, a := range args {
		value := a.Value
		if a.ValueFrom != nil {
			switch {
			case a.ValueFrom.PodTemplateHashValue != nil:
				switch *a.ValueFrom.PodTemplateHashValue {
				case v1alpha1.Latest:
					value = latestHash
				case v1alpha1.Stable:
					value = stableHash
				}
			case a.ValueFrom.FieldRef != nil:
				path := a.ValueFrom.FieldRef.FieldPath
				if strings.HasPrefix(path, "metadata") {
					v, err := extractMetadataField(rollout, path)
					if err != nil {
						return nil, err
					}
					value, lastErr = v, nil
				} else {
					value, lastErr = ExtractRolloutField(rollout, path)
				}
			}
		}
		v := value
		out = append(out, v1alpha1.Argument{Name: a.Name, Value: &v})
	}
	return out, lastErr
}

// extractMetadataField implements the downward-API field paths on the
// rollout's metadata (k8s fieldpath.ExtractFieldPathAsString).
func extractMetadataField(r *v1alpha1.Rollout, path string) (string, error) {
	if r == nil {
		return "", nil
	}
	if base, key, ok := splitSubscript(path); ok {
		switch base {
		case "metadata.annotations":
			if errs := validation.IsQualifiedName(strings.ToLower(key)); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", path, strings.Join(errs, ";"))
			}
			return r.Annotations[key], nil
		case "metadata.labels":
			if errs := validation.IsQualifiedName(key); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", path, strings.Join(errs, ";"))
			}
			return r.Labels[key], nil
		default:
			return "", fmt.Errorf("fieldPath %q does not support subscript", path)
		}
	}
	switch path {
	case "metadata.annotations":
		return formatStringMap(r.Annotations), nil
	case "metadata.labels":
		return formatStringMap(r.Labels), nil
	case "metadata.name":
		return r.Name, nil
	case "metadata.namespace":
		return r.Namespace, nil
	case "metadata.uid":
		return string(r.UID), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %v", path)
}

// splitSubscript splits "metadata.labels['k']" into ("metadata.labels", "k").
func splitSubscript(path string) (base, key string, ok bool) {
	trimmed, found := strings.CutSuffix(path, "']")
	if !found {
		return path, "", false
	}
	base, key, found = strings.Cut(trimmed, "['")
	if !found || base == "" {
		return path, "", false
	}
	return base, key, true
}

// formatStringMap renders a map as sorted key="value" lines (downward API).
func formatStringMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = fmt.Sprintf("%v=%q", k, m[k])
	}
	return strings.Join(lines, "\n")
}

var fieldPathSeparators = regexp.MustCompile(`[.\[\]]+`)

// ExtractRolloutField reads a dotted/indexed path such as
// "spec.template.spec.containers[0].image" from the Rollout's JSON form and
// renders the primitive found with %v (JSON numbers are float64, so 3 gives
// "3" and 1000000 gives "1e+06"). Errors: "invalid index 'x'",
// "index N out of range", "invalid path P in rollout" (missing field or
// null), "path P in rollout must terminate in a primitive value". A negative
// index is "index N out of range" (Argo panics).
func ExtractRolloutField(r *v1alpha1.Rollout, path string) (string, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	var cur any
	if err := json.Unmarshal(raw, &cur); err != nil {
		return "", err
	}
	for _, section := range fieldPathSeparators.Split(path, -1) {
		if section == "" {
			continue
		}
		switch node := cur.(type) {
		case []any:
			i, err := strconv.Atoi(section)
			if err != nil {
				return "", fmt.Errorf("invalid index '%s'", section)
			}
			if i < 0 || i >= len(node) {
				return "", fmt.Errorf("index %d out of range", i)
			}
			cur = node[i]
		case map[string]any:
			cur = node[section]
		default:
			return "", fmt.Errorf("invalid path %s in rollout", path)
		}
	}
	switch cur.(type) {
	case nil:
		return "", fmt.Errorf("invalid path %s in rollout", path)
	case []any, map[string]any:
		return "", fmt.Errorf("path %s in rollout must terminate in a primitive value", path)
	}
	return fmt.Sprintf("%v", cur), nil
}
