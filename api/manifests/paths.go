package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxDepth bounds every walk over a tree built from input.
const maxDepth = 10000

// seg is one step of a field path: a mapping key or a list index.
type seg struct {
	key     string
	index   int
	isIndex bool
}

func keySeg(k string) seg { return seg{key: k} }
func indexSeg(i int) seg  { return seg{index: i, isIndex: true} }
func appendSeg(p []seg, s seg) []seg {
	out := make([]seg, len(p), len(p)+1)
	copy(out, p)
	return append(out, s)
}

func concatSegs(a, b []seg) []seg {
	out := make([]seg, 0, len(a)+len(b))
	out = append(out, a...)
	return append(out, b...)
}

// formatPath renders a path as spec.steps[0].setWeight; keys that would be
// ambiguous (holding dots or brackets) are written ["a.b/c"].
func formatPath(p []seg) string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.isIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case s.key == "" || strings.ContainsAny(s.key, ".[]\"'"):
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.key))
			b.WriteByte(']')
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// keysOnly joins the keys of p with dots, leaving indices out, the way
// encoding/json names fields in type errors.
func keysOnly(p []seg) string {
	var parts []string
	for _, s := range p {
		if !s.isIndex {
			parts = append(parts, s.key)
		}
	}
	return strings.Join(parts, ".")
}

// parsePath splits a dotted path as the JSON decoder reports it
// ("metadata.annotations.a.b/c", "spec.steps[0].x") into steps, using the
// decoded JSON tree to tell dots inside map keys from separators.
func parsePath(tree any, p string) []seg {
	var out []seg
	cur := tree
	for len(p) > 0 {
		if p[0] == '.' {
			p = p[1:]
			continue
		}
		if p[0] == '[' {
			if j := strings.IndexByte(p, ']'); j > 0 {
				if n, err := strconv.Atoi(p[1:j]); err == nil && n >= 0 {
					out = append(out, indexSeg(n))
					cur = valueAt(cur, []seg{indexSeg(n)})
					p = p[j+1:]
					continue
				}
			}
		}
		key := ""
		if m, ok := cur.(map[string]any); ok {
			for k := range m {
				if len(k) > len(key) && strings.HasPrefix(p, k) &&
					(len(p) == len(k) || p[len(k)] == '.' || p[len(k)] == '[') {
					key = k
				}
			}
		}
		if key == "" {
			j := strings.IndexAny(p[1:], ".[")
			if j < 0 {
				key = p
			} else {
				key = p[:j+1]
			}
		}
		out = append(out, keySeg(key))
		cur = valueAt(cur, []seg{keySeg(key)})
		p = p[len(key):]
	}
	return out
}

// valueAt follows p in a tree decoded from JSON; nil when absent.
func valueAt(tree any, p []seg) any {
	cur := tree
	for _, s := range p {
		switch v := cur.(type) {
		case map[string]any:
			if s.isIndex {
				return nil
			}
			cur = v[s.key]
		case []any:
			if !s.isIndex || s.index >= len(v) {
				return nil
			}
			cur = v[s.index]
		default:
			return nil
		}
	}
	return cur
}

// jsonTree decodes data into maps, slices and json.Numbers; nil on error.
func jsonTree(data []byte) any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// mapLookup finds key in a mapping node, looking through merge keys (<<).
func mapLookup(n *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 16 {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if kn := n.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, n.Content[i+1]
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "<<" {
			continue
		}
		m := resolve(n.Content[i+1])
		if m == nil {
			continue
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			if k, v := mapLookup(s, key, depth+1); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// nodeLine walks root along p and returns the line of the deepest step it
// finds (the key's line for a mapping entry, the item's line for a list
// item), and whether it found the whole path. A key step on a list (a path
// without indices) takes the first item that has the key.
func nodeLine(root *yaml.Node, p []seg) (int, bool) {
	if root == nil {
		return 0, false
	}
	n, line := root, root.Line
	for _, s := range p {
		n = resolve(n)
		if n == nil {
			return line, false
		}
		if s.isIndex {
			if n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
				return line, false
			}
			n = n.Content[s.index]
			line = n.Line
			continue
		}
		switch n.Kind {
		case yaml.MappingNode:
			k, v := mapLookup(n, s.key, 0)
			if k == nil {
				return line, false
			}
			n, line = v, k.Line
		case yaml.SequenceNode:
			found := false
			for _, item := range n.Content {
				if k, v := mapLookup(item, s.key, 0); k != nil {
					n, line, found = v, k.Line, true
					break
				}
			}
			if !found {
				return line, false
			}
		default:
			return line, false
		}
	}
	return line, true
}

// scalarNodeAt returns the scalar node at p (exact indices), or nil.
func scalarNodeAt(root *yaml.Node, p []seg) *yaml.Node {
	n := root
	for _, s := range p {
		n = resolve(n)
		if n == nil {
			return nil
		}
		if s.isIndex {
			if n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
				return nil
			}
			n = n.Content[s.index]
			continue
		}
		_, n = mapLookup(n, s.key, 0)
	}
	if n = resolve(n); n == nil || n.Kind != yaml.ScalarNode {
		return nil
	}
	return n
}

// jsonPathAtOffset returns the path of the JSON value that ends at byte
// offset off (where encoding/json reports type errors: just past a literal,
// or just past the opening bracket of an object or array).
func jsonPathAtOffset(data []byte, off int64) ([]seg, bool) {
	type frame struct {
		obj     bool
		wantKey bool
		key     string
		idx     int
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []frame
	current := func() []seg {
		p := make([]seg, 0, len(stack))
		for _, f := range stack {
			if f.obj {
				p = append(p, keySeg(f.key))
			} else {
				p = append(p, indexSeg(f.idx))
			}
		}
		return p
	}
	done := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.obj {
			top.wantKey = true
		} else {
			top.idx++
		}
	}
	var best []seg
	found := false
	for i := 0; i < 1<<24; i++ {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		end := dec.InputOffset()
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			done()
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].wantKey {
			k, _ := tok.(string)
			stack[len(stack)-1].key = k
			stack[len(stack)-1].wantKey = false
			continue
		}
		if end <= off {
			best, found = current(), true
		}
		if end >= off {
			break
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{obj: d == '{', wantKey: d == '{'})
			continue
		}
		done()
	}
	return best, found
}

var (
	jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// jsonFields lists the JSON names of a struct's fields with their types,
// including fields of embedded structs (k8s's `json:",inline"`); the
// shallower field wins, as in encoding/json.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var add func(t reflect.Type, depth int)
	add = func(t reflect.Type, depth int) {
		var embedded []reflect.Type
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					embedded = append(embedded, ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, ok := out[name]; !ok {
				out[name] = f.Type
			}
		}
		if depth < 8 {
			for _, e := range embedded {
				add(e, depth+1)
			}
		}
	}
	if t != nil && t.Kind() == reflect.Struct {
		add(t, 0)
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// typeAt follows p through the Go type t; nil when it leaves the type.
func typeAt(t reflect.Type, p []seg) reflect.Type {
	t = deref(t)
	for _, s := range p {
		if t == nil {
			return nil
		}
		switch {
		case s.isIndex && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
			t = t.Elem()
		case !s.isIndex && t.Kind() == reflect.Struct:
			ft, ok := jsonFields(t)[s.key]
			if !ok {
				return nil
			}
			t = ft
		case !s.isIndex && t.Kind() == reflect.Map:
			t = t.Elem()
		default:
			return nil
		}
		t = deref(t)
	}
	return t
}

// unknownFieldMsg says that key is not a field of parent and what would
// have been.
func unknownFieldMsg(parent reflect.Type, key string) string {
	msg := "unknown field " + strconv.Quote(key)
	parent = deref(parent)
	if parent == nil || parent.Kind() != reflect.Struct {
		return msg
	}
	fields := jsonFields(parent)
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return msg + "; no fields are allowed here"
	}
	if best := closest(key, names); best != "" {
		return msg + ", did you mean " + strconv.Quote(best) + "?"
	}
	const max = 24
	list := names
	more := ""
	if len(list) > max {
		list, more = list[:max], ", …"
	}
	return msg + "; expected one of: " + strings.Join(list, ", ") + more
}

// closest returns the candidate nearest to s (case-insensitively), or "" if
// none is near enough to be a likely misspelling.
func closest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", 1<<30
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if lc == ls {
			return c
		}
		if d := levenshtein(ls, lc); d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if l := len([]rune(s)) / 3; l > limit {
		limit = l
	}
	if bestD <= limit && bestD < len([]rune(s)) {
		return best
	}
	// A truncated name (publishNotReady for publishNotReadyAddresses).
	prefixed := ""
	for _, c := range candidates {
		if len(ls) >= 4 && strings.HasPrefix(strings.ToLower(c), ls) {
			if prefixed != "" {
				return ""
			}
			prefixed = c
		}
	}
	return prefixed
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 256 || len(rb) > 256 {
		return 1 << 20
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// locateBadValue finds the value in tree (decoded JSON) that the Go type t
// cannot take: a value whose type has its own UnmarshalJSON (a quantity, a
// time, a duration…) that fails. The decoder's own error for those carries
// no path.
func locateBadValue(t reflect.Type, v any, path []seg, depth int) ([]seg, error, bool) {
	t = deref(t)
	if t == nil || depth > 512 || v == nil {
		return nil, nil, false
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, false
		}
		u, ok := reflect.New(t).Interface().(json.Unmarshaler)
		if !ok {
			return nil, nil, false
		}
		if err := safely(func() error { return u.UnmarshalJSON(b) }); err != nil {
			return path, err, true
		}
		return nil, nil, false
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil, false
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if ft, ok := fields[k]; ok {
				if p, err, ok := locateBadValue(ft, m[k], appendSeg(path, keySeg(k)), depth+1); ok {
					return p, err, true
				}
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil, false
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if p, err, ok := locateBadValue(t.Elem(), m[k], appendSeg(path, keySeg(k)), depth+1); ok {
				return p, err, true
			}
		}
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			return nil, nil, false
		}
		for i, item := range a {
			if p, err, ok := locateBadValue(t.Elem(), item, appendSeg(path, indexSeg(i)), depth+1); ok {
				return p, err, true
			}
		}
	}
	return nil, nil, false
}

// typeError is what encoding/json (and its sigs.k8s.io/json fork, whose
// error type is internal) says about a value of the wrong type.
type typeError struct {
	value  string // "string", "number", "number -5", "bool", "object", "array"
	typ    reflect.Type
	offset int64
	field  string // dotted path without indices
}

// asTypeError reads an *UnmarshalTypeError of encoding/json or of the
// sigs.k8s.io/json fork (an internal type, so read by reflection).
func asTypeError(err error) (typeError, bool) {
	var std *json.UnmarshalTypeError
	if errors.As(err, &std) {
		return typeError{value: std.Value, typ: std.Type, offset: std.Offset, field: std.Field}, true
	}
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return typeError{}, false
	}
	s := v.Elem()
	if s.Type().Name() != "UnmarshalTypeError" {
		return typeError{}, false
	}
	value, typ, off, field := s.FieldByName("Value"), s.FieldByName("Type"), s.FieldByName("Offset"), s.FieldByName("Field")
	if !value.IsValid() || value.Kind() != reflect.String || !off.IsValid() || off.Kind() != reflect.Int64 ||
		!field.IsValid() || field.Kind() != reflect.String || !typ.IsValid() || !typ.CanInterface() {
		return typeError{}, false
	}
	te := typeError{value: value.String(), offset: off.Int(), field: field.String()}
	if rt, ok := typ.Interface().(reflect.Type); ok {
		te.typ = rt
	}
	return te, true
}

// describeType names what a Go type accepts: "integer (int32)".
func describeType(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	word := ""
	switch deref(t).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		word = "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		word = "non-negative integer"
	case reflect.Float32, reflect.Float64:
		word = "number"
	case reflect.String:
		word = "string"
	case reflect.Bool:
		word = "boolean"
	case reflect.Slice, reflect.Array:
		word = "list"
	case reflect.Map, reflect.Struct:
		word = "mapping"
	default:
		return t.String()
	}
	if word == t.String() {
		return word
	}
	return word + " (" + t.String() + ")"
}

// describeValue names a JSON value as the user wrote it: `string "forty"`.
func describeValue(kind string, v any) string {
	switch {
	case kind == "object":
		return "mapping"
	case kind == "array":
		return "list"
	case kind == "bool":
		if b, ok := v.(bool); ok {
			return "boolean " + strconv.FormatBool(b)
		}
		return "boolean"
	case kind == "string":
		if s, ok := v.(string); ok {
			if len(s) > 60 {
				s = s[:57] + "..."
			}
			return "string " + strconv.Quote(s)
		}
		return "string"
	case strings.HasPrefix(kind, "number"):
		if n, ok := v.(json.Number); ok {
			return "number " + n.String()
		}
		return kind
	}
	return kind
}
