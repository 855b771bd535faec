// Command farmcalib closes the measure-and-calibrate loop through the farm and reports how
// well the calibrated cost model predicts models it never measured. It starts an in-process
// NATS server with two board agents of one kind (-board sim: simulated TC387 boards whose
// true cost model is the built-in one scaled per parameter by up to -scale; -board callgrind:
// the host build under valgrind, counting instructions), queues the LeNet fixture pruned at
// several rates in several weight formats (the training points) and the other fixture models
// (unseen), fits the cost model to the training measurements with tc3xx.Calibrate, and prints
// the median and largest relative error on the unseen models, uncalibrated and calibrated.
//
//	go run ./bench/cmd/farmcalib [-board sim|callgrind] [-scale 2] [-seed 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"text/tabwriter"

	"github.com/tcdse/tcdse/bench/internal/farmstack"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

const (
	lenet    = "testdata/examples/lenet/fyh620_lenet.onnx"
	fixtures = "model/testdata/fixtures/"
)

var unseen = []string{"mlp", "convnet", "dscnn", "rescnn", "tcn", "conv1d", "lstm_head", "gru_head", "rnn_hn"}

type point struct {
	label  string
	tree   []byte
	train  bool
	cycles float64
	err    error
}

func main() {
	board := flag.String("board", "sim", "sim or callgrind")
	scale := flag.Float64("scale", 2, "sim: the true parameters differ from the built-in ones by up to this factor")
	seed := flag.Uint64("seed", 3, "sim: seed of the true parameters and the noise")
	noise := flag.Float64("noise", 0.01, "sim: relative noise of a measurement")
	flag.Parse()
	if err := run(*board, *scale, *seed, *noise); err != nil {
		fmt.Fprintln(os.Stderr, "farmcalib:", err)
		os.Exit(1)
	}
}

func run(board string, scale float64, seed uint64, noise float64) error {
	target, err := tc3xx.Lookup("tc387:cpu2")
	if err != nil {
		return err
	}
	var newDriver func(i int) hilbench.Driver
	switch board {
	case "sim":
		truth := hilbench.ScaledCostModel(tc3xx.TC162P, seed, scale)
		newDriver = func(i int) hilbench.Driver {
			return &hilbench.SimDriver{Target: target, True: truth, Noise: noise, Seed: seed}
		}
	case "callgrind":
		newDriver = func(int) hilbench.Driver { return &hilbench.CallgrindDriver{} }
	default:
		return fmt.Errorf("-board %q: want sim or callgrind", board)
	}
	points, err := buildPoints()
	if err != nil {
		return err
	}
	st, err := farmstack.Start()
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	for i := range 2 {
		if err := st.StartAgent(hilbench.FarmAgentConfig{Name: fmt.Sprintf("%s-%d", board, i), Class: board, Driver: newDriver(i)}); err != nil {
			return err
		}
	}
	farm, err := hilbench.OpenFarm(ctx, st.NC, hilbench.FarmConfig{})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for i := range points {
		p := &points[i]
		req, err := st.Put(p.tree, board)
		if err != nil {
			return err
		}
		req.Label, req.TimeoutSeconds = p.label, 600
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := farm.Run(ctx, req)
			switch {
			case err != nil:
				p.err = err
			case !res.Pass || res.CyclesPerInference <= 0:
				p.err = fmt.Errorf("pass=%t cycles=%g", res.Pass, res.CyclesPerInference)
			default:
				p.cycles = res.CyclesPerInference
			}
		}()
	}
	wg.Wait()
	st.StopAgents()

	var train, test []tc3xx.Measurement
	for _, p := range points {
		if p.err != nil {
			fmt.Printf("skipped %s: %v\n", p.label, p.err)
			continue
		}
		m, err := hilbench.TreeMeasurement(p.tree, p.label, p.cycles, tc3xx.TC162P, target)
		if err != nil {
			fmt.Printf("skipped %s: %v\n", p.label, err)
			continue
		}
		if p.train {
			train = append(train, m)
		} else {
			test = append(test, m)
		}
	}
	if len(train) == 0 || len(test) == 0 {
		return fmt.Errorf("%d training and %d unseen measurements", len(train), len(test))
	}
	fit, rep, err := tc3xx.Calibrate(tc3xx.TC162P, train, tc3xx.FitOptions{})
	if err != nil {
		return err
	}
	fmt.Printf("board %s: fitted on %d LeNet points (training error %s -> %s)\n", board, len(train), pct(rep.Before.RMS), pct(rep.After.RMS))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "unseen model\tmeasured\tuncalibrated\terror\tcalibrated\terror\t")
	var before, after []float64
	for _, m := range test {
		b, a := tc3xx.TC162P.Predict(m), fit.Predict(m)
		eb, ea := (b-m.Cycles)/m.Cycles, (a-m.Cycles)/m.Cycles
		before, after = append(before, math.Abs(eb)), append(after, math.Abs(ea))
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%+.1f%%\t%.0f\t%+.1f%%\t\n", m.Label, m.Cycles, b, 100*eb, a, 100*ea)
	}
	tw.Flush()
	fmt.Printf("median |error| on %d unseen models: uncalibrated %s, calibrated %s (max %s -> %s)\n",
		len(test), pct(median(before)), pct(median(after)), pct(maxOf(before)), pct(maxOf(after)))
	return nil
}

// buildPoints packs the training points (LeNet pruned at several rates, in several formats)
// and the unseen fixture models.
func buildPoints() ([]point, error) {
	base, err := model.LoadFile(lenet)
	if err != nil {
		return nil, err
	}
	base.Outputs = base.Outputs[:1]
	layers, _ := explore.SensitivityLayers(base, []float64{0.5}, false, "")
	var out []point
	for i, r := range []float64{0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95} {
		rates := explore.Rates{}
		for _, l := range layers {
			rates[l] = r
		}
		g := base
		if r > 0 {
			if g, err = explore.Prune(base, rates); err != nil {
				return nil, err
			}
		}
		for _, format := range []string{"dense", "csr", "auto"} {
			tree, err := hilbench.PackGraph(g, format, 2, uint64(i))
			if err != nil {
				return nil, fmt.Errorf("lenet@%g %s: %w", r, format, err)
			}
			out = append(out, point{label: fmt.Sprintf("lenet@%g/%s", r, format), tree: tree, train: true})
		}
	}
	for _, name := range unseen {
		g, err := model.LoadFile(fixtures + name + ".onnx")
		if err != nil {
			return nil, err
		}
		g.Outputs = g.Outputs[:1]
		tree, err := hilbench.PackGraph(g, "", 2, 1)
		if err != nil {
			fmt.Printf("skipped %s: %v\n", name, err)
			continue
		}
		out = append(out, point{label: name, tree: tree})
	}
	return out, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
