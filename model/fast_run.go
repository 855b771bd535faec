package model

import "sync"

// fastRunConv runs node i of g when it is a float convolution that the direct paths take
// (fastConvDirectApplies); when the next node is a float Relu that is the only reader of the
// convolution's output, the convolution clamps its output itself and that node is absorbed. It
// returns the output and the index of the last node it computed, or nil and i when node i is
// left to runNode. The output's memory comes from plan.bufs: the direct paths write every
// element, so it needs no clearing.
func (g *Graph) fastRunConv(i int, args RunArgs, plan runPlan) (*Tensor, int) {
	n := g.Nodes[i]
	if n.Op != OpConv || n.Attrs.Quant != nil || len(args.Ins) != 1 || args.Ins[0] == nil || args.IsConst[0] ||
		checkParams(n) != nil || !fastConvDirectApplies(n, args.InShape[0], args.Out) {
		return nil, i
	}
	last := i
	if i+1 < len(g.Nodes) {
		r := g.Nodes[i+1]
		if r.Op == OpRelu && r.Attrs.Quant == nil && len(r.Inputs) == 1 && r.Inputs[0] == n.Outputs[0] &&
			plan.lastUse[n.Outputs[0]] == i+1 {
			last = i + 1
		}
	}
	y := &Tensor{Shape: append([]int{args.Batch}, args.Out...), Data: plan.bufs.take(args.Batch * numElems(args.Out))}
	fastConvDirect(n, args.Ins[0], y, args.InShape[0], args.Out, last > i)
	return y, last
}

// fastNewBufPool returns an empty pool for a Run call of g, or nil (a pool that keeps nothing)
// when no node of g can take the direct convolution paths, so that other graphs release their
// activations to the garbage collector as before.
func (g *Graph) fastNewBufPool() *fastBufPool {
	if !fastDirectMachine() {
		return nil
	}
	for _, n := range g.Nodes {
		if n.Op == OpConv && n.Attrs.Quant == nil {
			return &fastBufPool{}
		}
	}
	return nil
}

// fastBufPoolMax is how many dead activations a fastBufPool keeps; the others are left to the
// garbage collector, so that a deep graph does not hold all its activations until Run returns.
const fastBufPoolMax = 4

// fastBufPool keeps the memory of activations that died during one Run call, so that later
// layers (and later slices of the batch) write to memory that is already mapped and cached
// instead of fresh zeroed allocations. A nil pool keeps nothing.
type fastBufPool struct {
	free [][]float32
}

// release adds the memory of t, a value no node reads any more, to the pool, unless the pool is
// full, t is one of Run's inputs, or out (the output just computed, which an in-place kernel may have written
// over t) shares it.
func (p *fastBufPool) release(t, out *Tensor, inputs []*Tensor) {
	if p == nil || len(p.free) >= fastBufPoolMax || t == nil || len(t.Data) == 0 || isInput(inputs, t) ||
		(out != nil && len(out.Data) > 0 && &out.Data[0] == &t.Data[0]) {
		return
	}
	p.free = append(p.free, t.Data)
}

// take returns n floats of unspecified contents: the smallest pooled buffer that holds them,
// removed from the pool, else one that an earlier Run call left (fastBufShared) if it is large
// enough, else a new one.
func (p *fastBufPool) take(n int) []float32 {
	best := -1
	if p != nil {
		for i, b := range p.free {
			if cap(b) >= n && (best < 0 || cap(b) < cap(p.free[best])) {
				best = i
			}
		}
	}
	if best < 0 {
		if b, ok := fastBufShared.Get().(*[]float32); ok && cap(*b) >= n {
			return (*b)[:n]
		}
		return make([]float32, n)
	}
	b := p.free[best][:n]
	p.free[best] = p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return b
}

// fastBufShared holds the buffers that Run calls leave in their pools when they return, for
// the next calls (on any goroutine) to take.
var fastBufShared sync.Pool

// recycle hands the pool's buffers to fastBufShared; Run calls it when it returns. No value
// that Run returns shares them (graph outputs are never released).
func (p *fastBufPool) recycle() {
	if p == nil {
		return
	}
	for _, b := range p.free {
		fastBufShared.Put(&b)
	}
	p.free = nil
}
