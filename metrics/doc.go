// Package metrics is tcdse's Prometheus exposition: a small registry of counters, gauges and
// summaries (Registry), an adapter that records the Temporal SDK's metrics into it
// (TemporalHandler), and an HTTP endpoint that serves it in the Prometheus text format
// (Serve). Workers and agents serve it with --metrics 127.0.0.1:PORT.
//
// Invariants: series are keyed by name and sorted labels; a name keeps the kind it was first
// used with; label values are escaped as the text format requires. It has no dependency
// beyond the standard library and the SDK's MetricsHandler interface.
package metrics
