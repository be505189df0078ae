package view

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"

	"github.com/rollsim/rollsim/report"
)

//go:embed view.css
var css string

//go:embed view.js
var js string

var page = template.Must(template.New("view").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · rollsim view</title>
<style>{{.CSS}}</style>
</head>
<body>
<noscript>This replay needs JavaScript (it runs from the file: no network).</noscript>
<script type="application/json" id="rollsim-data">{{.Data}}</script>
<div id="app"></div>
<script>{{.JS}}</script>
</body>
</html>
`))

// Data is what the page carries: the schema version and the scenarios.
type Data struct {
	SchemaVersion int               `json:"schemaVersion"`
	Scenarios     []report.Scenario `json:"scenarios"`
}

// Write renders the results as one self-contained replay page. The first
// scenario is shown; the page offers the others in a selector.
func Write(w io.Writer, results []report.Scenario) error {
	if len(results) == 0 {
		return fmt.Errorf("view: no scenario to show")
	}
	// encoding/json escapes <, > and & (as \u003c…), so the data cannot
	// close its script element.
	data, err := json.Marshal(Data{SchemaVersion: report.SchemaVersion, Scenarios: results})
	if err != nil {
		return fmt.Errorf("view: encode the results: %w", err)
	}
	title := results[0].Scenario
	if len(results) > 1 {
		title = fmt.Sprintf("%d scenarios", len(results))
	}
	err = page.Execute(w, struct {
		Title string
		CSS   template.CSS
		Data  template.JS
		JS    template.JS
	}{title, template.CSS(css), template.JS(data), template.JS(js)})
	if err != nil {
		return fmt.Errorf("view: render the page: %w", err)
	}
	return nil
}
