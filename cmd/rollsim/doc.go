// Command rollsim runs rollout scenarios in virtual time: `run` plays a
// scenario and prints its timeline (text, JSON, Markdown, JUnit or HTML),
// `validate` checks scenario and manifest files, `replay` walks a rollout plan
// from real manifests, `gate` compares a baseline and a candidate strategy
// for CI, and `view` writes a replay page (docs/viewer.md). See README.md and
// docs/ci.md.
//
// It owns only flag parsing, file reading and exit codes. It may import every
// rollsim package (scenarios, report, sim, controller, api) and cobra; nothing
// imports it.
package main
