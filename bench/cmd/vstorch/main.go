// Command vstorch measures tcdse's Go interpreter against PyTorch on the same models and inputs,
// both on one thread, and prints a table of samples per second.
//
// It runs bench/torch_bench.py (Debian's /usr/bin/python3 with torch and onnx), which writes each
// model as ONNX with its inputs and torch's outputs and times torch; then it loads every ONNX
// file with model.LoadFile, checks the Go outputs against torch's, and times g.Run at the same
// batch sizes with GOMAXPROCS=1. A model the importer cannot load is reported as skipped with
// the reason.
//
//	go run ./bench/cmd/vstorch [-batches 64,256] [-min-time 0.5s] [-rounds 3] [-only lenet5_mnist,ae_mlp]
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tcdse/tcdse/bench/internal/host"
	"github.com/tcdse/tcdse/model"
)

// torchResults is bench/torch_bench.py's torch_results.json.
type torchResults struct {
	Torch           string `json:"torch"`
	Threads         int    `json:"threads"`
	ReferenceModels string `json:"reference_models"`
	Models          map[string]struct {
		InputShape  []int              `json:"input_shape"`
		OutputShape []int              `json:"output_shape"`
		SamplesPerS map[string]float64 `json:"samples_per_s"`
	} `json:"models"`
}

// modelOrder is the order of the table.
var modelOrder = []string{"lenet5_mnist", "ae_mlp", "dscnn", "lstm"}

func main() {
	var (
		python  = flag.String("python", "/usr/bin/python3", "Python with torch and onnx")
		script  = flag.String("script", filepath.Join("bench", "torch_bench.py"), "the PyTorch baseline script")
		outDir  = flag.String("out", "", "directory for the exported models and inputs (default: a temporary one)")
		batches = flag.String("batches", "64,256", "batch sizes")
		minTime = flag.Duration("min-time", 500*time.Millisecond, "minimum duration of one timing round")
		rounds  = flag.Int("rounds", 3, "timing rounds per batch size; the best counts")
		only    = flag.String("only", "", "comma-separated model names (default all)")
		profile = flag.String("cpuprofile", "", "write a CPU profile of the Go timing runs to this file")
		layers  = flag.Bool("layers", false, "also time every node of each model alone in Go (at the largest batch)")
	)
	flag.Parse()
	if err := run(*python, *script, *outDir, *batches, *minTime, *rounds, *only, *profile, *layers); err != nil {
		fmt.Fprintln(os.Stderr, "vstorch:", err)
		os.Exit(1)
	}
}

func run(python, script, outDir, batchList string, minTime time.Duration, rounds int, only, profile string, layers bool) error {
	runtime.GOMAXPROCS(1) // PyTorch runs with torch.set_num_threads(1)
	batches, err := parseBatches(batchList)
	if err != nil {
		return err
	}
	if rounds < 1 {
		return fmt.Errorf("-rounds %d, want at least 1", rounds)
	}
	if outDir == "" {
		if outDir, err = os.MkdirTemp("", "tcdse-vstorch-"); err != nil {
			return err
		}
		defer os.RemoveAll(outDir)
	}
	loadBefore := host.LoadAverage()
	args := []string{script, outDir, "--batches", batchList, "--serve"}
	if only != "" {
		args = append(args, "--only", only)
	}
	torch, err := startTorch(python, args)
	if err != nil {
		return err
	}
	defer torch.close()
	raw, err := os.ReadFile(filepath.Join(outDir, "torch_results.json"))
	if err != nil {
		return err
	}
	var tr torchResults
	if err := json.Unmarshal(raw, &tr); err != nil {
		return fmt.Errorf("torch_results.json: %w", err)
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "model\tbatch\tGo samples/s\tPyTorch samples/s\tGo/PyTorch\tpaired median\tmax |Go−torch|\t\n")
	var notes []string
	var layerReports []func()
	for _, name := range modelOrder {
		tm, ok := tr.Models[name]
		if !ok {
			continue
		}
		g, x, ref, err := loadCase(outDir, name, tm.InputShape, tm.OutputShape)
		if err == nil {
			var diff float64
			if diff, err = maxDiff(g, x, ref, batches[0]); err == nil {
				for _, b := range batches {
					r, err := timePair(torch, g, x, name, b, minTime, rounds)
					if err != nil {
						return fmt.Errorf("%s batch %d: %w", name, b, err)
					}
					fmt.Fprintf(w, "%s\t%d\t%.0f\t%.0f\t%.2f\t%.2f\t%.1e\t\n", name, b, r.goBest, r.torchBest, r.goBest/r.torchBest, r.pairedMedian, diff)
				}
				if layers {
					b := batches[len(batches)-1]
					times, err := timeLayers(g, x, b, minTime/4)
					if err != nil {
						return fmt.Errorf("%s: per-node times: %w", name, err)
					}
					layerReports = append(layerReports, func() { printLayers(os.Stdout, name, b, times) })
				}
				continue
			}
		}
		fmt.Fprintf(w, "%s\t\t\t\t\t\t\t\n", name)
		notes = append(notes, fmt.Sprintf("%s: skipped: %v", name, err))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Println(n)
	}
	fmt.Printf("Best of %d alternating rounds of >= %v each; \"paired median\" is the median over rounds of Go/PyTorch measured back to back.\n", rounds, minTime)
	fmt.Printf("PyTorch %s, %d thread (models from %s); Go %s, GOMAXPROCS=%d; %d CPUs; load average %s before, %s after\n",
		tr.Torch, tr.Threads, tr.ReferenceModels, runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadBefore, host.LoadAverage())
	for _, report := range layerReports {
		report()
	}
	return nil
}

// pairResult is one model and batch size timed in alternating torch and Go rounds.
type pairResult struct {
	goBest, torchBest, pairedMedian float64
}

// timePair alternates a torch round and a Go round rounds times.
func timePair(torch *torchServer, g *model.Graph, x *model.Tensor, name string, batch int, minTime time.Duration, rounds int) (pairResult, error) {
	var r pairResult
	var ratios []float64
	for range rounds {
		t, err := torch.time(name, batch, minTime)
		if err != nil {
			return r, err
		}
		gr, err := timeGo(g, x, batch, minTime)
		if err != nil {
			return r, err
		}
		r.torchBest, r.goBest = math.Max(r.torchBest, t), math.Max(r.goBest, gr)
		ratios = append(ratios, gr/t)
	}
	sort.Float64s(ratios)
	r.pairedMedian = ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		r.pairedMedian = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
	}
	return r, nil
}

// torchServer is bench/torch_bench.py running with --serve.
type torchServer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startTorch runs the script and waits for its "ready" line (the files are written by then).
func startTorch(python string, args []string) (*torchServer, error) {
	cmd := exec.Command(python, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	s := &torchServer{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := s.out.ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		s.close()
		return nil, fmt.Errorf("%s %s: did not start (%q, %v)", python, strings.Join(args, " "), line, err)
	}
	return s, nil
}

// time asks for one torch round and returns its samples/s.
func (s *torchServer) time(name string, batch int, minTime time.Duration) (float64, error) {
	if _, err := fmt.Fprintf(s.in, "%s %d %g\n", name, batch, minTime.Seconds()); err != nil {
		return 0, fmt.Errorf("torch: %w", err)
	}
	line, err := s.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("torch: %w", err)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
	if err != nil {
		return 0, fmt.Errorf("torch: %s", strings.TrimSpace(line))
	}
	return v, nil
}

func (s *torchServer) close() {
	s.in.Close()
	if err := s.cmd.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "vstorch: torch script:", err)
	}
}

// loadCase loads a model's ONNX file, its batch-major inputs and torch's outputs.
func loadCase(dir, name string, inShape, outShape []int) (*model.Graph, *model.Tensor, *model.Tensor, error) {
	g, err := model.LoadFile(filepath.Join(dir, name+".onnx"))
	if err != nil {
		return nil, nil, nil, err
	}
	if len(g.Inputs) != 1 {
		return nil, nil, nil, fmt.Errorf("graph has %d inputs, want 1", len(g.Inputs))
	}
	per, err := model.NumElements(g.Inputs[0].Shape)
	if err != nil {
		return nil, nil, nil, err
	}
	torchPer, _ := model.NumElements(inShape)
	if per != torchPer {
		return nil, nil, nil, fmt.Errorf("Go input %v has %d values per sample, torch's %v has %d", g.Inputs[0].Shape, per, inShape, torchPer)
	}
	xs, err := readFloats(filepath.Join(dir, name+".in.bin"))
	if err != nil {
		return nil, nil, nil, err
	}
	ys, err := readFloats(filepath.Join(dir, name+".out.bin"))
	if err != nil {
		return nil, nil, nil, err
	}
	n := len(xs) / per
	x := &model.Tensor{Shape: append([]int{n}, g.Inputs[0].Shape...), Data: xs}
	y := &model.Tensor{Shape: append([]int{n}, outShape...), Data: ys}
	return g, x, y, nil
}

// maxDiff runs the first batch samples and returns the largest |Go − torch| output difference.
func maxDiff(g *model.Graph, x, ref *model.Tensor, batch int) (float64, error) {
	xb := firstRows(x, batch)
	outs, err := g.Run(xb)
	if err != nil {
		return 0, err
	}
	if len(outs[0].Data) > len(ref.Data) || len(outs[0].Data) != len(firstRows(ref, batch).Data) {
		return 0, fmt.Errorf("Go output %v does not match torch's %v", outs[0].Shape, ref.Shape[1:])
	}
	d := 0.0
	for i, v := range outs[0].Data {
		d = math.Max(d, math.Abs(float64(v)-float64(ref.Data[i])))
	}
	return d, nil
}

// timeGo returns the samples/s of one round that runs batch samples repeatedly for at least
// minTime, after a warm-up.
func timeGo(g *model.Graph, x *model.Tensor, batch int, minTime time.Duration) (float64, error) {
	xb := firstRows(x, batch)
	for range 2 {
		if _, err := g.Run(xb); err != nil {
			return 0, err
		}
	}
	n, start := 0, time.Now()
	for {
		if _, err := g.Run(xb); err != nil {
			return 0, err
		}
		n++
		if el := time.Since(start); el >= minTime && n >= 3 {
			return float64(n*batch) / el.Seconds(), nil
		}
	}
}

// firstRows returns the first n rows of t (sharing its data).
func firstRows(t *model.Tensor, n int) *model.Tensor {
	n = min(n, t.Shape[0])
	per := len(t.Data) / t.Shape[0]
	return &model.Tensor{Shape: append([]int{n}, t.Shape[1:]...), Data: t.Data[:n*per]}
}

func readFloats(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32", path, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

func parseBatches(s string) ([]int, error) {
	var bs []int
	for _, p := range strings.Split(s, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || b < 1 {
			return nil, fmt.Errorf("-batches %q: %q is not a positive batch size", s, p)
		}
		bs = append(bs, b)
	}
	return bs, nil
}
