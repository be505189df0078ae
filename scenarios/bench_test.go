package scenarios_test

import (
	"testing"
	"time"

	"github.com/rollsim/rollsim/scenarios"
)

// BenchmarkSeed000V1ToV2 runs the seed v1 → v2 scenario on the fake backend
// and reports the speed-up over the virtual time it covers (set-up
// included), the store writes and the reconciles per run.
func BenchmarkSeed000V1ToV2(b *testing.B) {
	benchScenario(b, "library/seed000-v1-to-v2-succeeds.yaml")
}

// BenchmarkSeed000V2ToError is the abort scenario.
func BenchmarkSeed000V2ToError(b *testing.B) {
	benchScenario(b, "library/seed000-v2-to-error-aborted.yaml")
}

func benchScenario(b *testing.B, file string) {
	s, err := scenarios.LoadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var virtual time.Duration
	var writes, reconciles, events int
	start := time.Now() // wall-clock ok: benchmark measurement
	for i := 0; i < b.N; i++ {
		r := scenarios.Run(s, scenarios.RunOptions{})
		if !r.Passed() {
			b.Fatalf("scenario failed: %s", r.Report.Error)
		}
		virtual = r.Harness.Now().Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		writes, reconciles, events = r.Harness.Writes(), r.Harness.Reconciles(), r.Harness.Engine().Steps()
	}
	wall := time.Since(start) / time.Duration(b.N) // wall-clock ok: benchmark measurement
	b.ReportMetric(float64(virtual)/float64(wall), "x-realtime")
	b.ReportMetric(float64(writes), "writes/op")
	b.ReportMetric(float64(reconciles), "reconciles/op")
	b.ReportMetric(float64(events), "events/op")
	b.ReportMetric(float64(wall.Nanoseconds())/float64(writes), "ns/write")
}
