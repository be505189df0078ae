package report

import (
	"strings"
	"testing"

	"github.com/rollsim/rollsim/sim/trace"
)

func TestExperimentChartHasOneLanePerTemplate(t *testing.T) {
	rec := func(ms int64, object, verb, reason, detail string) trace.Record {
		return trace.Record{AtMs: ms, Actor: "experiment-controller", Object: object, Verb: verb, Reason: reason, Detail: detail}
	}
	r := Scenario{Scenario: "x", VirtualMs: 60000, Timeline: []trace.Record{
		rec(0, "replicaset/ex-a", "created", "NewReplicaSetCreated", "Created ReplicaSet ex-a for template 'a' of experiment ex with image i (0 replicas)"),
		rec(0, "replicaset/ex-b", "created", "NewReplicaSetCreated", "Created ReplicaSet ex-b for template 'b' of experiment ex with image j (0 replicas)"),
		rec(0, "replicaset/ex-a", "scaled", "ScalingReplicaSet", "0 → 1: Scaled up ReplicaSet ex-a from 0 to 1 (template a)"),
		rec(0, "replicaset/ex-b", "scaled", "ScalingReplicaSet", "0 → 2: Scaled up ReplicaSet ex-b from 0 to 2 (template b)"),
		rec(5000, "experiment/ex", "phase", "ExperimentRunning", "Experiment transitioned from Pending -> Running"),
		rec(30000, "replicaset/ex-a", "scaled", "ScalingReplicaSet", "1 → 0: Scaled down ReplicaSet ex-a from 1 to 0 (template a, experiment Failed)"),
	}}
	ax := timeAxis{endMs: 60000, left: chartLeft, span: chartW - chartLeft - chartRight}
	c, ok := experimentChart(r, "x", ax, nil, 0, true)
	if !ok || len(c.Lanes) != 2 || c.Lanes[0].Label != "ex · a" || c.Lanes[1].Label != "ex · b" {
		t.Fatalf("lanes %+v", c.Lanes)
	}
	if len(c.Series) != 2 || !strings.Contains(c.Series[0].Title, "pods from T+00:00 to T+00:30") || !strings.Contains(c.Series[1].Title, "to T+01:00") {
		t.Fatalf("bars %+v", c.Series)
	}
	if len(c.Markers) != 1 || c.Markers[0].Class != "running" {
		t.Fatalf("markers %+v", c.Markers)
	}
	if _, ok := experimentChart(Scenario{}, "x", ax, nil, 0, true); ok {
		t.Fatal("no experiments, no chart")
	}
}
