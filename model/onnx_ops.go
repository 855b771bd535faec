package model

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// This file holds one converter per supported ONNX operator. Each receives the ONNX node and its
// unique name, and either emits IR nodes, folds the node into an earlier one, or records an alias
// or constant. Errors need not name the node: the caller adds it.

func (imp *onnxImporter) conv(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) < 2 {
		return errors.New("needs inputs X and W")
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	w, err := imp.floatConst(n, 1, "weight W", false)
	if err != nil {
		return err
	}
	b, err := imp.floatConst(n, 2, "bias B", true)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	sp := len(w.Dims) - 2 // spatial axes: 1 or 2
	if sp != 1 && sp != 2 {
		return fmt.Errorf("only 1D and 2D convolution are supported; weight %q has shape %v", n.GetInput()[1], w.Dims)
	}
	if len(xs) != sp+1 {
		return fmt.Errorf("input %q has per-sample shape %v, want %d axes to match weight %v", n.GetInput()[0], xs, sp+1, w.Dims)
	}
	a := attrsOf(n)
	kernel, err := a.ints("kernel_shape", sp, nil, 1, MaxElements)
	if err != nil {
		return err
	}
	if kernel != nil && !slices.Equal(kernel, w.Dims[2:]) {
		return fmt.Errorf("kernel_shape %v disagrees with weight shape %v", kernel, w.Dims)
	}
	strides, err := a.ints("strides", sp, conv1DOnes(sp), 1, MaxElements)
	if err != nil {
		return err
	}
	dil, err := a.ints("dilations", sp, conv1DOnes(sp), 1, MaxElements)
	if err != nil {
		return err
	}
	group, err := a.int("group", 1)
	if err != nil {
		return err
	}
	if group < 1 || group > int64(xs[0]) {
		return fmt.Errorf("group %d is outside [1, %d channels]", group, xs[0])
	}
	pads, err := resolvePads(a, xs[1:], w.Dims[2:], strides, dil)
	if err != nil {
		return err
	}
	if sp == 1 {
		strides, pads, dil = window1DAs2D(strides, pads, dil)
	}
	node := &Node{
		Name: name, Op: OpConv, Inputs: []string{x}, Outputs: []string{out}, Weight: w.tensor(),
		Attrs: Attrs{Strides: strides, Pads: pads, Dilations: dil, Group: int(group)},
	}
	if b != nil {
		if len(b.F) != w.Dims[0] {
			return fmt.Errorf("bias %q has shape %v, want [%d]", n.GetInput()[2], b.Dims, w.Dims[0])
		}
		node.Bias = &Tensor{Shape: []int{w.Dims[0]}, Data: append([]float32(nil), b.F...)}
	}
	return imp.emit(node)
}

// resolvePads returns the padding of a 1D or 2D window operator from its auto_pad and pads
// attributes: begins then ends, [top, left, bottom, right] in 2D.
func resolvePads(a onnxAttrs, in, kernel, strides, dil []int) ([]int, error) {
	autoPad, err := a.string("auto_pad", "NOTSET")
	if err != nil {
		return nil, err
	}
	sp := len(in)
	switch autoPad {
	case "NOTSET", "":
		return a.ints("pads", 2*sp, make([]int, 2*sp), 0, MaxElements)
	case "VALID":
		return make([]int, 2*sp), nil
	case "SAME_UPPER", "SAME_LOWER":
		pads := make([]int, 2*sp)
		for i := 0; i < sp; i++ {
			out := (in[i] + strides[i] - 1) / strides[i]
			ek := (kernel[i]-1)*dil[i] + 1
			total := max(0, (out-1)*strides[i]+ek-in[i])
			small, big := total/2, total-total/2
			if autoPad == "SAME_UPPER" {
				pads[i], pads[i+sp] = small, big
			} else {
				pads[i], pads[i+sp] = big, small
			}
		}
		return pads, nil
	default:
		return nil, fmt.Errorf("auto_pad %q is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", autoPad)
	}
}

func (imp *onnxImporter) gemm(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) < 2 {
		return errors.New("needs inputs A and B")
	}
	a := attrsOf(n)
	alpha, err := a.float("alpha", 1)
	if err != nil {
		return err
	}
	beta, err := a.float("beta", 1)
	if err != nil {
		return err
	}
	transA, err := a.int("transA", 0)
	if err != nil {
		return err
	}
	transB, err := a.int("transB", 0)
	if err != nil {
		return err
	}
	if transA != 0 {
		return errors.New("transA=1 puts the batch in the second dimension of A, which is not supported")
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	bm, err := imp.floatConst(n, 1, "B", false)
	if err != nil {
		return err
	}
	c, err := imp.floatConst(n, 2, "C", true)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if len(xs) != 1 {
		return fmt.Errorf("input %q has per-sample shape %v; Gemm needs a [batch, K] matrix", n.GetInput()[0], xs)
	}
	if len(bm.Dims) != 2 {
		return fmt.Errorf("B %q has shape %v, want a matrix", n.GetInput()[1], bm.Dims)
	}
	kk, nn := bm.Dims[0], bm.Dims[1]
	if transB != 0 {
		kk, nn = nn, kk
	}
	if kk != xs[0] {
		return fmt.Errorf("A has %d columns but B (transB=%d) has shape %v", xs[0], transB, bm.Dims)
	}
	w := denseWeight(bm.F, kk, nn, transB != 0, alpha)
	node := &Node{Name: name, Op: OpDense, Inputs: []string{x}, Outputs: []string{out}, Weight: w}
	if c != nil {
		vec, err := channelVector(c, []int{nn})
		if err != nil {
			return fmt.Errorf("C %q: %w", n.GetInput()[2], err)
		}
		if beta != 1 {
			for i := range vec {
				vec[i] *= beta
			}
		}
		node.Bias = &Tensor{Shape: []int{nn}, Data: vec}
	}
	return imp.emit(node)
}

func (imp *onnxImporter) matMul(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) != 2 {
		return errors.New("needs two inputs")
	}
	if imp.isConst(n.GetInput()[0]) {
		return errors.New("a constant left operand is not supported (only activation × constant)")
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	bm, err := imp.floatConst(n, 1, "right operand", false)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if len(xs) != 1 {
		return fmt.Errorf("input %q has per-sample shape %v; only [batch, K] × [K, N] is supported", n.GetInput()[0], xs)
	}
	if len(bm.Dims) != 2 || bm.Dims[0] != xs[0] {
		return fmt.Errorf("right operand %q has shape %v, want [%d, N]", n.GetInput()[1], bm.Dims, xs[0])
	}
	kk, nn := bm.Dims[0], bm.Dims[1]
	w := denseWeight(bm.F, kk, nn, false, 1)
	return imp.emit(&Node{Name: name, Op: OpDense, Inputs: []string{x}, Outputs: []string{out}, Weight: w})
}

// denseWeight returns the [N, K] weight of a Dense layer from the right operand b of a matrix
// product, stored [K, N], or [N, K] when transposed, each value multiplied by alpha.
func denseWeight(b []float32, kk, nn int, transposed bool, alpha float32) *Tensor {
	w := NewTensor(nn, kk)
	for i := 0; i < nn; i++ {
		for k := 0; k < kk; k++ {
			v := b[i*kk+k]
			if !transposed {
				v = b[k*nn+i]
			}
			if alpha != 1 {
				v *= alpha
			}
			w.Data[i*kk+k] = v
		}
	}
	return w
}

func (imp *onnxImporter) batchNorm(n *onnxpb.NodeProto, _ string) error {
	eps, err := batchNormEpsilon(n)
	if err != nil {
		return err
	}
	var params [4]*onnxConst
	for i, what := range []string{"scale", "B", "mean", "var"} {
		if params[i], err = imp.floatConst(n, i+1, what, false); err != nil {
			return err
		}
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	in := n.GetInput()[0]
	ir, _, err := imp.activation(in)
	if err != nil {
		return err
	}
	p := imp.foldTarget(in)
	if p == nil {
		return fmt.Errorf("input %q is not the output of a Conv or Gemm/MatMul (used by nothing else) that it can be folded into", in)
	}
	m := p.Weight.Shape[0]
	for i, what := range []string{"scale", "B", "mean", "var"} {
		if len(params[i].F) != m {
			return fmt.Errorf("%s has shape %v, want [%d] to match node %q", what, params[i].Dims, m, p.Name)
		}
	}
	if p.Bias == nil {
		p.Bias = NewTensor(m)
	}
	per := p.Weight.Len() / m
	for c := 0; c < m; c++ {
		inv := batchNormInvStd(params, c, eps)
		row := p.Weight.Data[c*per : (c+1)*per]
		for i := range row {
			row[i] = float32(float64(row[i]) * inv)
		}
		p.Bias.Data[c] = float32((float64(p.Bias.Data[c])-float64(params[2].F[c]))*inv + float64(params[1].F[c]))
	}
	imp.alias[out] = ir
	return nil
}

// batchNormEpsilon checks that a BatchNormalization node has its five inputs and inference-only
// attributes, and returns its epsilon.
func batchNormEpsilon(n *onnxpb.NodeProto) (float32, error) {
	if len(n.GetInput()) != 5 {
		return 0, fmt.Errorf("has %d inputs, want 5 (X, scale, B, mean, var)", len(n.GetInput()))
	}
	a := attrsOf(n)
	eps, err := a.float("epsilon", 1e-5)
	if err != nil {
		return 0, err
	}
	if tm, err := a.int("training_mode", 0); err != nil || tm != 0 {
		return 0, errors.New("training_mode=1 is not supported (inference only)")
	}
	if sp, err := a.int("spatial", 1); err != nil || sp != 1 {
		return 0, errors.New("spatial=0 is not supported")
	}
	return eps, nil
}

// batchNormInvStd returns scale/sqrt(var+eps) of channel c, from the BatchNormalization
// parameters in input order (scale, B, mean, var).
func batchNormInvStd(params [4]*onnxConst, c int, eps float32) float64 {
	return float64(params[0].F[c]) / math.Sqrt(float64(params[3].F[c])+float64(eps))
}

func (imp *onnxImporter) relu(n *onnxpb.NodeProto, name string) error {
	return imp.unary(n, name, OpRelu)
}

// firstActivation checks that n has an input and returns the IR name and per-sample shape of
// input 0, an activation.
func (imp *onnxImporter) firstActivation(n *onnxpb.NodeProto) (string, []int, error) {
	if len(n.GetInput()) < 1 {
		return "", nil, errors.New("has no input")
	}
	return imp.activation(n.GetInput()[0])
}

// soleActivation checks that n has exactly one input and returns the IR name and per-sample
// shape of that input, an activation.
func (imp *onnxImporter) soleActivation(n *onnxpb.NodeProto) (string, []int, error) {
	if len(n.GetInput()) != 1 {
		return "", nil, fmt.Errorf("has %d inputs, want 1", len(n.GetInput()))
	}
	return imp.activation(n.GetInput()[0])
}

// unary emits a one-input IR node with no attributes.
func (imp *onnxImporter) unary(n *onnxpb.NodeProto, name string, op Op) error {
	if len(n.GetInput()) != 1 {
		return fmt.Errorf("has %d inputs, want 1", len(n.GetInput()))
	}
	return imp.moreUnaryAttrs(n, name, op, Attrs{})
}

func (imp *onnxImporter) pool(n *onnxpb.NodeProto, name string) error {
	x, xs, err := imp.soleActivation(n)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if len(xs) != 2 && len(xs) != 3 {
		return fmt.Errorf("only 1D and 2D pooling are supported; input %q has per-sample shape %v", n.GetInput()[0], xs)
	}
	sp := len(xs) - 1
	a := attrsOf(n)
	kernel, err := a.ints("kernel_shape", sp, nil, 1, MaxElements)
	if err != nil {
		return err
	}
	if kernel == nil {
		return errors.New("kernel_shape is missing")
	}
	strides, err := a.ints("strides", sp, conv1DOnes(sp), 1, MaxElements)
	if err != nil {
		return err
	}
	dil, err := a.ints("dilations", sp, conv1DOnes(sp), 1, MaxElements)
	if err != nil {
		return err
	}
	for _, d := range dil {
		if d != 1 {
			return fmt.Errorf("pooling dilations %v are not supported", dil)
		}
	}
	pads, err := resolvePads(a, xs[1:], kernel, strides, dil)
	if err != nil {
		return err
	}
	if sp == 1 {
		kernel = []int{1, kernel[0]}
		strides, pads, _ = window1DAs2D(strides, pads, dil)
		xs = []int{xs[0], 1, xs[1]}
	}
	if ceil, err := a.int("ceil_mode", 0); err != nil {
		return err
	} else if ceil != 0 {
		for i := 0; i < 2; i++ {
			span := xs[1+i] + pads[i] + pads[i+2] - kernel[i]
			if span >= 0 && span%strides[i] != 0 {
				return fmt.Errorf("ceil_mode=1 changes the output size on axis %d (input %d, kernel %d, stride %d, pads %v); not supported", i+2, xs[1+i], kernel[i], strides[i], pads)
			}
		}
	}
	op := OpMaxPool
	if n.GetOpType() == "AveragePool" {
		op = OpAvgPool
		cip, err := a.int("count_include_pad", 0)
		if err != nil {
			return err
		}
		if cip != 0 && (pads[0] != 0 || pads[1] != 0 || pads[2] != 0 || pads[3] != 0) {
			return errors.New("count_include_pad=1 with non-zero padding is not supported")
		}
	}
	return imp.emit(&Node{
		Name: name, Op: op, Inputs: []string{x}, Outputs: []string{out},
		Attrs: Attrs{Kernel: kernel, Strides: strides, Pads: pads},
	})
}

func (imp *onnxImporter) globalPool(n *onnxpb.NodeProto, name string) error {
	x, xs, err := imp.soleActivation(n)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if len(xs) < 2 {
		return fmt.Errorf("input %q has per-sample shape %v, want [C, spatial...]", n.GetInput()[0], xs)
	}
	if n.GetOpType() == "GlobalAveragePool" {
		// the mean over every spatial axis, kept as size 1
		axes, kept := make([]int, len(xs)-1), make([]int, len(xs))
		kept[0] = xs[0]
		for i := range axes {
			axes[i], kept[i+1] = i+1, 1
		}
		return imp.emit(&Node{Name: name, Op: OpMean, Inputs: []string{x}, Outputs: []string{out}, Attrs: Attrs{Axes: axes, Shape: kept}})
	}
	if len(xs) > 3 {
		return fmt.Errorf("only 1D and 2D pooling are supported; input %q has per-sample shape %v", n.GetInput()[0], xs)
	}
	kernel := []int{1, xs[1]}
	if len(xs) == 3 {
		kernel = []int{xs[1], xs[2]}
	}
	return imp.emit(&Node{
		Name: name, Op: OpMaxPool, Inputs: []string{x}, Outputs: []string{out},
		Attrs: Attrs{Kernel: kernel, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}},
	})
}

func (imp *onnxImporter) flatten(n *onnxpb.NodeProto, name string) error {
	_, xs, err := imp.soleActivation(n)
	if err != nil {
		return err
	}
	axis, err := attrsOf(n).int("axis", 1)
	if err != nil {
		return err
	}
	if rank := int64(len(xs) + 1); axis < 0 {
		axis += rank
	}
	if axis != 1 {
		return fmt.Errorf("axis %d would mix the batch dimension with the features; only axis 1 is supported", axis)
	}
	k, _ := NumElements(xs)
	return imp.reshapeTo(n, name, []int{k})
}

// reshapeTo emits an OpReshape to the per-sample shape, or an alias when it changes nothing.
func (imp *onnxImporter) reshapeTo(n *onnxpb.NodeProto, name string, shape []int) error {
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if slices.Equal(xs, shape) {
		imp.alias[out] = x
		return nil
	}
	return imp.emit(&Node{Name: name, Op: OpReshape, Inputs: []string{x}, Outputs: []string{out}, Attrs: Attrs{Shape: shape}})
}

func (imp *onnxImporter) reshape(n *onnxpb.NodeProto, name string) error {
	_, xs, err := imp.firstActivation(n)
	if err != nil {
		return err
	}
	a := attrsOf(n)
	var target []int64
	if len(n.GetInput()) >= 2 {
		c, err := imp.constInput(n, 1, "shape", false)
		if err != nil {
			return err
		}
		if c.isFloat() || len(c.Dims) != 1 {
			return fmt.Errorf("shape %q must be a 1-D integer tensor, got dims %v", n.GetInput()[1], c.Dims)
		}
		target = c.I
	} else if p, ok := a["shape"]; ok && p.GetType() == onnxpb.AttributeProto_INTS {
		target = p.GetInts() // opset < 5
	} else {
		return errors.New("has no target shape")
	}
	allowZero, err := a.int("allowzero", 0)
	if err != nil {
		return err
	}
	shape, err := perSampleReshape(xs, target, allowZero != 0, imp.declaredBatch)
	if err != nil {
		return err
	}
	return imp.reshapeTo(n, name, shape)
}

// perSampleReshape resolves an ONNX Reshape target (which includes the batch dimension, and may
// use 0 to copy a dimension and -1 to infer one) into a per-sample shape. The batch dimension
// must be kept: the target's first entry must be 0, the declared batch size, or -1 with the
// remaining dimensions holding exactly one sample.
func perSampleReshape(in []int, target []int64, allowZero bool, batch int64) ([]int, error) {
	if len(target) < 2 {
		return nil, fmt.Errorf("target shape %v has no per-sample dimensions after the batch", target)
	}
	count, _ := NumElements(in)
	first := target[0]
	keepsBatch := (first == 0 && !allowZero) || first == -1 || (batch > 0 && first == batch)
	if !keepsBatch {
		return nil, fmt.Errorf("target shape %v changes the batch dimension", target)
	}
	out := make([]int, len(target)-1)
	infer := -1
	known := 1
	for i, v := range target[1:] {
		switch {
		case v == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("target shape %v copies dimension %d, which the input %v lacks", target, i+1, in)
			}
			out[i] = in[i]
		case v == -1:
			if infer >= 0 || first == -1 {
				return nil, fmt.Errorf("target shape %v has more than one -1", target)
			}
			infer = i
			continue
		case v < 1 || v > MaxElements:
			return nil, fmt.Errorf("target shape %v has invalid dimension %d", target, v)
		default:
			out[i] = int(v)
		}
		if known > MaxElements/out[i] {
			return nil, fmt.Errorf("target shape %v is too large", target)
		}
		known *= out[i]
	}
	if infer >= 0 {
		if count%known != 0 {
			return nil, fmt.Errorf("cannot reshape %d elements per sample to %v", count, target)
		}
		out[infer] = count / known
		known = count
	}
	if known != count {
		if first == -1 {
			return nil, fmt.Errorf("target shape %v changes the batch dimension (per-sample %v has %d elements)", target, in, count)
		}
		return nil, fmt.Errorf("cannot reshape %v (%d elements per sample) to %v", in, count, target)
	}
	return out, nil
}

// softmaxDefaultAxis returns Softmax's ONNX axis when the attribute is absent: 1 before opset
// 13 (all axes after the batch), the last axis from opset 13 on.
func (imp *onnxImporter) softmaxDefaultAxis() int64 {
	if imp.opset < 13 {
		return 1
	}
	return -1
}

func (imp *onnxImporter) softmax(n *onnxpb.NodeProto, name string) error {
	_, xs, err := imp.soleActivation(n)
	if err != nil {
		return err
	}
	axis, err := attrsOf(n).int("axis", imp.softmaxDefaultAxis())
	if err != nil {
		return err
	}
	rank := int64(len(xs) + 1)
	if axis < 0 {
		axis += rank
	}
	if axis != rank-1 {
		return fmt.Errorf("axis %d of a rank-%d input: only the last axis (a non-batch one) is supported", axis, rank)
	}
	return imp.unary(n, name, OpSoftmax)
}

// channelVector reads constant c, broadcast (ONNX multidirectional rules) against an activation
// of shape [batch, shape...], as one value per channel (axis 1). Any other variation is an error.
func channelVector(c *onnxConst, shape []int) ([]float32, error) {
	full := append([]int{1}, shape...)
	if len(c.F) == 0 {
		return nil, fmt.Errorf("constant of shape %v is empty", c.Dims)
	}
	if len(c.Dims) > len(full) {
		return nil, fmt.Errorf("constant of shape %v has a higher rank than the activation [batch %v]", c.Dims, shape)
	}
	off := len(full) - len(c.Dims)
	perChannel := false
	for i, d := range c.Dims {
		switch j := off + i; {
		case d == 1:
		case j == 1 && d == shape[0]:
			perChannel = true
		default:
			return nil, fmt.Errorf("constant of shape %v does not broadcast as one value per channel over [batch %v]", c.Dims, shape)
		}
	}
	vec := make([]float32, shape[0])
	for i := range vec {
		if perChannel {
			vec[i] = c.F[i]
		} else {
			vec[i] = c.F[0]
		}
	}
	return vec, nil
}

func (imp *onnxImporter) identity(n *onnxpb.NodeProto, _ string) error {
	if len(n.GetInput()) < 1 || n.GetInput()[0] == "" {
		return errors.New("has no input")
	}
	if n.GetOpType() == "Dropout" && len(n.GetInput()) >= 3 && n.GetInput()[2] != "" {
		tm, err := imp.constInput(n, 2, "training_mode", false)
		if err != nil {
			return err
		}
		for i := range max(len(tm.I), len(tm.F)) {
			if (tm.isFloat() && tm.F[i] != 0) || (!tm.isFloat() && tm.I[i] != 0) {
				return errors.New("training_mode is true; only inference is supported")
			}
		}
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	in := n.GetInput()[0]
	if imp.isConst(in) {
		c, err := imp.constInput(n, 0, "input", false)
		if err != nil {
			return err
		}
		imp.consts[out] = c
		return nil
	}
	x, _, err := imp.activation(in)
	if err != nil {
		return err
	}
	imp.alias[out] = x
	return nil
}

func (imp *onnxImporter) constant(n *onnxpb.NodeProto, _ string) error {
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	a := attrsOf(n)
	var c *onnxConst
	switch {
	case a.has("value"):
		t := a["value"].GetT()
		if t == nil {
			return errors.New("attribute value holds no tensor")
		}
		if c, err = decodeONNXTensor(t); err != nil {
			return err
		}
	case a.has("value_float"):
		f, err := a.float("value_float", 0)
		if err != nil {
			return err
		}
		c = &onnxConst{Dims: []int{}, F: []float32{f}}
	case a.has("value_floats"):
		fs := a["value_floats"].GetFloats()
		c = &onnxConst{Dims: []int{len(fs)}, F: append([]float32{}, fs...)}
	case a.has("value_int"):
		i, err := a.int("value_int", 0)
		if err != nil {
			return err
		}
		c = &onnxConst{Dims: []int{}, I: []int64{i}}
	case a.has("value_ints"):
		is := a["value_ints"].GetInts()
		c = &onnxConst{Dims: []int{len(is)}, I: append([]int64{}, is...)}
	default:
		return errors.New("only value, value_float(s) and value_int(s) constants are supported")
	}
	imp.consts[out] = c
	return nil
}

// floatConst is constInput for floating-point data.
func (imp *onnxImporter) floatConst(n *onnxpb.NodeProto, i int, what string, optional bool) (*onnxConst, error) {
	c, err := imp.constInput(n, i, what, optional)
	if err != nil || c == nil {
		return c, err
	}
	if !c.isFloat() {
		return nil, fmt.Errorf("%s %q holds integers, want floating point", what, n.GetInput()[i])
	}
	return c, nil
}
