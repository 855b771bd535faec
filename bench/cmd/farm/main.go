// Command farm measures the board farm's scheduler: an in-process NATS server with JetStream,
// -agents sim boards (zero-time jobs: the sim board prices the MLP fixture and answers at
// once) and -jobs jobs submitted by -submitters concurrent clients. It prints jobs per second
// (first submit to last recorded result), dispatch latency (queued to started on a board:
// p50, p99, max) and board utilisation (slot time on jobs over slot time up), and checks that
// every job has exactly one recorded result and ran exactly once.
//
//	go run ./bench/cmd/farm [-agents 8] [-jobs 1600] [-submitters 64] [-slots 1]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/tcdse/tcdse/bench/internal/farmstack"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

func main() {
	agents := flag.Int("agents", 8, "sim boards")
	jobs := flag.Int("jobs", 1600, "jobs")
	submitters := flag.Int("submitters", 64, "concurrent submitting clients")
	slots := flag.Int("slots", 1, "jobs per board at once")
	fixture := flag.String("model", "model/testdata/fixtures/mlp.onnx", "model priced by the sim boards")
	flag.Parse()
	if err := run(*agents, *jobs, *submitters, *slots, *fixture); err != nil {
		fmt.Fprintln(os.Stderr, "farm bench:", err)
		os.Exit(1)
	}
}

func run(nAgents, nJobs, nSubmitters, slots int, fixture string) error {
	st, err := farmstack.Start()
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	g, err := model.LoadFile(fixture)
	if err != nil {
		return err
	}
	g.Outputs = g.Outputs[:1]
	tree, err := hilbench.PackGraph(g, "", 4, 1)
	if err != nil {
		return err
	}
	req, err := st.Put(tree, "sim")
	if err != nil {
		return err
	}
	target, err := tc3xx.Lookup("tc387:cpu2")
	if err != nil {
		return err
	}
	var drivers []*hilbench.SimDriver
	for i := range nAgents {
		d := &hilbench.SimDriver{Target: target, True: tc3xx.TC162P, Seed: uint64(i)}
		drivers = append(drivers, d)
		if err := st.StartAgent(hilbench.FarmAgentConfig{Name: fmt.Sprintf("sim-%d", i), Class: "sim", Driver: d, Concurrency: slots}); err != nil {
			return err
		}
	}
	nc := st.NC
	farm, err := hilbench.OpenFarm(ctx, nc, hilbench.FarmConfig{})
	if err != nil {
		return err
	}
	fmt.Printf("%d sim boards x %d slots, %d jobs from %d submitters, %d CPUs\n", nAgents, slots, nJobs, nSubmitters, runtimeCPUs())
	results := make([]*hilbench.RunResult, nJobs)
	next := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	start := time.Now()
	for range nSubmitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snc, err := st.Connect()
			f := farm
			if err == nil {
				if f2, err2 := hilbench.OpenFarm(ctx, snc, hilbench.FarmConfig{}); err2 == nil {
					f = f2
				}
			}
			for i := range next {
				r := req
				r.JobID, r.TimeoutSeconds = fmt.Sprintf("bench-%05d", i), 60
				res, err := f.Run(ctx, r)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				results[i] = res
				mu.Unlock()
			}
		}()
	}
	for i := range nJobs {
		next <- i
	}
	close(next)
	wg.Wait()
	wall := time.Since(start)
	boards, _ := farm.Boards(ctx)
	st.StopAgents()
	if firstErr != nil {
		return firstErr
	}
	var waits []float64
	var busy time.Duration
	for i, r := range results {
		if r == nil || !r.Pass {
			return fmt.Errorf("job %d: %+v", i, r)
		}
		waits = append(waits, float64(r.WaitMS))
		busy += time.Duration(r.DurationMS) * time.Millisecond
	}
	var runs int64
	for _, d := range drivers {
		runs += d.Runs()
	}
	recorded, err := farm.RecentResults(ctx, 2*nJobs)
	if err != nil {
		return err
	}
	per := map[string]int{}
	for _, r := range recorded {
		per[r.JobID]++
	}
	dup := 0
	for _, n := range per {
		if n != 1 {
			dup++
		}
	}
	sort.Float64s(waits)
	q := func(p float64) float64 { return waits[int(p*float64(len(waits)-1))] }
	var up, busyReg int64
	for _, b := range boards {
		up += b.UpMS
		busyReg += b.BusyMS
	}
	fmt.Printf("jobs per second:   %.0f (%d jobs in %.2f s)\n", float64(nJobs)/wall.Seconds(), nJobs, wall.Seconds())
	fmt.Printf("dispatch latency:  p50 %.0f ms, p99 %.0f ms, max %.0f ms (queued to started on a board)\n", q(0.5), q(0.99), waits[len(waits)-1])
	fmt.Printf("utilisation:       %.0f%% of board slot time on jobs during the run (registry: %.0f%% since the boards started)\n",
		100*busy.Seconds()/(wall.Seconds()*float64(nAgents*slots)), 100*float64(busyReg)/float64(max(up, 1)))
	fmt.Printf("exactly once:      %d runs for %d jobs, %d recorded results, %d jobs without exactly one\n", runs, nJobs, len(recorded), dup+nJobs-len(per))
	if runs != int64(nJobs) || dup != 0 || len(per) != nJobs {
		return fmt.Errorf("a job ran or was recorded other than exactly once")
	}
	return nil
}

func runtimeCPUs() int { return runtime.NumCPU() }
