package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/rollsim/rollsim/sim/trace"
)

// JUnit XML document types (the de-facto schema read by Jenkins, GitLab,
// GitHub test reporters and junit2html).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitCDATA     `xml:"system-out,omitempty"`
}

// junitCDATA keeps the timeline readable (line breaks are not escaped).
type junitCDATA struct {
	Text string `xml:",cdata"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes JUnit XML: one <testsuite> per scenario (sorted by
// file), one <testcase> per expectation (classname: the scenario file,
// name: the expectation description) with a <failure> when it did not
// hold. A run error (input, timeout, budget, run) is an extra testcase
// named "run" carrying an <error>. A scenario that passed without
// expectations gets one passing "run" testcase, so no suite is empty.
//
// Every time attribute is "0": JUnit times are wall-clock seconds and
// rollsim's output is deterministic and measured in virtual time, which
// the suite reports as the property virtualSeconds instead (with file,
// seed and virtualMs). The timeline is the suite's <system-out>.
func WriteJUnit(w io.Writer, results []Scenario) error {
	doc := junitSuites{Name: "rollsim", Time: "0", Suites: []junitSuite{}}
	for _, r := range sorted(results) {
		s := junitSuite{
			Name: r.Scenario,
			Time: "0",
			Properties: []junitProperty{
				{Name: "file", Value: r.File},
				{Name: "seed", Value: fmt.Sprint(r.Seed)},
				{Name: "virtualMs", Value: fmt.Sprint(r.VirtualMs)},
				{Name: "virtualSeconds", Value: fmt.Sprintf("%.3f", float64(r.VirtualMs)/1000)},
			},
		}
		if s.Name == "" {
			s.Name = r.File
		}
		for _, e := range r.Expectations {
			c := junitCase{ClassName: r.File, Name: e.Description, Time: "0"}
			if !e.Passed {
				msg := e.Message
				if msg == "" {
					msg = "expectation did not hold"
				}
				c.Failure = &junitProblem{Message: msg, Type: "expectation", Text: e.Description + ": " + msg}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		switch {
		case r.Error != "":
			kind := r.ErrorKind
			if kind == "" {
				kind = "run"
			}
			s.Cases = append(s.Cases, junitCase{ClassName: r.File, Name: "run", Time: "0",
				Error: &junitProblem{Message: r.Error, Type: kind, Text: fmt.Sprintf("%s error: %s", kind, r.Error)}})
			s.Errors++
		case !r.Passed && s.Failures == 0:
			// Failed without a failed expectation or an error: keep the
			// suite red rather than report a green run.
			s.Cases = append(s.Cases, junitCase{ClassName: r.File, Name: "run", Time: "0",
				Failure: &junitProblem{Message: "scenario failed", Type: "scenario", Text: "scenario failed"}})
			s.Failures++
		case len(s.Cases) == 0:
			s.Cases = append(s.Cases, junitCase{ClassName: r.File, Name: "run", Time: "0"})
		}
		s.Tests = len(s.Cases)
		if len(r.Timeline) > 0 {
			s.SystemOut = &junitCDATA{Text: xmlChars(trace.Text(r.Timeline))}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Suites = append(doc.Suites, s)
	}
	if err := writeXML(w, doc); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

// writeXML writes doc as an indented XML document with its header and a
// final newline (the JUnit report and the gate's JUnit share it).
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// xmlChars replaces the characters XML 1.0 cannot carry (most control
// characters) with U+FFFD; encoding/xml does so itself everywhere but in
// CDATA sections.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
