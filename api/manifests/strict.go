package manifests

import (
	"reflect"

	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// StrictUnmarshal decodes one YAML (or JSON) document into into, a pointer
// to any Go value described by json tags, strictly: field names are matched
// case-sensitively, and unknown fields, duplicate fields and values of the
// wrong type are errors. YAML scalars keep their YAML type (name: 5 is a
// number, so it does not fit a string field; quote it). On error it returns
// an *Error naming file, the line (counted from data's first line) and the
// field path of the first problem.
//
// It decodes with sigs.k8s.io/json, the decoder under Kubernetes' own strict
// serializer (sigs.k8s.io/yaml's UnmarshalStrict matches field names
// case-insensitively and names no path).
func StrictUnmarshal(file string, data []byte, into any) error {
	docs, errs := splitDocuments(file, data, false)
	if len(errs) > 0 {
		return errs[0]
	}
	if len(docs) == 0 {
		return &Error{File: file, Msg: "empty document"}
	}
	if len(docs) > 1 {
		return &Error{File: file, Line: docs[1].line, Msg: "a second YAML document starts here; expected one"}
	}
	d := docs[0]
	jsonData := d.data
	if !d.isJSON {
		var j []byte
		err := safely(func() (e error) {
			j, e = sigsyaml.YAMLToJSON(d.data)
			return e
		})
		if err != nil {
			return d.syntaxError(err)
		}
		jsonData = j
	}
	var strictErrs []error
	err := safely(func() (e error) {
		strictErrs, e = kjson.UnmarshalStrict(jsonData, into)
		return e
	})
	goType := reflect.TypeOf(into)
	if err != nil {
		return d.fatalError(err, jsonData, jsonTree(jsonData), goType)
	}
	if len(strictErrs) > 0 {
		return d.strictError(strictErrs[0].Error(), jsonTree(jsonData), goType)
	}
	return nil
}
