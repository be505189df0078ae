package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// What a JUnit consumer reads back.
type parsedSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Time       string `xml:"time,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
		SystemOut string `xml:"system-out"`
	} `xml:"testsuite"`
}

func junit(t *testing.T, results []Scenario) (string, parsedSuites) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, results); err != nil {
		t.Fatal(err)
	}
	var doc parsedSuites
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, b.String())
	}
	return b.String(), doc
}

func TestJUnitCountsAndCases(t *testing.T) {
	out, doc := junit(t, fixtureResults())
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Error("no XML declaration")
	}
	// a-two: 1 passing; b-canary: 2 (1 failure); c-stuck: 1 failure + run
	// error; d-broken: run error only.
	if doc.Tests != 6 || doc.Failures != 2 || doc.Errors != 2 {
		t.Fatalf("totals tests=%d failures=%d errors=%d", doc.Tests, doc.Failures, doc.Errors)
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "two-rollouts,canary-error-aborted,stuck,scenarios/d-broken.yaml" {
		t.Fatalf("suites not in file order: %s", got)
	}
	canary := doc.Suites[1]
	if canary.Tests != 2 || canary.Failures != 1 || canary.Errors != 0 || canary.Time != "0" {
		t.Fatalf("canary suite %+v", canary)
	}
	c := canary.Cases[1]
	if c.ClassName != "scenarios/b-canary.yaml" || c.Name != `phase Healthy | "quoted" & <b>bold</b>` || c.Failure == nil ||
		c.Failure.Message != "phase is Degraded; see https://example.com/runbook" || c.Failure.Type != "expectation" {
		t.Fatalf("failed case %+v", c)
	}
	if canary.Cases[0].Failure != nil || canary.Cases[0].Error != nil {
		t.Fatal("passed expectation reported as failing")
	}
	props := map[string]string{}
	for _, p := range canary.Properties {
		props[p.Name] = p.Value
	}
	if props["file"] != "scenarios/b-canary.yaml" || props["virtualSeconds"] != "200.000" || props["seed"] != "7" {
		t.Fatalf("properties %v", props)
	}
	if !strings.Contains(canary.SystemOut, "T+02m30s  rollout-controller   rollout/web") || !strings.Contains(canary.SystemOut, "<script>alert(1)</script> & more\n") {
		t.Fatalf("system-out:\n%s", canary.SystemOut)
	}

	stuck := doc.Suites[2]
	if stuck.Tests != 2 || stuck.Failures != 1 || stuck.Errors != 1 {
		t.Fatalf("stuck suite %+v", stuck)
	}
	if e := stuck.Cases[1].Error; stuck.Cases[1].Name != "run" || e == nil || e.Type != "timeout" || e.Message != "timeout after 1h0m0s of virtual time" {
		t.Fatalf("run error case %+v", stuck.Cases[1])
	}
	if !strings.Contains(stuck.SystemOut, "control \uFFFD char") {
		t.Fatalf("control character not replaced: %q", stuck.SystemOut)
	}
	broken := doc.Suites[3]
	if broken.Tests != 1 || broken.Errors != 1 || broken.Cases[0].Error.Type != "input" || broken.Cases[0].ClassName != "scenarios/d-broken.yaml" {
		t.Fatalf("input error suite %+v", broken)
	}
}

func TestJUnitEdgeCases(t *testing.T) {
	out, doc := junit(t, nil)
	if doc.Tests != 0 || len(doc.Suites) != 0 || !strings.Contains(out, `<testsuites name="rollsim" tests="0"`) {
		t.Fatalf("empty:\n%s", out)
	}
	_, doc = junit(t, []Scenario{
		{Scenario: "no-expectations", File: "a.yaml", Passed: true},
		{Scenario: "failed-silently", File: "b.yaml", Passed: false},
		{Scenario: "cdata", File: "c.yaml", Passed: true, Expectations: []Expectation{{Description: "x\x00y]]>z", Passed: true}}},
	})
	if s := doc.Suites[0]; s.Tests != 1 || s.Failures != 0 || s.Cases[0].Name != "run" {
		t.Fatalf("no-expectations suite %+v", s)
	}
	if s := doc.Suites[1]; s.Tests != 1 || s.Failures != 1 || s.Cases[0].Failure == nil {
		t.Fatalf("failed without a reason %+v", s)
	}
	if got := doc.Suites[2].Cases[0].Name; got != "x\uFFFDy]]>z" {
		t.Fatalf("escaped name %q", got)
	}
	rs := fixtureResults()
	a, _ := junit(t, rs)
	rs[0], rs[2] = rs[2], rs[0]
	if b, _ := junit(t, rs); a != b {
		t.Fatal("output depends on input order")
	}
}
