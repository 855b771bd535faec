package explore

import (
	"github.com/tcdse/tcdse/model"
)

// tinyGraph builds a validated 2-layer dense network: input [4] -> fc1 [3x4] -> relu -> fc2
// [2x3]. Weights are distinct values with known magnitudes; biases are non-zero.
func tinyGraph() *model.Graph {
	g := &model.Graph{
		Name:    "tiny",
		Inputs:  []model.Value{{Name: "x", Shape: []int{4}}},
		Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{
			{Name: "fc1", Op: model.OpDense, Inputs: []string{"x"}, Outputs: []string{"h"},
				Weight: &model.Tensor{Shape: []int{3, 4}, Data: []float32{
					0.5, -0.1, 0.9, -0.3,
					0.2, -0.7, 0.05, 1.1,
					-0.6, 0.4, -0.8, 0.15}},
				Bias: &model.Tensor{Shape: []int{3}, Data: []float32{0.01, -0.02, 0.03}}},
			{Name: "act", Op: model.OpRelu, Inputs: []string{"h"}, Outputs: []string{"r"}},
			{Name: "fc2", Op: model.OpDense, Inputs: []string{"r"}, Outputs: []string{"y"},
				Weight: &model.Tensor{Shape: []int{2, 3}, Data: []float32{1, -0.25, 0.5, -0.75, 0.3, 2}},
				Bias:   &model.Tensor{Shape: []int{2}, Data: []float32{0.1, -0.1}}},
		},
	}
	if err := g.Validate(); err != nil {
		panic(err)
	}
	return g
}
