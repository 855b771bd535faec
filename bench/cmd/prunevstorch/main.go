// Command prunevstorch compares tcdse's pruning and fine-tuning with PyTorch's on LeNet-5/MNIST:
// global unstructured magnitude pruning of the dense model to each target sparsity, then the
// same fine-tuning on both sides, and prints a table of top-1 accuracy and wall time.
//
// The setup is identical on both sides: the bundled ONNX LeNet (testdata/examples/lenet), MNIST
// t10k from ../shared/datasets/mnist normalised (x/255 − 0.1307)/0.3081, fine-tuning on images
// 1000–9999 and top-1 scored on images 0–999 (the bundled subset). PyTorch
// (bench/prune/prune_torch.py, Debian's /usr/bin/python3, one thread) prunes with
// torch.nn.utils.prune.global_unstructured(L1Unstructured) over all Conv/Linear weights; Go
// ranks the same weights by |w| (globalMagnitudeRates) and prunes with explore.Prune. Both then
// fine-tune with Adam (lr 1e-3), batch 64, cross-entropy on the logits, pruned weights held at
// zero (explore.FineTune, GOMAXPROCS=1). The shuffling generators differ between the frameworks,
// so each side runs every seed of -seeds and the table shows the mean accuracies. Times are
// pruning plus fine-tuning (data loading and scoring excluded), the fastest run of each side;
// torch and Go alternate by sparsity so that both see similar load on a shared machine. The
// achieved sparsity of every Go run is checked to equal round(s·n)/n, and the per-layer zero
// counts after pruning are compared with torch's.
//
// Without the MNIST files, or without torch and onnx in -python, it prints why and exits 0.
//
//	go run ./bench/cmd/prunevstorch [-sparsities 0.5,0.8,0.9] [-epochs 1] [-seeds 1,2,3] [-strict]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tcdse/tcdse/bench/internal/host"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// config is the command line.
type config struct {
	python, script, repo, mnist string
	sparsities                  []float64
	seeds                       []uint64
	epochs, batch               int
	lr, tolerance               float64
	strict                      bool
}

// torchRun is one line of prune_torch.py's output.
type torchRun struct {
	Sparsity   float64 `json:"sparsity"`
	Seed       uint64  `json:"seed"`
	Achieved   float64 `json:"achieved"`
	DenseTop1  float64 `json:"dense_top1"`
	PrunedTop1 float64 `json:"pruned_top1"`
	// PrunedLayerZeros is the zero weights per Conv/Linear layer, in model order, after pruning.
	PrunedLayerZeros []int   `json:"pruned_layer_zeros"`
	Top1             float64 `json:"top1"`
	PruneS           float64 `json:"prune_s"`
	TuneS            float64 `json:"tune_s"`
	Torch            string  `json:"torch"`
}

// goRun is one Go pruning and fine-tuning run.
type goRun struct {
	achieved, prunedTop1, top1, seconds float64
	prunedLayerZeros                    []int // zero weights per Conv/Dense layer after pruning
}

// row is one sparsity: mean accuracies over the seeds, fastest times.
type row struct {
	sparsity                         float64
	torchTop1, goTop1, torchS, goS   float64
	torchPruned, goPruned            float64
	torchAchieved, goAchieved        float64
	torchMin, torchMax, goMin, goMax float64
}

func main() {
	var (
		c                 config
		sparsities, seeds string
	)
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "Python with torch and onnx")
	flag.StringVar(&c.script, "script", filepath.Join("bench", "prune", "prune_torch.py"), "the PyTorch baseline script")
	flag.StringVar(&c.repo, "repo", ".", "the repository root (for testdata/examples)")
	flag.StringVar(&c.mnist, "mnist", filepath.Join("..", "shared", "datasets", "mnist"), "directory with the MNIST t10k idx files")
	flag.StringVar(&sparsities, "sparsities", "0.5,0.8,0.9", "target sparsities (fraction of Conv/Dense weights pruned)")
	flag.StringVar(&seeds, "seeds", "1,2,3", "shuffling seeds; each side runs every seed and the table shows means")
	flag.IntVar(&c.epochs, "epochs", 1, "fine-tuning epochs")
	flag.IntVar(&c.batch, "batch", 64, "fine-tuning batch size")
	flag.Float64Var(&c.lr, "lr", 1e-3, "Adam learning rate")
	flag.Float64Var(&c.tolerance, "tolerance", 0.5, "Go's mean top-1 may be at most this many points below torch's")
	flag.BoolVar(&c.strict, "strict", false, "exit 1 when Go's accuracy is below torch's by more than -tolerance")
	flag.Parse()
	var err error
	if c.sparsities, err = parseFloats(sparsities); err == nil {
		c.seeds, err = host.ParseSeeds(seeds)
	}
	if err == nil {
		err = run(c, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "prunevstorch:", err)
		os.Exit(1)
	}
}

// errBelow reports that Go's accuracy missed the tolerance (with -strict).
var errBelow = errors.New("Go's accuracy is below torch's by more than the tolerance")

func run(c config, out io.Writer) error {
	runtime.GOMAXPROCS(1) // PyTorch runs with torch.set_num_threads(1)
	images := filepath.Join(c.mnist, "t10k-images-idx3-ubyte.gz")
	labels := filepath.Join(c.mnist, "t10k-labels-idx1-ubyte.gz")
	for _, p := range []string{images, labels} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(out, "prunevstorch: skipped: MNIST not available: %v\n", err)
			return nil
		}
	}
	if err := exec.Command(c.python, "-c", "import torch, onnx").Run(); err != nil {
		fmt.Fprintf(out, "prunevstorch: skipped: no torch and onnx in %s: %v\n", c.python, err)
		return nil
	}
	g, err := model.LoadFile(filepath.Join(c.repo, "testdata", "examples", "lenet", "fyh620_lenet.onnx"))
	if err != nil {
		return err
	}
	all, err := dataset.Load(dataset.Spec{Format: "mnist", Images: images, Labels: labels, Normalize: dataset.MNISTNormalize})
	if err != nil {
		return err
	}
	score, err := all.Batch(0, 1000)
	if err != nil {
		return err
	}
	train, err := all.Batch(1000, all.Len())
	if err != nil {
		return err
	}
	top1, err := dataset.MetricByName("top1")
	if err != nil {
		return err
	}
	dense, err := explore.Evaluate(g, score, top1, 250)
	if err != nil {
		return err
	}
	loadBefore := host.LoadAverage()
	var rows []row
	var torchVersion string
	var torchDense float64
	var notes []string
	for _, s := range c.sparsities {
		tr, err := runTorch(c, s)
		if err != nil {
			return err
		}
		torchVersion, torchDense = tr[0].Torch, tr[0].DenseTop1
		var gr []goRun
		for _, seed := range c.seeds {
			r, err := runGo(g, train, score, top1, s, seed, c)
			if err != nil {
				return fmt.Errorf("sparsity %v seed %d: %w", s, seed, err)
			}
			want := math.Round(s*float64(weightCount(g))) / float64(weightCount(g))
			if r.achieved != want {
				return fmt.Errorf("sparsity %v seed %d: Go reached sparsity %v, want %v", s, seed, r.achieved, want)
			}
			gr = append(gr, r)
		}
		if !slices.Equal(gr[0].prunedLayerZeros, tr[0].PrunedLayerZeros) {
			notes = append(notes, fmt.Sprintf("sparsity %v: zero weights per layer after pruning differ: torch %v, Go %v",
				s, tr[0].PrunedLayerZeros, gr[0].prunedLayerZeros))
		}
		rows = append(rows, summarize(s, tr, gr))
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "sparsity\ttorch top-1\tGo top-1\tGo−torch (points)\ttorch s\tGo s\tGo/torch time\tpruned top-1 torch/Go\tachieved torch/Go\t\n")
	failed := false
	for _, r := range rows {
		diff := math.Round(10000*(r.goTop1-r.torchTop1)) / 100
		if diff == 0 {
			diff = 0 // not −0
		}
		mark := ""
		if diff < -c.tolerance {
			mark, failed = " BELOW", true
		}
		fmt.Fprintf(w, "%.2f\t%.2f%%\t%.2f%%\t%+.2f%s\t%.2f\t%.2f\t%.2f\t%.1f%% / %.1f%%\t%.4f / %.4f\t\n",
			r.sparsity, 100*r.torchTop1, 100*r.goTop1, diff, mark, r.torchS, r.goS, r.goS/r.torchS,
			100*r.torchPruned, 100*r.goPruned, r.torchAchieved, r.goAchieved)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "Dense top-1 %.2f%% (torch %.2f%%). Means over seeds %v; per-seed top-1 ranges:", 100*dense, 100*torchDense, c.seeds)
	for _, r := range rows {
		fmt.Fprintf(out, " %.2f: torch %.1f–%.1f%%, Go %.1f–%.1f%%;", r.sparsity, 100*r.torchMin, 100*r.torchMax, 100*r.goMin, 100*r.goMax)
	}
	fmt.Fprintln(out)
	if len(notes) == 0 {
		fmt.Fprintln(out, "Pruning: torch and Go zero the same number of weights in every layer at every sparsity.")
	}
	for _, n := range notes {
		fmt.Fprintln(out, n)
	}
	fmt.Fprintf(out, "Fine-tuning: %d epoch(s) of Adam lr %g, batch %d, cross-entropy, on MNIST t10k images 1000–9999; top-1 on images 0–999.\n", c.epochs, c.lr, c.batch)
	fmt.Fprintf(out, "The frameworks shuffle with different generators (torch.manual_seed vs explore.FineTune's Seed), so equal seeds do not give equal batch orders.\n")
	fmt.Fprintf(out, "Seconds: pruning plus fine-tuning, fastest of the runs (one per seed). PyTorch %s, 1 thread; Go %s, GOMAXPROCS=%d; %d CPUs; load average %s before, %s after\n",
		torchVersion, runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadBefore, host.LoadAverage())
	if failed {
		fmt.Fprintf(out, "Go's mean top-1 is more than %.2f points below torch's at a sparsity marked BELOW.\n", c.tolerance)
		if c.strict {
			return errBelow
		}
	}
	return nil
}

// runTorch runs the PyTorch baseline at one sparsity for every seed.
func runTorch(c config, sparsity float64) ([]torchRun, error) {
	seeds := make([]string, len(c.seeds))
	for i, s := range c.seeds {
		seeds[i] = strconv.FormatUint(s, 10)
	}
	cmd := exec.Command(c.python, c.script, "--sparsities", strconv.FormatFloat(sparsity, 'g', -1, 64),
		"--seeds", strings.Join(seeds, ","), "--epochs", strconv.Itoa(c.epochs), "--batch", strconv.Itoa(c.batch),
		"--lr", strconv.FormatFloat(c.lr, 'g', -1, 64), "--repo", c.repo, "--mnist", c.mnist)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", c.python, c.script, err)
	}
	var runs []torchRun
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r torchRun
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%s: output line %q: %w", c.script, line, err)
		}
		runs = append(runs, r)
	}
	if len(runs) != len(c.seeds) {
		return nil, fmt.Errorf("%s at sparsity %v: %d result lines, want %d (one per seed)", c.script, sparsity, len(runs), len(c.seeds))
	}
	return runs, nil
}

// runGo prunes g to the sparsity by global magnitude, fine-tunes it and scores it.
func runGo(g *model.Graph, train, score *dataset.Dataset, m dataset.Metric, sparsity float64, seed uint64, c config) (goRun, error) {
	start := time.Now()
	p, err := pruneGlobalMagnitude(g, sparsity)
	if err != nil {
		return goRun{}, err
	}
	pruneTime := time.Since(start)
	pruned, err := explore.Evaluate(p, score, m, 250)
	if err != nil {
		return goRun{}, err
	}
	start = time.Now()
	ft, err := explore.FineTune(p, train, explore.FineTuneOptions{Epochs: c.epochs, Batch: c.batch, LR: c.lr,
		Optimizer: "adam", Loss: "ce", Seed: seed})
	if err != nil {
		return goRun{}, err
	}
	tuneTime := time.Since(start)
	acc, err := explore.Evaluate(ft, score, m, 250)
	if err != nil {
		return goRun{}, err
	}
	var zeros []int
	for _, l := range p.PrunableLayers() {
		zeros = append(zeros, l.Weight.CountZeros())
	}
	return goRun{achieved: explore.Sparsity(ft), prunedTop1: pruned, top1: acc, seconds: (pruneTime + tuneTime).Seconds(),
		prunedLayerZeros: zeros}, nil
}

// summarize averages one sparsity's accuracies over the seeds and takes the fastest run's time
// (the least disturbed on a shared machine).
func summarize(s float64, tr []torchRun, gr []goRun) row {
	r := row{sparsity: s, torchMin: math.Inf(1), torchMax: math.Inf(-1), goMin: math.Inf(1), goMax: math.Inf(-1),
		torchS: math.Inf(1), goS: math.Inf(1)}
	for _, t := range tr {
		r.torchTop1 += t.Top1 / float64(len(tr))
		r.torchS = math.Min(r.torchS, t.PruneS+t.TuneS)
		r.torchPruned += t.PrunedTop1 / float64(len(tr))
		r.torchAchieved += t.Achieved / float64(len(tr))
		r.torchMin, r.torchMax = math.Min(r.torchMin, t.Top1), math.Max(r.torchMax, t.Top1)
	}
	for _, x := range gr {
		r.goTop1 += x.top1 / float64(len(gr))
		r.goS = math.Min(r.goS, x.seconds)
		r.goPruned += x.prunedTop1 / float64(len(gr))
		r.goAchieved += x.achieved / float64(len(gr))
		r.goMin, r.goMax = math.Min(r.goMin, x.top1), math.Max(r.goMax, x.top1)
	}
	return r
}

// weightCount is the number of Conv and Dense weights of g.
func weightCount(g *model.Graph) int {
	n := 0
	for _, l := range g.PrunableLayers() {
		n += l.Weight.Len()
	}
	return n
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v >= 1 {
			return nil, fmt.Errorf("-sparsities %q: %q is not a sparsity in [0, 1)", s, p)
		}
		out = append(out, v)
	}
	return out, nil
}
