package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// BenchmarkSparse8 measures int8 code at 50, 80 and 90 % magnitude pruning against tcdse's own
// dense per-tensor int8 on ae_mlp and lenet5: ROM (weights + code + tables) and callgrind
// instructions, for every int8 weight format applied to all Conv and Dense layers. Run once:
//
//	go test -run '^$' -bench Sparse8 -benchtime 1x ./bench/peers/
//
// TCDSE_SPARSE8_KEEP=DIR keeps the generated trees under DIR; TCDSE_SPARSE8_MODEL=NAME measures
// one model only.
func BenchmarkSparse8(b *testing.B) {
	requireTools(b)
	dir := modelsDir(b)
	keep := os.Getenv("TCDSE_SPARSE8_KEEP")
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-7s %-8s %-7s %10s %8s %7s %8s | %7s %7s\n", "model", "sparsity", "format", "Ir/inf", "weight B", "code B", "table B", "ROM/d8", "Ir/d8")
	for _, name := range []string{"ae_mlp", "lenet5"} {
		if only := os.Getenv("TCDSE_SPARSE8_MODEL"); only != "" && only != name {
			continue
		}
		g, tv, _, err := loadReference(dir, name)
		if err != nil {
			fmt.Fprintf(&sb, "%s: not measured: %v\n", name, err)
			continue
		}
		q, err := quantizeReference(g, tv.Inputs, true)
		if err != nil {
			b.Fatal(err)
		}
		qtv, err := interpreterVectors(q, tv.Inputs)
		if err != nil {
			b.Fatal(err)
		}
		_, dense := sparse8Measure(b, keep, name+"_dense", q, qtv, codegen.Options{Format: codegen.FormatDense})
		denseROM := int64(dense.WeightBytes + dense.CodeBytes + dense.TableBytes)
		fmt.Fprintf(&sb, "%-7s %-8s %-7s %10d %8d %7d %8d | %7s %7s\n", name, "0%", "dense", dense.IrPerInference,
			dense.WeightBytes, dense.CodeBytes, dense.TableBytes, "1.00x", "1.00x")
		for _, sp := range []float64{0.5, 0.8, 0.9} {
			pq, err := quantizeReference(pruneMagnitude(g, sp), tv.Inputs, true)
			if err != nil {
				b.Fatal(err)
			}
			ptv, err := interpreterVectors(pq, tv.Inputs)
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range []string{codegen.FormatAuto, codegen.FormatSparse8, codegen.FormatRCSR4, codegen.FormatCSR} {
				label := fmt.Sprintf("%s_%02.0f_%s", name, 100*sp, f)
				p, m := sparse8Measure(b, keep, label, pq, ptv, codegen.Options{Format: f})
				rom := int64(m.WeightBytes + m.CodeBytes + m.TableBytes)
				fmt.Fprintf(&sb, "%-7s %-8s %-7s %10d %8d %7d %8d | %7s %7s  %s\n", name, fmt.Sprintf("%.0f%%", 100*sp), f,
					m.IrPerInference, m.WeightBytes, m.CodeBytes, m.TableBytes, ratio(rom, denseROM),
					ratio(m.IrPerInference, dense.IrPerInference), sparse8Formats(p))
			}
		}
	}
	fmt.Print(sb.String())
	for i := 0; i < b.N; i++ {
		_ = i // deterministic measurement; nothing to repeat
	}
}

// sparse8Measure is measure with the generated tree kept under keep/label when keep is set,
// and a failure unless the int8 code is bit-exact.
func sparse8Measure(b *testing.B, keep, label string, g *model.Graph, tv *codegen.TestVectors, opts codegen.Options) (*codegen.Plan, *Measurement) {
	b.Helper()
	opts.Vectors, opts.BenchIterations = tv, 1
	out, err := codegen.Generate(g, opts)
	if err != nil {
		b.Fatalf("%s: %v", label, err)
	}
	dir := filepath.Join(b.TempDir(), "gen")
	if keep != "" {
		dir = filepath.Join(keep, label)
		_ = os.RemoveAll(dir)
	}
	m, err := MeasureC(out, dir)
	if err != nil {
		b.Fatalf("%s: %v", label, err)
	}
	if !strings.Contains(m.Harness, `"mismatches":0`) || !strings.Contains(m.Harness, `"pass":true`) {
		b.Errorf("%s: int8 C is not bit-exact with the interpreter: %s", label, m.Harness)
	}
	return out.Plan, m
}

// sparse8Formats lists the format of every weighted layer of a plan.
func sparse8Formats(p *codegen.Plan) string {
	var f []string
	for _, l := range p.Layers {
		if l.Format != "" {
			f = append(f, l.Format)
		}
	}
	return strings.Join(f, ",")
}
