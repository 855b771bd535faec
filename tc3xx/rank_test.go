package tc3xx

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// TestRankingAgreesWithInstructionCounts generates C for candidates of a LeNet-5 sweep,
// builds each with gcc -O2, counts the instructions of one inference (model_run) with
// callgrind, and checks that the estimated cycle order agrees with the measured order
// (Spearman rank correlation).
func TestRankingAgreesWithInstructionCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a dozen harnesses under valgrind")
	}
	for _, tool := range []string{"gcc", "make", "valgrind"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	path := filepath.Join("../../shared/datasets", "mnist_lenet_onnx", "fyh620_lenet.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("LeNet not available: %v", err)
	}
	base, err := model.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var layers []string
	for _, n := range base.PrunableLayers() {
		layers = append(layers, n.Name)
	}
	// Candidates as a sweep produces them: uniform rates, and GWP-like mixes that prune the
	// big fully connected layers harder than the convolutions.
	var cands []explore.Rates
	for _, r := range []float64{0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95} {
		rates := explore.Rates{}
		for _, l := range layers {
			rates[l] = r
		}
		cands = append(cands, rates)
	}
	for i, g := range []float64{0.25, 0.5, 0.75, 1} {
		rates := explore.Rates{}
		for j, l := range layers {
			pmax := 0.5 + 0.45*float64(j)/float64(len(layers)-1) // later (FC) layers take more
			rates[l] = min(0.97, g*pmax*(1+0.05*float64(i)))
		}
		cands = append(cands, rates)
	}
	tg, _ := Lookup("tc387:cpu0")
	var est, ins []float64
	for i, rates := range cands {
		g, err := explore.Prune(base, rates)
		if err != nil {
			t.Fatal(err)
		}
		out, err := codegen.Generate(g, codegen.Options{BenchIterations: 1})
		if err != nil {
			t.Fatal(err)
		}
		c, err := Estimate(g, out.Plan, tg)
		if err != nil {
			t.Fatal(err)
		}
		n := instructionsOfRun(t, out)
		est = append(est, float64(c.Cycles))
		ins = append(ins, float64(n))
		t.Logf("candidate %2d: sparsity %.2f, formats %v: estimate %8d cycles, host %9d instructions", i, explore.Sparsity(g), formats(out.Plan), c.Cycles, n)
	}
	rho := dataset.Spearman(est, ins)
	t.Logf("Spearman rank correlation of estimated cycles and host instruction counts over %d LeNet candidates: %.3f", len(cands), rho)
	if rho < 0.9 {
		t.Errorf("rank correlation %.3f < 0.9", rho)
	}
}

func formats(p *codegen.Plan) string {
	var f []string
	for _, l := range p.Layers {
		if l.Format != "" {
			f = append(f, l.Format)
		}
	}
	return strings.Join(f, ",")
}

// instructionsOfRun builds the harness with -O2 and returns callgrind's instruction count
// inside model_run (one timed inference; BenchIterations is 1 and there are no test vectors).
// Vectorization is off: the TC1.6.2P FPU is scalar, and x86 SIMD would pack several MACs of a
// loop into one instruction where TriCore needs one each.
func instructionsOfRun(t *testing.T, out *codegen.Output) int64 {
	t.Helper()
	dir := t.TempDir()
	if err := out.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command("make", "-s", "-C", dir, "harness", "CFLAGS=-O2 -fno-tree-vectorize -std=c99").CombinedOutput(); err != nil {
		t.Fatalf("make: %v\n%s", err, msg)
	}
	cgOut := filepath.Join(dir, "callgrind.out")
	cmd := exec.Command("valgrind", "--tool=callgrind", "--toggle-collect="+out.Manifest.Prefix+"_run", "--callgrind-out-file="+cgOut, filepath.Join(dir, "harness"))
	// Without test vectors the harness reports "pass":false and exits 1; the count is valid.
	if msg, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(msg), `"pass":false`) {
		t.Fatalf("valgrind: %v\n%s", err, msg)
	}
	f, err := os.Open(cgOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "totals: "); ok {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%s has no totals line", cgOut)
	return 0
}
