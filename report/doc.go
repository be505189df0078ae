// Package report renders what a run produced: the timeline (sim/trace
// records) and a plain-data summary of the final state, as text (the golden
// format) and JSON (schemaVersion 1, documented in docs/output.md). Pure
// functions over plain data.
//
// May import: sim/trace and the standard library only.
package report
