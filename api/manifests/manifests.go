package manifests

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/konfig"
)

// Source is where an object was read from.
type Source struct {
	// File is the path of the file, as given to Load or joined to the
	// directory given to Load.
	File string
	// Line is the 1-based line where the document's content begins (its
	// first key, after any leading comments; its "{" in JSON); 0 when
	// unknown.
	Line int
}

// Object is one typed object and where it came from.
type Object struct {
	// Obj is the decoded object: *v1alpha1.Rollout, *corev1.Service, …
	Obj    client.Object
	Source Source
	doc    *document
}

// ErrorAt is an error about the field at path of the object (dotted, with
// list indices, as API servers name fields: metadata.name), at the field's
// line when the source document has it, else the document's.
func (o Object) ErrorAt(path, msg string) *Error {
	if o.doc == nil {
		return &Error{File: o.Source.File, Line: o.Source.Line, Field: path, Msg: msg}
	}
	var tree any
	if j, err := json.Marshal(o.Obj); err == nil {
		_ = json.Unmarshal(j, &tree)
	}
	return o.doc.errAt(parsePath(tree, path), msg)
}

// Error is one problem in one manifest.
type Error struct {
	File string
	// Line is 1-based; 0 when unknown (a missing file, say).
	Line int
	// Field is the dotted path of the offending field, with list indices,
	// e.g. spec.strategy.canary.steps[0].setWeigth; empty when the problem
	// is not about one field. Map keys holding dots are written
	// ["like.this"].
	Field string
	// Msg says what is wrong and, where it can, what was expected.
	Msg string
}

// Error renders "file:line: field: message"; the line and the field are left
// out when unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File == "" {
		b.WriteString("<input>")
	} else {
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads Kubernetes objects from files and directories.
//
// A file is read as a stream of YAML documents separated by lines holding
// only "---" (a *.json file as one JSON document); empty documents are
// skipped and a v1 List is expanded into its items. A directory is read
// non-recursively: its *.yaml, *.yml and *.json files, sorted by name. A
// directory holding a kustomization file (kustomization.yaml,
// kustomization.yml or Kustomization) is built with kustomize instead, and so
// is the directory of a path naming such a file.
//
// Two objects of the same kind (API group and kind), namespace and name
// are an error at the second, naming the first: applying both would
// silently keep only the later one.
//
// Objects come back in input order: paths in the order given, files in name
// order, documents in file order, kustomize output in the order `kustomize
// build` prints it. Every problem in every document is reported: the error is
// one *Error, or several joined with errors.Join (use errors.As to get the
// first); no objects are returned then.
func Load(paths ...string) ([]Object, error) {
	l := &loader{}
	for _, p := range paths {
		l.loadPath(p)
	}
	l.errs = append(l.errs, duplicates(l.objs)...)
	if len(l.errs) > 0 {
		return nil, joinErrors(l.errs)
	}
	return l.objs, nil
}

type loader struct {
	objs []Object
	errs []*Error
}

func (l *loader) add(objs []Object, errs []*Error) {
	l.objs = append(l.objs, objs...)
	l.errs = append(l.errs, errs...)
}

func (l *loader) loadPath(p string) {
	fi, err := os.Stat(p)
	if err != nil {
		l.errs = append(l.errs, &Error{File: p, Msg: "cannot read: " + osErrMsg(err)})
		return
	}
	switch {
	case fi.IsDir():
		l.loadDir(p)
	case isKustomizationName(filepath.Base(p)):
		l.add(loadKustomization(filepath.Dir(p), p))
	default:
		l.loadFile(p)
	}
}

func (l *loader) loadDir(dir string) {
	if kf := kustomizationIn(dir); kf != "" {
		l.add(loadKustomization(dir, kf))
		return
	}
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		l.errs = append(l.errs, &Error{File: dir, Msg: "cannot read directory: " + osErrMsg(err)})
		return
	}
	n := 0
	for _, e := range entries {
		if !hasManifestExt(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p) // follows symbolic links
		if err != nil {
			l.errs = append(l.errs, &Error{File: p, Msg: "cannot read: " + osErrMsg(err)})
			continue
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		n++
		l.loadFile(p)
	}
	if n == 0 {
		l.errs = append(l.errs, &Error{File: dir, Msg: "no *.yaml, *.yml or *.json files in this directory (subdirectories are not read) and no kustomization file"})
	}
}

func (l *loader) loadFile(p string) {
	data, err := os.ReadFile(p)
	if err != nil {
		l.errs = append(l.errs, &Error{File: p, Msg: "cannot read: " + osErrMsg(err)})
		return
	}
	docs, errs := splitDocuments(p, data, isJSONName(p))
	l.errs = append(l.errs, errs...)
	for _, d := range docs {
		l.add(decodeDocument(d, 0))
	}
}

func hasManifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func isJSONName(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".json")
}

func isKustomizationName(base string) bool {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if base == n {
			return true
		}
	}
	return false
}

// kustomizationIn returns the path of the kustomization file in dir, or "".
func kustomizationIn(dir string) string {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

func osErrMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// safely runs f, turning a panic into an error: third-party parsers are not
// trusted never to panic.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in a parser: %v", r)
		}
	}()
	return f()
}
