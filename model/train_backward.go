package model

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// LayerGrad holds the gradients of one layer's parameters, shaped like them.
type LayerGrad struct {
	Weight *Tensor
	Bias   *Tensor
	// Recurrent is the gradient of a recurrent layer's recurrence weight (nil for others).
	Recurrent *Tensor
}

// Activations holds every value of one forward pass on a batch, by value name, so that a
// backward pass can read what each node saw.
type Activations struct {
	Batch  int
	Values map[string]*Tensor
}

// Forward runs g on a batch like [Graph.Run] but keeps every intermediate value. Training
// needs them for the backward pass. Nodes computing in int8 are refused.
func (g *Graph) Forward(inputs ...*Tensor) (*Activations, error) {
	if g.Shapes == nil {
		if err := g.Validate(); err != nil {
			return nil, err
		}
	}
	vals, batch, err := g.bindInputs(inputs)
	if err != nil {
		return nil, err
	}
	consts := g.constMap()
	for _, n := range g.Nodes {
		if n.Attrs.Quant != nil {
			return nil, errNode(n, "training needs float32 nodes, this one computes in int8")
		}
		args := RunArgs{
			Batch: batch, Ins: make([]*Tensor, len(n.Inputs)), InShape: make([][]int, len(n.Inputs)),
			IsConst: make([]bool, len(n.Inputs)), Out: g.Shapes[n.Outputs[0]],
		}
		for j, name := range n.Inputs {
			args.Ins[j], args.InShape[j] = vals[name], g.Shapes[name]
			if c := consts[name]; c != nil {
				args.Ins[j], args.IsConst[j] = c, true
			}
		}
		out, err := runNode(n, args, nil)
		if err != nil {
			return nil, err
		}
		vals[n.Outputs[0]] = out
	}
	return &Activations{Batch: batch, Values: vals}, nil
}

// Backward propagates the gradient dOut of the loss with respect to the value named out back
// through g, using the activations of a forward pass. It returns the gradients of every
// layer's parameters (by node name) and the gradient of every graph input (by input name).
// Nodes that do not lead to out are skipped. Backward supports Conv (2D and 1D,
// any stride, padding, dilation and groups), Dense, MaxPool, AveragePool, Softmax, Reshape,
// the activations Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSwish and HardSigmoid, the
// broadcasting Add, Sub, Mul and Div, Concat, Pad, Transpose, Gather, Slice and Mean, and RNN,
// LSTM and GRU through time (their LayerGrad also carries the recurrence weight's gradient;
// initial states get none). It returns an error naming any other node on the path. Graph
// constants get no gradient.
//
// Every gradient element is summed over the samples in an order fixed by the layer's shape and
// the batch size, so the result is bit-identical whatever GOMAXPROCS is.
func (g *Graph) Backward(act *Activations, out string, dOut *Tensor) (map[string]*LayerGrad, map[string]*Tensor, error) {
	if g.Shapes == nil {
		return nil, nil, fmt.Errorf("backward: graph %q is not validated", g.Name)
	}
	if v := act.Values[out]; v == nil || len(v.Data) != len(dOut.Data) {
		return nil, nil, fmt.Errorf("backward: gradient of %q has %d elements, the value has a different size or is missing", out, len(dOut.Data))
	}
	grads := map[string]*Tensor{out: dOut}
	params := make(map[string]*LayerGrad)
	consts := g.constMap()
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		dy := grads[n.Outputs[0]]
		if dy == nil {
			continue
		}
		ins := make([]*Tensor, len(n.Inputs))
		shapes := make([][]int, len(n.Inputs))
		isConst := make([]bool, len(n.Inputs))
		for j, name := range n.Inputs {
			ins[j], shapes[j] = act.Values[name], g.Shapes[name]
			if c := consts[name]; c != nil {
				ins[j], isConst[j] = c, true
			}
		}
		dxs, lg, err := trainBackwardNode(n, ins, shapes, isConst, act.Values[n.Outputs[0]], g.Shapes[n.Outputs[0]], dy, act.Batch)
		if err != nil {
			return nil, nil, err
		}
		if lg != nil {
			params[n.Name] = lg
		}
		for j, dx := range dxs {
			if dx == nil || isConst[j] {
				continue
			}
			name := n.Inputs[j]
			if prev := grads[name]; prev != nil {
				for k, v := range dx.Data {
					prev.Data[k] += v
				}
			} else {
				grads[name] = dx
			}
		}
	}
	inGrads := make(map[string]*Tensor, len(g.Inputs))
	for _, in := range g.Inputs {
		if d := grads[in.Name]; d != nil {
			inGrads[in.Name] = d
		} else {
			inGrads[in.Name] = NewTensor(act.Values[in.Name].Shape...)
		}
	}
	return params, inGrads, nil
}

// trainBackwardNode returns the gradients of one node's inputs (and, for layers with
// parameters, of those) from the gradient dy of its output. A constant input (isConst) gets a
// nil gradient.
func trainBackwardNode(n *Node, ins []*Tensor, inShapes [][]int, isConst []bool, y *Tensor, outShape []int, dy *Tensor, batch int) ([]*Tensor, *LayerGrad, error) {
	like := func(t *Tensor) *Tensor { return NewTensor(t.Shape...) }
	if slices.Contains(isConst, true) && trainBackwards[n.Op] == nil {
		return nil, nil, errNode(n, "backward through a constant operand is not supported")
	}
	switch n.Op {
	case OpDense:
		dx, lg := trainDenseBackward(n, ins[0], dy, batch)
		return []*Tensor{dx}, lg, nil
	case OpConv:
		dx, lg := trainConvBackward(n, ins[0], dy, inShapes[0], outShape, batch)
		return []*Tensor{dx}, lg, nil
	case OpRelu:
		dx := like(ins[0])
		for i, v := range ins[0].Data {
			if v > 0 {
				dx.Data[i] = dy.Data[i]
			}
		}
		return []*Tensor{dx}, nil, nil
	case OpReshape:
		dx := like(ins[0])
		copy(dx.Data, dy.Data)
		return []*Tensor{dx}, nil, nil
	case OpSoftmax:
		dx := like(ins[0])
		last := inShapes[0][len(inShapes[0])-1]
		for r := 0; r < len(y.Data)/last; r++ {
			ys, dys, dxs := y.Data[r*last:(r+1)*last], dy.Data[r*last:(r+1)*last], dx.Data[r*last:(r+1)*last]
			var dot float64
			for i, v := range ys {
				dot += float64(v) * float64(dys[i])
			}
			for i, v := range ys {
				dxs[i] = float32(float64(v) * (float64(dys[i]) - dot))
			}
		}
		return []*Tensor{dx}, nil, nil
	case OpMaxPool, OpAvgPool:
		dx := like(ins[0])
		trainPoolBackward(n, ins[0], dy, dx, inShapes[0], outShape, batch)
		return []*Tensor{dx}, nil, nil
	default:
		if bw := trainBackwards[n.Op]; bw != nil {
			return bw(trainBackArgs{n: n, ins: ins, inShapes: inShapes, isConst: isConst, y: y, outShape: outShape, dy: dy, batch: batch})
		}
	}
	return nil, nil, errNode(n, "training does not implement the backward pass of this operator")
}

// trainGemm sets C = A·B + beta·C with optional transposes, row-major, via gonum (whose
// blocking depends only on the sizes, so results do not depend on GOMAXPROCS).
func trainGemm(ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	tr := func(t bool) blas.Transpose {
		if t {
			return blas.Trans
		}
		return blas.NoTrans
	}
	gonum.Implementation{}.Sgemm(tr(ta), tr(tb), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

// trainDenseBackward: for y = W·x + b over a batch X [B,K], dW = dYᵀ·X, db = Σ_b dY,
// dX = dY·W.
func trainDenseBackward(n *Node, x, dy *Tensor, batch int) (*Tensor, *LayerGrad) {
	nOut, k := n.Weight.Shape[0], n.Weight.Shape[1]
	lg := &LayerGrad{Weight: NewTensor(n.Weight.Shape...)}
	trainGemm(true, false, nOut, k, batch, dy.Data, nOut, x.Data, k, 0, lg.Weight.Data, k)
	if n.Bias != nil {
		lg.Bias = NewTensor(n.Bias.Shape...)
		for b := 0; b < batch; b++ {
			for i, v := range dy.Data[b*nOut : (b+1)*nOut] {
				lg.Bias.Data[i] += v
			}
		}
	}
	dx := NewTensor(x.Shape...)
	trainGemm(false, false, batch, k, nOut, dy.Data, nOut, n.Weight.Data, k, 0, dx.Data, k)
	return dx, lg
}

// trainBlocks is the number of sample blocks whose partial weight gradients are computed
// concurrently and then summed in block order.
const trainBlocks = 16

// trainConvBackward computes a convolution's gradients sample by sample: for each sample and
// group it gathers the im2col patch matrix P [C/group·kH·kW, pixels] (as the forward pass
// does), accumulates dW_g += dY_g·Pᵀ into its block's partial sum, and scatters Wᵀ_g·dY_g back
// onto the sample's input gradient (col2im). The batch is split into at most trainBlocks fixed
// blocks of samples; their partial weight gradients are added in block order.
func trainConvBackward(n *Node, x, dy *Tensor, in, out []int, batch int) (*Tensor, *LayerGrad) {
	c, h, w, _ := conv1DPlane(in) // a 1D convolution is a 2D one of height 1
	m, oh, ow, _ := conv1DPlane(out)
	groups := n.Groups()
	cg, mg := c/groups, m/groups
	kh, kw := conv1DKernel(n.Weight)
	k := cg * kh * kw
	pixels := oh * ow
	strides, pads, dil := n.ConvGeometry()
	geo := im2colGeometry{c: cg, h: h, w: w, kh: kh, kw: kw, oh: oh, ow: ow,
		sy: strides[0], sx: strides[1], py: pads[0], px: pads[1], dy: dil[0], dx: dil[1]}
	blocks := min(batch, trainBlocks)
	per := (batch + blocks - 1) / blocks
	blocks = (batch + per - 1) / per
	partial := make([][]float32, blocks)
	dx := NewTensor(x.Shape...)
	parallelFor(blocks, 1, batch*pixels*m*k*2, func(lo, hi int) {
		patches := make([]float32, k*pixels)
		dp := make([]float32, k*pixels)
		for blk := lo; blk < hi; blk++ {
			dw := make([]float32, len(n.Weight.Data))
			for s := blk * per; s < min(batch, (blk+1)*per); s++ {
				for g := 0; g < groups; g++ {
					geo.gather(patches, x.Data, c*h*w, g*cg*h*w, s*pixels, (s+1)*pixels)
					dys := dy.Data[(s*m+g*mg)*pixels : (s*m+(g+1)*mg)*pixels]
					trainGemm(false, true, mg, k, pixels, dys, pixels, patches, pixels, 1, dw[g*mg*k:], k)
					trainGemm(true, false, k, pixels, mg, n.Weight.Data[g*mg*k:], k, dys, pixels, 0, dp, pixels)
					geo.trainScatter(dx.Data[s*c*h*w+g*cg*h*w:], dp)
				}
			}
			partial[blk] = dw
		}
	})
	lg := &LayerGrad{Weight: NewTensor(n.Weight.Shape...)}
	for _, p := range partial {
		for i, v := range p {
			lg.Weight.Data[i] += v
		}
	}
	if n.Bias != nil {
		lg.Bias = NewTensor(n.Bias.Shape...)
		for s := 0; s < batch; s++ {
			for ch := 0; ch < m; ch++ {
				var sum float32
				for _, v := range dy.Data[(s*m+ch)*pixels : (s*m+ch+1)*pixels] {
					sum += v
				}
				lg.Bias.Data[ch] += sum
			}
		}
	}
	return dx, lg
}

// trainScatter is the adjoint of gather for one sample: it adds every element of the patch
// gradient dp [c·kh·kw, pixels] to the input position it was gathered from (col2im). dx
// starts at the group's first channel of the sample.
func (g *im2colGeometry) trainScatter(dx, dp []float32) {
	pixels := g.oh * g.ow
	r := 0
	for ch := 0; ch < g.c; ch++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				row := dp[r*pixels : (r+1)*pixels]
				r++
				for oy := 0; oy < g.oh; oy++ {
					iy := oy*g.sy - g.py + ky*g.dy
					if iy < 0 || iy >= g.h {
						continue
					}
					line := dx[(ch*g.h+iy)*g.w : (ch*g.h+iy+1)*g.w]
					ix := -g.px + kx*g.dx
					for ox := 0; ox < g.ow; ox, ix = ox+1, ix+g.sx {
						if ix >= 0 && ix < g.w {
							line[ix] += row[oy*g.ow+ox]
						}
					}
				}
			}
		}
	}
}

// trainPoolBackward routes each output gradient to its window: for max pooling to the first
// element (row-major) holding the window's maximum, for average pooling equally to the window's
// in-bounds elements. Planes (sample, channel) are independent.
func trainPoolBackward(n *Node, x, dy, dx *Tensor, in, out []int, batch int) {
	c, h, w, _ := conv1DPlane(in) // 1D pooling is 2D pooling of height 1
	_, oh, ow, _ := conv1DPlane(out)
	kh, kw := n.Attrs.Kernel[0], n.Attrs.Kernel[1]
	strides, pads, _ := n.ConvGeometry()
	isMax := n.Op == OpMaxPool
	planes := batch * c
	parallelFor(planes, 1, planes*oh*ow*kh*kw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src := x.Data[pl*h*w : (pl+1)*h*w]
			dst := dx.Data[pl*h*w : (pl+1)*h*w]
			g := dy.Data[pl*oh*ow : (pl+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0 := oy*strides[0] - pads[0]
				ya, yb := max(y0, 0), min(y0+kh, h)
				for ox := 0; ox < ow; ox++ {
					x0 := ox*strides[1] - pads[1]
					xa, xb := max(x0, 0), min(x0+kw, w)
					d := g[oy*ow+ox]
					if yb <= ya || xb <= xa {
						continue
					}
					if isMax {
						best := ya*w + xa
						for iy := ya; iy < yb; iy++ {
							for ix := xa; ix < xb; ix++ {
								if src[iy*w+ix] > src[best] {
									best = iy*w + ix
								}
							}
						}
						dst[best] += d
						continue
					}
					d /= float32((yb - ya) * (xb - xa))
					for iy := ya; iy < yb; iy++ {
						for ix := xa; ix < xb; ix++ {
							dst[iy*w+ix] += d
						}
					}
				}
			}
		}
	})
}
