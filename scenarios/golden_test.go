package scenarios_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden timelines of the scenario library")

func libraryFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("library/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no library scenarios found: %v", err)
	}
	return files
}

func goldenPath(file string) string { return strings.TrimSuffix(file, ".yaml") + ".golden" }

// TestLibraryGoldens runs every library scenario, requires it to pass, and
// compares its text timeline with the committed golden file.
func TestLibraryGoldens(t *testing.T) {
	for _, f := range libraryFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := scenarios.RunFile(f, scenarios.RunOptions{})
			if !r.Passed() {
				var fails []string
				for _, e := range r.Report.Expectations {
					if !e.Passed {
						fails = append(fails, e.Description+": "+e.Message)
					}
				}
				t.Errorf("scenario failed: %s\n%s\n%s", r.Report.Error, strings.Join(fails, "\n"), r.Timeline())
			}
			got := r.Timeline()
			if *update {
				if err := os.WriteFile(goldenPath(f), []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath(f))
			if err != nil {
				t.Fatalf("read golden (run `go test ./scenarios -run Goldens -update` to create it): %v", err)
			}
			if got != string(want) {
				t.Errorf("timeline differs from %s (run with -update after review):\n%s", goldenPath(f), diff(string(want), got))
			}
		})
	}
}

// TestLibraryDeterminism: the same scenario gives a byte-identical timeline
// on 20 repeated runs and across seeds that do not matter to it.
func TestLibraryDeterminism(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 3
	}
	for _, f := range libraryFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			first := scenarios.RunFile(f, scenarios.RunOptions{}).Timeline()
			if first == "" {
				t.Fatal("empty timeline")
			}
			for i := 1; i < runs; i++ {
				if got := scenarios.RunFile(f, scenarios.RunOptions{}).Timeline(); got != first {
					t.Fatalf("run %d differs:\n%s", i, diff(first, got))
				}
			}
			for _, seed := range []int64{2, 42, 1 << 40} {
				s := seed
				if got := scenarios.RunFile(f, scenarios.RunOptions{Seed: &s}).Timeline(); got != first {
					t.Fatalf("seed %d differs:\n%s", seed, diff(first, got))
				}
			}
		})
	}
}

// diff shows the first differing line with context.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return "(no difference)"
}

func itoa(i int) string {
	s := ""
	if i == 0 {
		return "0"
	}
	for i > 0 {
		s = string(rune('0'+i%10)) + s
		i /= 10
	}
	return s
}
