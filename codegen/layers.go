package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// planLayer classifies one node and counts its work and weights. Memory placement and fusion
// are decided later over the whole graph.
func planLayer(n *model.Node, shapes map[string][]int, opts Options) (*layerState, error) {
	ls := &layerState{node: n}
	ls.inShape = shapes[n.Inputs[0]]
	ls.outShape = shapes[n.Outputs[0]]
	outElems, _ := model.NumElements(ls.outShape)
	lp := &LayerPlan{
		Node: n.Name, Op: string(n.Op),
		Inputs: append([]string(nil), n.Inputs...), Output: n.Outputs[0],
		OutShape: append([]int(nil), ls.outShape...), Outputs: outElems,
		OutBytes: outElems * floatBytes,
	}
	ls.plan = lp
	conv1DAs2D(ls) // 1D Conv and pooling run on the 2D kernels with height 1
	n = ls.node
	switch n.Op {
	case model.OpConv:
		lp.Kind = KindConv
		if len(ls.inShape) != 3 || n.Weight == nil || len(n.Weight.Shape) != 4 {
			return nil, fmt.Errorf("codegen: node %q (Conv): only 1D and 2D convolutions have a C kernel (input %v)", n.Name, ls.inShape)
		}
	case model.OpDense:
		lp.Kind = KindDense
	case model.OpMaxPool, model.OpAvgPool:
		lp.Kind = KindPool
		if len(ls.inShape) != 3 {
			return nil, fmt.Errorf("codegen: node %q (%s): only 1D and 2D pooling have a C kernel (input %v)", n.Name, n.Op, ls.inShape)
		}
	case model.OpAdd, model.OpRelu:
		lp.Kind = KindElementwise
		lp.Ops = outElems
	case model.OpSoftmax:
		lp.Kind = KindSoftmax
		lp.Ops = outElems
	case model.OpClip, model.OpLeakyRelu, model.OpSigmoid, model.OpTanh, model.OpHardSwish, model.OpHardSigmoid,
		model.OpSub, model.OpMul:
		if err := planActivation(ls); err != nil {
			return nil, err
		}
	case model.OpReshape:
		lp.Kind = KindReshape
	case model.OpLSTM:
		if err := planLSTM(ls); err != nil {
			return nil, err
		}
		return ls, nil
	case model.OpGRU, model.OpRNN:
		if err := planRecurrent(ls); err != nil {
			return nil, err
		}
		return ls, nil
	case model.OpMean:
		lp.Kind = KindReduce
		if _, _, err := meanRun(n, ls.inShape); err != nil {
			return nil, err
		}
		lp.Ops, _ = model.NumElements(ls.inShape)
	default:
		return nil, fmt.Errorf("codegen: node %q: operator %q has no C kernel", n.Name, n.Op)
	}
	if (n.Op == model.OpConv || n.Op == model.OpDense) != (n.Weight != nil) {
		return nil, fmt.Errorf("codegen: node %q (%s): weights present on an operator that takes none, or missing", n.Name, n.Op)
	}
	if n.Weight != nil {
		if err := planWeights(ls, opts); err != nil {
			return nil, err
		}
	}
	if n.Op == model.OpMaxPool || n.Op == model.OpAvgPool {
		g := windowGeometry(n, ls.inShape, ls.outShape, n.Attrs.Kernel[0], n.Attrs.Kernel[1])
		lp.Ops = ls.inShape[0] * g.taps()
	}
	return ls, nil
}

// planWeights counts MACs and chooses the weight format of a Conv or Dense node.
func planWeights(ls *layerState, opts Options) error {
	n, lp := ls.node, ls.plan
	if err := n.Weight.CheckFinite(); err != nil {
		return fmt.Errorf("codegen: node %q (%s) weight: %v", n.Name, n.Op, err)
	}
	if n.Bias != nil {
		if err := n.Bias.CheckFinite(); err != nil {
			return fmt.Errorf("codegen: node %q (%s) bias: %v", n.Name, n.Op, err)
		}
	}
	rows := n.Weight.Shape[0]
	cols := n.Weight.Len() / rows
	nnz := n.Weight.Len() - n.Weight.CountZeros()
	biasBytes := 0
	if n.Bias != nil {
		biasBytes = n.Bias.Len() * floatBytes
		lp.Params += n.Bias.Len()
	}
	lp.Params += n.Weight.Len()
	lp.NNZ, lp.Rows, lp.Cols = nnz, rows, cols
	lp.DenseWeightBytes = rows*cols*floatBytes + biasBytes
	csr, csrErr := csrBytes(rows, cols, nnz)
	if csrErr == nil {
		lp.CSRWeightBytes = csr + biasBytes
	}
	rel8 := relEntries(n.Weight, rows, 8)
	rel4 := relEntries(n.Weight, rows, 4)
	lp.RCSR8WeightBytes = relBytes(rows, rel8, 8) + biasBytes
	lp.RCSR4WeightBytes = relBytes(rows, rel4, 4) + biasBytes
	format := opts.formatFor(n.Name)
	if format == FormatSparse8 {
		format = FormatRCSR4 // sparse8 is int8 only; its float counterpart
	}
	if format == FormatAuto || format == FormatSmallest {
		// The cost rule weighs bytes only: the smallest format wins, dense on ties, then
		// CSR, then the relative forms (see the package doc for what this does to cycles).
		format = smallestFormat(lp.DenseWeightBytes, []formatBytes{
			{FormatCSR, lp.CSRWeightBytes, csrErr == nil}, {FormatRCSR8, lp.RCSR8WeightBytes, true}, {FormatRCSR4, lp.RCSR4WeightBytes, true}})
	}
	var err error
	switch format {
	case FormatCSR:
		if csrErr != nil {
			return fmt.Errorf("codegen: node %q (%s): cannot store weights as CSR: %v", n.Name, n.Op, csrErr)
		}
		ls.csr, err = encodeCSR(n.Weight, rows)
		lp.WeightBytes = lp.CSRWeightBytes
	case FormatRCSR8:
		ls.csr, err = encodeRelative(n.Weight, rows, 8)
		lp.WeightBytes = lp.RCSR8WeightBytes
	case FormatRCSR4:
		ls.csr, err = encodeRelative(n.Weight, rows, 4)
		lp.WeightBytes = lp.RCSR4WeightBytes
	default:
		lp.WeightBytes = lp.DenseWeightBytes
	}
	if err != nil {
		return fmt.Errorf("codegen: node %q (%s): %v", n.Name, n.Op, err)
	}
	if m := ls.csr; m != nil {
		lp.IndexBytes, lp.RowPtrBytes, lp.StoredEntries = m.idxBytes, m.ptrBytes, len(m.values)
		if m.relBits != 0 {
			lp.IndexBytes = 0
			lp.RelIndexBits = m.relBits
		}
	}
	lp.Format = format

	if n.Op == model.OpDense {
		lp.MACs = rows * cols
		lp.EffectiveMACs = lp.MACs
		if ls.csr != nil {
			lp.EffectiveMACs = len(ls.csr.values)
		}
		return nil
	}
	w := n.Weight.Shape // [M, C/g, kH, kW]
	g := windowGeometry(n, ls.inShape, ls.outShape, w[2], w[3])
	lp.MACs = w[0] * w[1] * g.taps()
	lp.EffectiveMACs = lp.MACs
	if ls.csr != nil {
		eff := 0
		kk := w[2] * w[3]
		for _, c := range ls.csr.colIdx {
			k := c % kk
			eff += g.validY[k/w[3]] * g.validX[k%w[3]]
		}
		lp.EffectiveMACs = eff
	}
	return nil
}

// window is the geometry of a sliding-window node (Conv or pooling) with defaults applied.
type window struct {
	c, h, w, m, oh, ow, kh, kw int
	sh, sw, dh, dw, pt, pl     int
	groups                     int
	// validY[ky] (validX[kx]) counts the output rows (columns) for which kernel row ky (column
	// kx) falls inside the unpadded input.
	validY, validX []int
}

func windowGeometry(n *model.Node, in, out []int, kh, kw int) window {
	s, pads, d := n.ConvGeometry()
	if n.Op != model.OpConv {
		d = []int{1, 1}
	}
	g := window{
		c: in[0], h: in[1], w: in[2], m: out[0], oh: out[1], ow: out[2], kh: kh, kw: kw,
		sh: s[0], sw: s[1], dh: d[0], dw: d[1], pt: pads[0], pl: pads[1], groups: n.Groups(),
	}
	g.validY = make([]int, kh)
	for ky := range g.validY {
		g.validY[ky] = validCount(ky*g.dh-g.pt, g.sh, g.h, g.oh)
	}
	g.validX = make([]int, kw)
	for kx := range g.validX {
		g.validX[kx] = validCount(kx*g.dw-g.pl, g.sw, g.w, g.ow)
	}
	return g
}

// taps is the number of (output position, kernel position) pairs inside the input, per
// channel pair.
func (g window) taps() int {
	sy, sx := 0, 0
	for _, v := range g.validY {
		sy += v
	}
	for _, v := range g.validX {
		sx += v
	}
	return sy * sx
}

// validCount counts o in [0, on) with 0 <= o*s + off < n.
func validCount(off, s, n, on int) int {
	c := 0
	for o := 0; o < on; o++ {
		if i := o*s + off; i >= 0 && i < n {
			c++
		}
	}
	return c
}

// producersAndReaders maps every value the layers produce to its producer, and every value
// they read to how many inputs read it; the fusion rules ask both.
func producersAndReaders(layers []*layerState) (map[string]*layerState, map[string]int) {
	producer := map[string]*layerState{}
	readers := map[string]int{}
	for _, ls := range layers {
		for _, in := range ls.node.Inputs {
			readers[in]++
		}
		producer[ls.node.Outputs[0]] = ls
	}
	return producer, readers
}

// decideFusion marks Relu nodes that their producer can apply: the producer is a Conv, Dense,
// pooling or Add node, and the Relu is the only reader of the producer's output, which is not
// the graph output.
func decideFusion(layers []*layerState, graphOutput string) {
	producer, readers := producersAndReaders(layers)
	for _, ls := range layers {
		if ls.node.Op != model.OpRelu || ls.q8 != nil {
			continue
		}
		x := ls.node.Inputs[0]
		p := producer[x]
		if p == nil || readers[x] != 1 || x == graphOutput || p.fuseRelu || p.q8 != nil {
			continue
		}
		switch p.node.Op {
		case model.OpConv, model.OpDense, model.OpMaxPool, model.OpAvgPool, model.OpAdd:
			p.fuseRelu = true
			p.plan.FusedRelu = true
			ls.fusedAway = true
			ls.plan.FusedInto = p.node.Name
		}
	}
}

// kernelName returns the C kernel variant a layer calls, or "" when it emits no code.
func kernelName(ls *layerState) string {
	if ls.custom != nil {
		return customKernelName(ls)
	}
	if ls.q8 != nil {
		return q8KernelName(ls)
	}
	switch {
	case ls.fusedAway || ls.alias || ls.intoPool != nil:
		return ""
	case ls.fusedConv != nil:
		return kernelName(ls.fusedConv.withoutPool())
	case ls.copy:
		return "copy"
	}
	switch ls.node.Op {
	case model.OpConv:
		if ls.csr != nil {
			return "conv2d_" + ls.csr.kernelSuffix()
		}
		if isDepthwise(ls.node, ls.inShape[0]) {
			return "dwconv2d"
		}
		return "conv2d"
	case model.OpDense:
		if ls.csr != nil {
			return "dense_" + ls.csr.kernelSuffix()
		}
		return "dense"
	case model.OpMaxPool:
		return "maxpool"
	case model.OpAvgPool:
		return "avgpool"
	case model.OpAdd:
		return "add"
	case model.OpRelu:
		if ls.inPlace {
			return "relu_inplace"
		}
		return "relu"
	case model.OpSoftmax:
		return "softmax"
	case model.OpMean:
		return "mean"
	case model.OpSub, model.OpMul:
		return binaryOps[ls.node.Op]
	case model.OpClip, model.OpLeakyRelu, model.OpSigmoid, model.OpTanh, model.OpHardSwish, model.OpHardSigmoid:
		return activationOps[ls.node.Op]
	case model.OpLSTM:
		return "lstm"
	case model.OpGRU:
		return "gru"
	case model.OpRNN:
		return "rnn"
	}
	return ""
}
