// Package devstack runs the infrastructure tcdse needs on one machine, inside
// the calling process: a Temporal server (all four services, SQLite
// persistence in a file) and a NATS server with JetStream. It backs
// `tcdse up`, `make run` and the integration tests.
//
// State lives in Config.DataDir: the Temporal database temporal.db, the
// JetStream store under nats/, and the server logs temporal.log and nats.log
// (unless Config.LogWriter is set). Stopping and starting again on the same
// directory keeps workflows, namespaces and streams.
//
// This is the only tcdse package that imports go.temporal.io/server.
package devstack
