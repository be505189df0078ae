// Package trace owns the timeline: typed records {atMs, actor, object, verb,
// reason, detail} and the recorder that collects them in virtual time.
//
// May import: the standard library only. Everything else in rollsim may
// import it; report reads only this package.
package trace
