package format

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/rollsim/rollsim/api/manifests"
)

// Error is a scenario-file error: file, line, field and what was expected.
type Error = manifests.Error

// LoadFile reads and validates one scenario file.
func LoadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read scenario: %v", errors.Unwrap(err))}
	}
	return Parse(path, data)
}

// Parse decodes and validates scenario data; file names it in errors and
// anchors relative paths.
func Parse(file string, data []byte) (*Scenario, error) {
	s := &Scenario{}
	if err := manifests.StrictUnmarshal(file, data, s); err != nil {
		return nil, err
	}
	s.File = file
	s.dir = filepath.Dir(file)
	s.lines = lineFinder(data)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Expand turns files and directories into scenario files: a directory
// contributes its *.yaml and *.yml files (non-recursively), sorted.
func Expand(paths ...string) ([]string, []error) {
	var files []string
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: "no such file or directory"})
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: fmt.Sprintf("cannot read directory: %v", err)})
			continue
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			if ext := filepath.Ext(e.Name()); ext == ".yaml" || ext == ".yml" {
				files = append(files, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			errs = append(errs, &Error{File: p, Msg: "directory holds no *.yaml scenario files"})
		}
	}
	sort.Strings(files)
	return files, errs
}

// ErrAt is an error at a field path of the scenario ("spec.actions[2].at"):
// file, the field's line, the path and msg.
func (s *Scenario) ErrAt(path, msg string) error {
	line := 0
	if s.lines != nil {
		line = s.lines(path)
	}
	return &Error{File: s.File, Line: line, Field: path, Msg: msg}
}

// SetSource names the file a scenario built in code stands for (errors
// name it) and the directory its relative paths are resolved from.
func (s *Scenario) SetSource(file, dir string) {
	s.File, s.dir = file, dir
}

// Resolve makes a path relative to the scenario file absolute-ish.
func (s *Scenario) Resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.dir, p)
}
