// Package match holds Gomega matchers for scenario results: phase, weights,
// pod counts by role, timeline events, and "every expectation passed".
//
// May import: scenarios, report, sim/trace, gomega.
package match
