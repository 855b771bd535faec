package hilbench

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// ProtocolVersion is the version of the message shapes in this package. A [RunRequest] whose
// Version differs is rejected by the agent; bump it on any incompatible change.
const ProtocolVersion = 1

// Subjects and queue group of the protocol. See the package documentation for the message
// flow.
const (
	// RunSubjectPrefix is followed by a board name to form the subject on which the agents for
	// that board receive [RunRequest]s, e.g. "tcdse.hil.run.host".
	RunSubjectPrefix = "tcdse.hil.run."
	// AgentsSubject is the discovery subject: every agent answers a request on it with its
	// [AgentInfo].
	AgentsSubject = "tcdse.hil.agents"
	// QueueGroup is the queue group every agent joins on its run subject, so that a farm of
	// identical boards shares the requests for that board.
	QueueGroup = "tcdse-hil-agents"
)

// DefaultRunTimeout bounds one run (fetch, build and execution) when a request does not set
// TimeoutSeconds and the caller's context carries no deadline.
const DefaultRunTimeout = 10 * time.Minute

// RunSubject returns the subject for requests to the agents serving board.
func RunSubject(board string) string { return RunSubjectPrefix + board }

// RunRequest asks an agent to fetch a packed C source tree from a JetStream object store,
// build it and run its test harness on the agent's board.
type RunRequest struct {
	// Version is the protocol version; it must equal [ProtocolVersion].
	Version int `json:"version"`
	// JobID identifies the job in logs and is echoed in the result.
	JobID string `json:"job_id"`
	// Board names the kind of board to run on; it must match the agent's board.
	Board string `json:"board"`
	// Bucket is the JetStream object store bucket holding the packed tree.
	Bucket string `json:"bucket"`
	// Object is the name of the object in Bucket (by convention the hex SHA256 of its bytes).
	Object string `json:"object"`
	// SHA256 is the lowercase hex SHA-256 of the object's bytes; the agent refuses to run
	// anything else.
	SHA256 string `json:"sha256"`
	// TimeoutSeconds bounds the whole job on the agent; 0 means [DefaultRunTimeout].
	TimeoutSeconds int `json:"timeout_seconds"`
	// Priority orders farm jobs of one class (empty: batch); see [Priority].
	Priority Priority `json:"priority,omitempty"`
	// Label is a human-readable name of the job (e.g. the sweep point), for logs and reports.
	Label string `json:"label,omitempty"`
	// SubmittedUnixMS is when the job was queued on the farm (set by [Farm.Submit]).
	SubmittedUnixMS int64 `json:"submitted_unix_ms,omitempty"`
}

// RunResult is an agent's reply to a [RunRequest]. A tree that does not build has
// Built=false and the tail of the build log; a harness whose outputs do not match has
// Built=true and Pass=false. Anything that stopped the agent from getting that far (bad
// request, missing object, hash mismatch, harness crash or timeout) is reported in Error.
type RunResult struct {
	JobID string `json:"job_id"`
	Board string `json:"board"`
	// Agent is the name of the agent that ran the job.
	Agent string `json:"agent"`
	// Built reports whether the tree compiled.
	Built bool `json:"built"`
	// Pass reports whether the harness matched every test vector within tolerance.
	Pass bool `json:"pass"`
	// Vectors is the number of test vectors the harness checked.
	Vectors int `json:"vectors"`
	// MaxAbsErr and MaxRelErr are the largest absolute and relative output errors.
	MaxAbsErr float64 `json:"max_abs_err"`
	MaxRelErr float64 `json:"max_rel_err"`
	// NsPerInference is the measured time of one inference in nanoseconds.
	NsPerInference float64 `json:"ns_per_inference"`
	// Iterations is the number of timed inferences NsPerInference was averaged over.
	Iterations int `json:"iterations"`
	// BuildLog is the tail of the build output, at most [MaxLogTail] bytes.
	BuildLog string `json:"build_log,omitempty"`
	// Error is set when the job could not be carried out; see the type's documentation.
	Error string `json:"error,omitempty"`
	// DurationMS is the wall time the agent spent on the job, in milliseconds.
	DurationMS int64 `json:"duration_ms"`
	// CyclesPerInference is the board's own count per inference when it has one: CPU cycles
	// (CCNT) on a TC3xx, instructions under callgrind, simulated cycles on a sim board.
	CyclesPerInference float64 `json:"cycles_per_inference,omitempty"`
	// CycleUnit says what CyclesPerInference counts: "cycles", "instructions" or "sim-cycles".
	CycleUnit string `json:"cycle_unit,omitempty"`
	// Farm fields: the class the job was queued for, the lease's fencing token, the delivery
	// attempt that produced the result, and the time the job waited in the queue.
	Class      string `json:"class,omitempty"`
	LeaseToken uint64 `json:"lease_token,omitempty"`
	Attempt    int    `json:"attempt,omitempty"`
	WaitMS     int64  `json:"wait_ms,omitempty"`
	// Label echoes the request's label.
	Label string `json:"label,omitempty"`
	// Bucket and Object name the tree that was run (farm results), so that a measurement can
	// be traced back to its code and graph (calibration reads them).
	Bucket string `json:"bucket,omitempty"`
	Object string `json:"object,omitempty"`
}

// AgentInfo is an agent's answer on [AgentsSubject].
type AgentInfo struct {
	// Name identifies the agent within the farm.
	Name string `json:"name"`
	// Board is the kind of board the agent serves.
	Board string `json:"board"`
	// Driver is the name of the agent's [Driver].
	Driver string `json:"driver"`
	// Busy reports whether every one of the agent's job slots is taken.
	Busy bool `json:"busy"`
	// Version is the agent's [ProtocolVersion].
	Version int `json:"version"`
}

// MaxLogTail bounds RunResult.BuildLog and the output tails quoted in errors, in bytes.
const MaxLogTail = 8 << 10

// maxErrorLen bounds RunResult.Error so a reply always fits a NATS message.
const maxErrorLen = 16 << 10

// ValidateBoard reports whether board can be used as one token of a NATS subject: non-empty,
// and made of letters, digits, '-' and '_' only.
func ValidateBoard(board string) error {
	if board == "" {
		return fmt.Errorf("board name is empty")
	}
	if !validToken(board) {
		return fmt.Errorf("board name %q: only letters, digits, '-' and '_' are allowed", board)
	}
	return nil
}

// Validate checks the fields of r that an agent needs, independent of which board it serves.
func (r *RunRequest) Validate() error {
	if r.Version != ProtocolVersion {
		return fmt.Errorf("run request %q: protocol version %d, this side speaks version %d", r.JobID, r.Version, ProtocolVersion)
	}
	if err := ValidateBoard(r.Board); err != nil {
		return fmt.Errorf("run request %q: %w", r.JobID, err)
	}
	if _, err := ParsePriority(string(r.Priority)); err != nil {
		return fmt.Errorf("run request %q: %w", r.JobID, err)
	}
	if r.Bucket == "" {
		return fmt.Errorf("run request %q: bucket is empty", r.JobID)
	}
	if r.Object == "" {
		return fmt.Errorf("run request %q: object is empty", r.JobID)
	}
	if err := validateSHA256(r.SHA256); err != nil {
		return fmt.Errorf("run request %q: %w", r.JobID, err)
	}
	if r.TimeoutSeconds < 0 {
		return fmt.Errorf("run request %q: timeout_seconds is %d, must not be negative", r.JobID, r.TimeoutSeconds)
	}
	return nil
}

// timeout returns the run time limit the request asks for.
func (r *RunRequest) timeout() time.Duration {
	if r.TimeoutSeconds > 0 {
		return time.Duration(r.TimeoutSeconds) * time.Second
	}
	return DefaultRunTimeout
}

func validateSHA256(s string) error {
	if len(s) != 2*32 {
		return fmt.Errorf("sha256 %q: want 64 hex digits, have %d characters", s, len(s))
	}
	if _, err := hex.DecodeString(s); err != nil {
		return fmt.Errorf("sha256 %q: not hex: %v", s, err)
	}
	return nil
}

// truncateTail returns the last max bytes of s, marked as cut when it was.
func truncateTail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "[... truncated ...]\n"
	cut := s[len(s)-(max-len(mark)):]
	// Do not start in the middle of a UTF-8 sequence.
	for i := 0; i < 3 && len(cut) > 0 && cut[0]&0xC0 == 0x80; i++ {
		cut = cut[1:]
	}
	return mark + cut
}

// truncateHead returns the first max bytes of s, marked as cut when it was.
func truncateHead(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = " [... truncated]"
	head := s[:max-len(mark)]
	return strings.ToValidUTF8(head, "") + mark
}
