package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
)

// node is a parsed element. The HTML is XHTML-compatible, so encoding/xml
// in strict mode doubles as a well-formedness check (golang.org/x/net/html
// is only an indirect dependency of the module).
type node struct {
	name     string
	attrs    map[string]string
	children []*node
	text     strings.Builder // all descendant text
	parent   *node
}

func (n *node) class(c string) bool {
	for _, f := range strings.Fields(n.attrs["class"]) {
		if f == c {
			return true
		}
	}
	return false
}

func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

func (n *node) all(pred func(*node) bool) []*node {
	var out []*node
	n.walk(func(m *node) {
		if pred(m) {
			out = append(out, m)
		}
	})
	return out
}

func (n *node) byID(id string) *node {
	if m := n.all(func(m *node) bool { return m.attrs["id"] == id }); len(m) == 1 {
		return m[0]
	}
	return nil
}

func (n *node) byName(name string) []*node {
	return n.all(func(m *node) bool { return m.name == name })
}

func (n *node) byClass(c string) []*node { return n.all(func(m *node) bool { return m.class(c) }) }

func (n *node) texts() []string {
	var out []string
	for _, t := range n.byName("text") {
		out = append(out, t.text.String())
	}
	return out
}

// parseXHTML parses strictly and returns the root; texts and attrs holds
// every decoded text run and attribute value.
func parseXHTML(t *testing.T, doc []byte) (root *node, values []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	root = &node{name: "#document", attrs: map[string]string{}}
	cur := root
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("HTML is not well-formed: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name.Local, attrs: map[string]string{}, parent: cur}
			for _, a := range tk.Attr {
				n.attrs[a.Name.Local] = a.Value
				values = append(values, a.Value)
			}
			cur.children = append(cur.children, n)
			cur = n
		case xml.EndElement:
			cur = cur.parent
		case xml.CharData:
			values = append(values, string(tk))
			for n := cur; n != nil; n = n.parent {
				n.text.Write(tk)
			}
		case xml.Directive:
			if string(tk) != "DOCTYPE html" {
				t.Fatalf("unexpected directive %q", tk)
			}
		}
	}
	if cur != root {
		t.Fatal("unclosed elements")
	}
	return root, values
}

func writeHTML(t *testing.T, results []Scenario) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, results); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var urlRE = regexp.MustCompile(`https?://[^\s"'<>\\{}]+`)

func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	results := fixtureResults()
	out := writeHTML(t, results)
	root, values := parseXHTML(t, out)

	if !bytes.HasPrefix(out, []byte("<!DOCTYPE html>\n<html")) {
		t.Error("no doctype")
	}
	for _, tag := range []string{"script", "link", "img", "iframe", "object", "embed", "image", "use", "base", "foreignObject"} {
		if len(root.byName(tag)) > 0 {
			t.Errorf("page has a <%s> element", tag)
		}
	}
	root.walk(func(n *node) {
		for k, v := range n.attrs {
			if k == "src" || k == "srcset" || strings.HasPrefix(k, "on") || k == "style" {
				t.Errorf("<%s> has attribute %s=%q", n.name, k, v)
			}
			if k == "href" && !strings.HasPrefix(v, "#") {
				t.Errorf("<%s> links outside the page: %q", n.name, v)
			}
		}
	})
	style := root.byName("style")
	if len(style) != 1 || strings.Contains(style[0].text.String(), "url(") || strings.Contains(style[0].text.String(), "@import") {
		t.Error("the stylesheet must be one inline block without url() or @import")
	}

	// Every URL in the page comes from text the user supplied.
	supplied := map[string]bool{}
	var input bytes.Buffer
	enc := json.NewEncoder(&input)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(results); err != nil {
		t.Fatal(err)
	}
	for _, u := range urlRE.FindAllString(input.String(), -1) {
		supplied[u] = true
	}
	if len(supplied) != 2 {
		t.Fatalf("fixture should carry 2 user URLs, has %v", supplied)
	}
	found := map[string]bool{}
	for _, v := range values {
		for _, u := range urlRE.FindAllString(v, -1) {
			if !supplied[u] {
				t.Errorf("URL %q is not user-supplied text", u)
			}
			found[u] = true
		}
	}
	if len(found) != len(supplied) {
		t.Errorf("user URLs shown: %v, want %v", found, supplied)
	}
	if n := bytes.Count(bytes.ToLower(out), []byte("http")); n != bytes.Count(out, []byte("https://example.com/runbook"))+bytes.Count(out, []byte("http://prometheus.example.com")) {
		t.Errorf("%d occurrences of http in the page, beyond the user's URLs", n)
	}

	// User text is escaped, not markup.
	if bytes.Contains(out, []byte("<script")) || bytes.Contains(out, []byte("<b>bold")) {
		t.Fatal("user text not escaped")
	}
	if !bytes.Contains(out, []byte("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more")) {
		t.Fatal("escaped detail missing")
	}
}

func TestHTMLChartsAndTimeline(t *testing.T) {
	root, _ := parseXHTML(t, writeHTML(t, fixtureResults()))

	var sections []string
	for _, s := range root.byName("section") {
		sections = append(sections, s.attrs["id"]+" "+s.attrs["class"])
	}
	if got := strings.Join(sections, ","); got != "scenario-two-rollouts scenario pass,scenario-canary-error-aborted scenario fail,scenario-stuck scenario fail,scenario-scenarios-d-broken-yaml scenario fail" {
		t.Fatalf("sections: %s", got)
	}

	// The failing canary: every chart.
	const s = "canary-error-aborted"
	for _, kind := range []string{"weight", "pods", "errors", "analysis"} {
		c := root.byID("chart-" + kind + "-" + s)
		if c == nil || c.name != "svg" || !c.class("chart") {
			t.Fatalf("chart %s missing", kind)
		}
	}
	weight := root.byID("chart-weight-" + s)
	paths := weight.byClass("series")
	if len(paths) != 1 {
		t.Fatalf("weight series: %d", len(paths))
	}
	// A step function: M, then an H/V pair where the value changes (0 →
	// 20 → 40 → 0, then 0 again), then hold to the end of the axis.
	if d := paths[0].attrs["d"]; !regexp.MustCompile(`^M56 ([\d.]+) H78\.1 V[\d.]+ H343\.3 V[\d.]+ H719 V([\d.]+) H940$`).MatchString(d) {
		t.Fatalf("weight path %q", d)
	} else if m := regexp.MustCompile(`^M56 ([\d.]+) .* V([\d.]+) H940$`).FindStringSubmatch(d); m[1] != m[2] {
		t.Fatalf("weight path does not return to 0: %q", d)
	}
	texts := strings.Join(weight.texts(), "|")
	for _, want := range []string{"T+00:00|", "T+01:30|", "T+03:00|", "100%", "step 1/4 · paused", "resumed · step 3/4", "aborted", "canary weight"} {
		if !strings.Contains(texts, want) {
			t.Errorf("weight chart lacks text %q: %s", want, texts)
		}
	}
	decisions := weight.byClass("decision")
	var classes []string
	for _, d := range decisions {
		classes = append(classes, d.attrs["class"])
	}
	if got := strings.Join(classes, ","); got != "decision decision-paused,decision decision-resumed,decision decision-aborted" {
		t.Fatalf("decisions %s", got)
	}
	if tt := decisions[2].byName("title"); len(tt) != 1 || !strings.Contains(tt[0].text.String(), "T+02:30 rollout/web RolloutAborted: Rollout aborted") {
		t.Fatal("decision tooltip")
	}
	pods := root.byID("chart-pods-" + s)
	if n := len(pods.byClass("decision")); n != 3 {
		t.Errorf("pods chart has %d decision lines", n)
	}
	if strings.Contains(strings.Join(pods.texts(), "|"), "aborted") {
		t.Error("decision labels repeated on the second chart")
	}
	if got := strings.Join(pods.texts(), "|"); !strings.Contains(got, "stable|") || !strings.Contains(got, "canary|") || !strings.Contains(got, "|5|") {
		t.Errorf("pods chart texts %s", got)
	}
	if len(pods.byClass("series")) != 3 {
		t.Error("pods chart needs stable, canary and old")
	}
	if got := strings.Join(root.byID("chart-errors-"+s).texts(), "|"); !strings.Contains(got, "|10%|") || !strings.Contains(got, "|2.5%|") {
		t.Errorf("error-rate axis %s", got)
	}
	an := root.byID("chart-analysis-" + s)
	for class, want := range map[string]int{"measurement": 5, "measurement-successful": 2, "measurement-failed": 1, "measurement-error": 1, "measurement-inconclusive": 1} {
		if n := len(an.byClass(class)); n != want {
			t.Errorf("%d %s markers, want %d", n, class, want)
		}
	}
	if got := strings.Join(an.texts(), "|"); !strings.Contains(got, "web-bbb-2 · success-rate") || !strings.Contains(got, "Inconclusive") {
		t.Errorf("analysis lane and legend: %s", got)
	}

	// The timeline table: one row per record.
	tl := root.byID("timeline-" + s)
	if tl == nil || tl.name != "table" || !tl.class("timeline") {
		t.Fatal("timeline table missing")
	}
	rows := tl.byName("tbody")[0].byName("tr")
	if len(rows) != 12 {
		t.Fatalf("%d timeline rows", len(rows))
	}
	var cells []string
	for _, td := range rows[10].byName("td") {
		cells = append(cells, td.text.String())
	}
	if got := strings.Join(cells, "|"); got != "T+02:30|rollout-controller|rollout/web|aborted|RolloutAborted|Rollout aborted update to revision 2: <script>alert(1)</script> & more" || !rows[10].class("decision-row") || !rows[10].class("verb-aborted") {
		t.Fatalf("aborted row %s (%s)", got, rows[10].attrs["class"])
	}

	// Outcomes and exposure.
	oc := root.byID("outcomes-" + s).text.String()
	for _, want := range []string{"never", "2m30s", "10s", "40%", "T+00:00"} {
		if !strings.Contains(oc, want) {
			t.Errorf("outcomes lack %q: %s", want, oc)
		}
	}
	if ex := root.byClass("exposure"); len(ex) != 1 || !strings.Contains(ex[0].text.String(), "120.3") || !strings.Contains(ex[0].text.String(), "20%") {
		t.Error("exposure table")
	}

	// Two rollouts: one series per rollout, dashed apart; no error chart.
	w2 := root.byID("chart-weight-two-rollouts")
	if ps := w2.byClass("series"); len(ps) != 2 || ps[0].attrs["stroke-dasharray"] == ps[1].attrs["stroke-dasharray"] {
		t.Fatal("two-rollout weight series")
	}
	if got := strings.Join(w2.texts(), "|"); !strings.Contains(got, "api canary weight") || !strings.Contains(got, "ui canary weight") || !strings.Contains(got, "completed") {
		t.Errorf("two-rollout legend %s", got)
	}
	if len(root.byID("chart-pods-two-rollouts").byClass("series")) != 6 || root.byID("chart-errors-two-rollouts") != nil {
		t.Error("two-rollout pods/errors charts")
	}
	if an := root.byID("chart-analysis-two-rollouts"); an == nil || !strings.Contains(strings.Join(an.texts(), "|"), "no analysis measurements") {
		t.Error("decisions-only analysis chart")
	}

	// No samples: no weight chart, a note, the decisions still charted.
	if root.byID("chart-weight-stuck") != nil || root.byID("chart-analysis-stuck") == nil {
		t.Error("stuck: charts")
	}
	stuck := root.byID("scenario-stuck")
	if len(stuck.byClass("no-samples")) != 1 || len(stuck.byClass("error")) != 1 {
		t.Error("stuck: no-samples note or error")
	}
	// Nothing but an error.
	broken := root.byID("scenario-scenarios-d-broken-yaml")
	if len(broken.byName("svg")) != 0 || !strings.Contains(broken.byClass("error")[0].text.String(), `input: scenarios/d-broken.yaml:3: spec: unknown field "bogus"`) {
		t.Error("input-error scenario")
	}
}

func TestHTMLEdgeCases(t *testing.T) {
	root, _ := parseXHTML(t, writeHTML(t, nil))
	if !strings.Contains(root.text.String(), "No scenarios were run.") {
		t.Error("empty page")
	}
	// Same names get distinct ids; nulls everywhere render.
	root, _ = parseXHTML(t, writeHTML(t, []Scenario{
		{Scenario: "Same Name!", File: "a.yaml", Passed: true},
		{Scenario: "same-name", File: "b.yaml", Passed: true, Outcomes: []Outcome{{Rollout: "r", Exposure: []Exposure{{Version: "v"}}}},
			Samples: []Sample{{AtMs: 0, Rollout: "r"}}},
		{Scenario: "", File: "", Passed: false},
	}))
	for _, id := range []string{"scenario-same-name", "scenario-same-name-2", "scenario-scenario", "chart-weight-same-name-2"} {
		if root.byID(id) == nil {
			t.Errorf("no element %q", id)
		}
	}
	rs := fixtureResults()
	a := writeHTML(t, rs)
	rs[0], rs[1] = rs[1], rs[0]
	if b := writeHTML(t, rs); !bytes.Equal(a, b) {
		t.Fatal("output depends on input order")
	}
}
