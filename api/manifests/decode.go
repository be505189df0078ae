package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	rolloutsv1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/api"
)

// The strict decoders of api.Scheme. A document that is a JSON object goes
// to the JSON one, anything else to the YAML one (the universal deserializer
// would send flow-style YAML such as {a: b} to the JSON decoder and fail).
var yamlDecoder, jsonDecoder = strictDecoders()

func strictDecoders() (yamlDec, jsonDec runtime.Decoder) {
	codecs := serializer.NewCodecFactory(api.Scheme, serializer.EnableStrict)
	if info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeYAML); ok {
		yamlDec = info.StrictSerializer
	}
	if info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeJSON); ok {
		jsonDec = info.StrictSerializer
	}
	if yamlDec == nil || jsonDec == nil {
		panic("manifests: api.Scheme's codec factory has no strict YAML or JSON serializer")
	}
	return yamlDec, jsonDec
}

// maxListDepth bounds Lists nested in Lists.
const maxListDepth = 8

// DecodeStrict decodes one YAML or JSON document into a typed object with
// api.Scheme's strict decoder. file only names the input in errors; lines
// count from data's first line. Unknown or misspelt fields, duplicate
// fields, values of the wrong type, kinds the scheme does not know and
// syntax errors are errors (*Error, or several joined). data must hold
// exactly one object: several documents, or a List, are for Load.
func DecodeStrict(file string, data []byte) (client.Object, error) {
	docs, errs := splitDocuments(file, data, false)
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	if len(docs) == 0 {
		return nil, &Error{File: file, Msg: "empty document: expected a Kubernetes object"}
	}
	if len(docs) > 1 {
		return nil, &Error{File: file, Line: docs[1].line, Msg: "a second document starts here; DecodeStrict decodes one (Load reads multi-document files)"}
	}
	objs, errs := decodeDocument(docs[0], 0)
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	if len(objs) != 1 {
		return nil, &Error{File: file, Line: docs[0].line, Msg: fmt.Sprintf("the document is a List of %d objects; DecodeStrict decodes one (Load expands Lists)", len(objs))}
	}
	return objs[0].Obj, nil
}

// decodeDocument decodes d strictly into one object, or several for a List.
func decodeDocument(d *document, depth int) ([]Object, []*Error) {
	jsonData := d.data
	if !d.isJSON {
		var j []byte
		err := safely(func() (e error) {
			j, e = sigsyaml.YAMLToJSON(d.data)
			return e
		})
		if err != nil {
			return nil, []*Error{d.syntaxError(err)}
		}
		jsonData = j
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(jsonData, &top); err != nil || top == nil {
		return nil, []*Error{d.errAt(nil, "expected a Kubernetes object (a mapping with apiVersion and kind), got "+jsonKind(jsonData))}
	}
	avKey, apiVersion, e1 := d.headerField(top, "apiVersion")
	kindKey, kind, e2 := d.headerField(top, "kind")
	if e1 != nil || e2 != nil {
		var errs []*Error
		for _, e := range []*Error{e1, e2} {
			if e != nil {
				errs = append(errs, e)
			}
		}
		return nil, errs
	}
	if kind == "" {
		return nil, []*Error{d.errAt([]seg{keySeg("kind")}, "missing: every Kubernetes object needs apiVersion and kind")}
	}
	if apiVersion == "" {
		return nil, []*Error{d.errAt([]seg{keySeg("apiVersion")}, "missing: every Kubernetes object needs apiVersion and kind")}
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, []*Error{d.errAt([]seg{keySeg(avKey)}, fmt.Sprintf("invalid apiVersion %q: expected group/version, or v1", apiVersion))}
	}
	gvk := gv.WithKind(kind)
	if !api.Scheme.Recognizes(gvk) {
		if mustBeTyped(gvk) {
			return nil, []*Error{d.unknownKind(gvk, avKey, kindKey)}
		}
		return d.decodeUnstructured(jsonData, top, gvk)
	}
	dec := yamlDecoder
	if d.isJSON {
		dec = jsonDecoder
	}
	var obj runtime.Object
	err = safely(func() (e error) {
		obj, _, e = dec.Decode(d.data, nil, nil)
		return e
	})
	if err != nil {
		var goType reflect.Type
		if o, e := api.Scheme.New(gvk); e == nil {
			goType = reflect.TypeOf(o)
		}
		return nil, d.decodeErrors(err, jsonData, goType)
	}
	return d.objects(obj, gvk, depth)
}

// headerField reads apiVersion or kind: the exact key, else a key that
// differs only in case (the decoder's kind detection ignores case; the
// strict check then reports the misspelt key).
func (d *document) headerField(top map[string]json.RawMessage, name string) (key, value string, e *Error) {
	raw, ok := top[name]
	key = name
	if !ok {
		for _, k := range sortedRawKeys(top) {
			if strings.EqualFold(k, name) {
				raw, key, ok = top[k], k, true
				break
			}
		}
	}
	if !ok {
		return name, "", nil
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		return key, "", d.errAt([]seg{keySeg(key)}, "expected string, got "+jsonKind(raw))
	}
	return key, value, nil
}

func sortedRawKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonKind names the kind of a JSON value.
func jsonKind(data []byte) string {
	t := bytes.TrimSpace(data)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "a mapping"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// objects turns a decoded object into Objects, expanding Lists.
func (d *document) objects(obj runtime.Object, gvk schema.GroupVersionKind, depth int) ([]Object, []*Error) {
	if co, ok := obj.(client.Object); ok {
		setKind(co, gvk)
		return []Object{{Obj: co, Source: Source{File: d.file, Line: d.line}, doc: d}}, nil
	}
	if !meta.IsListType(obj) {
		return nil, []*Error{d.errAt([]seg{keySeg("kind")}, fmt.Sprintf("%s %s is not an object kind (it has no metadata); expected a kind such as Rollout or Service", gvk.GroupVersion(), gvk.Kind))}
	}
	if depth >= maxListDepth {
		return nil, []*Error{d.errAt(nil, "Lists nested too deeply")}
	}
	items, err := meta.ExtractList(obj)
	if err != nil {
		return nil, []*Error{d.errAt([]seg{keySeg("items")}, err.Error())}
	}
	var objs []Object
	var errs []*Error
	for i, item := range items {
		sub := &document{
			file:   d.file,
			root:   d.root,
			prefix: concatSegs(d.prefix, []seg{keySeg("items"), indexSeg(i)}),
			isJSON: true,
		}
		sub.line = d.line
		if d.root != nil {
			if l, ok := nodeLine(d.root, sub.prefix); ok {
				sub.line = l
			}
		}
		switch it := item.(type) {
		case *runtime.Unknown:
			sub.data = it.Raw
			o, e := decodeDocument(sub, depth+1)
			objs, errs = append(objs, o...), append(errs, e...)
		case client.Object:
			if kinds, _, err := api.Scheme.ObjectKinds(it); err == nil && len(kinds) > 0 {
				setKind(it, kinds[0])
			}
			objs = append(objs, Object{Obj: it, Source: Source{File: d.file, Line: sub.line}, doc: sub})
		default:
			errs = append(errs, sub.errAt(nil, "expected a Kubernetes object in the list"))
		}
	}
	return objs, errs
}

func setKind(o client.Object, gvk schema.GroupVersionKind) {
	if o.GetObjectKind().GroupVersionKind().Empty() {
		o.GetObjectKind().SetGroupVersionKind(gvk)
	}
}

// errAt makes an *Error for the field at p (relative to the document; nil
// for the document itself), with the line of the deepest part of the path
// that the source document has.
func (d *document) errAt(p []seg, msg string) *Error {
	full := concatSegs(d.prefix, p)
	line := d.line
	if d.root != nil && len(full) > 0 {
		l, found := nodeLine(d.root, full)
		if l > 0 {
			line = l
		}
		if !found && d.built {
			msg += " (the field is not in this file: the kustomize build added it, from a patch or a transformer)"
		}
	}
	return &Error{File: d.file, Line: line, Field: formatPath(full), Msg: msg}
}

func (d *document) syntaxError(err error) *Error {
	e := yamlSyntaxError(d.file, d.base, d.data, err)
	if e.Line == 0 {
		e.Line = d.line
	}
	return e
}

// decodeErrors explains a decoding error; goType is the Go type decoded
// into.
func (d *document) decodeErrors(err error, jsonData []byte, goType reflect.Type) []*Error {
	tree := jsonTree(jsonData)
	if se, ok := runtime.AsStrictDecodingError(err); ok {
		var errs []*Error
		for _, e := range se.Errors() {
			errs = append(errs, d.strictError(e.Error(), tree, goType))
		}
		return errs
	}
	return []*Error{d.fatalError(err, jsonData, tree, goType)}
}

// strictError explains one error of the strict checks: `unknown field
// "spec.x"`, `duplicate field "a.b"`, or a duplicate key from the YAML
// converter.
func (d *document) strictError(msg string, tree any, goType reflect.Type) *Error {
	if path, ok := quotedAfter(msg, "unknown field "); ok {
		p := parsePath(tree, path)
		if len(p) == 0 {
			return d.errAt(nil, msg)
		}
		last := p[len(p)-1]
		return d.errAt(p, unknownFieldMsg(typeAt(goType, p[:len(p)-1]), last.key))
	}
	if path, ok := quotedAfter(msg, "duplicate field "); ok {
		return d.errAt(parsePath(tree, path), "duplicate field")
	}
	if lineRE.MatchString(msg) && d.base > 0 {
		return d.syntaxError(errors.New(msg))
	}
	return d.errAt(nil, msg)
}

// quotedAfter reads the quoted string after prefix in msg.
func quotedAfter(msg, prefix string) (string, bool) {
	i := strings.Index(msg, prefix)
	if i < 0 {
		return "", false
	}
	rest := msg[i+len(prefix):]
	if s, err := strconv.Unquote(rest); err == nil {
		return s, true
	}
	if q, err := strconv.QuotedPrefix(rest); err == nil {
		if s, err := strconv.Unquote(q); err == nil {
			return s, true
		}
	}
	return "", false
}

// fatalError explains an error that stopped decoding: a value of the wrong
// type, a value a type's own decoder rejects, a JSON syntax error.
func (d *document) fatalError(err error, jsonData []byte, tree any, goType reflect.Type) *Error {
	if te, ok := asTypeError(err); ok {
		return d.typeError(te, jsonData, tree)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		e := d.errAt(nil, "JSON syntax error: "+se.Error())
		if d.base > 0 {
			e.Line = d.base - 1 + lineAt(d.data, se.Offset)
		}
		return e
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if p, cause, ok := locateBadValue(goType, tree, nil, 0); ok {
		return d.errAt(p, fmt.Sprintf("invalid value %s: %v", describeValue(jsonValueKind(valueAt(tree, p)), valueAt(tree, p)), cause))
	}
	return d.errAt(nil, msg)
}

func jsonValueKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

// typeError explains a value of the wrong type, found through the byte
// offset the decoder reports (its own path has no list indices).
func (d *document) typeError(te typeError, jsonData []byte, tree any) *Error {
	p, ok := jsonPathAtOffset(jsonData, te.offset)
	if !ok || (te.field != "" && keysOnly(p) != te.field && !strings.HasPrefix(keysOnly(p), te.field+".")) {
		p = nil
		if te.field != "" {
			for _, k := range strings.Split(te.field, ".") {
				p = append(p, keySeg(k))
			}
		}
	}
	got := describeValue(te.value, valueAt(tree, p))
	if d.root != nil && !d.built && strings.HasPrefix(te.value, "number") {
		// As written: the YAML to JSON conversion turns big integers into
		// floats.
		if n := scalarNodeAt(d.root, concatSegs(d.prefix, p)); n != nil {
			got = "number " + n.Value
		}
	}
	msg := fmt.Sprintf("expected %s, got %s", describeType(te.typ), got)
	if te.typ != nil && deref(te.typ).Kind() == reflect.String && (strings.HasPrefix(te.value, "number") || te.value == "bool") {
		msg += " (quote it to make it a string)"
	}
	return d.errAt(p, msg)
}

var metaObjectType = reflect.TypeOf((*metav1.Object)(nil)).Elem()

// objectKinds lists the kinds of gv that are objects (have metadata),
// sorted.
func objectKinds(gv schema.GroupVersion) []string {
	var kinds []string
	for k, t := range api.Scheme.KnownTypes(gv) {
		if reflect.PointerTo(t).Implements(metaObjectType) {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	return kinds
}

// servedAt lists the apiVersions that serve kind (compared with fold when
// fold is true), preferring each group's preferred version.
func servedAt(kind string, fold bool) (versions []string, exactKind string) {
	byGroup := map[string][]schema.GroupVersionKind{}
	for gvk, t := range api.Scheme.AllKnownTypes() {
		if (gvk.Kind == kind || (fold && strings.EqualFold(gvk.Kind, kind))) && reflect.PointerTo(t).Implements(metaObjectType) {
			byGroup[gvk.Group] = append(byGroup[gvk.Group], gvk)
		}
	}
	groups := make([]string, 0, len(byGroup))
	for g := range byGroup {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		gvks := byGroup[g]
		sort.Slice(gvks, func(i, j int) bool { return gvks[i].Version < gvks[j].Version })
		pick := gvks[0]
	prio:
		for _, pv := range api.Scheme.PrioritizedVersionsForGroup(g) {
			for _, c := range gvks {
				if c.Version == pv.Version {
					pick = c
					break prio
				}
			}
		}
		versions = append(versions, pick.GroupVersion().String())
		exactKind = pick.Kind
	}
	// Name only the stable versions when there are any (apps/v1, not also
	// extensions/v1beta1).
	var stable []string
	for _, v := range versions {
		if stableVersionRE.MatchString(v) {
			stable = append(stable, v)
		}
	}
	if len(stable) > 0 {
		versions = stable
	}
	return versions, exactKind
}

var (
	rolloutsGV      = rolloutsv1alpha1.SchemeGroupVersion
	stableVersionRE = regexp.MustCompile(`(^|/)v[0-9]+$`)
)

// unknownKind explains an apiVersion/kind pair the scheme does not know,
// saying which kinds it does.
func (d *document) unknownKind(gvk schema.GroupVersionKind, avKey, kindKey string) *Error {
	gv := gvk.GroupVersion()
	kindField := []seg{keySeg(kindKey)}
	avField := []seg{keySeg(avKey)}
	if kinds := objectKinds(gv); len(kinds) > 0 {
		// A known apiVersion without this kind.
		if c := closest(gvk.Kind, kinds); c != "" && strings.EqualFold(c, gvk.Kind) {
			return d.errAt(kindField, fmt.Sprintf("unknown kind %q in %s, did you mean %q?", gvk.Kind, gv, c))
		}
		if vs, _ := servedAt(gvk.Kind, false); len(vs) > 0 {
			return d.errAt(avField, fmt.Sprintf("kind %s is not served by apiVersion %s; use apiVersion %s", gvk.Kind, gv, strings.Join(vs, " or ")))
		}
		msg := fmt.Sprintf("unknown kind %q in %s", gvk.Kind, gv)
		if c := closest(gvk.Kind, kinds); c != "" {
			msg += fmt.Sprintf(", did you mean %q?", c)
		}
		msg += fmt.Sprintf("; the kinds of %s are: %s", gv, strings.Join(kinds, ", "))
		return d.errAt(kindField, msg)
	}
	if vs, k := servedAt(gvk.Kind, true); len(vs) > 0 {
		if k == gvk.Kind {
			return d.errAt(avField, fmt.Sprintf("unsupported apiVersion %q for kind %s; use apiVersion %s", gv.String(), k, strings.Join(vs, " or ")))
		}
		return d.errAt(kindField, fmt.Sprintf("unknown kind %q (apiVersion %s); did you mean kind %s, apiVersion %s?", gvk.Kind, gv, k, strings.Join(vs, " or ")))
	}
	var versions []string
	for _, v := range api.Scheme.PrioritizedVersionsForGroup(gvk.Group) {
		versions = append(versions, v.String())
	}
	if len(versions) > 0 && gvk.Group != "" {
		return d.errAt(avField, fmt.Sprintf("unsupported apiVersion %q; group %s is served at %s", gv.String(), gvk.Group, strings.Join(versions, ", ")))
	}
	msg := fmt.Sprintf("unknown kind %q (apiVersion %s): not a Kubernetes built-in kind (v1 Service, apps/v1 Deployment, networking.k8s.io/v1 Ingress, …) nor an Argo Rollouts kind (%s: %s)",
		gvk.Kind, gv, rolloutsGV, strings.Join(objectKinds(rolloutsGV), ", "))
	if gvk.Group == "kustomize.config.k8s.io" {
		msg += "; to build a kustomization, pass its directory"
	} else if !strings.Contains(gvk.Group, ".") {
		msg += "; a custom resource's apiVersion names a group with a dot (example.com/v1), and rollsim loads any such kind"
	}
	return d.errAt(kindField, msg)
}
