package manifests

import (
	"encoding/json"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/rollsim/rollsim/api"

	sigsyaml "sigs.k8s.io/yaml"
)

// Document is one manifest document as it was written (not decoded into a
// Go type), for an API server to validate: a field of the wrong type, say,
// reaches the server as written, so the server's own message can be shown.
type Document struct {
	Source Source
	// JSON is the document as JSON.
	JSON []byte
	doc  *document
}

// Documents reads the documents of plain files and directories as Load
// does, without decoding them. A kustomization is not built here (its
// documents are left out: kustomize output is checked through Load's
// typed objects). Problems are reported as Load reports them.
func Documents(paths ...string) ([]Document, error) {
	var out []Document
	var errs []*Error
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			errs = append(errs, &Error{File: p, Msg: "cannot read: " + osErrMsg(err)})
		case fi.IsDir():
			if kustomizationIn(p) != "" {
				continue
			}
			entries, err := os.ReadDir(p)
			if err != nil {
				errs = append(errs, &Error{File: p, Msg: "cannot read directory: " + osErrMsg(err)})
				continue
			}
			for _, e := range entries {
				if hasManifestExt(e.Name()) && !e.IsDir() {
					files = append(files, p+string(os.PathSeparator)+e.Name())
				}
			}
		case isKustomizationName(fi.Name()):
		default:
			files = append(files, p)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, &Error{File: f, Msg: "cannot read: " + osErrMsg(err)})
			continue
		}
		docs, es := splitDocuments(f, data, isJSONName(f))
		errs = append(errs, es...)
		for _, d := range docs {
			j := d.data
			if !d.isJSON {
				err := safely(func() (e error) {
					j, e = sigsyaml.YAMLToJSON(d.data)
					return e
				})
				if err != nil {
					errs = append(errs, d.syntaxError(err))
					continue
				}
			}
			out = append(out, Document{Source: Source{File: d.file, Line: d.line}, JSON: j, doc: d})
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return out, nil
}

// ErrorAt is an error about the field at path (dotted, with list indices:
// spec.strategy.canary.steps[0].setWeight, as API servers name fields), at
// the field's line when the document has it, else the document's.
func (d Document) ErrorAt(path, msg string) *Error {
	if d.doc == nil {
		return &Error{File: d.Source.File, Line: d.Source.Line, Field: path, Msg: msg}
	}
	var tree any
	_ = json.Unmarshal(d.JSON, &tree)
	return d.doc.errAt(parsePath(tree, path), msg)
}

// IsCRD tells whether the document is a CustomResourceDefinition.
func (d Document) IsCRD() bool {
	var head struct{ APIVersion, Kind string }
	if err := json.Unmarshal(d.JSON, &head); err != nil {
		return false
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	return err == nil && gv.WithKind(head.Kind).GroupKind() == api.CRDGroupKind
}
