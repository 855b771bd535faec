package hilbench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
)

// replyGrace is the time a client waits for a reply beyond the agent's own time limit, to
// cover fetching the artifact and the reply's trip.
const replyGrace = 30 * time.Second

// NoAgentError is returned by [Client.Run] when no agent subscribes to the board's subject.
type NoAgentError struct {
	// Board is the board asked for.
	Board string
}

func (e *NoAgentError) Error() string {
	return fmt.Sprintf("no agent for board %q is listening on %s", e.Board, RunSubject(e.Board))
}

// AgentError is returned by [Client.Run] when an agent answered but could not carry out the
// job (its [RunResult].Error was set): bad request, missing object, hash mismatch, harness
// crash, timeout. A tree that fails to compile or to match is not an AgentError.
type AgentError struct {
	JobID, Board, Agent string
	// Message is the agent's RunResult.Error.
	Message string
}

func (e *AgentError) Error() string {
	return fmt.Sprintf("HIL job %q on board %q: %s", e.JobID, e.Board, e.Message)
}

// Client sends [RunRequest]s to board agents and lists the farm.
type Client struct {
	nc *nats.Conn
}

// NewClient returns a client using nc.
func NewClient(nc *nats.Conn) *Client { return &Client{nc: nc} }

// Run sends req to the agents for req.Board and waits for the reply until ctx ends.
//
// A zero Version is set to [ProtocolVersion] and an empty JobID to a random one. When
// TimeoutSeconds is 0 and ctx has a deadline, the agent is given nine tenths of the time left;
// when ctx has no deadline, Run waits for the agent's limit plus a grace period.
//
// Errors: [*NoAgentError] when nobody listens on the subject; [*AgentError], together with
// the agent's result, when the agent reported a failure; otherwise request or transport
// errors. A build failure (Built=false) or failed comparison (Pass=false) is a result with a
// nil error.
func (c *Client) Run(ctx context.Context, req RunRequest) (*RunResult, error) {
	if c == nil || c.nc == nil {
		return nil, errors.New("HIL client: nil NATS connection")
	}
	if req.Version == 0 {
		req.Version = ProtocolVersion
	}
	if req.JobID == "" {
		req.JobID = randomJobID()
	}
	if deadline, ok := ctx.Deadline(); ok {
		if req.TimeoutSeconds == 0 {
			left := time.Until(deadline)
			req.TimeoutSeconds = max(1, int((left - left/10).Seconds()))
		}
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.timeout()+replyGrace)
		defer cancel()
	}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("HIL client: %w", err)
	}
	data, err := json.Marshal(&req)
	if err != nil {
		return nil, fmt.Errorf("HIL client: encode run request %q: %w", req.JobID, err)
	}
	subject := RunSubject(req.Board)
	msg, err := c.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return nil, &NoAgentError{Board: req.Board}
		}
		return nil, fmt.Errorf("HIL job %q on %s: %w", req.JobID, subject, err)
	}
	var res RunResult
	if err := json.Unmarshal(msg.Data, &res); err != nil {
		return nil, fmt.Errorf("HIL job %q on %s: decode reply: %w", req.JobID, subject, err)
	}
	if res.Error != "" {
		return &res, &AgentError{JobID: req.JobID, Board: req.Board, Agent: res.Agent, Message: res.Error}
	}
	if res.JobID != req.JobID {
		return nil, fmt.Errorf("HIL job %q on %s: reply is for job %q", req.JobID, subject, res.JobID)
	}
	return &res, nil
}

// ListAgents asks every agent on [AgentsSubject] for its [AgentInfo] and collects the replies
// that arrive within wait, sorted by board and name. It returns early, with no agents, when
// the server reports that nobody listens. If ctx ends first, the replies so far are returned
// with ctx's error. Malformed replies are skipped and reported in a joined error alongside
// the well-formed ones.
func (c *Client) ListAgents(ctx context.Context, wait time.Duration) ([]AgentInfo, error) {
	if c == nil || c.nc == nil {
		return nil, errors.New("HIL client: nil NATS connection")
	}
	inbox := c.nc.NewInbox()
	sub, err := c.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, fmt.Errorf("list HIL agents: subscribe reply inbox: %w", err)
	}
	defer sub.Unsubscribe()
	if err := c.nc.PublishRequest(AgentsSubject, inbox, nil); err != nil {
		return nil, fmt.Errorf("list HIL agents: publish on %s: %w", AgentsSubject, err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()

	var (
		agents []AgentInfo
		bad    []error
	)
	for {
		msg, err := sub.NextMsgWithContext(waitCtx)
		if errors.Is(err, nats.ErrNoResponders) {
			break // The server says nobody listens.
		}
		if err != nil {
			if ctx.Err() != nil {
				sortAgents(agents)
				return agents, fmt.Errorf("list HIL agents: %w", ctx.Err())
			}
			if waitCtx.Err() != nil {
				break // The wait is over.
			}
			return agents, fmt.Errorf("list HIL agents: %w", err)
		}
		var info AgentInfo
		if err := json.Unmarshal(msg.Data, &info); err != nil {
			bad = append(bad, fmt.Errorf("list HIL agents: malformed reply %q: %w", truncateHead(string(msg.Data), 200), err))
			continue
		}
		agents = append(agents, info)
	}
	sortAgents(agents)
	return agents, errors.Join(bad...)
}

func sortAgents(agents []AgentInfo) {
	sort.Slice(agents, func(i, j int) bool {
		if agents[i].Board != agents[j].Board {
			return agents[i].Board < agents[j].Board
		}
		return agents[i].Name < agents[j].Name
	})
}

// randomJobID returns a random 16-hex-digit job id.
func randomJobID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
