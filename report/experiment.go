package report

import (
	"fmt"
	"strings"
)

// Experiment is an Experiment's state (final, or at a snapshot).
type Experiment struct {
	Name      string               `json:"name"`
	Phase     string               `json:"phase"`
	Message   string               `json:"message,omitempty"`
	Owner     string               `json:"owner,omitempty"` // the rollout that created it ("" standalone)
	Templates []ExperimentTemplate `json:"templates"`
	Analyses  []ExperimentAnalysis `json:"analyses"`
}

// ExperimentTemplate is one template of an experiment and its ReplicaSet.
type ExperimentTemplate struct {
	Name              string    `json:"name"`
	Status            string    `json:"status"`
	Message           string    `json:"message,omitempty"`
	ReplicaSet        string    `json:"replicaSet,omitempty"`
	Images            []string  `json:"images"`
	SpecReplicas      int32     `json:"specReplicas"`
	AvailableReplicas int32     `json:"availableReplicas"`
	Service           string    `json:"service,omitempty"`
	Pods              []PodNode `json:"pods,omitempty"` // snapshots only
}

// ExperimentAnalysis is one analysis of an experiment and its run.
type ExperimentAnalysis struct {
	Name        string `json:"name"`
	AnalysisRun string `json:"analysisRun,omitempty"`
	Phase       string `json:"phase"`
	Message     string `json:"message,omitempty"`
}

func experimentText(b *strings.Builder, ex Experiment) {
	fmt.Fprintf(b, "experiment %s: %s", ex.Name, ex.Phase)
	if ex.Message != "" {
		fmt.Fprintf(b, " %q", ex.Message)
	}
	b.WriteString("\n")
	for _, t := range ex.Templates {
		fmt.Fprintf(b, "  template %s %s: replicaset %s %s spec %d available %d", t.Name, t.Status, t.ReplicaSet, strings.Join(t.Images, ","), t.SpecReplicas, t.AvailableReplicas)
		if t.Service != "" {
			fmt.Fprintf(b, " service %s", t.Service)
		}
		b.WriteString("\n")
	}
	for _, a := range ex.Analyses {
		fmt.Fprintf(b, "  analysis %s: %s %s\n", a.Name, a.Phase, a.AnalysisRun)
	}
}

var experimentIcon = map[string]string{"Successful": "✔", "Failed": "✖", "Error": "⚠", "Inconclusive": "?", "Running": "◌", "Pending": "◌"}

// experimentTree renders an experiment under a revision, as
// `kubectl argo rollouts get rollout` does (Σ, its ReplicaSets, pods, runs).
func experimentTree(b *strings.Builder, indent, branch, childIndent string, ex Experiment, runs map[string]AnalysisRun) {
	row := func(name, kind, status, age, info string) {
		fmt.Fprintf(b, "%-52s %-12s %-14s %-5s %s\n", name, kind, status, age, info)
	}
	row(indent+branch+"Σ "+ex.Name, "Experiment", strings.TrimSpace(experimentIcon[ex.Phase]+" "+ex.Phase), "", "")
	n := len(ex.Templates) + len(ex.Analyses)
	i := 0
	next := func() (string, string) {
		i++
		if i == n {
			return "└──", "   "
		}
		return "├──", "│  "
	}
	for _, t := range ex.Templates {
		tb, ti := next()
		st := "✔ Healthy"
		switch {
		case t.SpecReplicas == 0:
			st = "• ScaledDown"
		case t.AvailableReplicas < t.SpecReplicas:
			st = "◌ Progressing"
		}
		row(indent+childIndent+tb+"⧉ "+t.ReplicaSet, "ReplicaSet", st, "", "template "+t.Name)
		for j, p := range t.Pods {
			pb := "├──"
			if j == len(t.Pods)-1 {
				pb = "└──"
			}
			ps, rd := "◌ "+p.Phase, "ready:0/1"
			if p.Ready {
				ps, rd = "✔ Running", "ready:1/1"
			}
			row(indent+childIndent+ti+pb+"□ "+p.Name, "Pod", ps, age(p.AgeSec), rd)
		}
	}
	for _, a := range ex.Analyses {
		ab, _ := next()
		info := ""
		if ar, ok := runs[a.AnalysisRun]; ok {
			var s, f, inc, e int32
			for _, m := range ar.Metrics {
				s, f, inc, e = s+m.Successful, f+m.Failed, inc+m.Inconclusive, e+m.Errors
			}
			info = fmt.Sprintf("✔ %d,✖ %d,? %d,⚠ %d", s, f, inc, e)
		}
		name := a.AnalysisRun
		if name == "" {
			name = a.Name
		}
		row(indent+childIndent+ab+"α "+name, "AnalysisRun", strings.TrimSpace(experimentIcon[a.Phase]+" "+a.Phase), "", info)
	}
}
