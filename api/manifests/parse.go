package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// document is one YAML or JSON document and what is known about where it
// came from.
type document struct {
	file string
	// line is the line of the document's first key (Source.Line); 0 if
	// unknown.
	line int
	// base is the line in file of data's first line; 0 when data is not a
	// slice of the file (kustomize output, List items).
	base int
	// root is the document's content node in the source file, with lines
	// relative to the file; nil when unknown.
	root *yaml.Node
	// prefix is the path of this document inside root (items[3] for an item
	// of a List).
	prefix []seg
	// data is handed to the decoder; isJSON says it is JSON.
	data   []byte
	isJSON bool
	// built: data is kustomize output, root the document it was built from.
	built bool
}

type chunk struct {
	data []byte
	line int // line in the file of data's first line
}

var bom = []byte("\xef\xbb\xbf")

// splitDocuments cuts data into documents and parses each with yaml.v3 for
// positions. Empty documents are dropped. YAML syntax errors and duplicate
// keys are reported here, with their lines.
func splitDocuments(file string, data []byte, jsonFile bool) ([]*document, []*Error) {
	data = normalizeCR(bytes.TrimPrefix(data, bom))
	var chunks []chunk
	if jsonFile {
		if e := checkJSON(file, data); e != nil {
			return nil, []*Error{e}
		}
		chunks = []chunk{{data: data, line: 1}}
	} else {
		var e *Error
		chunks, e = splitChunks(file, data)
		if e != nil {
			return nil, []*Error{e}
		}
	}
	var docs []*document
	var errs []*Error
	for _, c := range chunks {
		d, e := parseChunk(file, c)
		if e != nil && jsonFile {
			// Valid JSON (checked above) that the YAML parser, which only
			// gives the positions, cannot read: decode it without them.
			d, e = &document{file: file, line: 1, base: 1, data: c.data, isJSON: true}, nil
		}
		if e != nil {
			errs = append(errs, e)
			continue
		}
		if d == nil {
			continue
		}
		if dup := duplicateKeys(d); len(dup) > 0 {
			errs = append(errs, dup...)
			continue
		}
		docs = append(docs, d)
	}
	return docs, errs
}

// normalizeCR turns lone carriage returns, which YAML counts as line breaks,
// into newlines, so that every line count agrees with the parser's. (CRLF
// stays as it is.)
func normalizeCR(data []byte) []byte {
	if bytes.IndexByte(data, '\r') < 0 {
		return data
	}
	out := make([]byte, len(data))
	copy(out, data)
	for i, b := range out {
		if b == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
}

// splitChunks splits a YAML stream on lines that hold only "---" (and
// perhaps a comment), as kubectl does.
func splitChunks(file string, data []byte) ([]chunk, *Error) {
	var chunks []chunk
	start, startLine := 0, 1
	line := 1
	for off := 0; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end < 0 {
			end = len(data)
		} else {
			end += off
			next = end + 1
		}
		text := bytes.TrimRight(data[off:end], "\r")
		if bytes.HasPrefix(text, []byte("---")) {
			rest := text[3:]
			if len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' {
				tr := bytes.TrimSpace(rest)
				if len(tr) > 0 && tr[0] != '#' {
					return nil, &Error{File: file, Line: line, Msg: "YAML: content after the document separator \"---\" is not supported; start the document on the next line"}
				}
				chunks = append(chunks, chunk{data: data[start:off], line: startLine})
				start, startLine = next, line+1
			}
		}
		off = next
	}
	chunks = append(chunks, chunk{data: data[start:], line: startLine})
	return chunks, nil
}

// parseChunk parses one chunk; nil, nil for an empty document.
func parseChunk(file string, c chunk) (*document, *Error) {
	src := c.data
	if isJSONDoc(src) {
		src = yamlSafeJSON(src)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var n yaml.Node
	err := safely(func() error { return dec.Decode(&n) })
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, yamlSyntaxError(file, c.line, c.data, err)
	}
	var next yaml.Node
	err = safely(func() error { return dec.Decode(&next) })
	switch {
	case err == nil:
		shiftLines(&next, c.line-1)
		return nil, &Error{File: file, Line: next.Line, Msg: "YAML: a second document starts here; separate documents with a line holding only \"---\""}
	case !errors.Is(err, io.EOF):
		return nil, yamlSyntaxError(file, c.line, c.data, err)
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil, nil
	}
	content := n.Content[0]
	if content.Kind == yaml.ScalarNode && content.Tag == "!!null" {
		return nil, nil
	}
	shiftLines(content, c.line-1)
	return &document{
		file:   file,
		line:   content.Line,
		base:   c.line,
		root:   content,
		data:   c.data,
		isJSON: isJSONDoc(c.data),
	}, nil
}

// yamlSafeJSON rewrites the one JSON string escape the YAML parser rejects,
// \/, as /. The result is only parsed for positions and keys.
func yamlSafeJSON(data []byte) []byte {
	if !bytes.Contains(data, []byte(`\/`)) {
		return data
	}
	out := make([]byte, 0, len(data))
	inString := false
	for i := 0; i < len(data); i++ {
		b := data[i]
		switch {
		case inString && b == '\\' && i+1 < len(data):
			if data[i+1] != '/' {
				out = append(out, b)
			}
			out = append(out, data[i+1])
			i++
		case b == '"':
			inString = !inString
			out = append(out, b)
		default:
			out = append(out, b)
		}
	}
	return out
}

// isJSONDoc: the JSON decoder takes documents that are a valid JSON object;
// everything else (including flow-style YAML such as {a: b}) goes to the
// YAML decoder.
func isJSONDoc(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}

func shiftLines(n *yaml.Node, by int) {
	if n == nil || by == 0 {
		return
	}
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// checkJSON reports a JSON syntax error with its line.
func checkJSON(file string, data []byte) *Error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			return &Error{File: file, Line: lineAt(data, dec.InputOffset()), Msg: "JSON: unexpected data after the first value; a *.json file holds one object"}
		}
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{File: file, Line: lineAt(data, se.Offset), Msg: "JSON syntax error: " + se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{File: file, Line: lineAt(data, int64(len(data))), Msg: "JSON syntax error: unexpected end of file"}
	}
	return &Error{File: file, Line: 1, Msg: "JSON syntax error: " + err.Error()}
}

// lineAt is the 1-based line holding byte offset off (or the byte just
// before it, for offsets just past a token).
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off > 0 {
		off--
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

var (
	lineRE   = regexp.MustCompile(`line (\d+): `)
	anchorRE = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)
)

// yamlSyntaxError turns a YAML parser error into an *Error. base is the line
// in the file of data's first line.
func yamlSyntaxError(file string, base int, data []byte, err error) *Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if m := lineRE.FindStringSubmatchIndex(msg); m != nil {
		if n, e := strconv.Atoi(msg[m[2]:m[3]]); e == nil && n > 0 {
			line = n
		}
		if m[0] == 0 {
			msg = msg[m[1]:]
			// The parser (as opposed to the scanner) prints its 0-based
			// mark: the start of the construct it was parsing.
			if isParserProblem(msg) {
				line++
			}
		}
	} else if m := anchorRE.FindStringSubmatch(msg); m != nil {
		line = findLine(data, "*"+m[1])
	}
	if line == 0 {
		// The parser leaves the line out when the problem is on the first
		// line.
		line = 1
	}
	if base > 0 {
		line += base - 1
	} else {
		line = 0
	}
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", " ")
	return &Error{File: file, Line: line, Msg: "YAML syntax error: " + msg}
}

// isParserProblem tells the problems of libyaml's parser from those of its
// scanner.
func isParserProblem(msg string) bool {
	return strings.HasPrefix(msg, "did not find expected") &&
		!strings.HasPrefix(msg, "did not find expected alphabetic") &&
		!strings.HasPrefix(msg, "did not find expected whitespace")
}

func findLine(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0
	}
	return 1 + bytes.Count(data[:i], []byte("\n"))
}

// duplicateKeys reports keys set twice in one mapping. The decoder would
// report them too, but without a line; merge keys (<<) are left alone.
func duplicateKeys(d *document) []*Error {
	var errs []*Error
	var walk func(n *yaml.Node, path []seg, depth int)
	walk = func(n *yaml.Node, path []seg, depth int) {
		if n == nil || depth > maxDepth {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			seen := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := appendSeg(path, keySeg(k.Value))
				if k.Kind == yaml.ScalarNode && k.Value != "<<" {
					if first, ok := seen[k.Value]; ok {
						errs = append(errs, &Error{File: d.file, Line: k.Line, Field: formatPath(p), Msg: fmt.Sprintf("duplicate field (first set on line %d)", first.Line)})
					} else {
						seen[k.Value] = k
					}
				}
				walk(v, p, depth+1)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, appendSeg(path, indexSeg(i)), depth+1)
			}
		}
	}
	walk(d.root, nil, 0)
	return errs
}
