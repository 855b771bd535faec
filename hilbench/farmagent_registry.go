package hilbench

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The board's entry in the registry: its state, heartbeats, and the drain/release controls it obeys.

func (a *FarmAgent) setRunning(d int) {
	a.mu.Lock()
	a.info.Running += d
	a.mu.Unlock()
}

func (a *FarmAgent) addBusy(d time.Duration) {
	a.mu.Lock()
	a.info.BusyMS += d.Milliseconds()
	a.mu.Unlock()
}

// snapshotLocked returns the registry entry at now; a.mu must be held.
func (a *FarmAgent) snapshotLocked(now time.Time) BoardInfo {
	b := a.info
	b.HeartbeatMS = now.UnixMilli()
	b.UpMS = (now.UnixMilli() - b.StartedUnixMS) * int64(b.Slots)
	switch {
	case b.State == StateQuarantined || b.State == StateOffline:
	case a.drain:
		b.State = StateDraining
	case b.Running > 0:
		b.State = StateBusy
	default:
		b.State = StateIdle
	}
	return b
}

// publishInfo writes the board's registry entry.
func (a *FarmAgent) publishInfo(ctx context.Context) {
	a.mu.Lock()
	b := a.snapshotLocked(time.Now())
	a.mu.Unlock()
	data, _ := json.Marshal(&b)
	if _, err := a.st.boards.Put(ctx, boardKey(a.cfg.Name), data); err != nil && ctx.Err() == nil {
		a.log.Warn("farm agent: registry not updated", "err", err)
	}
}

func (a *FarmAgent) heartbeat(ctx context.Context) {
	t := time.NewTicker(a.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.publishInfo(ctx)
		}
	}
}

// watchControl follows the board's control entry: drain, undrain and release.
func (a *FarmAgent) watchControl(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := a.st.boards.Watch(ctx, controlKey(a.cfg.Name))
		if err != nil {
			a.log.Warn("farm agent: control watch failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for e := range w.Updates() {
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var c BoardControl
			if err := json.Unmarshal(e.Value(), &c); err != nil {
				a.log.Warn("farm agent: bad control entry", "err", err)
				continue
			}
			a.applyControl(ctx, c)
		}
		_ = w.Stop()
	}
}

func (a *FarmAgent) applyControl(ctx context.Context, c BoardControl) {
	a.mu.Lock()
	changed := a.drain != c.Drain
	a.drain = c.Drain
	release := false
	if c.Release > a.releaseSeen {
		// A release asked for before the board was quarantined (or before this agent started)
		// lifts nothing.
		release = a.info.State == StateQuarantined
		a.releaseSeen = c.Release
	}
	a.mu.Unlock()
	if changed {
		a.log.Info("farm board drain changed", "drain", c.Drain)
	}
	if release {
		select {
		case a.released <- struct{}{}:
		default:
		}
	}
	if changed || release {
		a.publishInfo(ctx)
		a.ring()
	}
}
