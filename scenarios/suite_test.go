package scenarios_test

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/rollsim/rollsim/scenarios"
	"github.com/rollsim/rollsim/scenarios/match"
)

func TestScenarioSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "rollsim scenario library")
}

var libraryEntries = func() []TableEntry {
	files, _ := filepath.Glob("library/*.yaml")
	var out []TableEntry
	for _, f := range files {
		out = append(out, Entry(filepath.Base(f), f))
	}
	return out
}()

var _ = Describe("the scenario library", func() {
	DescribeTable("every scenario passes its own expectations",
		func(file string) {
			Expect(scenarios.RunFile(file, scenarios.RunOptions{})).To(match.Pass())
		},
		libraryEntries,
	)

	It("aborts the seed 000 error version and keeps v2 serving", func() {
		r := scenarios.RunFile("library/seed000-v2-to-error-aborted.yaml", scenarios.RunOptions{})
		Expect(r).To(match.HavePhase("progressive-demo", "Degraded"))
		Expect(r).To(match.HaveWeights("progressive-demo", 0, 100))
		Expect(r).To(match.HaveAvailablePods("progressive-demo", "stable", 5))
		Expect(r).To(match.HaveAvailablePods("progressive-demo", "canary", 0))
		Expect(r).To(match.HaveTimelineEvent("RolloutAborted", "rollout/progressive-demo"))
		Expect(r).NotTo(match.HaveTimelineEvent("RolloutCompleted"))
	})

	It("promotes seed 003 yellow only after the manual gate", func() {
		r := scenarios.RunFile("library/seed003-blue-to-yellow-manual-gate.yaml", scenarios.RunOptions{})
		Expect(r).To(match.HavePhase("rollouts-demo", "Healthy"))
		Expect(r).To(match.HaveAvailablePods("rollouts-demo", "stable", 5))
		var promoted, gate int64 = -1, -1
		for _, rec := range r.Report.Timeline {
			if rec.Reason == "Promote" && gate < 0 {
				gate = rec.AtMs
			}
			if rec.Reason == "RolloutCompleted" {
				promoted = rec.AtMs
			}
		}
		Expect(gate).To(BeNumerically(">", 0))
		Expect(promoted).To(BeNumerically(">", gate))
	})
})
