// Package store holds the two persistent stores used by the tcdse workers:
// an evaluation cache in a bbolt file (EvalCache), which makes evaluation
// activities idempotent across retries, and a content-addressed artifact store
// in a NATS JetStream object store bucket (Objects), whose small Ref values
// travel in Temporal payloads in place of the artifact bytes.
package store
