package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BoardState is what a board is doing, as the registry reports it.
type BoardState string

// Board states. Offline is never written by an agent: readers derive it from a heartbeat
// older than [OfflineAfter].
const (
	StateIdle        BoardState = "idle"
	StateBusy        BoardState = "busy"
	StateDraining    BoardState = "draining"
	StateQuarantined BoardState = "quarantined"
	StateOffline     BoardState = "offline"
)

// OfflineAfter is the heartbeat age after which a board counts as offline.
const OfflineAfter = 10 * time.Second

// BoardInfo is a board's entry in the registry ("board.<name>" in [BoardsBucket]), rewritten
// by its agent at every heartbeat and state change.
type BoardInfo struct {
	Name       string   `json:"name"`
	Class      string   `json:"class"`
	Derivative string   `json:"derivative,omitempty"`
	Core       string   `json:"core,omitempty"`
	ClockMHz   float64  `json:"clock_mhz,omitempty"`
	Toolchain  string   `json:"toolchain,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Driver     string   `json:"driver"`
	// Slots is the number of jobs the board runs at once; Running the number running now.
	Slots   int        `json:"slots"`
	Running int        `json:"running"`
	State   BoardState `json:"state"`
	// Reason says why the board is quarantined.
	Reason string `json:"reason,omitempty"`
	// FailuresInRow counts infrastructure failures since the last good job.
	FailuresInRow int   `json:"failures_in_row"`
	JobsDone      int64 `json:"jobs_done"`
	JobsFailed    int64 `json:"jobs_failed"`
	// BusyMS and UpMS are the job-slot time spent on jobs and the slot time up since the
	// agent started: BusyMS/UpMS is the board's utilisation.
	BusyMS int64 `json:"busy_ms"`
	UpMS   int64 `json:"up_ms"`
	// HealthBaseline is the health job's cycles when the board was qualified, HealthCycles the
	// last health job's; Drift is set when they differ by more than the configured share.
	HealthBaseline float64 `json:"health_baseline,omitempty"`
	HealthCycles   float64 `json:"health_cycles,omitempty"`
	Drift          string  `json:"drift,omitempty"`
	StartedUnixMS  int64   `json:"started_unix_ms"`
	HeartbeatMS    int64   `json:"heartbeat_unix_ms"`
	Version        int     `json:"version"`
}

// Effective returns the state a reader should show at now: Offline when the heartbeat is
// older than [OfflineAfter], else the state the agent wrote.
func (b BoardInfo) Effective(now time.Time) BoardState {
	if now.Sub(time.UnixMilli(b.HeartbeatMS)) > OfflineAfter {
		return StateOffline
	}
	return b.State
}

// BoardControl is an operator's instruction to one board ("control.<name>").
type BoardControl struct {
	// Drain stops the board from taking new jobs; running ones finish.
	Drain bool `json:"drain"`
	// Release, when it grows, lifts a quarantine (after a passing health job when the board
	// has one).
	Release int64 `json:"release"`
}

func boardKey(name string) string   { return "board." + name }
func controlKey(name string) string { return "control." + name }

// listBoards reads every board of the registry, sorted by class and name.
func listBoards(ctx context.Context, kv jetstream.KeyValue) ([]BoardInfo, error) {
	lister, err := kv.ListKeysFiltered(ctx, "board.*")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("farm registry: list: %w", err)
	}
	var out []BoardInfo
	for key := range lister.Keys() {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("farm registry: %s: %w", key, err)
		}
		var b BoardInfo
		if err := json.Unmarshal(e.Value(), &b); err != nil {
			return nil, fmt.Errorf("farm registry: %s: %w", key, err)
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Class != out[j].Class {
			return out[i].Class < out[j].Class
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// readControl returns board's control entry and its revision (zero values when absent).
func readControl(ctx context.Context, kv jetstream.KeyValue, board string) (BoardControl, uint64, error) {
	e, err := kv.Get(ctx, controlKey(board))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return BoardControl{}, 0, nil
	}
	if err != nil {
		return BoardControl{}, 0, fmt.Errorf("farm control %s: %w", board, err)
	}
	var c BoardControl
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return BoardControl{}, 0, fmt.Errorf("farm control %s: %w", board, err)
	}
	return c, e.Revision(), nil
}

// updateControl applies change to board's control entry with compare-and-set.
func updateControl(ctx context.Context, kv jetstream.KeyValue, board string, change func(*BoardControl)) error {
	for attempt := 0; attempt < 5; attempt++ {
		c, rev, err := readControl(ctx, kv, board)
		if err != nil {
			return err
		}
		change(&c)
		data, _ := json.Marshal(&c)
		if rev == 0 {
			_, err = kv.Create(ctx, controlKey(board), data)
		} else {
			_, err = kv.Update(ctx, controlKey(board), data, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return fmt.Errorf("farm control %s: %w", board, err)
		}
	}
	return fmt.Errorf("farm control %s: contended, gave up", board)
}

// ClassStatus sums up one board class for `tcdse farm status`.
type ClassStatus struct {
	Class string `json:"class"`
	// Boards counts the class's boards by effective state.
	Boards map[BoardState]int `json:"boards"`
	// Queued are the jobs waiting per priority; InFlight those handed out and not yet acked.
	Queued   map[Priority]uint64 `json:"queued"`
	InFlight int                 `json:"in_flight"`
	// Utilisation is busy slot time over up slot time of the boards not offline.
	Utilisation float64 `json:"utilisation"`
	// WaitP50MS and WaitMaxMS are the queue wait of the class's recent results.
	WaitP50MS int64 `json:"wait_p50_ms"`
	WaitMaxMS int64 `json:"wait_max_ms"`
	// Results is the number of recent results the wait figures come from.
	Results int `json:"results"`
}

// String is one line for the CLI.
func (c ClassStatus) String() string {
	var states []string
	for _, s := range []BoardState{StateIdle, StateBusy, StateDraining, StateQuarantined, StateOffline} {
		if n := c.Boards[s]; n > 0 {
			states = append(states, fmt.Sprintf("%d %s", n, s))
		}
	}
	return fmt.Sprintf("%s: boards %s; queued %d interactive, %d batch; in flight %d; utilisation %.0f%%; wait p50 %d ms, max %d ms over %d recent results",
		c.Class, strings.Join(states, ", "), c.Queued[Interactive], c.Queued[Batch], c.InFlight, 100*c.Utilisation, c.WaitP50MS, c.WaitMaxMS, c.Results)
}
