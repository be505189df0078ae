package scenarios

import (
	"path/filepath"
	"testing"
)

func TestLibraryQuick(t *testing.T) {
	files, _ := filepath.Glob("library/*.yaml")
	for _, f := range files {
		r := RunFile(f, RunOptions{})
		t.Logf("%s passed=%v err=%s\n%s", f, r.Report.Passed, r.Report.Error, r.Timeline())
		for _, e := range r.Report.Expectations {
			t.Logf("  %v %s: %s", e.Passed, e.Description, e.Message)
		}
	}
}
