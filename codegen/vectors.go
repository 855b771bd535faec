package codegen

import (
	"fmt"
	"math/rand"

	"github.com/tcdse/tcdse/model"
)

// RandomVectors draws n standard-normal inputs from seed and runs them through the Go
// interpreter: test vectors for a graph with one input.
func RandomVectors(g *model.Graph, n int, seed int64) (*TestVectors, error) {
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("graph %q has %d inputs; want 1", g.Name, len(g.Inputs))
	}
	rng := rand.New(rand.NewSource(seed))
	in := model.NewTensor(append([]int{n}, g.Inputs[0].Shape...)...)
	for i := range in.Data {
		in.Data[i] = float32(rng.NormFloat64())
	}
	outs, err := g.Run(in)
	if err != nil {
		return nil, err
	}
	return &TestVectors{Inputs: in, Outputs: outs[0]}, nil
}
