package model

// Broadcasting binary operators: Add, Sub, Mul and Div with numpy's rules over per-sample shapes.
//
// Each operand is an activation ([batch, shape...]) or a graph constant (shape with no batch
// dimension, shared by every sample). Per-sample shapes are aligned to the right; a dimension
// of 1 stretches to match the other operand. Two activations must have the same rank, since
// aligning ranks that differ would pair one operand's batch with a feature axis of the other.

// OpDiv divides elementwise with broadcasting, like OpSub.
const OpDiv Op = "Div"

func init() {
	RegisterOp(OpSub, elemBinaryKernel(func(a, b float32) float32 { return a - b }))
	RegisterOp(OpMul, elemBinaryKernel(func(a, b float32) float32 { return a * b }))
	RegisterOp(OpDiv, elemBinaryKernel(func(a, b float32) float32 { return a / b }))
}

// elemAdd is the kernel of OpAdd (registered in ops_core.go).
func elemAdd(a, b float32) float32 { return a + b }

// elemBinaryKernel returns the OpKernel of a broadcasting binary operator computing f.
func elemBinaryKernel(f func(a, b float32) float32) OpKernel {
	return OpKernel{Inputs: 2, Infer: inferBroadcast, Run: func(n *Node, a RunArgs) error {
		if a.IsConst[0] && a.IsConst[1] {
			return errNode(n, "both operands are constants")
		}
		runBroadcast(a, f)
		return nil
	}}
}

// inferBroadcast returns the numpy broadcast of the two per-sample shapes. The caller does not
// say which operands are constants, so two operands of different rank are accepted here; the
// importer only emits them when the lower-rank one is a constant.
func inferBroadcast(n *Node, ins [][]int) ([]int, error) {
	out, ok := elemBroadcastShape(ins[0], ins[1])
	if !ok {
		return nil, errNode(n, "operand shapes %v and %v do not broadcast", ins[0], ins[1])
	}
	return out, nil
}

// elemBroadcastShape returns the numpy broadcast of shapes a and b, or false.
func elemBroadcastShape(a, b []int) ([]int, bool) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// runBroadcast computes y = f(x0, x1) for every sample, broadcasting per-sample shapes.
func runBroadcast(a RunArgs, f func(a, b float32) float32) {
	out := a.Out
	per := len(a.Y.Data) / a.Batch
	n0, _ := NumElements(a.InShape[0])
	n1, _ := NumElements(a.InShape[1])
	step0, step1 := n0, n1 // per-sample offsets; 0 for constants, shared by every sample
	if a.IsConst[0] {
		step0 = 0
	}
	if a.IsConst[1] {
		step1 = 0
	}
	x0, x1, y := a.Ins[0].Data, a.Ins[1].Data, a.Y.Data
	if n0 == per && n1 == per {
		// same shapes: a flat loop
		parallelFor(a.Batch, 1, len(y), func(lo, hi int) {
			for s := lo; s < hi; s++ {
				p, q, d := x0[s*step0:s*step0+per], x1[s*step1:s*step1+per], y[s*per:(s+1)*per]
				for i := range d {
					d[i] = f(p[i], q[i])
				}
			}
		})
		return
	}
	st0, _ := BroadcastStrides(a.InShape[0], out) // inferBroadcast has checked both shapes
	st1, _ := BroadcastStrides(a.InShape[1], out)
	r := len(out)
	parallelFor(a.Batch, 1, len(y), func(lo, hi int) {
		idx := make([]int, r)
		for s := lo; s < hi; s++ {
			p, q, d := x0[s*step0:s*step0+n0], x1[s*step1:s*step1+n1], y[s*per:(s+1)*per]
			clear(idx)
			o0, o1 := 0, 0
			for i := range d {
				d[i] = f(p[o0], q[o1])
				// advance the odometer over the output axes
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
}
