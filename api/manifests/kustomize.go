package manifests

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// loadKustomization builds dir with kustomize (the same code as `kustomize
// build dir`, default options: load restrictions to the root, no plugins)
// and decodes its output strictly. kfile is dir's kustomization file.
//
// To map objects back to the files they came from, the build runs with
// kustomize's origin tracking (buildMetadata: [originAnnotations]) added to
// the root kustomization as it is read; the annotations are removed from the
// output again unless the kustomization asked for them itself.
func loadKustomization(dir, kfile string) ([]Object, []*Error) {
	if errs := precheckKustomization(dir, kfile, map[string]bool{}, 0); len(errs) > 0 {
		return nil, errs
	}
	disk := filesys.MakeFsOnDisk()
	root, _, err := disk.CleanedAbs(dir)
	if err != nil {
		return nil, []*Error{{File: dir, Msg: "cannot read: " + osErrMsg(err)}}
	}
	fsys := &originFS{FileSystem: disk, root: string(root)}
	var m resmap.ResMap
	err = safely(func() (e error) {
		m, e = krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
		return e
	})
	if err != nil {
		return nil, []*Error{kustomizeError(kfile, err)}
	}
	resources := m.Resources()
	origins := make([]*resource.Origin, len(resources))
	for i, r := range resources {
		if o, err := r.GetOrigin(); err == nil {
			origins[i] = o
		}
	}
	if fsys.injected {
		if err := m.RemoveOriginAnnotations(); err != nil {
			return nil, []*Error{{File: kfile, Msg: "kustomize: " + err.Error()}}
		}
	}
	loc := &sourceLocator{dir: dir, kfile: kfile, docs: map[string][]*document{}}
	var objs []Object
	var errs []*Error
	for i, r := range resources {
		d := loc.document(origins[i], r)
		data, err := r.MarshalJSON()
		if err != nil {
			errs = append(errs, d.errAt(nil, "kustomize output: "+err.Error()))
			continue
		}
		d.data, d.isJSON = data, true
		o, e := decodeDocument(d, 0)
		objs, errs = append(objs, o...), append(errs, e...)
	}
	return objs, errs
}

// originFS is the disk, except that the root kustomization file reads with
// originAnnotations added to its buildMetadata.
type originFS struct {
	filesys.FileSystem
	root     string
	injected bool
}

func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || filepath.Dir(filepath.Clean(path)) != f.root || !isKustomizationName(filepath.Base(path)) {
		return data, err
	}
	out, injected := withOriginAnnotations(data)
	f.injected = f.injected || injected
	return out, nil
}

// withOriginAnnotations adds originAnnotations to a kustomization's
// buildMetadata; injected is false when it was there already or the file is
// not a plain mapping (kustomize then reports the problem itself).
func withOriginAnnotations(data []byte) (out []byte, injected bool) {
	var doc yaml.Node
	if err := safely(func() error { return yaml.Unmarshal(data, &doc) }); err != nil ||
		doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return data, false
	}
	top := doc.Content[0]
	k, v := mapLookup(top, "buildMetadata", 0)
	switch {
	case k == nil && top.Style&yaml.FlowStyle == 0:
		// Append a line: the rest of the file stays byte for byte.
		out = append([]byte{}, data...)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		return append(out, "buildMetadata: ["+types.OriginAnnotations+"]\n"...), true
	case k == nil:
		top.Content = append(top.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "buildMetadata"},
			&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Tag: "!!str", Value: types.OriginAnnotations},
			}})
	case v.Kind == yaml.SequenceNode:
		for _, c := range v.Content {
			if c.Value == types.OriginAnnotations {
				return data, false
			}
		}
		v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: types.OriginAnnotations})
	default:
		return data, false
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		return data, false
	}
	return b, true
}

// sourceLocator finds the source document of kustomize output objects.
type sourceLocator struct {
	dir, kfile string
	docs       map[string][]*document
}

// document returns a document for r that names its source file and, when
// found, the source document's node tree and line.
func (l *sourceLocator) document(o *resource.Origin, r *resource.Resource) *document {
	d := &document{file: l.kfile}
	switch {
	case o == nil:
	case o.Repo != "":
		d.file = o.Repo + "//" + o.Path
		if o.Ref != "" {
			d.file += "?ref=" + o.Ref
		}
	case o.Path != "":
		d.file = filepath.Join(l.dir, filepath.FromSlash(o.Path))
		if src := matchDocument(l.parsed(d.file), r); src != nil {
			d.root, d.line, d.built = src.root, src.line, true
		}
	case o.ConfiguredIn != "":
		d.file = filepath.Join(l.dir, filepath.FromSlash(o.ConfiguredIn))
		d.line = generatorLine(l.parsed(d.file), r.GetName())
	}
	return d
}

func (l *sourceLocator) parsed(file string) []*document {
	if docs, ok := l.docs[file]; ok {
		return docs
	}
	var docs []*document
	if data, err := os.ReadFile(file); err == nil {
		docs, _ = splitDocuments(file, data, isJSONName(file))
	}
	l.docs[file] = docs
	return docs
}

// matchDocument picks the document r was read from: same kind (and group)
// and same name; else the only document of that kind; else the one whose
// name r's name contains (kustomize adds prefixes, suffixes and hashes).
func matchDocument(docs []*document, r *resource.Resource) *document {
	gvk := r.GetGvk()
	name, ns := r.GetName(), r.GetNamespace()
	var cands, exact []*document
	for _, d := range docs {
		av, kind := scalarAt(d.root, "apiVersion"), scalarAt(d.root, "kind")
		group, _, _ := strings.Cut(av, "/")
		if !strings.Contains(av, "/") {
			group = ""
		}
		if kind != gvk.Kind || group != gvk.Group {
			continue
		}
		cands = append(cands, d)
		if scalarAt(d.root, "metadata", "name") == name {
			exact = append(exact, d)
		}
	}
	if len(exact) > 1 {
		for _, d := range exact {
			if scalarAt(d.root, "metadata", "namespace") == ns {
				return d
			}
		}
	}
	if len(exact) > 0 {
		return exact[0]
	}
	if len(cands) == 1 {
		return cands[0]
	}
	var best *document
	bestLen := 0
	for _, d := range cands {
		if n := scalarAt(d.root, "metadata", "name"); n != "" && len(n) > bestLen && strings.Contains(name, n) {
			best, bestLen = d, len(n)
		}
	}
	return best
}

// generatorLine finds the configMapGenerator or secretGenerator entry of a
// kustomization that made an object called name (kustomize adds prefixes
// and a hash); 0 if none.
func generatorLine(docs []*document, name string) int {
	if len(docs) == 0 {
		return 0
	}
	best, bestLen := 0, 0
	for _, key := range []string{"configMapGenerator", "secretGenerator"} {
		k, v := mapLookup(docs[0].root, key, 0)
		if k == nil || v.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range v.Content {
			if n := scalarAt(item, "name"); n != "" && len(n) > bestLen && strings.Contains(name, n) {
				best, bestLen = item.Line, len(n)
			}
		}
	}
	return best
}

// scalarAt returns the scalar at keys in a mapping node, or "".
func scalarAt(n *yaml.Node, keys ...string) string {
	for _, k := range keys {
		_, n = mapLookup(n, k, 0)
	}
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// precheckKustomization reports YAML syntax errors and duplicate keys, with
// their lines, in the kustomization file and in the local files its
// resources name, recursing into local kustomization directories. kustomize
// would reject those files too, but its messages do not always carry the
// line.
func precheckKustomization(dir, kfile string, seen map[string]bool, depth int) []*Error {
	if depth > 32 || seen[kfile] {
		return nil
	}
	seen[kfile] = true
	data, err := os.ReadFile(kfile)
	if err != nil {
		return nil // kustomize reports it
	}
	docs, errs := splitDocuments(kfile, data, false)
	if len(errs) > 0 {
		return errs
	}
	if len(docs) != 1 {
		return nil // kustomize reports it
	}
	type entry struct {
		node  *yaml.Node
		field []seg
	}
	var entries []entry
	for _, key := range []string{"resources", "bases", "components"} {
		if _, v := mapLookup(docs[0].root, key, 0); v != nil && v.Kind == yaml.SequenceNode {
			for i, e := range v.Content {
				if e.Kind == yaml.ScalarNode {
					entries = append(entries, entry{e, []seg{keySeg(key), indexSeg(i)}})
				}
			}
		}
	}
	for _, en := range entries {
		e, r := en.node, en.node.Value
		if r == "" || strings.Contains(r, "://") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(r))
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			// Missing, or a remote base (github.com/org/repo//path?ref=v1):
			// report it as missing when the directory that would hold it
			// exists; kustomize reports the rest.
			if _, perr := os.Stat(filepath.Dir(p)); os.IsNotExist(err) && perr == nil && !strings.Contains(r, "?") {
				errs = append(errs, &Error{File: kfile, Line: e.Line, Field: formatPath(en.field), Msg: fmt.Sprintf("%s: no such file or directory", r)})
			}
		case fi.Mode().IsRegular():
			if b, err := os.ReadFile(p); err == nil {
				_, e := splitDocuments(p, b, isJSONName(p))
				errs = append(errs, e...)
			}
		case fi.IsDir():
			if kf := kustomizationIn(p); kf != "" {
				errs = append(errs, precheckKustomization(p, kf, seen, depth+1)...)
			}
		}
	}
	return errs
}

// kustomizeError turns a failed build into an *Error. kustomize names an
// unknown field of a kustomization without its line; find it in kfile.
func kustomizeError(kfile string, err error) *Error {
	msg := strings.TrimSpace(err.Error())
	e := &Error{File: kfile, Msg: "kustomize build failed: " + msg}
	key, ok := quotedAfter(msg, "unknown field ")
	if !ok || !strings.Contains(msg, "invalid Kustomization") {
		return e
	}
	data, rerr := os.ReadFile(kfile)
	if rerr != nil {
		return e
	}
	docs, _ := splitDocuments(kfile, data, false)
	if len(docs) != 1 {
		return e
	}
	p, line := findKey(docs[0].root, key, nil, 0)
	if p == nil {
		return e
	}
	return &Error{
		File:  kfile,
		Line:  line,
		Field: formatPath(p),
		Msg:   unknownFieldMsg(typeAt(reflect.TypeOf(types.Kustomization{}), p[:len(p)-1]), key) + " (in a kustomization)",
	}
}

// findKey finds the first mapping key called key, depth first.
func findKey(n *yaml.Node, key string, path []seg, depth int) ([]seg, int) {
	if n == nil || depth > 64 {
		return nil, 0
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
				return appendSeg(path, keySeg(key)), k.Line
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if p, l := findKey(n.Content[i+1], key, appendSeg(path, keySeg(n.Content[i].Value)), depth+1); p != nil {
				return p, l
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p, l := findKey(c, key, appendSeg(path, indexSeg(i)), depth+1); p != nil {
				return p, l
			}
		}
	}
	return nil, 0
}
