// Package engine owns virtual time: a discrete-event loop whose events are
// ordered by (time, sequence), a virtual clock implementing the clock.Clock
// interface of github.com/benbjohnson/clock without real sleeping, the
// scenario's single seeded random source, and the step budget that turns a
// livelock into an error instead of a hang.
//
// May import: the standard library and github.com/benbjohnson/clock.
package engine
