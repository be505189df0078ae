package scenarios

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseScenario: the scenario loader never panics, and every error it
// returns is an *Error naming the file.
func FuzzParseScenario(f *testing.F) {
	files, _ := filepath.Glob("library/*.yaml")
	for _, p := range files[:min(4, len(files))] {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("apiVersion: rollsim.dev/v1alpha1\nkind: Scenario\nspec: {actions: [{at: 1x}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("library/fuzz.yaml", data)
		if err == nil {
			return
		}
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("error %T %v is not a scenarios.Error", err, err)
		}
		if e.File != "library/fuzz.yaml" {
			t.Fatalf("error names %q", e.File)
		}
	})
}
