package scenarios

// These tests keep scenario.schema.json honest without a JSON Schema
// library: the schema is compared with the Go types by reflection (so a
// field added, renamed or retyped on either side fails), every library
// scenario is validated against it with a small validator for the keywords
// the schema uses, and a table of documents checks that the schema and the
// loader agree (or differ only in the documented ways).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	sigsyaml "sigs.k8s.io/yaml"
)

const schemaPath = "scenario.schema.json"

// schemaDoc is the parsed schema with the defs it references.
type schemaDoc struct {
	root     map[string]any
	defs     map[string]any
	patterns map[string]*regexp.Regexp
}

func schemaDecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

func loadSchemaDoc(t *testing.T) *schemaDoc {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	v, err := schemaDecodeJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: the schema is not an object", schemaPath)
	}
	if got := root["$schema"]; got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema is %v, want draft 2020-12", got)
	}
	defs, _ := root["$defs"].(map[string]any)
	return &schemaDoc{root: root, defs: defs, patterns: map[string]*regexp.Regexp{}}
}

// ref returns the def a {"$ref": "#/$defs/X"} node points to and X; ok is
// false when the node has no $ref.
func (s *schemaDoc) ref(node map[string]any) (map[string]any, string, bool, error) {
	r, has := node["$ref"]
	if !has {
		return nil, "", false, nil
	}
	rs, _ := r.(string)
	name, found := strings.CutPrefix(rs, "#/$defs/")
	if !found {
		return nil, "", true, fmt.Errorf("$ref %v: only #/$defs/NAME is supported", r)
	}
	def, ok := s.defs[name].(map[string]any)
	if !ok {
		return nil, "", true, fmt.Errorf("$ref %q: no such def", rs)
	}
	return def, name, true, nil
}

// schemaJSONFields lists a struct's fields as the JSON decoder sees them.
func schemaJSONFields(t reflect.Type) (map[string]reflect.StructField, error) {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			// An embedded struct's fields are promoted, as encoding/json does.
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() != reflect.Struct {
				return nil, fmt.Errorf("%s.%s: embedded non-struct fields are not supported by this test", t.Name(), f.Name)
			}
			inner, err := schemaJSONFields(ft)
			if err != nil {
				return nil, err
			}
			for k, v := range inner {
				if _, dup := out[k]; !dup {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f
	}
	return out, nil
}

// schemaBranchNames collects the property names that subschemas (oneOf, anyOf,
// allOf, not, if/then/else) of a node mention in properties or required.
func schemaBranchNames(node map[string]any, into map[string]bool) {
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		list, _ := node[k].([]any)
		for _, b := range list {
			if m, ok := b.(map[string]any); ok {
				schemaNamesIn(m, into)
			}
		}
	}
	for _, k := range []string{"not", "if", "then", "else"} {
		if m, ok := node[k].(map[string]any); ok {
			schemaNamesIn(m, into)
		}
	}
}

func schemaNamesIn(node map[string]any, into map[string]bool) {
	if props, ok := node["properties"].(map[string]any); ok {
		for k := range props {
			into[k] = true
		}
	}
	req, _ := node["required"].([]any)
	for _, r := range req {
		if s, ok := r.(string); ok {
			into[s] = true
		}
	}
	schemaBranchNames(node, into)
}

var schemaDurationType = reflect.TypeOf(Duration{})

type schemaTypeWalker struct {
	s    *schemaDoc
	used map[string]bool
	errs []string
}

func (w *schemaTypeWalker) errorf(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// walk checks that node describes values of Go type typ; path names the
// place for messages.
func (w *schemaTypeWalker) walk(path string, typ reflect.Type, node map[string]any) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	def, name, hasRef, err := w.s.ref(node)
	if err != nil {
		w.errorf("%s: %v", path, err)
		return
	}
	if hasRef {
		w.used[name] = true
	}
	if typ == schemaDurationType {
		if name != "Duration" {
			w.errorf("%s: a Duration field must be {\"$ref\": \"#/$defs/Duration\"}", path)
		}
		return
	}
	if hasRef {
		if typ.Kind() == reflect.Struct && name != typ.Name() {
			w.errorf("%s: Go type %s is described by $defs/%s; name the def after the type", path, typ.Name(), name)
		}
		node = def
	}
	if typ.Kind() == reflect.Interface {
		if _, has := node["type"]; has {
			w.errorf("%s: an interface-typed field (any JSON value) must not constrain its type", path)
		}
		return
	}
	want := map[reflect.Kind]string{
		reflect.String: "string", reflect.Bool: "boolean", reflect.Struct: "object", reflect.Map: "object", reflect.Slice: "array",
		reflect.Int: "integer", reflect.Int8: "integer", reflect.Int16: "integer", reflect.Int32: "integer", reflect.Int64: "integer",
		reflect.Uint: "integer", reflect.Uint8: "integer", reflect.Uint16: "integer", reflect.Uint32: "integer", reflect.Uint64: "integer",
		reflect.Float32: "number", reflect.Float64: "number",
	}[typ.Kind()]
	if want == "" {
		w.errorf("%s: Go kind %s is not supported by this test", path, typ.Kind())
		return
	}
	if alts, ok := node["anyOf"].([]any); ok {
		// A value with several spellings (a number, or "NaN"): the branch
		// of the Go kind's type describes it.
		for _, a := range alts {
			if m, ok := a.(map[string]any); ok && m["type"] == want {
				node = m
				break
			}
		}
	}
	if got := node["type"]; got != want {
		w.errorf("%s: schema type is %v, want %q (Go %s)", path, got, want, typ)
		return
	}
	switch typ.Kind() {
	case reflect.Struct:
		w.walkStruct(path, typ, node)
	case reflect.Map:
		if typ.Key().Kind() != reflect.String {
			w.errorf("%s: map keys must be strings", path)
			return
		}
		ap, ok := node["additionalProperties"].(map[string]any)
		if !ok {
			w.errorf("%s: a map needs additionalProperties: a schema for its values", path)
			return
		}
		if _, ok := node["properties"]; ok {
			w.errorf("%s: a map must not list properties", path)
		}
		w.walk(path+".*", typ.Elem(), ap)
	case reflect.Slice:
		items, ok := node["items"].(map[string]any)
		if !ok {
			w.errorf("%s: an array needs items", path)
			return
		}
		w.walk(path+"[]", typ.Elem(), items)
	}
}

func (w *schemaTypeWalker) walkStruct(path string, typ reflect.Type, node map[string]any) {
	fields, err := schemaJSONFields(typ)
	if err != nil {
		w.errorf("%s: %v", path, err)
		return
	}
	if node["additionalProperties"] != false {
		w.errorf("%s: additionalProperties must be false (the loader rejects unknown fields)", path)
	}
	props, _ := node["properties"].(map[string]any)
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	at := func(n string) string {
		if path == "" {
			return n
		}
		return path + "." + n
	}
	for _, n := range names {
		p, ok := props[n].(map[string]any)
		if !ok {
			w.errorf("%s: Go field %s.%s (json %q) is missing from the schema", at(n), typ.Name(), fields[n].Name, n)
			continue
		}
		if d, _ := p["description"].(string); strings.TrimSpace(d) == "" {
			w.errorf("%s: property has no description", at(n))
		}
		w.walk(at(n), fields[n].Type, p)
	}
	var extra []string
	for n := range props {
		if _, ok := fields[n]; !ok {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		w.errorf("%s: schema property has no Go field in %s", at(n), typ.Name())
	}
	mentioned := map[string]bool{}
	req, _ := node["required"].([]any)
	for _, r := range req {
		s, _ := r.(string)
		mentioned[s] = true
	}
	schemaBranchNames(node, mentioned)
	for n := range mentioned {
		if _, ok := fields[n]; !ok {
			w.errorf("%s: required or subschema mentions %q, which %s does not have", path, n, typ.Name())
		}
	}
}

func TestSchemaMatchesGoTypes(t *testing.T) {
	s := loadSchemaDoc(t)
	w := &schemaTypeWalker{s: s, used: map[string]bool{}}
	w.walk("", reflect.TypeOf(Scenario{}), s.root)
	// Defs reached only through subschemas (anyOf of expect.at) count as used.
	var markRefs func(v any)
	markRefs = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"].(string); ok {
				w.used[strings.TrimPrefix(r, "#/$defs/")] = true
			}
			for _, c := range x {
				markRefs(c)
			}
		case []any:
			for _, c := range x {
				markRefs(c)
			}
		}
	}
	for _, d := range s.defs {
		markRefs(d)
	}
	markRefs(s.root["properties"])
	for name := range s.defs {
		if !w.used[name] {
			w.errs = append(w.errs, fmt.Sprintf("$defs/%s is not referenced", name))
		}
	}
	sort.Strings(w.errs)
	for _, e := range w.errs {
		t.Error(e)
	}
}

// schemaKeywords are the keywords the validator below implements, plus
// annotations. The schema may use no others, so that nothing it says is
// silently left unchecked here.
var schemaKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true, "title": true, "description": true, "examples": true, "default": true,
	"$ref": true, "type": true, "const": true, "enum": true, "pattern": true, "minLength": true, "minItems": true,
	"minimum": true, "maximum": true, "properties": true, "additionalProperties": true, "required": true, "items": true,
	"oneOf": true, "anyOf": true, "allOf": true, "not": true,
}

func TestSchemaUsesKnownKeywords(t *testing.T) {
	s := loadSchemaDoc(t)
	var visit func(path string, node map[string]any)
	visit = func(path string, node map[string]any) {
		keys := make([]string, 0, len(node))
		for k := range node {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !schemaKeywords[k] {
				t.Errorf("%s: keyword %q is not checked by schema_test.go's validator", path, k)
			}
			switch k {
			case "properties", "$defs":
				m, _ := node[k].(map[string]any)
				for name, sub := range m {
					if sm, ok := sub.(map[string]any); ok {
						visit(path+"/"+k+"/"+name, sm)
					}
				}
			case "items", "not", "additionalProperties":
				if sm, ok := node[k].(map[string]any); ok {
					visit(path+"/"+k, sm)
				}
			case "oneOf", "anyOf", "allOf":
				list, _ := node[k].([]any)
				for i, sub := range list {
					if sm, ok := sub.(map[string]any); ok {
						visit(fmt.Sprintf("%s/%s/%d", path, k, i), sm)
					}
				}
			case "pattern":
				if _, err := regexp.Compile(fmt.Sprint(node[k])); err != nil {
					t.Errorf("%s: pattern: %v", path, err)
				}
			}
		}
	}
	visit("#", s.root)
}

// validate checks v against node for the keywords in schemaKeywords.
func (s *schemaDoc) validate(node map[string]any, v any, path string) error {
	if path == "" {
		path = "(root)"
	}
	if def, _, has, err := s.ref(node); err != nil {
		return err
	} else if has {
		if err := s.validate(def, v, path); err != nil {
			return err
		}
	}
	if typ, ok := node["type"].(string); ok && !schemaHasType(v, typ) {
		return fmt.Errorf("%s: expected %s, got %s", path, typ, schemaShow(v))
	}
	if c, ok := node["const"]; ok && !schemaJSONEqual(c, v) {
		return fmt.Errorf("%s: expected %s, got %s", path, schemaShow(c), schemaShow(v))
	}
	if list, ok := node["enum"].([]any); ok {
		found := false
		for _, e := range list {
			found = found || schemaJSONEqual(e, v)
		}
		if !found {
			return fmt.Errorf("%s: %s is not one of %s", path, schemaShow(v), schemaShow(list))
		}
	}
	if str, ok := v.(string); ok {
		if p, ok := node["pattern"].(string); ok {
			re := s.patterns[p]
			if re == nil {
				re = regexp.MustCompile(p)
				s.patterns[p] = re
			}
			if !re.MatchString(str) {
				return fmt.Errorf("%s: %q does not match %s", path, str, p)
			}
		}
		if n, ok := node["minLength"].(json.Number); ok {
			if min, _ := n.Int64(); int64(utf8.RuneCountInString(str)) < min {
				return fmt.Errorf("%s: %q is shorter than %d", path, str, min)
			}
		}
	}
	if num, ok := v.(json.Number); ok {
		x, _ := new(big.Rat).SetString(num.String())
		if n, ok := node["minimum"].(json.Number); ok {
			if m, _ := new(big.Rat).SetString(n.String()); x == nil || x.Cmp(m) < 0 {
				return fmt.Errorf("%s: %s is less than %s", path, num, n)
			}
		}
		if n, ok := node["maximum"].(json.Number); ok {
			if m, _ := new(big.Rat).SetString(n.String()); x == nil || x.Cmp(m) > 0 {
				return fmt.Errorf("%s: %s is more than %s", path, num, n)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if n, ok := node["minItems"].(json.Number); ok {
			if min, _ := n.Int64(); int64(len(arr)) < min {
				return fmt.Errorf("%s: expected at least %d items, got %d", path, min, len(arr))
			}
		}
		if items, ok := node["items"].(map[string]any); ok {
			for i, e := range arr {
				if err := s.validate(items, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := node["properties"].(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			at := path + "." + k
			if path == "(root)" {
				at = k
			}
			if p, ok := props[k].(map[string]any); ok {
				if err := s.validate(p, obj[k], at); err != nil {
					return err
				}
				continue
			}
			switch ap := node["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Errorf("%s: unknown field", at)
				}
			case map[string]any:
				if err := s.validate(ap, obj[k], at); err != nil {
					return err
				}
			}
		}
		req, _ := node["required"].([]any)
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: %s is required", path, r)
			}
		}
	}
	if list, ok := node["allOf"].([]any); ok {
		for _, b := range list {
			if err := s.validate(b.(map[string]any), v, path); err != nil {
				return err
			}
		}
	}
	if list, ok := node["anyOf"].([]any); ok {
		var errs []string
		for _, b := range list {
			err := s.validate(b.(map[string]any), v, path)
			if err == nil {
				errs = nil
				break
			}
			errs = append(errs, err.Error())
		}
		if errs != nil {
			return fmt.Errorf("%s: matches none of anyOf: %s", path, strings.Join(errs, "; "))
		}
	}
	if list, ok := node["oneOf"].([]any); ok {
		n := 0
		var errs []string
		for _, b := range list {
			if err := s.validate(b.(map[string]any), v, path); err == nil {
				n++
			} else {
				errs = append(errs, err.Error())
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf, want exactly 1 (%s)", path, n, strings.Join(errs, "; "))
		}
	}
	if not, ok := node["not"].(map[string]any); ok {
		if s.validate(not, v, path) == nil {
			return fmt.Errorf("%s: matches a schema it must not match: %s", path, schemaShow(not))
		}
	}
	return nil
}

func schemaHasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		r, ok := new(big.Rat).SetString(n.String())
		return ok && r.IsInt()
	}
	return false
}

func schemaJSONEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func schemaShow(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func schemaYAMLValue(t *testing.T, name string, data []byte) any {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	v, err := schemaDecodeJSON(j)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestSchemaAcceptsLibrary(t *testing.T) {
	s := loadSchemaDoc(t)
	files, err := filepath.Glob("library/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no library scenarios: %v", err)
	}
	topLevel, _ := s.root["properties"].(map[string]any)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(f, data); err != nil {
			t.Errorf("loader rejects %s: %v", f, err)
		}
		v := schemaYAMLValue(t, f, data)
		doc, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: not a mapping", f)
			continue
		}
		for k := range doc {
			if _, ok := topLevel[k]; !ok {
				t.Errorf("%s: top-level key %q is not in the schema", f, k)
			}
		}
		if err := s.validate(s.root, v, ""); err != nil {
			t.Errorf("schema rejects %s: %v", f, err)
		}
	}
}

// schemaBase uses every field of the format, so that the mutations below
// can reach all of them. Parse resolves its paths from library/.
const schemaBase = `
apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata: {name: schema-case, description: the base document of the schema tests}
spec:
  seed: 7
  manifests: [../testdata/seeds/basic-canary]
  namespace: default
  initial: {rollout: rollouts-demo, image: "argoproj/rollouts-demo:yellow", history: ["argoproj/rollouts-demo:blue"], container: "*"}
  cluster: {podStartup: 5s, jobPodStartup: 2s}
  versions:
    blue: {}
    yellow: {startup: 10s, job: {duration: 1m, result: succeed}}
    red: {bad: true, neverReady: true, job: {result: fail}}
  actions:
  - {at: 0s, name: update, setImage: {rollout: rollouts-demo, image: "argoproj/rollouts-demo:red", container: rollouts-demo}}
  - {at: 1m, promote: {rollout: rollouts-demo}}
  - {at: 2m, promoteFull: {rollout: default/rollouts-demo}}
  - {at: 3m, abort: {rollout: rollouts-demo}}
  - {at: 4m, retry: {rollout: rollouts-demo}}
  - {at: 5m, pause: {rollout: rollouts-demo}}
  - {at: 6m, resume: {rollout: rollouts-demo}}
  - {at: 7m, scale: {rollout: rollouts-demo, replicas: 3}}
  - {at: 8m, apply: {manifests: [../testdata/seeds/basic-canary/service.yaml]}}
  until: {rollout: rollouts-demo, phase: [Healthy, Degraded], for: 30s, timeout: 30m}
  expect:
  - {description: a state check, at: end, rollout: rollouts-demo, phase: Healthy, message: x, stableImage: "argoproj/rollouts-demo:yellow", stepIndex: 8, setWeight: 0, actualWeight: 0, replicas: {stable: 5, canary: 0, old: 0}, available: {stable: 5}}
  - {at: 90s, rollout: rollouts-demo}
  - {description: an event check, within: {duration: 2m, of: failureOnset}, event: RolloutAborted, object: rollout/rollouts-demo}
  - {within: {duration: 0s, of: update}, event: RolloutUpdated}
  - {within: {duration: 10m, of: start}, event: RolloutCompleted}
  - never: {event: TrafficWeightUpdated, object: rollouts-demo, verb: weight}
`

// schemaRemove is the value of a mutation that deletes the key.
type schemaRemove struct{}

type schemaMutation struct {
	path  string
	value any
}

// schemaSetPath sets (or, with schemaRemove{}, deletes) the value at a
// dotted path with [i] indices; every step but the last must exist.
func schemaSetPath(doc any, path string, value any) error {
	var parts []string
	for _, p := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(p, "[")
		parts = append(parts, name)
		if idx != "" {
			parts = append(parts, strings.TrimSuffix(idx, "]"))
		}
	}
	cur := doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if _, ok := value.(schemaRemove); ok {
					delete(c, p)
				} else {
					c[p] = value
				}
				return nil
			}
			next, ok := c[p]
			if !ok {
				return fmt.Errorf("%s: no %q", path, p)
			}
			cur = next
		case []any:
			idx, err := strconv.Atoi(p)
			if err != nil || idx < 0 || idx >= len(c) {
				return fmt.Errorf("%s: bad index %q", path, p)
			}
			if last {
				c[idx] = value
				return nil
			}
			cur = c[idx]
		default:
			return fmt.Errorf("%s: %q is not in a mapping or a list", path, p)
		}
	}
	return nil
}

func TestSchemaAgreesWithLoader(t *testing.T) {
	type obj = map[string]any
	type list = []any
	type remove = schemaRemove
	m := func(path string, value any) schemaMutation { return schemaMutation{path, value} }
	s := loadSchemaDoc(t)
	base, err := sigsyaml.YAMLToJSON([]byte(schemaBase))
	if err != nil {
		t.Fatal(err)
	}
	minimal := obj{"manifests": list{"../testdata/seeds/basic-canary"}, "initial": obj{"rollout": "rollouts-demo", "image": "nginx"},
		"versions": obj{"default": obj{}}}
	type tc struct {
		name string
		muts []schemaMutation
		// loader and schema: whether each accepts the document.
		loader, schema bool
	}
	ok := func(name string, muts ...schemaMutation) tc { return tc{name, muts, true, true} }
	bad := func(name string, muts ...schemaMutation) tc { return tc{name, muts, false, false} }
	// schemaStricter: the loader accepts a value it ignores or that can
	// never be meaningful; the schema says no (see its $comment).
	schemaStricter := func(name string, muts ...schemaMutation) tc { return tc{name, muts, true, false} }
	// loaderStricter: cross-field rules a JSON Schema cannot express.
	loaderStricter := func(name string, muts ...schemaMutation) tc { return tc{name, muts, false, true} }
	cases := []tc{
		ok("base"),
		ok("minimal spec", m("spec", minimal)),
		ok("action at defaults to 0s", m("spec.actions[1].at", remove{})),
		ok("within duration defaults to 0s", m("spec.expect[3].within.duration", remove{})),
		ok("never by verb alone", m("spec.expect[5].never", obj{"verb": "aborted"})),
		ok("state check at an offset", m("spec.expect[1].at", "1h2m3.5s")),
		ok("state check at 0", m("spec.expect[1].at", "0")),
		ok("state check without at", m("spec.expect[0].at", remove{})),
		ok("version by full reference", m("spec.versions.argoproj/rollouts-demo:yellow", obj{}), m("spec.versions.yellow", remove{})),
		ok("empty until", m("spec.until", obj{})),
		ok("empty versions entry and no job duration", m("spec.versions.yellow", obj{"job": obj{"result": "fail"}})),
		ok("durations with fractions and µs", m("spec.cluster.podStartup", "1.5s"), m("spec.cluster.jobPodStartup", "250ms"), m("spec.until.for", "10µs")),
		ok("negative seed", m("spec.seed", -3)),

		bad("apiVersion missing", m("apiVersion", remove{})),
		bad("apiVersion wrong", m("apiVersion", "rollsim.dev/v1")),
		bad("kind wrong", m("kind", "Rollout")),
		bad("metadata missing", m("metadata", remove{})),
		bad("metadata.name empty", m("metadata.name", "")),
		bad("spec missing", m("spec", remove{})),
		bad("manifests missing", m("spec.manifests", remove{})),
		bad("manifests empty", m("spec.manifests", list{})),
		bad("manifests a string", m("spec.manifests", "../testdata/seeds/basic-canary")),
		bad("initial missing", m("spec.initial", remove{})),
		bad("initial.rollout missing", m("spec.initial.rollout", remove{})),
		bad("initial.image empty", m("spec.initial.image", "")),
		bad("seed a string", m("spec.seed", "7")),
		bad("seed a fraction", m("spec.seed", 1.5)),
		bad("neverReady a string", m("spec.versions.red.neverReady", "yes")),
		bad("job.result wrong", m("spec.versions.yellow.job.result", "pass")),
		bad("job.result missing", m("spec.versions.yellow.job.result", remove{})),
		bad("startup not a duration", m("spec.versions.yellow.startup", "5 s")),
		bad("podStartup a bare number string", m("spec.cluster.podStartup", "10")),
		bad("podStartup a number", m("spec.cluster.podStartup", 10)),
		bad("timeout in days", m("spec.until.timeout", "1d")),
		bad("negative for", m("spec.until.for", "-1s")),
		bad("negative action at", m("spec.actions[1].at", "-1s")),
		bad("until.phase wrong", m("spec.until.phase", list{"Running"})),
		bad("two action kinds", m("spec.actions[1].abort", obj{"rollout": "rollouts-demo"})),
		bad("no action kind", m("spec.actions[1].promote", remove{})),
		bad("promote without rollout", m("spec.actions[1].promote", obj{})),
		bad("abort with an empty rollout", m("spec.actions[3].abort.rollout", "")),
		bad("setImage without image", m("spec.actions[0].setImage.image", remove{})),
		bad("setImage with an empty rollout", m("spec.actions[0].setImage.rollout", "")),
		bad("scale without rollout", m("spec.actions[7].scale.rollout", remove{})),
		bad("scale replicas a string", m("spec.actions[7].scale.replicas", "3")),
		bad("apply without manifests", m("spec.actions[8].apply.manifests", remove{})),
		bad("apply with no manifests", m("spec.actions[8].apply.manifests", list{})),
		bad("action named start", m("spec.actions[1].name", "start")),
		bad("action named failureOnset", m("spec.actions[1].name", "failureOnset")),
		bad("expect phase wrong", m("spec.expect[0].phase", "Ready")),
		bad("state check without rollout", m("spec.expect[1]", obj{"at": "1m", "phase": "Healthy"})),
		bad("state check at not a duration", m("spec.expect[1].at", "soon")),
		bad("stepIndex a string", m("spec.expect[0].stepIndex", "8")),
		bad("empty expectation", m("spec.expect[1]", obj{})),
		bad("expectation with only a description", m("spec.expect[1]", obj{"description": "nothing"})),
		bad("expectation that is state and event", m("spec.expect[0].within", obj{"duration": "1m", "of": "start"})),
		bad("expectation that is event and never", m("spec.expect[2].never", obj{"event": "X"})),
		bad("expectation that is state and never", m("spec.expect[1].never", obj{"event": "X"})),
		bad("event check without event", m("spec.expect[2].event", remove{})),
		bad("event check with an empty event", m("spec.expect[2].event", "")),
		bad("within without of", m("spec.expect[2].within.of", remove{})),
		bad("within duration negative", m("spec.expect[2].within.duration", "-1m")),
		bad("never without event or verb", m("spec.expect[5].never", obj{"object": "rollouts-demo"})),
		bad("never empty", m("spec.expect[5].never", obj{})),
		bad("unknown top-level field", m("status", obj{})),
		bad("unknown metadata field", m("metadata.labels", obj{})),
		bad("unknown spec field", m("spec.replicas", 3)),
		bad("spec field in the wrong case", m("spec.Manifests", list{"x"})),
		bad("unknown initial field", m("spec.initial.tag", "v1")),
		bad("unknown cluster field", m("spec.cluster.nodes", 3)),
		bad("unknown version field", m("spec.versions.blue.ready", true)),
		bad("unknown job field", m("spec.versions.yellow.job.exitCode", 1)),
		bad("unknown action field", m("spec.actions[0].when", "0s")),
		bad("unknown setImage field", m("spec.actions[0].setImage.tag", "v1")),
		bad("unknown promote field", m("spec.actions[1].promote.full", true)),
		bad("unknown scale field", m("spec.actions[7].scale.to", 3)),
		bad("unknown apply field", m("spec.actions[8].apply.files", list{"x"})),
		bad("unknown until field", m("spec.until.phases", list{"Healthy"})),
		bad("unknown expect field", m("spec.expect[0].weight", 3)),
		bad("unknown role", m("spec.expect[0].replicas.new", 1)),
		bad("unknown within field", m("spec.expect[2].within.from", "start")),
		bad("unknown never field", m("spec.expect[5].never.reason", "X")),

		schemaStricter("null cluster", m("spec.cluster", nil)),
		schemaStricter("state check at an empty string", m("spec.expect[1].at", "")),
		schemaStricter("state check with an empty phase", m("spec.expect[1].phase", "")),
		schemaStricter("state check at a negative offset", m("spec.expect[1].at", "-1m")),
		schemaStricter("at on a never check", m("spec.expect[5].at", "end")),
		schemaStricter("at on an event check", m("spec.expect[2].at", "1m")),
		schemaStricter("event on a state check", m("spec.expect[1].event", "RolloutCompleted")),
		schemaStricter("negative scale", m("spec.actions[7].scale.replicas", -1)),
		schemaStricter("negative stepIndex", m("spec.expect[0].stepIndex", -1)),

		loaderStricter("initial image matches no version", m("spec.initial.image", "argoproj/rollouts-demo:green")),
		loaderStricter("history image matches no version", m("spec.initial.history", list{"argoproj/rollouts-demo:green"})),
		loaderStricter("setImage image matches no version", m("spec.actions[0].setImage.image", "argoproj/rollouts-demo:green")),
		loaderStricter("action name used twice", m("spec.actions[1].name", "update")),
		loaderStricter("within.of names no action", m("spec.expect[3].within.of", "nope")),
		loaderStricter("manifest path missing", m("spec.manifests", list{"nope"})),
		loaderStricter("apply path missing", m("spec.actions[8].apply.manifests", list{"nope.yaml"})),
		loaderStricter("duration overflow", m("spec.until.timeout", "9999999999h")),
	}
	for _, c := range cases {
		doc, err := schemaDecodeJSON(base)
		if err != nil {
			t.Fatal(err)
		}
		for _, mu := range c.muts {
			if err := schemaSetPath(doc, mu.path, mu.value); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		v, err := schemaDecodeJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, loadErr := Parse("library/schema-case.yaml", data)
		schemaErr := s.validate(s.root, v, "")
		if (loadErr == nil) != c.loader {
			t.Errorf("%s: loader accepts=%v, want %v (error: %v)", c.name, loadErr == nil, c.loader, loadErr)
		}
		if (schemaErr == nil) != c.schema {
			t.Errorf("%s: schema accepts=%v, want %v (error: %v)", c.name, schemaErr == nil, c.schema, schemaErr)
		}
	}
}

// TestSchemaDurationPattern compares the Duration pattern with the
// loader's Duration decoding.
func TestSchemaDurationPattern(t *testing.T) {
	s := loadSchemaDoc(t)
	def, _ := s.defs["Duration"].(map[string]any)
	p, _ := def["pattern"].(string)
	re, err := regexp.Compile(p)
	if err != nil {
		t.Fatalf("$defs/Duration pattern: %v", err)
	}
	for _, d := range []string{
		"0", "+0", "0s", "00s", "1s", "30s", "2m", "2m30s", "1h", "1h2m3s", "1.5s", "1.s", ".5s", "250ms", "10us", "10µs", "10μs",
		"5ns", "1h0m0s", "+5m", "", "s", ".s", "1", "10", "00", "-1s", "-5m", "1d", "5 s", " 5s", "5s ", "1e3s", "1S", "1sec",
		"1m-1s", "5m0", "h1", "1..5s",
	} {
		var dur Duration
		loader := dur.UnmarshalJSON([]byte(strconv.Quote(d))) == nil
		if schema := re.MatchString(d); schema != loader {
			t.Errorf("duration %q: schema accepts=%v, loader accepts=%v", d, schema, loader)
		}
	}
}
