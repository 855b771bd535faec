package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference checks of the backward passes in train_backward_{elementwise,shape,rnn}.go.
//
// Each case is a small graph whose loss is L = Σ p·y over its output y, with p a fixed random
// probe, so dL/dy = p and every gradient element is checked against the central difference
// (L(v+ε) − L(v−ε)) / 2ε of the float32 interpreter. The loss is summed in float64; the
// forward pass rounds to float32, so a difference carries noise of about
// 2⁻²⁴·Σ|p·y|/ε over the outputs the perturbed value reaches. With ε = 10⁻³ and the small
// graphs here (Σ|p·y| ≲ 10 for the elementwise cases, a few tens for the recurrent ones) that
// is ≲ 3·10⁻⁴, which the tolerance 5·10⁻⁴ + 10⁻³·|g| covers; an error in a backward pass
// (a wrong sign, a missed term, a wrong index) is of the order of the gradient itself.
// Inputs are kept at least 0.05 away from every kink (Clip bounds, 0 for LeakyRelu, ±3 for
// HardSwish, HardSigmoid's corners), so no difference straddles one.
//
// The recurrent layers are also checked in float64 against their own float64 forward pass
// (trainRNN.forward, which TestRecurrentTapeMatchesInterpreter ties to the interpreter), with
// ε = 10⁻⁵, where the rounding noise is ≈10⁻¹¹ and the truncation error ≈ε²·|L'''| ≈ 10⁻¹⁰:
// the analytic gradients, rounded to float32 (2⁻²⁴ ≈ 6·10⁻⁸ relative), must agree to 10⁻⁶
// relative (|g| below 10⁻³ is compared absolutely).

// trainFDCase is a graph to check, with its input and the kinks its inputs must avoid.
type trainFDCase struct {
	name  string
	g     *Graph
	in    []int     // per-sample input shape
	kinks []float32 // input values to stay away from
}

func trainFDNode(name string, op Op, ins []string, out string, a Attrs) *Node {
	return &Node{Name: name, Op: op, Inputs: ins, Outputs: []string{out}, Attrs: a}
}

// trainFDGraph builds a one-input graph "x" → nodes → "y" with the given constants.
func trainFDGraph(name string, in []int, consts []Const, nodes ...*Node) *Graph {
	return &Graph{Name: name, Inputs: []Value{{Name: "x", Shape: in}}, Outputs: []Value{{Name: "y"}},
		Nodes: nodes, Consts: consts}
}

func trainFDCases(rng *rand.Rand) []trainFDCase {
	c := func(name string, t *Tensor) Const { return Const{Name: name, Tensor: t} }
	n := trainFDNode
	var cases []trainFDCase
	add := func(name string, in []int, kinks []float32, consts []Const, nodes ...*Node) {
		cases = append(cases, trainFDCase{name: name, g: trainFDGraph(name, in, consts, nodes...), in: in, kinks: kinks})
	}
	add("sigmoid", []int{3, 4}, nil, nil, n("s", OpSigmoid, []string{"x"}, "y", Attrs{}))
	add("tanh", []int{3, 4}, nil, nil, n("t", OpTanh, []string{"x"}, "y", Attrs{}))
	add("relu6", []int{12}, []float32{0, 6}, nil, n("c", OpClip, []string{"x"}, "y", Attrs{Min: 0, Max: 6}))
	add("clip", []int{12}, []float32{-1, 0.5}, nil, n("c", OpClip, []string{"x"}, "y", Attrs{Min: -1, Max: 0.5}))
	add("leakyrelu", []int{12}, []float32{0}, nil, n("l", OpLeakyRelu, []string{"x"}, "y", Attrs{Alpha: 0.1}))
	add("hardswish", []int{2, 8}, []float32{-3, 3}, nil, n("h", OpHardSwish, []string{"x"}, "y", Attrs{}))
	add("hardsigmoid", []int{2, 8}, []float32{-2.5, 2.5}, nil, n("h", OpHardSigmoid, []string{"x"}, "y", Attrs{Alpha: 0.2, Beta: 0.5}))
	// Binary operators: broadcasting activations, constants on either side, a value used twice.
	add("mul-const-right", []int{3, 4}, nil, []Const{c("k", trainRandTensor(rng, 2, 4))},
		n("m", OpMul, []string{"x", "k"}, "y", Attrs{}))
	add("sub-const-left", []int{3, 4}, nil, []Const{c("k", trainRandTensor(rng, 2, 3, 1))},
		n("m", OpSub, []string{"k", "x"}, "y", Attrs{}))
	add("add-const-bias", []int{3, 4}, nil, []Const{c("k", trainRandTensor(rng, 2, 4))},
		n("m", OpAdd, []string{"x", "k"}, "y", Attrs{}))
	add("div-const", []int{3, 4}, nil, []Const{c("k", trainConstAwayFromZero(rng, 4))},
		n("m", OpDiv, []string{"k", "x"}, "y", Attrs{}))
	add("mul-square", []int{5}, nil, nil, n("m", OpMul, []string{"x", "x"}, "y", Attrs{}))
	add("broadcast-activations", []int{3, 4}, nil, nil,
		n("t", OpTanh, []string{"x"}, "a", Attrs{}),
		n("mean", OpMean, []string{"a"}, "b", Attrs{Axes: []int{1}, Shape: []int{3, 1}}),
		n("m", OpMul, []string{"a", "b"}, "p", Attrs{}),
		n("s", OpSub, []string{"b", "p"}, "q", Attrs{}),
		n("d", OpAdd, []string{"q", "x"}, "y", Attrs{}))
	// Data movement.
	add("concat", []int{2, 3}, nil, []Const{c("k", trainRandTensor(rng, 1, 2, 2))},
		n("t", OpTanh, []string{"x"}, "a", Attrs{}),
		n("cat", OpConcat, []string{"x", "k", "a"}, "y", Attrs{Axis: 1}))
	add("pad", []int{2, 3, 4}, nil, nil, n("p", OpPad, []string{"x"}, "y", Attrs{Pads: []int{1, 0, -1, 0, 2, 1}, Value: 0.5}))
	add("transpose", []int{2, 3, 4}, nil, nil, n("t", OpTranspose, []string{"x"}, "y", Attrs{Perm: []int{2, 0, 1}}))
	add("gather", []int{3, 4}, nil, nil, n("g", OpGather, []string{"x"}, "y", Attrs{Axis: 1, Indices: []int{3, -1, 0, 0}}))
	add("slice", []int{4, 6}, nil, nil, n("s", OpSlice, []string{"x"}, "y",
		Attrs{Starts: []int{1, -1}, Ends: []int{4, 0}, Axes: []int{0, 1}, Steps: []int{2, -2}}))
	add("mean-all", []int{3, 4}, nil, nil, n("m", OpMean, []string{"x"}, "y", Attrs{}))
	add("mean-axis0", []int{3, 4, 2}, nil, nil, n("m", OpMean, []string{"x"}, "y", Attrs{Axes: []int{0, 2}}))
	// 1D convolution and pooling (Conv's backward takes [C, L] inputs as height 1).
	conv := n("c", OpConv, []string{"x"}, "h", Attrs{Strides: []int{1, 2}, Pads: []int{0, 1, 0, 2}, Dilations: []int{1, 2}, Group: 2})
	conv.Weight, conv.Bias = trainRandTensor(rng, 0.5, 4, 1, 3), trainRandTensor(rng, 0.1, 4)
	add("conv1d-pool1d", []int{2, 11}, nil, nil, conv,
		n("p", OpMaxPool, []string{"h"}, "y", Attrs{Kernel: []int{1, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 1}}))
	return cases
}

// trainConstAwayFromZero returns a vector of values in ±[1, 2].
func trainConstAwayFromZero(rng *rand.Rand, n int) *Tensor {
	t := NewTensor(n)
	for i := range t.Data {
		t.Data[i] = float32(1 + rng.Float64())
		if rng.IntN(2) == 0 {
			t.Data[i] = -t.Data[i]
		}
	}
	return t
}

// trainRecurrentCases returns recurrent layers (input [T, I]) in every configuration: RNN with
// an initial state, LSTM with initial states, with a cell clip and with a gate clip (each
// bound low enough to clip), LSTM without bias, GRU with and without linear_before_reset, each
// output every step or only the last one.
func trainRecurrentCases(rng *rand.Rand) []*Node {
	const t, in, h = 5, 3, 4
	layer := func(name string, op Op, a Attrs, bias, h0, c0 bool) *Node {
		g := RecurrentGates(op)
		a.Hidden = h
		nd := &Node{Name: name, Op: op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: a,
			Weight: trainRandTensor(rng, 0.8, g*h, in), Recurrent: trainRandTensor(rng, 0.8, g*h, h)}
		if bias {
			nd.Bias = trainRandTensor(rng, 0.5, 2*g*h)
		}
		if h0 {
			nd.InitialH = trainRandTensor(rng, 0.5, h)
		}
		if c0 {
			nd.InitialC = trainRandTensor(rng, 0.5, h)
		}
		return nd
	}
	return []*Node{
		layer("rnn", OpRNN, Attrs{}, true, true, false),
		layer("rnn-seq", OpRNN, Attrs{Sequence: true}, true, false, false),
		layer("lstm", OpLSTM, Attrs{}, true, true, true),
		layer("lstm-seq", OpLSTM, Attrs{Sequence: true}, true, false, false),
		layer("lstm-nobias", OpLSTM, Attrs{Sequence: true}, false, false, false),
		layer("lstm-cellclip", OpLSTM, Attrs{Sequence: true, CellClip: 0.3}, true, true, true),
		layer("lstm-gateclip", OpLSTM, Attrs{Sequence: true, GateClip: 0.7}, true, false, true),
		layer("gru-lbr", OpGRU, Attrs{LinearBeforeReset: true}, true, true, false),
		layer("gru-lbr-seq", OpGRU, Attrs{LinearBeforeReset: true, Sequence: true}, true, false, false),
		layer("gru", OpGRU, Attrs{}, true, true, false),
		layer("gru-seq", OpGRU, Attrs{Sequence: true}, true, false, false),
	}
}

// trainProbeLoss returns Σ p·y over the graph's output on x, in float64.
func trainProbeLoss(t *testing.T, g *Graph, x, p *Tensor) float64 {
	t.Helper()
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	var l float64
	for i, v := range out[0].Data {
		l += float64(v) * float64(p.Data[i])
	}
	return l
}

// trainFDCheck compares the gradients of every parameter of g and of x with central finite
// differences of the probe loss, and returns the number of elements checked and the largest
// relative error |analytic − numeric| / (1 + |numeric|).
func trainFDCheck(t *testing.T, g *Graph, x *Tensor, rng *rand.Rand) (int, float64) {
	t.Helper()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	act, err := g.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	y := act.Values["y"]
	p := trainRandTensor(rng, 1, y.Shape...)
	params, inGrads, err := g.Backward(act, "y", p)
	if err != nil {
		t.Fatal(err)
	}
	checked, worst := 0, 0.0
	check := func(what string, v, analytic []float32) {
		if len(v) != len(analytic) {
			t.Fatalf("%s: gradient has %d elements, the value %d", what, len(analytic), len(v))
		}
		for i := range v {
			orig := v[i]
			const eps = 1e-3
			v[i] = orig + eps
			lp := trainProbeLoss(t, g, x, p)
			v[i] = orig - eps
			lm := trainProbeLoss(t, g, x, p)
			v[i] = orig
			num := (lp - lm) / (2 * eps)
			a := float64(analytic[i])
			if d := math.Abs(a - num); d > 5e-4+1e-3*math.Abs(num) {
				t.Errorf("%s[%d]: analytic %.7g, finite difference %.7g", what, i, a, num)
			}
			worst = math.Max(worst, math.Abs(a-num)/(1+math.Abs(num)))
			checked++
		}
	}
	for _, n := range g.Nodes {
		lg := params[n.Name]
		if n.Weight == nil {
			if lg != nil {
				t.Errorf("node %s has no parameters but got gradients", n.Name)
			}
			continue
		}
		if lg == nil {
			t.Fatalf("no gradient for layer %s", n.Name)
		}
		check(n.Name+".weight", n.Weight.Data, lg.Weight.Data)
		if n.Recurrent != nil {
			if lg.Recurrent == nil {
				t.Fatalf("layer %s: no recurrence weight gradient", n.Name)
			}
			check(n.Name+".recurrent", n.Recurrent.Data, lg.Recurrent.Data)
		}
		if n.Bias != nil {
			check(n.Name+".bias", n.Bias.Data, lg.Bias.Data)
		}
	}
	check("x", x.Data, inGrads["x"].Data)
	return checked, worst
}

// trainAvoidKinks moves every value of x closer than 0.05 to a kink 0.1 away from it.
func trainAvoidKinks(x *Tensor, kinks []float32) {
	for i, v := range x.Data {
		for _, k := range kinks {
			if d := v - k; d > -0.05 && d < 0.05 {
				x.Data[i] = k + 0.1
				if d < 0 {
					x.Data[i] = k - 0.1
				}
			}
		}
	}
}

func TestBackwardOpsFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range trainFDCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			x := trainRandTensor(rng, 4, append([]int{2}, c.in...)...)
			trainAvoidKinks(x, c.kinks)
			checked, worst := trainFDCheck(t, c.g, x, rng)
			t.Logf("%d elements, largest relative error %.2g", checked, worst)
		})
	}
}

func TestRecurrentBackwardFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range trainRecurrentCases(rng) {
		t.Run(n.Name, func(t *testing.T) {
			g := &Graph{Name: n.Name, Inputs: []Value{{Name: "x", Shape: []int{5, 3}}}, Outputs: []Value{{Name: "y"}}, Nodes: []*Node{n}}
			x := trainRandTensor(rng, 1.5, 3, 5, 3)
			checked, worst := trainFDCheck(t, g, x, rng)
			t.Logf("float32 interpreter: %d elements, largest relative error %.2g", checked, worst)
		})
	}
}

// TestRecurrentBackwardFloat64 checks backpropagation through time against central differences
// of the float64 forward pass the backward pass itself runs, to 10⁻⁶ relative.
func TestRecurrentBackwardFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const batch = 3
	for _, n := range trainRecurrentCases(rng) {
		t.Run(n.Name, func(t *testing.T) {
			in := []int{5, 3}
			out, err := inferRecurrent(n, [][]int{in})
			if err != nil {
				t.Fatal(err)
			}
			x := trainRandTensor(rng, 1.5, batch, 5, 3)
			dy := trainRandTensor(rng, 1, append([]int{batch}, out...)...)
			dxs, lg, err := trainRecurrentBackward(trainBackArgs{n: n, ins: []*Tensor{x}, inShapes: [][]int{in},
				isConst: []bool{false}, outShape: out, dy: dy, batch: batch})
			if err != nil {
				t.Fatal(err)
			}
			l, err := trainNewRNN(n, in)
			if err != nil {
				t.Fatal(err)
			}
			tape := l.newTape()
			xs := trainF64(x.Data)
			loss := func() float64 {
				var sum float64
				per := len(dy.Data) / batch
				for s := 0; s < batch; s++ {
					copy(tape.x, xs[s*l.t*l.in:(s+1)*l.t*l.in])
					l.forward(tape)
					y := tape.hs[l.t*l.h:] // the last hidden state
					if l.every {
						y = tape.hs[l.h:]
					}
					for i, v := range y {
						sum += v * float64(dy.Data[s*per+i])
					}
				}
				return sum
			}
			clipped := 0
			if l.op == OpLSTM && (l.cellClip > 0 || l.gateClip > 0) {
				for s := 0; s < batch; s++ {
					copy(tape.x, xs[s*l.t*l.in:(s+1)*l.t*l.in])
					l.forward(tape)
					for _, v := range tape.cpre {
						if !trainInside(v, l.cellClip) {
							clipped++
						}
					}
					for _, v := range tape.pre {
						if !trainInside(v, l.gateClip) {
							clipped++
						}
					}
				}
				if clipped == 0 {
					t.Fatal("the clip bound clips nothing: the case does not test clipping")
				}
			}
			worst := 0.0
			check := func(what string, v []float64, analytic []float32) {
				for i := range v {
					orig := v[i]
					const eps = 1e-5
					v[i] = orig + eps
					lp := loss()
					v[i] = orig - eps
					lm := loss()
					v[i] = orig
					num := (lp - lm) / (2 * eps)
					e := math.Abs(float64(analytic[i])-num) / (1e-3 + math.Abs(num))
					if e > 1e-6 {
						t.Errorf("%s[%d]: analytic %.9g, finite difference %.9g", what, i, analytic[i], num)
					}
					worst = math.Max(worst, e)
				}
			}
			check("weight", l.w, lg.Weight.Data)
			check("recurrent", l.r, lg.Recurrent.Data)
			if n.Bias != nil {
				check("input bias", l.wb, lg.Bias.Data[:l.gh])
				check("recurrence bias", l.rb, lg.Bias.Data[l.gh:])
			} else if lg.Bias != nil {
				t.Error("a layer without bias got a bias gradient")
			}
			check("x", xs, dxs[0].Data)
			t.Logf("largest relative error %.2g (%d clipped values)", worst, clipped)
		})
	}
}

// TestRecurrentTapeMatchesInterpreter ties the float64 forward pass of the backward pass to the
// interpreter's float32 one.
func TestRecurrentTapeMatchesInterpreter(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range trainRecurrentCases(rng) {
		g := &Graph{Name: n.Name, Inputs: []Value{{Name: "x", Shape: []int{5, 3}}}, Outputs: []Value{{Name: "y"}}, Nodes: []*Node{n}}
		x := trainRandTensor(rng, 1.5, 2, 5, 3)
		out, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := trainNewRNN(n, []int{5, 3})
		tape := l.newTape()
		per := len(out[0].Data) / 2
		for s := 0; s < 2; s++ {
			copy(tape.x, trainF64(x.Data[s*15:(s+1)*15]))
			l.forward(tape)
			y := tape.hs[l.t*l.h:]
			if l.every {
				y = tape.hs[l.h:]
			}
			for i, v := range y {
				if got := float64(out[0].Data[s*per+i]); math.Abs(got-v) > 1e-5 {
					t.Fatalf("%s: sample %d output %d: interpreter %v, tape %v", n.Name, s, i, got, v)
				}
			}
		}
	}
}

func TestBackwardConstantsGetNoGradient(t *testing.T) {
	k := &Tensor{Shape: []int{2}, Data: []float32{2, -3}}
	g := trainFDGraph("const", []int{2}, []Const{{Name: "k", Tensor: k}},
		trainFDNode("m", OpMul, []string{"k", "x"}, "y", Attrs{}))
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	x := &Tensor{Shape: []int{1, 2}, Data: []float32{5, 7}}
	act, err := g.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	params, in, err := g.Backward(act, "y", &Tensor{Shape: []int{1, 2}, Data: []float32{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 0 {
		t.Errorf("parameter gradients %v for a graph without parameters", params)
	}
	if got := fmt.Sprint(in["x"].Data); got != "[2 -3]" {
		t.Errorf("dx = %s, want [2 -3]", got)
	}
	if k.Data[0] != 2 || k.Data[1] != -3 {
		t.Errorf("the constant changed to %v", k.Data)
	}
}

// BenchmarkLSTMBackward times backpropagation through an LSTM of the size of the KWS-style
// fixtures (T=16, I=10, H=32) on a batch of 32.
func BenchmarkLSTMBackward(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 20))
	n := &Node{Name: "lstm", Op: OpLSTM, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: Attrs{Hidden: 32},
		Weight: trainRandTensor(rng, 0.3, 128, 10), Recurrent: trainRandTensor(rng, 0.3, 128, 32), Bias: trainRandTensor(rng, 0.1, 256)}
	x := trainRandTensor(rng, 1, 32, 16, 10)
	dy := trainRandTensor(rng, 1, 32, 32)
	a := trainBackArgs{n: n, ins: []*Tensor{x}, inShapes: [][]int{{16, 10}}, isConst: []bool{false}, outShape: []int{32}, dy: dy, batch: 32}
	for b.Loop() {
		if _, _, err := trainRecurrentBackward(a); err != nil {
			b.Fatal(err)
		}
	}
}
