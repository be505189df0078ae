package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// GateScenario compares one scenario on the baseline and the candidate.
type GateScenario struct {
	Scenario         string      `json:"scenario"`
	File             string      `json:"file"`
	Passed           bool        `json:"passed"`
	BaselineVerdict  string      `json:"baselineVerdict"`
	CandidateVerdict string      `json:"candidateVerdict"`
	Baseline         Outcome     `json:"baseline"`
	Candidate        Outcome     `json:"candidate"`
	Checks           []GateCheck `json:"checks"`
}

// GateCheck is one policy rule applied to one scenario.
type GateCheck struct {
	Rule    string `json:"rule"`
	Passed  bool   `json:"passed"`
	Message string `json:"message,omitempty"`
}

func dur(p *int64) string {
	if p == nil {
		return "never"
	}
	return (time.Duration(*p) * time.Millisecond).String()
}

func exposureOf(o Outcome) string {
	if len(o.Exposure) == 0 {
		return "–"
	}
	var parts []string
	for _, e := range o.Exposure {
		parts = append(parts, fmt.Sprintf("%s/%s %.0f (%.0f failed)", e.Version, e.Cohort, e.Requests, e.FailedRequests))
	}
	return strings.Join(parts, "<br>")
}

// WriteGateMarkdown writes the baseline/candidate comparison as Markdown.
func WriteGateMarkdown(w io.Writer, gs []GateScenario) error {
	var b strings.Builder
	pass := 0
	for _, g := range gs {
		if g.Passed {
			pass++
		}
	}
	fmt.Fprintf(&b, "## rollsim gate: %d/%d scenarios within policy\n\n", pass, len(gs))
	for _, g := range gs {
		mark := "✅"
		if !g.Passed {
			mark = "❌"
		}
		fmt.Fprintf(&b, "### %s %s\n\n`%s`\n\n", mark, g.Scenario, g.File)
		b.WriteString("| | baseline | candidate |\n|---|---|---|\n")
		fmt.Fprintf(&b, "| verdict | %s | %s |\n", g.BaselineVerdict, g.CandidateVerdict)
		fmt.Fprintf(&b, "| time to promotion | %s | %s |\n", dur(g.Baseline.TimeToPromotionMs), dur(g.Candidate.TimeToPromotionMs))
		fmt.Fprintf(&b, "| time to detect | %s | %s |\n", dur(g.Baseline.TimeToDetectMs), dur(g.Candidate.TimeToDetectMs))
		fmt.Fprintf(&b, "| time to abort | %s | %s |\n", dur(g.Baseline.TimeToAbortMs), dur(g.Candidate.TimeToAbortMs))
		fmt.Fprintf(&b, "| time to roll back | %s | %s |\n", dur(g.Baseline.TimeToRollbackMs), dur(g.Candidate.TimeToRollbackMs))
		fmt.Fprintf(&b, "| peak canary weight | %d | %d |\n", g.Baseline.PeakCanaryWeight, g.Candidate.PeakCanaryWeight)
		fmt.Fprintf(&b, "| exposure (version/cohort requests) | %s | %s |\n\n", exposureOf(g.Baseline), exposureOf(g.Candidate))
		for _, c := range g.Checks {
			m := "✅"
			if !c.Passed {
				m = "❌"
			}
			fmt.Fprintf(&b, "- %s `%s` %s\n", m, c.Rule, c.Message)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type gateSuites struct {
	XMLName xml.Name    `xml:"testsuites"`
	Suites  []gateSuite `xml:"testsuite"`
}

type gateSuite struct {
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Cases    []gateCase `xml:"testcase"`
}

type gateCase struct {
	Name      string       `xml:"name,attr"`
	Classname string       `xml:"classname,attr"`
	Failure   *gateFailure `xml:"failure,omitempty"`
}

type gateFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteGateJUnit writes one testsuite per scenario and one testcase per
// policy rule.
func WriteGateJUnit(w io.Writer, gs []GateScenario) error {
	doc := gateSuites{}
	for _, g := range gs {
		s := gateSuite{Name: "gate: " + g.Scenario}
		for _, c := range g.Checks {
			tc := gateCase{Name: c.Rule, Classname: g.File}
			if !c.Passed {
				tc.Failure = &gateFailure{Message: c.Message, Text: fmt.Sprintf("baseline: %s\ncandidate: %s", g.BaselineVerdict, g.CandidateVerdict)}
				s.Failures++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
	}
	if err := writeXML(w, doc); err != nil {
		return fmt.Errorf("write gate JUnit: %w", err)
	}
	return nil
}
