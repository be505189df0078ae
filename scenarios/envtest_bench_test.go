package scenarios_test

import (
	"testing"

	"github.com/rollsim/rollsim/scenarios"
	"github.com/rollsim/rollsim/sim/cluster"
)

// BenchmarkEnvtestStart starts and stops a kube-apiserver and etcd with the
// upstream CRDs installed (one op = one start: run with -benchtime 3x).
func BenchmarkEnvtestStart(b *testing.B) {
	for i := 0; i < b.N; i++ {
		srv, err := cluster.StartEnvtest()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := srv.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkEnvtestSeed000V1ToV2 is the seed v1 → v2 scenario on the envtest
// backend after the shared start (target ≤ 2 s per run), with its writes to
// the API server.
func BenchmarkEnvtestSeed000V1ToV2(b *testing.B) {
	benchEnvtest(b, "library/seed000-v1-to-v2-succeeds.yaml")
}

// BenchmarkEnvtestSeed000V2ToError is the abort scenario on envtest.
func BenchmarkEnvtestSeed000V2ToError(b *testing.B) {
	benchEnvtest(b, "library/seed000-v2-to-error-aborted.yaml")
}

func benchEnvtest(b *testing.B, file string) {
	if _, err := cluster.SharedEnvtest(); err != nil {
		b.Fatal(err)
	}
	s, err := scenarios.LoadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	writes := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := scenarios.Run(s, scenarios.RunOptions{Backend: scenarios.BackendEnvtest})
		if !r.Passed() {
			b.Fatalf("scenario failed: %s", r.Report.Error)
		}
		writes = r.Harness.Writes()
	}
	b.ReportMetric(float64(writes), "writes/op")
}
