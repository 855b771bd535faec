// Package activities holds the Temporal activities of a sweep: importing a model and its data,
// evaluating a candidate (prune, score, estimate cost), generating C code for a point, running
// it on a board, and writing the reports.
//
// Activities are where side effects live; the workflow in package workflows only decides what
// runs. Large artifacts (models, datasets, C source trees) never ride in Temporal payloads: they
// are stored content-addressed in NATS JetStream's object store and passed as store.Ref. Every
// activity is idempotent: evaluations are cached in bbolt by candidate id, artifacts are keyed by
// their hash, so a retry after a worker crash redoes nothing that finished.
package activities
