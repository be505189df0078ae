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

// BenchmarkHourWithoutAnalysis / BenchmarkHourWithAnalysis: a one-hour
// virtual canary pause, without and with a background analysis measuring
// every 10 s (target: with ≤ 3× without).
func BenchmarkHourWithoutAnalysis(b *testing.B) {
	benchScenario(b, "testdata/bench/hour.yaml")
}

func BenchmarkHourWithAnalysis(b *testing.B) {
	benchScenario(b, "testdata/bench/hour-analysis.yaml")
}

// BenchmarkAnalysisOverhead runs both hour-long scenarios per iteration and
// reports the ratio of their wall times and the cost of one measurement.
func BenchmarkAnalysisOverhead(b *testing.B) {
	without, err := scenarios.LoadFile("testdata/bench/hour.yaml")
	if err != nil {
		b.Fatal(err)
	}
	with, err := scenarios.LoadFile("testdata/bench/hour-analysis.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var tWithout, tWith time.Duration
	measurements := 0
	for i := 0; i < b.N; i++ {
		start := time.Now() // wall-clock ok: benchmark measurement
		r := scenarios.Run(without, scenarios.RunOptions{})
		tWithout += time.Since(start) // wall-clock ok: benchmark measurement
		start = time.Now()            // wall-clock ok: benchmark measurement
		r2 := scenarios.Run(with, scenarios.RunOptions{})
		tWith += time.Since(start) // wall-clock ok: benchmark measurement
		if !r.Passed() || !r2.Passed() {
			b.Fatalf("bench scenarios failed: %s %s", r.Report.Error, r2.Report.Error)
		}
		measurements = 0
		for _, rec := range r2.Report.Timeline {
			if rec.Verb == "measured" {
				measurements++
			}
		}
	}
	b.ReportMetric(float64(tWith)/float64(tWithout), "with/without")
	b.ReportMetric(float64((tWith-tWithout).Nanoseconds())/float64(b.N)/float64(measurements), "ns/measurement")
	b.ReportMetric(float64(measurements), "measurements/op")
}

// BenchmarkRouterOverhead runs the same canary (steps, traffic, promotes)
// through nginx and through the Gateway API plugin per iteration and
// reports the ratio of their wall times (target: the plugin ≤ 1.2× nginx).
func BenchmarkRouterOverhead(b *testing.B) {
	benchRouterRatio(b, "testdata/bench/router-nginx.yaml", "testdata/bench/router-gatewayapi.yaml", "gatewayapi")
}

// BenchmarkRouterNginx / BenchmarkRouterGatewayAPI: the two sides of
// BenchmarkRouterOverhead on their own (allocations are the steadier
// measure on a shared machine).
func BenchmarkRouterNginx(b *testing.B) { benchScenario(b, "testdata/bench/router-nginx.yaml") }

func BenchmarkRouterGatewayAPI(b *testing.B) {
	benchScenario(b, "testdata/bench/router-gatewayapi.yaml")
}

// BenchmarkRouterOverheadIstio runs the same canary (three weights, three
// pauses, 10 replicas, 100 rps through the traffic model) routed by nginx
// and by Istio per iteration and reports the ratio of their wall times
// (issue 11's target: a router adds at most 20 % over nginx).
func BenchmarkRouterOverheadIstio(b *testing.B) {
	benchRouterRatio(b, "testdata/bench/bench-nginx.yaml", "testdata/bench/bench-istio.yaml", "istio")
}

// benchRouterRatio runs the nginx scenario and the router's per iteration
// and reports router/nginx wall time and each side's time per run.
func benchRouterRatio(b *testing.B, nginxFile, routerFile, router string) {
	nginx, err := scenarios.LoadFile(nginxFile)
	if err != nil {
		b.Fatal(err)
	}
	other, err := scenarios.LoadFile(routerFile)
	if err != nil {
		b.Fatal(err)
	}
	var tNginx, tOther time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now() // wall-clock ok: benchmark measurement
		r := scenarios.Run(nginx, scenarios.RunOptions{})
		tNginx += time.Since(start) // wall-clock ok: benchmark measurement
		start = time.Now()          // wall-clock ok: benchmark measurement
		r2 := scenarios.Run(other, scenarios.RunOptions{})
		tOther += time.Since(start) // wall-clock ok: benchmark measurement
		if !r.Passed() || !r2.Passed() {
			b.Fatalf("bench scenarios failed: %s %s", r.Report.Error, r2.Report.Error)
		}
	}
	b.ReportMetric(float64(tOther)/float64(tNginx), router+"/nginx")
	b.ReportMetric(float64(tNginx.Microseconds())/float64(b.N), "nginx-us/op")
	b.ReportMetric(float64(tOther.Microseconds())/float64(b.N), router+"-us/op")
}
