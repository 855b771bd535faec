package tc3xx

import (
	"math/rand"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// The float activations and Sub/Mul are priced by their kernel class: binary operators per
// element like Add, Sigmoid and Tanh like a recurrent gate activation, the piecewise-linear
// activations like Relu.
func TestActivationCosts(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	node := func(name string, op model.Op, a model.Attrs, ins ...string) *model.Node {
		return &model.Node{Name: name, Op: op, Inputs: ins, Outputs: []string{name}, Attrs: a}
	}
	g := &model.Graph{Name: "act", Inputs: []model.Value{{Name: "x", Shape: []int{12}}}, Outputs: []model.Value{{Name: "mul"}},
		Nodes: []*model.Node{
			{Name: "d", Op: model.OpDense, Inputs: []string{"x"}, Outputs: []string{"d"}, Weight: randTensor(rng, 12, 12)},
			node("clip", model.OpClip, model.Attrs{Min: 0, Max: 6}, "d"),
			node("sig", model.OpSigmoid, model.Attrs{}, "x"),
			node("tanh", model.OpTanh, model.Attrs{}, "clip"),
			node("hsw", model.OpHardSwish, model.Attrs{}, "sig"),
			node("sub", model.OpSub, model.Attrs{}, "tanh", "hsw"),
			node("mul", model.OpMul, model.Attrs{}, "sub", "tanh"),
		}}
	tg, _ := Lookup("tc387:cpu0")
	// Standalone kernels: without the option, codegen applies the Clip inside the Dense.
	p, err := codegen.PlanGraph(g, codegen.Options{NoActivationFusion: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Estimate(g, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"clip": "relu", "sig": "gate_act", "tanh": "gate_act", "hsw": "relu", "sub": "elementwise", "mul": "elementwise"}
	for _, l := range e.Layers {
		param, ok := want[l.Node]
		if !ok {
			continue
		}
		if l.Kind != "elementwise" || l.Counts[param] != 12 || l.Cycles <= 0 {
			t.Errorf("%s: kind %q counts %v cycles %d; want elementwise with 12 × %s", l.Node, l.Kind, l.Counts, l.Cycles, param)
		}
		delete(want, l.Node)
	}
	if len(want) != 0 {
		t.Errorf("layers missing from the estimate: %v", want)
	}

	// Fused into the Dense, the Clip costs nothing of its own; a Sigmoid fused into its
	// producer still pays its exp per element, without a call.
	g.Nodes[1] = node("clip", model.OpSigmoid, model.Attrs{}, "d")
	p, err = codegen.PlanGraph(g, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e, err = Estimate(g, p, tg); err != nil {
		t.Fatal(err)
	}
	for _, l := range e.Layers {
		if l.Node == "clip" && (l.Counts["gate_act"] != 12 || l.Counts["call"] != 0) {
			t.Errorf("Sigmoid fused into the Dense: counts %v, want 12 gate_act and no call", l.Counts)
		}
	}
}
