package hilbench

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// PackGraph generates the C tree of g (weight format format, "" for auto) with vectors test
// vectors of inputs drawn uniformly from [-1, 1) for seed and outputs from the Go
// interpreter, adds the graph as [ModelFile], and packs it: a self-contained job for any
// board, including sim boards. Health jobs and benchmarks use it; sweeps pack the trees they
// generate from their data the same way.
func PackGraph(g *model.Graph, format string, vectors int, seed uint64) ([]byte, error) {
	if g == nil || len(g.Inputs) != 1 {
		return nil, fmt.Errorf("pack graph: want a graph with one input")
	}
	vectors = max(vectors, 1)
	shape := append([]int{vectors}, g.Inputs[0].Shape...)
	x := model.NewTensor(shape...)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range x.Data {
		x.Data[i] = float32(2*r.Float64() - 1)
	}
	outs, err := g.Run(x)
	if err != nil {
		return nil, fmt.Errorf("pack graph %q: reference outputs: %w", g.Name, err)
	}
	out, err := codegen.Generate(g, codegen.Options{Format: format, Vectors: &codegen.TestVectors{Inputs: x, Outputs: outs[0]}})
	if err != nil {
		return nil, fmt.Errorf("pack graph %q: %w", g.Name, err)
	}
	files := make(map[string][]byte, len(out.Files)+1)
	for _, f := range out.Files {
		files[f.Name] = f.Data
	}
	var ir bytes.Buffer
	if err := g.Encode(&ir); err != nil {
		return nil, fmt.Errorf("pack graph %q: %w", g.Name, err)
	}
	files[ModelFile] = ir.Bytes()
	return PackFiles(files)
}
