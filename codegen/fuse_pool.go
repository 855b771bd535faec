package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// Conv + (ReLU) + MaxPool fusion (Unlu, arXiv:2007.01348). When a Conv with dense weights
// feeds, directly or through a fused ReLU, a MaxPool that is its only reader and whose windows
// do not overlap (stride >= window in both axes), the pool node runs one kernel that computes
// each pooled output as the maximum of the conv outputs in its window, computed on the fly.
// The conv output is never stored: the conv and its ReLU emit no code and get no buffer, and
// the arena holds only the pooled tensor. Since max(relu(a), relu(b)) = relu(max(a, b)), the
// ReLU is applied once to the pooled value. Non-overlapping windows mean no conv output is
// computed twice; with stride > window some conv outputs are never computed at all.

// decideConvPool marks fusable Conv -> [Relu] -> MaxPool chains. It runs after decideFusion and
// after the weight formats are chosen (CSR convolutions scatter over the whole output plane and
// are not fused).
func decideConvPool(layers []*layerState, graphOutput string) {
	producer, readers := producersAndReaders(layers)
	for _, pool := range layers {
		if pool.node.Op != model.OpMaxPool || pool.q8 != nil || !poolWindowsDisjoint(pool.node) {
			continue
		}
		x := pool.node.Inputs[0]
		if readers[x] != 1 || x == graphOutput {
			continue
		}
		conv := producer[x]
		var relu *layerState
		if conv != nil && conv.fusedAway && (conv.node.Op == model.OpRelu || fuseActCodes[conv.node.Op] != 0) {
			relu, conv = conv, producer[conv.node.Inputs[0]]
		}
		if conv == nil || conv.node.Op != model.OpConv || conv.csr != nil || conv.intoPool != nil || conv.q8 != nil {
			continue
		}
		if relu != nil && !conv.fuseRelu && conv.act == 0 {
			continue
		}
		if relu != nil && conv.act != 0 && (pool.fuseRelu || !fuseActOf(relu.node).monotone()) {
			continue // HardSwish does not commute with max; one selector cannot hold two activations
		}
		conv.intoPool = pool
		conv.plan.FusedInto = pool.node.Name
		pool.fusedConv = conv
		pool.plan.FusedConv = conv.node.Name
		if relu != nil {
			relu.plan.FusedInto = pool.node.Name
		}
	}
}

// withoutPool is a copy of a conv layer's state as if it were not fused, for naming its kernel.
func (ls *layerState) withoutPool() *layerState {
	c := *ls
	c.intoPool = nil
	return &c
}

// poolWindowsDisjoint reports whether a pooling node's windows do not overlap.
func poolWindowsDisjoint(n *model.Node) bool {
	s, _, _ := n.ConvGeometry()
	return len(n.Attrs.Kernel) == 2 && s[0] >= n.Attrs.Kernel[0] && s[1] >= n.Attrs.Kernel[1]
}

// readsFor returns the values a node's emitted code reads: a conv fused into a pool reads
// nothing (the pool's kernel does its work), the pool reads the conv's input instead of the
// conv output.
func (ls *layerState) reads() []string {
	switch {
	case ls.intoPool != nil:
		return nil
	case ls.fusedConv != nil:
		return ls.fusedConv.node.Inputs
	}
	return ls.node.Inputs
}

// interiorRange returns [lo, hi): the output indices o in [0, on) for which every kernel tap
// o*s + off + k*d, k in [0, kn), lies in [0, n). lo = hi = 0 when there is none.
func interiorRange(off, s, d, kn, n, on int) (lo, hi int) {
	lo, hi = -1, -1
	for o := 0; o < on; o++ {
		first, last := o*s+off, o*s+off+(kn-1)*d
		if first >= 0 && last < n {
			if lo < 0 {
				lo = o
			}
			hi = o + 1
		}
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, hi
}

// convGeometryInit is the initialiser of a conv_geom_t for a conv layer, fused with pool
// when pool is not nil; act is the relu field (the activation selector, fuse_act.go).
func convGeometryInit(conv, pool *layerState, act int) string {
	n := conv.node
	ws := n.Weight.Shape
	g := windowGeometry(n, conv.inShape, conv.outShape, ws[2], ws[3])
	oyLo, oyHi := interiorRange(-g.pt, g.sh, g.dh, g.kh, g.h, g.oh)
	oxLo, oxHi := interiorRange(-g.pl, g.sw, g.dw, g.kw, g.w, g.ow)
	ph, pw, pkh, pkw, psh, psw, ppt, ppl := g.oh, g.ow, 1, 1, 1, 1, 0, 0
	if pool != nil {
		pg := windowGeometry(pool.node, pool.inShape, pool.outShape, pool.node.Attrs.Kernel[0], pool.node.Attrs.Kernel[1])
		ph, pw, pkh, pkw, psh, psw, ppt, ppl = pg.oh, pg.ow, pg.kh, pg.kw, pg.sh, pg.sw, pg.pt, pg.pl
	}
	return fmt.Sprintf("%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d",
		g.c, g.h, g.w, g.m, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.groups, act,
		oyLo, oyHi, oxLo, oxHi, ph, pw, pkh, pkw, psh, psw, ppt, ppl)
}
