package hilbench

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/internal/natstest"
)

// countingDriver counts runs and fails the test if it is ever run.
type countingDriver struct{ t *testing.T }

func (countingDriver) Name() string { return "counting" }
func (d countingDriver) Run(context.Context, string) (*RunResult, error) {
	d.t.Error("a journalled job ran again")
	return &RunResult{Built: true, Pass: true}, nil
}

// TestJournalRecordsAfterACrash: an agent that measured a job and journalled the result but
// died before recording it records it when it starts again, and the job, handed out again,
// is answered from the record instead of running.
func TestJournalRecordsAfterACrash(t *testing.T) {
	_, nc := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := openFarm(ctx, jetstreamOf(nc), FarmConfig{})
	if err != nil {
		t.Fatal(err)
	}
	const job, class, board = "journal-1", "jclass", "j-a"
	lease, err := acquireLease(ctx, st.leases, job, class, board, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jpath := filepath.Join(dir, "journal.db")
	j, err := openJournal(jpath)
	if err != nil {
		t.Fatal(err)
	}
	measured := RunResult{JobID: job, Board: class, Class: class, Agent: board, Built: true, Pass: true, CyclesPerInference: 4321, LeaseToken: lease.first}
	if err := j.put(journalEntry{Result: measured, Token: lease.rev}); err != nil {
		t.Fatal(err)
	}
	j.close()

	a, err := NewFarmAgent(nc, FarmAgentConfig{Name: board, Class: class, Driver: countingDriver{t}, WorkDir: dir, Journal: jpath,
		Poll: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(actx) }()
	<-a.Ready()
	farm, err := OpenFarm(ctx, nc, FarmConfig{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := farm.Result(ctx, job)
	if err != nil || res == nil || res.CyclesPerInference != 4321 {
		t.Fatalf("journalled result not recorded: %+v, %v", res, err)
	}
	// The job comes back (its message was never acknowledged): it is answered from the lease
	// and acknowledged, not run.
	if _, err := farm.Submit(ctx, RunRequest{JobID: job, Board: class, Bucket: "b", Object: "o", SHA256: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := st.jobs.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job was not acknowledged")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	left, err := (&journal{}).entriesAt(jpath)
	if err != nil || left != 0 {
		t.Errorf("%d journal entries left (%v)", left, err)
	}
	recorded, err := farm.RecentResults(ctx, 10)
	if err != nil || len(recorded) != 1 {
		t.Errorf("%d results recorded (%v)", len(recorded), err)
	}
}

// entriesAt counts the entries of the journal at path (the agent must have closed it).
func (*journal) entriesAt(path string) (int, error) {
	j, err := openJournal(path)
	if err != nil {
		return 0, err
	}
	defer j.close()
	es, err := j.entries()
	return len(es), err
}
