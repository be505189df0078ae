package manifests

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// objectID is what names one object in a cluster.
type objectID struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

// duplicates reports every object that has the kind, namespace and name
// of an earlier one, at the later one, naming both places. The namespace
// is compared as written (an object without one is not compared with one
// that names the namespace it will be applied to).
func duplicates(objs []Object) []*Error {
	first := map[objectID]Source{}
	var errs []*Error
	for _, o := range objs {
		name := o.Obj.GetName()
		if name == "" {
			continue
		}
		id := objectID{gk: o.Obj.GetObjectKind().GroupVersionKind().GroupKind(), namespace: o.Obj.GetNamespace(), name: name}
		prev, seen := first[id]
		if !seen {
			first[id] = o.Source
			continue
		}
		what := id.gk.Kind + " " + name
		if id.namespace != "" {
			what = id.gk.Kind + " " + id.namespace + "/" + name
		}
		errs = append(errs, &Error{File: o.Source.File, Line: o.Source.Line, Field: "metadata.name",
			Msg: fmt.Sprintf("duplicate object: %s is defined twice, at %s and here at %s; applying both would keep only the later one", what, sourceString(prev), sourceString(o.Source))})
	}
	return errs
}

// sourceString renders file:line (file alone when the line is unknown).
func sourceString(s Source) string {
	if s.Line > 0 {
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	return s.File
}

// String renders the source as file:line, or the file alone when the line
// is unknown.
func (s Source) String() string { return sourceString(s) }
