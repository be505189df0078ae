// Package validate is `rollsim validate`: it lints scenario files and
// manifests without running a scenario — everything the loaders and Argo's
// own validation reject (errors, with file, line and field), and classic
// traps (warnings: a ladder nothing can stop, a metric that can never
// fail, detection slower than the pauses).
//
// May import: scenarios/format, sim (a throw-away harness that reconciles
// once), controller (Argo's spec checks), api/manifests. Never the runner,
// the other commands, the scenarios facade, or cmd.
package validate
