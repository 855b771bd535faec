package model

// Backward passes of the elementwise activations (Sigmoid, Tanh, Clip/Relu6, LeakyRelu,
// HardSwish, HardSigmoid) and of the broadcasting binary operators (Add, Sub, Mul, Div), and
// the table through which trainBackwardNode finds the backward passes of operators it does not
// handle itself.

// trainBackArgs is what a backward pass gets for one node: its inputs as the forward pass saw
// them (a constant without its batch dimension), their per-sample shapes, its output y and
// the gradient dy of the loss with respect to y.
type trainBackArgs struct {
	n        *Node
	ins      []*Tensor
	inShapes [][]int
	isConst  []bool
	y        *Tensor
	outShape []int
	dy       *Tensor
	batch    int
}

// trainBackwardFunc returns the gradients of a node's inputs (nil for constants) and, for
// layers with parameters, of those.
type trainBackwardFunc func(a trainBackArgs) ([]*Tensor, *LayerGrad, error)

// trainBackwards holds the backward passes registered by the train_backward_*.go files.
var trainBackwards = map[Op]trainBackwardFunc{}

func init() {
	// Each derivative is a function of the input x and the output y of one element. At the
	// kinks the derivative is PyTorch's: Clip passes the gradient strictly inside (min, max)
	// (hardtanh, relu6), HardSigmoid strictly inside its linear part, HardSwish uses x/3 + 1/2
	// on [−3, 3].
	trainBackwards[OpSigmoid] = trainActBackward(func(*Node) func(x, y float64) float64 {
		return func(_, y float64) float64 { return y * (1 - y) }
	})
	trainBackwards[OpTanh] = trainActBackward(func(*Node) func(x, y float64) float64 {
		return func(_, y float64) float64 { return 1 - y*y }
	})
	trainBackwards[OpClip] = trainActBackward(func(n *Node) func(x, y float64) float64 {
		lo, hi := float64(n.Attrs.Min), float64(n.Attrs.Max)
		return func(x, _ float64) float64 { return trainStep(x > lo && x < hi) }
	})
	trainBackwards[OpLeakyRelu] = trainActBackward(func(n *Node) func(x, y float64) float64 {
		alpha := float64(n.Attrs.Alpha)
		return func(x, _ float64) float64 {
			if x > 0 {
				return 1
			}
			return alpha
		}
	})
	trainBackwards[OpHardSwish] = trainActBackward(func(*Node) func(x, y float64) float64 {
		return func(x, _ float64) float64 {
			switch {
			case x < -3:
				return 0
			case x <= 3:
				return x/3 + 0.5
			}
			return 1
		}
	})
	trainBackwards[OpHardSigmoid] = trainActBackward(func(n *Node) func(x, y float64) float64 {
		alpha, beta := float64(n.Attrs.Alpha), float64(n.Attrs.Beta)
		return func(x, _ float64) float64 {
			v := alpha*x + beta
			return alpha * trainStep(v > 0 && v < 1)
		}
	})
	trainBackwards[OpAdd] = trainBroadcastBackward(func(_, _ float64) (float64, float64) { return 1, 1 })
	trainBackwards[OpSub] = trainBroadcastBackward(func(_, _ float64) (float64, float64) { return 1, -1 })
	trainBackwards[OpMul] = trainBroadcastBackward(func(a, b float64) (float64, float64) { return b, a })
	trainBackwards[OpDiv] = trainBroadcastBackward(func(a, b float64) (float64, float64) { return 1 / b, -a / (b * b) })
}

// trainStep is 1 when cond holds, else 0.
func trainStep(cond bool) float64 {
	if cond {
		return 1
	}
	return 0
}

// trainActBackward returns the backward pass of an elementwise activation whose derivative at
// an element is deriv(x, y); each element's product is formed in float64 and rounded once.
func trainActBackward(deriv func(n *Node) func(x, y float64) float64) trainBackwardFunc {
	return func(a trainBackArgs) ([]*Tensor, *LayerGrad, error) {
		if a.isConst[0] {
			return []*Tensor{nil}, nil, nil
		}
		d := deriv(a.n)
		x, y, dy := a.ins[0].Data, a.y.Data, a.dy.Data
		dx := NewTensor(a.ins[0].Shape...)
		parallelFor(len(x), 1, 8*len(x), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dx.Data[i] = float32(float64(dy[i]) * d(float64(x[i]), float64(y[i])))
			}
		})
		return []*Tensor{dx}, nil, nil
	}
}

// trainBroadcastBackward returns the backward pass of a broadcasting binary operator whose
// partial derivatives at operands (a, b) are partials(a, b). An activation operand's gradient
// sums, per sample, the contributions of every output element it was broadcast to, in output
// order and in float64; a constant operand gets none.
func trainBroadcastBackward(partials func(a, b float64) (float64, float64)) trainBackwardFunc {
	return func(ba trainBackArgs) ([]*Tensor, *LayerGrad, error) {
		out := ba.outShape
		per := len(ba.dy.Data) / ba.batch
		var n [2]int
		var step [2]int // per-sample offset of each operand; 0 for a constant
		var acc [2][]float64
		for k := 0; k < 2; k++ {
			n[k], _ = NumElements(ba.inShapes[k])
			if !ba.isConst[k] {
				step[k] = n[k]
				acc[k] = make([]float64, len(ba.ins[k].Data))
			}
		}
		st0, _ := BroadcastStrides(ba.inShapes[0], out) // the forward pass has checked both shapes
		st1, _ := BroadcastStrides(ba.inShapes[1], out)
		x0, x1, dy := ba.ins[0].Data, ba.ins[1].Data, ba.dy.Data
		r := len(out)
		parallelFor(ba.batch, 1, 4*len(dy), func(lo, hi int) {
			idx := make([]int, r)
			for s := lo; s < hi; s++ {
				p, q, g := x0[s*step[0]:s*step[0]+n[0]], x1[s*step[1]:s*step[1]+n[1]], dy[s*per:(s+1)*per]
				var a0, a1 []float64
				if acc[0] != nil {
					a0 = acc[0][s*n[0] : (s+1)*n[0]]
				}
				if acc[1] != nil {
					a1 = acc[1][s*n[1] : (s+1)*n[1]]
				}
				if n[0] == per && n[1] == per { // same shapes: no odometer
					for i, gv := range g {
						d0, d1 := partials(float64(p[i]), float64(q[i]))
						if a0 != nil {
							a0[i] += float64(gv) * d0
						}
						if a1 != nil {
							a1[i] += float64(gv) * d1
						}
					}
					continue
				}
				clear(idx)
				o0, o1 := 0, 0
				for i, gv := range g {
					d0, d1 := partials(float64(p[o0]), float64(q[o1]))
					if a0 != nil {
						a0[o0] += float64(gv) * d0
					}
					if a1 != nil {
						a1[o1] += float64(gv) * d1
					}
					if i == len(g)-1 {
						break
					}
					for ax := r - 1; ax >= 0; ax-- {
						idx[ax]++
						o0 += st0[ax]
						o1 += st1[ax]
						if idx[ax] < out[ax] {
							break
						}
						o0 -= st0[ax] * out[ax]
						o1 -= st1[ax] * out[ax]
						idx[ax] = 0
					}
				}
			}
		})
		dxs := make([]*Tensor, 2)
		for k := 0; k < 2; k++ {
			if acc[k] == nil {
				continue
			}
			dxs[k] = NewTensor(ba.ins[k].Shape...)
			trainRound(dxs[k].Data, acc[k])
		}
		return dxs, nil, nil
	}
}

// trainRound converts a float64 accumulator to float32 values.
func trainRound(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}
