// Package format owns the scenario file: its Go types (schema.go, mirrored
// by scenarios/scenario.schema.json), the strict loader (LoadFile, Parse,
// Expand), validation of a decoded file part by part (validate.go: every
// error names file, line and field), how an expectation reads in a report
// (describe.go), the version an image runs (versions.go), and loading the
// manifests a scenario names (objects.go).
//
// It knows nothing of running: the runner (scenarios/runner), the checks
// (scenarios/check) and the commands read these types.
//
// May import: api/manifests, fakeproviders (metric answer types),
// sim/traffic (the traffic model's config), sim/cluster (the API server's
// metadata checks), report (plain result types), plan (the image-tag rule). Never another scenarios
// package, sim's harness, or cmd.
package format
