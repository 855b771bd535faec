package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// ModelFile is the file of a packed tree that holds the graph the code was generated from,
// in the tcdse IR; the sim board prices it.
const ModelFile = "model.tcdse"

// Sim board fault kinds.
const (
	FaultHang       = "hang"       // the run never ends (until the job's time limit)
	FaultCrash      = "crash"      // the board resets mid-run
	FaultGarbage    = "garbage"    // the console prints garbage instead of a result line
	FaultWrong      = "wrong"      // the outputs are wrong (pass=false)
	FaultDisconnect = "disconnect" // the board stops answering (see ErrBoardDisconnected)
	FaultSlow       = "slow"       // the run takes Slow longer
)

// SimFault injects one kind of fault into a sim board's runs: into each of the first First
// runs (jobs and health jobs alike), then into each later run with probability Rate.
type SimFault struct {
	Kind  string        `yaml:"kind" json:"kind"`
	First int           `yaml:"first" json:"first"`
	Rate  float64       `yaml:"rate" json:"rate"`
	Slow  time.Duration `yaml:"slow" json:"slow"`
}

// SimDriver is a simulated TC3xx board. It does not run the code: it reads the tree's
// manifest and graph ([ModelFile]), plans the code as the generator did and reports the
// cycles the plan costs under its own "true" cost model (not the one tcdse estimates with),
// times a log-normal noise factor, and injects faults on demand. Results are deterministic
// for a seed and a tree.
type SimDriver struct {
	// Target is the simulated "derivative:core", e.g. "tc387:cpu2".
	Target tc3xx.Target
	// True is the board's true cost model.
	True tc3xx.CostModel
	// Noise is the standard deviation of the relative noise on the cycles (e.g. 0.01).
	Noise float64
	// Seed seeds the noise and the faults.
	Seed uint64
	// Delay is the time one run takes.
	Delay time.Duration
	// Faults are injected in order of the list; the first that fires decides the run.
	Faults []SimFault

	runs atomic.Int64
	mu   sync.Mutex
	rng  *rand.Rand
}

// Name returns "sim".
func (*SimDriver) Name() string { return "sim" }

// Runs returns how many runs the board has started.
func (d *SimDriver) Runs() int64 { return d.runs.Load() }

// Run prices the tree in dir; see [SimDriver].
func (d *SimDriver) Run(ctx context.Context, dir string) (*RunResult, error) {
	n := d.runs.Add(1)
	fault := d.fault(n)
	delay := d.Delay
	if fault != nil && fault.Kind == FaultSlow {
		delay += fault.Slow
	}
	if fault != nil && fault.Kind == FaultHang {
		<-ctx.Done()
		return &RunResult{Built: true}, fmt.Errorf("sim board: run %d hung: %w", n, context.Cause(ctx))
	}
	if delay > 0 {
		select {
		case <-ctx.Done():
			return &RunResult{Built: true}, fmt.Errorf("sim board: run %d stopped: %w", n, context.Cause(ctx))
		case <-time.After(delay):
		}
	}
	res, err := d.measure(dir)
	if err != nil {
		return res, err
	}
	if fault != nil {
		switch fault.Kind {
		case FaultCrash:
			return &RunResult{Built: true}, fmt.Errorf("sim board: run %d: the board reset (simulated crash)", n)
		case FaultGarbage:
			_, perr := ParseHarnessOutput([]byte("\x00\x13TC\xffDSE v=? pass=\x7f{{garbage"))
			return &RunResult{Built: true}, fmt.Errorf("sim board: run %d: %w", n, perr)
		case FaultDisconnect:
			return &RunResult{Built: true}, fmt.Errorf("sim board: run %d: %w", n, ErrBoardDisconnected)
		case FaultWrong:
			res.Pass, res.MaxAbsErr, res.MaxRelErr = false, 0.5, 0.5
		}
	}
	return res, nil
}

// fault returns the fault injected into run n, or nil.
func (d *SimDriver) fault(n int64) *SimFault {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rng == nil {
		d.rng = rand.New(rand.NewPCG(d.Seed, 0x7463647365))
	}
	for i := range d.Faults {
		f := &d.Faults[i]
		if n <= int64(f.First) || (f.Rate > 0 && d.rng.Float64() < f.Rate) {
			return f
		}
	}
	return nil
}

// simManifest is the part of manifest.json the sim board reads.
type simManifest struct {
	Prefix  string `json:"prefix"`
	Format  string `json:"format"`
	Vectors int    `json:"vectors"`
}

// measure prices the tree in dir under the true model, with noise.
func (d *SimDriver) measure(dir string) (*RunResult, error) {
	res := &RunResult{}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return res, fmt.Errorf("sim board: %w", err)
	}
	var man simManifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return res, fmt.Errorf("sim board: manifest.json: %w", err)
	}
	g, err := model.LoadFile(filepath.Join(dir, ModelFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("sim board: the tree has no %s to price", ModelFile)
		}
		return res, fmt.Errorf("sim board: %w", err)
	}
	plan, err := codegen.PlanGraph(g, codegen.Options{Prefix: man.Prefix, Format: man.Format})
	if err != nil {
		// The tree would not have compiled from this graph either.
		res.BuildLog = err.Error()
		return res, nil
	}
	cost, err := tc3xx.EstimateWith(d.True, g, plan, d.Target)
	if err != nil {
		return res, fmt.Errorf("sim board: %w", err)
	}
	cycles := float64(cost.Cycles)
	if d.Noise > 0 {
		h := fnv.New64a()
		h.Write(raw)
		r := rand.New(rand.NewPCG(d.Seed, h.Sum64()))
		cycles *= math.Exp(d.Noise * r.NormFloat64())
	}
	cycles = math.Round(cycles)
	res.Built, res.Pass, res.Vectors, res.Iterations = true, true, man.Vectors, 1
	res.CyclesPerInference, res.CycleUnit = cycles, "sim-cycles"
	res.NsPerInference = cycles / float64(d.Target.Core.Clock.Value) * 1e9
	return res, nil
}

// ScaledCostModel returns base with every cycle parameter multiplied by a factor drawn from
// [1/maxFactor, maxFactor] (log-uniform) for seed: a sim board's "true" model that differs
// from the built-in one by up to maxFactor.
func ScaledCostModel(base tc3xx.CostModel, seed uint64, maxFactor float64) tc3xx.CostModel {
	m := base.Clone()
	r := rand.New(rand.NewPCG(seed, 0x5ca1ed))
	for i := range m.Params {
		if m.Params[i].Category == tc3xx.Structural {
			continue
		}
		m.Params[i].Value *= math.Exp((2*r.Float64() - 1) * math.Log(maxFactor))
	}
	m.Fit = nil
	return m
}
