package model

import "math"

// Int8 pooling, Mean and Softmax with the arithmetic of TFLite's reference integer kernels:
// integer_ops/pooling.h (average: int32 sum over the in-bounds window, divided with rounding
// half away from zero; max: the largest value), integer_ops/mean.h (sum of q − zp_x rescaled
// by s_x/s_y, divided by the count with rounding, plus zp_y) and reference/softmax.h (int8
// softmax in gemmlowp fixed point, as TFLite Micro runs it).

func init() {
	RegisterInt8(OpMaxPool, q8RunPool)
	RegisterInt8(OpAvgPool, q8RunPool)
	RegisterInt8(OpMean, q8RunMean)
	RegisterInt8(OpSoftmax, q8RunSoftmax)
}

// q8RunPool computes int8 max or average pooling. TFLite requires the input and output
// quantizations to be equal; so does this kernel.
func q8RunPool(n *Node, a RunArgs) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	if in != out {
		return errNode(n, "int8 pooling needs equal input and output quantization, got %+v and %+v", in, out)
	}
	c, h, w, ok := conv1DPlane(a.InShape[0])
	_, oh, ow, ok2 := conv1DPlane(a.Out)
	if !ok || !ok2 || len(n.Attrs.Kernel) != 2 {
		return errNode(n, "input %v, output %v or kernel %v is not a 2D or 1D pooling", a.InShape[0], a.Out, n.Attrs.Kernel)
	}
	kh, kw := n.Attrs.Kernel[0], n.Attrs.Kernel[1]
	strides, pads, _ := n.ConvGeometry()
	isMax := n.Op == OpMaxPool
	planes := a.Batch * c
	x, y := a.Ins[0].Data, a.Y.Data
	parallelFor(planes, 1, planes*oh*ow*kh*kw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src, dst := x[pl*h*w:(pl+1)*h*w], y[pl*oh*ow:(pl+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0 := oy*strides[0] - pads[0]
				ya, yb := max(y0, 0), min(y0+kh, h)
				for ox := 0; ox < ow; ox++ {
					x0 := ox*strides[1] - pads[1]
					xa, xb := max(x0, 0), min(x0+kw, w)
					count := int32(max(yb-ya, 0) * max(xb-xa, 0))
					if count == 0 {
						dst[oy*ow+ox] = float32(out.zp)
						continue
					}
					var acc int32
					if isMax {
						acc = q8Min
					}
					for iy := ya; iy < yb; iy++ {
						for _, v := range src[iy*w+xa : iy*w+xb] {
							if isMax {
								acc = max(acc, int32(v))
							} else {
								acc += int32(v)
							}
						}
					}
					if !isMax {
						acc = q8RoundedDiv(acc, count)
					}
					dst[oy*ow+ox] = float32(q8Clamp(acc, q8Min, q8Max))
				}
			}
		}
	})
	return nil
}

// q8RoundedDiv divides with rounding half away from zero, as TFLite's integer pooling and mean:
// (acc ± count/2) / count with C's truncating division.
func q8RoundedDiv(acc, count int32) int32 {
	if acc > 0 {
		return (acc + count/2) / count
	}
	return (acc - count/2) / count
}

// q8RunMean computes the int8 mean over Attrs.Axes with reference_integer_ops::Mean's formula.
func q8RunMean(n *Node, a RunArgs) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	shape := a.InShape[0]
	red, err := meanAxes(n, shape)
	if err != nil {
		return err
	}
	ost := make([]int, len(shape)) // output stride of each input axis, 0 when reduced
	count, s := 1, 1
	for i := len(shape) - 1; i >= 0; i-- {
		if red[i] {
			count *= shape[i]
			continue
		}
		ost[i] = s
		s *= shape[i]
	}
	if count == 0 {
		return errNode(n, "mean over an empty axis")
	}
	mult, shift := QuantizeMultiplier(float64(in.scale) / float64(out.scale))
	nIn, _ := NumElements(shape)
	per := len(a.Y.Data) / a.Batch
	acc := make([]int32, per)
	idx := make([]int, len(shape))
	for smp := 0; smp < a.Batch; smp++ {
		clear(acc)
		clear(idx)
		src := a.Ins[0].Data[smp*nIn : (smp+1)*nIn]
		o := 0
		for _, v := range src {
			acc[o] += int32(v) - in.zp
			for ax := len(shape) - 1; ax >= 0; ax-- { // odometer over the input axes
				idx[ax]++
				o += ost[ax]
				if idx[ax] < shape[ax] {
					break
				}
				o -= ost[ax] * shape[ax]
				idx[ax] = 0
			}
		}
		dst := a.Y.Data[smp*per : (smp+1)*per]
		for i, v := range acc {
			r := q8RoundedDiv(MultiplyByQuantizedMultiplier(v, mult, shift), int32(count))
			dst[i] = float32(q8Clamp(r+out.zp, q8Min, q8Max))
		}
	}
	return nil
}

// Fixed-point formats of TFLite's int8 softmax.
const (
	q8SoftmaxDiffBits  = 5  // kScaledDiffIntegerBits
	q8SoftmaxAccumBits = 12 // kAccumulationIntegerBits
)

// q8RunSoftmax computes int8 softmax over the last axis as TFLite's reference_ops::Softmax
// (beta 1) when the output has TFLite's fixed quantization (1/256, −128); otherwise it falls
// back to dequantize → float softmax → quantize, which is not TFLite arithmetic.
func q8RunSoftmax(n *Node, a RunArgs) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	shape := a.InShape[0]
	depth := shape[len(shape)-1]
	if depth == 0 {
		return nil
	}
	x, y := a.Ins[0].Data[:len(a.Y.Data)], a.Y.Data
	rows := len(y) / depth
	if !q8FixedOutput(out, 1.0/256, -128) {
		for r := 0; r < rows; r++ {
			q8SoftmaxFloat(x[r*depth:(r+1)*depth], y[r*depth:(r+1)*depth], in, out)
		}
		return nil
	}
	// PreprocessSoftmaxScaling with beta 1 and CalculateInputRadius.
	real := min(float64(in.scale)*float64(int64(1)<<(31-q8SoftmaxDiffBits)), float64(math.MaxInt32))
	mult, leftShift := QuantizeMultiplier(real)
	diffMin := -q8CalculateInputRadius(q8SoftmaxDiffBits, leftShift)
	scaledExp := func(diff int32) int32 {
		rescaled := q8SaturatingRoundingDoublingHighMul(diff*(1<<leftShift), mult)
		return q8ExpOnNegativeValues(rescaled, q8SoftmaxDiffBits)
	}
	for r := 0; r < rows; r++ {
		src, dst := x[r*depth:(r+1)*depth], y[r*depth:(r+1)*depth]
		maxIn := int32(q8Min)
		for _, v := range src {
			maxIn = max(maxIn, int32(v))
		}
		var sum int32
		for _, v := range src {
			if diff := int32(v) - maxIn; diff >= diffMin {
				sum += q8Rescale(scaledExp(diff), 0, q8SoftmaxAccumBits)
			}
		}
		recip, bitsOverUnit := q8GetReciprocal(sum, q8SoftmaxAccumBits)
		for i, v := range src {
			diff := int32(v) - maxIn
			if diff < diffMin {
				dst[i] = q8Min
				continue
			}
			unsat := q8RoundingDivideByPOT(q8SaturatingRoundingDoublingHighMul(recip, scaledExp(diff)), bitsOverUnit+31-8)
			dst[i] = float32(q8Clamp(unsat-128, q8Min, q8Max))
		}
	}
	return nil
}

// q8SoftmaxFloat is the float fallback of q8RunSoftmax for one row.
func q8SoftmaxFloat(src, dst []float32, in, out q8Affine) {
	m := math.Inf(-1)
	for _, v := range src {
		m = max(m, float64(v))
	}
	var sum float64
	for _, v := range src {
		sum += math.Exp(float64(in.scale) * (float64(v) - m))
	}
	for i, v := range src {
		p := math.Exp(float64(in.scale)*(float64(v)-m)) / sum
		dst[i] = float32(q8QuantizeValue(float32(p), out.scale, out.zp, false))
	}
}
