// Package hilbench runs generated C source trees on hardware-in-the-loop (HIL) boards reached
// over NATS: the board farm (a durable job queue, leases, a board registry, health and
// quarantine), the drivers that build and run a tree on one kind of board (host, callgrind,
// command, sim), and the older request/reply protocol with its [Agent] and [Client].
//
// # Farm
//
// Jobs are [RunRequest]s in the JetStream work-queue stream [JobsStream], one subject per
// board class and priority ([JobSubject]: tcdse.farm.jobs.<class>.<interactive|batch>). The
// job id is the Nats-Msg-Id: queueing an id again within the dedup window queues nothing.
// Every [FarmAgent] of a class pulls from the class's two durable consumers, interactive first,
// so an interactive job overtakes every queued batch job and each priority is first in,
// first out. A submitter rings tcdse.farm.wake.<class> (core NATS) so idle agents fetch at
// once; they also poll.
//
// Invariants:
//   - A job runs under a lease ("lease.<job>" in [LeasesBucket]) whose KV revision is the
//     fencing token. The agent renews it and sends an in-progress ack every third of the
//     lease time ([FarmConfig].Lease, the consumers' AckWait). An agent that dies or stalls
//     stops both: the job is redelivered after the lease time to another board, which may take
//     the lease over only once it has expired.
//   - A result is recorded only by a compare-and-set of the lease to "done" with the token the
//     agent holds; a late agent whose lease was taken over fails that write, logs the refusal
//     and keeps its result under tcdse.farm.refused.<job>, never under the results subject.
//   - Order of recording: journal (bbolt, on the agent) -> fence (lease done, result inside)
//     -> publish to [ResultsStream] (Nats-Msg-Id = job id) -> ack the job -> drop the journal
//     entry. A crash anywhere re-runs nothing: the restarted agent records its journal, and a
//     board handed a job whose lease is done publishes the lease's result instead of running.
//   - [ResultsStream] keeps every result: the record of every measurement.
//   - Infrastructure failures (driver errors: hang, crash, garbage output, lost board) hand
//     the job back (NAK) until its last delivery ([FarmConfig].MaxDeliver), which records the
//     error. A failed comparison on a board with a health job is re-judged by that job: if the
//     health job fails too, the board is at fault and the job goes elsewhere. QuarantineAfter
//     such failures in a row quarantine the board; a quarantined board takes no jobs and runs
//     its health job until it passes (or an operator releases it).
//   - The registry ("board.<name>" in [BoardsBucket]) is rewritten at every heartbeat;
//     readers show a board as offline when its heartbeat is older than [OfflineAfter].
//     Operators steer boards through "control.<name>" (drain, release).
//   - Agents run only what their own configuration says ([AgentFile]); a job carries a tree
//     reference, never a command.
//
// # Artifacts
//
// A generated tree (model.h, model.c, harness.c, test_vectors.h, Makefile, manifest.json) is
// packed with [PackFiles] or [PackDir] into a deterministic tar.gz and put in a JetStream
// object store bucket under its content address, the lowercase hex SHA-256 of the archive
// ([SHA256Hex]). Only the reference travels in messages. Agents extract archives with
// [Unpack], which accepts regular files and directories only and bounds size and count.
//
// # Request/reply protocol (version 1, [ProtocolVersion])
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
// server whose publishers are trusted. Sweeps and the CLI use the farm; this protocol remains
// for callers that want a plain request/reply.
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
