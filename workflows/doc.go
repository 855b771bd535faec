// Package workflows holds tcdse's Temporal workflows. They only sequence: every decision is a
// pure function with its own tests, and every piece of work is an activity.
//
// # Sweep
//
// [Sweep] explores one model's compression for one target. It runs a sweepRun, one method per
// phase, in this order: import (model, data, baseline), sensitivity (every prunable layer
// alone at every rate, fanned out with at most spec.concurrency in flight), gwp (global
// weighted pruning steps, each from the previous step's model, each with its int8 point when
// the spec quantizes, stopping at the first step below the floor), unstructured (a two-phase
// sweep's second sensitivity analysis and steps, on the last structured model), front (the
// Pareto merge), generate (C code for points spread along the front), boards (each generated
// tree on the spec's board) and report. The decisions — which probes, which step inputs, the
// floor rule, the merge, the chosen points — are the functions of plan.go.
//
// # Invariants
//
//   - Determinism: the same spec and the same activity results give the same commands in the
//     same order, and so the same front, whatever the number of workers or their crashes.
//   - Compatibility: a change to the commands a sweep issues is guarded by workflow.GetVersion,
//     so that sweeps running across an upgrade replay. Recorded histories in testdata/ are
//     replayed by the tests; record a new one (tcdse sweep, then temporal workflow show -o json)
//     when a phase is added.
//   - Defaults: spec.WithDefaults is applied once, when the workflow starts.
//   - Errors: a spec that cannot work fails with the non-retryable type [ErrBadSpec].
package workflows
