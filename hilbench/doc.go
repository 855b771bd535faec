// Package hilbench runs generated C source trees on hardware-in-the-loop (HIL) boards reached
// over NATS: the wire protocol, the board agent that serves it, the client that the sweep's
// activities use, and the "host" driver that builds and runs a tree on the local machine.
//
// # Artifacts
//
// A generated tree (model.h, model.c, harness.c, test_vectors.h, Makefile, manifest.json) is
// packed with [PackFiles] or [PackDir] into a deterministic tar.gz and put in a JetStream
// object store bucket under its content address, the lowercase hex SHA-256 of the archive
// ([SHA256Hex]). Only the reference travels in messages. Agents extract archives with
// [Unpack], which accepts regular files and directories only and bounds size and count.
//
// # Protocol (version 1, [ProtocolVersion])
//
// All messages are JSON, using NATS request/reply.
//
// Run: the client sends a [RunRequest] to
//
//	tcdse.hil.run.<board>          e.g. tcdse.hil.run.host
//
// Every agent for <board> subscribes in queue group "tcdse-hil-agents" ([QueueGroup]), so a
// farm of identical boards shares the requests: each is delivered to one agent, chosen by the
// server. The request:
//
//	{"version":1,"job_id":"j-42","board":"host","bucket":"tcdse-artifacts",
//	 "object":"<sha256 hex>","sha256":"<sha256 hex>","timeout_seconds":120}
//
// The agent fetches the object, refuses it unless its SHA-256 equals "sha256", unpacks it
// into a fresh directory, builds and runs it with its [Driver] under the timeout (0 means
// [DefaultRunTimeout]), removes the directory and replies with a [RunResult]:
//
//	{"job_id":"j-42","board":"host","agent":"bench-1","built":true,"pass":true,
//	 "vectors":64,"max_abs_err":1.2e-6,"max_rel_err":3.4e-5,"ns_per_inference":5120,
//	 "iterations":1000,"build_log":"<tail>","duration_ms":830}
//
// Outcomes: a tree that does not compile has "built":false and the tail of the build log
// (at most [MaxLogTail] bytes); a harness whose outputs miss the tolerance has "pass":false.
// A job that could not be judged has "error" set: wrong protocol version, a board the agent
// does not serve, a malformed request, a missing object, a hash mismatch, an unsafe archive,
// a harness that crashed, timed out or printed no valid result line, or an agent shutting
// down. With no agent subscribed, NATS answers "no responders" and [Client.Run] returns a
// [*NoAgentError]; an "error" in the reply becomes an [*AgentError].
//
// An agent runs at most its configured number of jobs at once; further requests it was
// handed wait, in order, until a slot frees. Its time limit starts when the job starts, so
// a client whose deadline is shorter than queueing plus the job may give up first.
//
// An agent compiles and executes whatever tree it is sent: connect agents only to a NATS
// server whose publishers are trusted.
//
// Discovery: a request on
//
//	tcdse.hil.agents
//
// ([AgentsSubject], no queue group) is answered by every agent with its [AgentInfo]:
//
//	{"name":"bench-1","board":"host","driver":"host","busy":false,"version":1}
//
// [Client.ListAgents] collects the answers that arrive within a wait.
//
// # Harness contract
//
// The Makefile's target "harness" builds ./harness with $(CC). Run from the tree's
// directory, ./harness prints exactly one JSON line on stdout ([HarnessReport], parsed by
// [ParseHarnessOutput]) and exits 0 if and only if it passed.
package hilbench
