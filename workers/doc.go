// Package workers wires tcdse's workflows and activities to a Temporal worker: it connects to
// Temporal and NATS, opens the object store and the evaluation cache, and polls the tcdse task
// queue until its context ends.
package workers
