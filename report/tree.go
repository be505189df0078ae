package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Snapshot is a rollout's state at one virtual instant, shaped like
// `kubectl argo rollouts get rollout`.
type Snapshot struct {
	AtMs      int64          `json:"atMs"`
	Rollout   Rollout        `json:"rollout"`
	Strategy  string         `json:"strategy"`
	Steps     int            `json:"steps"`
	Images    []ImageRole    `json:"images"`
	Desired   int32          `json:"desired"`
	Current   int32          `json:"current"`
	Updated   int32          `json:"updated"`
	Ready     int32          `json:"ready"`
	Available int32          `json:"available"`
	Revisions []RevisionNode `json:"revisions"`
}

// ImageRole is an image and the role that runs it.
type ImageRole struct {
	Image string `json:"image"`
	Role  string `json:"role"`
}

// RevisionNode groups a revision's ReplicaSet, pods and analysis runs.
type RevisionNode struct {
	Revision     int64          `json:"revision"`
	ReplicaSet   ReplicaSetNode `json:"replicaSet"`
	AnalysisRuns []AnalysisRun  `json:"analysisRuns"`
	// Experiments are the revision's experiments; Runs the analysis runs
	// they own (by name).
	Experiments    []Experiment  `json:"experiments,omitempty"`
	ExperimentRuns []AnalysisRun `json:"experimentRuns,omitempty"`
}

// ReplicaSetNode is a ReplicaSet with its pods.
type ReplicaSetNode struct {
	ReplicaSet
	AgeSec int64     `json:"ageSec"`
	Pods   []PodNode `json:"pods"`
}

// PodNode is one pod.
type PodNode struct {
	Name   string `json:"name"`
	Ready  bool   `json:"ready"`
	Phase  string `json:"phase"`
	AgeSec int64  `json:"ageSec"`
}

var phaseIcon = map[string]string{"Progressing": "◌", "Paused": "॥", "Healthy": "✔", "Degraded": "✖"}

func age(sec int64) string {
	switch {
	case sec < 120:
		return fmt.Sprintf("%ds", sec)
	case sec < 7200:
		return fmt.Sprintf("%dm", sec/60)
	default:
		return fmt.Sprintf("%dh", sec/3600)
	}
}

// WriteTree renders a snapshot the way `kubectl argo rollouts get rollout`
// does: a header, then the rollout tree by revision.
func WriteTree(w io.Writer, s Snapshot) error {
	var b strings.Builder
	ro := s.Rollout
	kv := func(k, v string) { fmt.Fprintf(&b, "%-17s%s\n", k+":", v) }
	fmt.Fprintf(&b, "At T+%s\n", strings.TrimPrefix(virtual(s.AtMs), ""))
	kv("Name", ro.Name)
	kv("Namespace", ro.Namespace)
	kv("Status", strings.TrimSpace(phaseIcon[ro.Phase]+" "+ro.Phase))
	if ro.Message != "" {
		kv("Message", ro.Message)
	}
	kv("Strategy", s.Strategy)
	if s.Strategy == "Canary" {
		step := "-"
		if ro.CurrentStepIndex != nil {
			step = fmt.Sprintf("%d/%d", *ro.CurrentStepIndex, s.Steps)
		}
		kv("  Step", step)
		kv("  SetWeight", fmt.Sprint(ro.SetWeight))
		kv("  ActualWeight", fmt.Sprint(ro.ActualWeight))
	}
	for i, im := range s.Images {
		label := "Images"
		if i > 0 {
			label = ""
		}
		if label == "" {
			fmt.Fprintf(&b, "%-17s%s (%s)\n", "", im.Image, im.Role)
		} else {
			kv(label, fmt.Sprintf("%s (%s)", im.Image, im.Role))
		}
	}
	b.WriteString("Replicas:\n")
	kv("  Desired", fmt.Sprint(s.Desired))
	kv("  Current", fmt.Sprint(s.Current))
	kv("  Updated", fmt.Sprint(s.Updated))
	kv("  Ready", fmt.Sprint(s.Ready))
	kv("  Available", fmt.Sprint(s.Available))
	b.WriteString("\n")
	fmt.Fprintf(&b, "%-52s %-12s %-14s %-5s %s\n", "NAME", "KIND", "STATUS", "AGE", "INFO")
	fmt.Fprintf(&b, "%-52s %-12s %-14s %-5s %s\n", "⟳ "+ro.Name, "Rollout", strings.TrimSpace(phaseIcon[ro.Phase]+" "+ro.Phase), "", "")
	revs := append([]RevisionNode(nil), s.Revisions...)
	sort.Slice(revs, func(i, j int) bool { return revs[i].Revision > revs[j].Revision })
	for i, rev := range revs {
		lastRev := i == len(revs)-1
		branch, indent := "├──", "│  "
		if lastRev {
			branch, indent = "└──", "   "
		}
		fmt.Fprintf(&b, "%s# revision:%d\n", branch, rev.Revision)
		children := 1 + len(rev.AnalysisRuns) + len(rev.Experiments)
		rs := rev.ReplicaSet
		rsStatus := "✔ Healthy"
		switch {
		case rs.SpecReplicas == 0:
			rsStatus = "• ScaledDown"
		case rs.AvailableReplicas < rs.SpecReplicas:
			rsStatus = "◌ Progressing"
		}
		rb, ri := "├──", "│  "
		if children == 1 {
			rb, ri = "└──", "   "
		}
		info := rs.Role
		if info == "old" {
			info = ""
		}
		fmt.Fprintf(&b, "%-52s %-12s %-14s %-5s %s\n", indent+rb+"⧉ "+rs.Name, "ReplicaSet", rsStatus, age(rs.AgeSec), info)
		for j, p := range rs.Pods {
			pb := "├──"
			if j == len(rs.Pods)-1 {
				pb = "└──"
			}
			st, rd := "◌ "+p.Phase, "ready:0/1"
			if p.Ready {
				st, rd = "✔ Running", "ready:1/1"
			}
			fmt.Fprintf(&b, "%-52s %-12s %-14s %-5s %s\n", indent+ri+pb+"□ "+p.Name, "Pod", st, age(p.AgeSec), rd)
		}
		runs := map[string]AnalysisRun{}
		for _, ar := range rev.ExperimentRuns {
			runs[ar.Name] = ar
		}
		for j, ex := range rev.Experiments {
			eb, ei := "├──", "│  "
			if j == len(rev.Experiments)-1 && len(rev.AnalysisRuns) == 0 {
				eb, ei = "└──", "   "
			}
			experimentTree(&b, indent, eb, ei, ex, runs)
		}
		for j, ar := range rev.AnalysisRuns {
			ab := "├──"
			if j == len(rev.AnalysisRuns)-1 {
				ab = "└──"
			}
			var s, f, inc, e int32
			for _, m := range ar.Metrics {
				s, f, inc, e = s+m.Successful, f+m.Failed, inc+m.Inconclusive, e+m.Errors
			}
			icon := map[string]string{"Successful": "✔", "Failed": "✖", "Error": "⚠", "Inconclusive": "?", "Running": "◌", "Pending": "◌"}[ar.Phase]
			fmt.Fprintf(&b, "%-52s %-12s %-14s %-5s %s\n", indent+ab+"α "+ar.Name, "AnalysisRun", strings.TrimSpace(icon+" "+ar.Phase), "",
				fmt.Sprintf("✔ %d,✖ %d,? %d,⚠ %d", s, f, inc, e))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
