package codegen

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// Float32 kernels of the unary activations (Clip, LeakyRelu, Sigmoid, Tanh, HardSwish,
// HardSigmoid) and of the same-shape binary Sub and Mul. The activations take no restrict
// pointers: each element is read before it is written, so one kernel serves both a separate
// output and an in-place update. Sigmoid and Tanh use expf and tanhf: the model code is single
// precision throughout (the interpreter's double-precision result is within the harness tolerance).

// activationOps are the unary activations with a C kernel here, mapped to the kernel name.
var activationOps = map[model.Op]string{
	model.OpClip:        "clip",
	model.OpLeakyRelu:   "leaky_relu",
	model.OpSigmoid:     "sigmoid",
	model.OpTanh:        "tanh",
	model.OpHardSwish:   "hard_swish",
	model.OpHardSigmoid: "hard_sigmoid",
}

// binaryOps are the same-shape binary operators with a C kernel here (Add is in kernels.go).
var binaryOps = map[model.Op]string{
	model.OpSub: "sub",
	model.OpMul: "mul",
}

func init() {
	cKernels["clip"] = `/* y = min(max(x, lo), hi); y may be x. */
static void k_clip(const float *x, float *y, int32_t n, float lo, float hi)
{
    for (int32_t i = 0; i < n; ++i) {
        const float v = (x[i] > lo) ? x[i] : lo;
        y[i] = (v < hi) ? v : hi;
    }
}
`
	cKernels["leaky_relu"] = `/* y = x < 0 ? alpha * x : x; y may be x. */
static void k_leaky_relu(const float *x, float *y, int32_t n, float alpha)
{
    for (int32_t i = 0; i < n; ++i) {
        y[i] = (x[i] < 0.0f) ? alpha * x[i] : x[i];
    }
}
`
	cKernels["sigmoid"] = `/* y = 1 / (1 + e^-x) in single precision; y may be x. */
static void k_sigmoid(const float *x, float *y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        y[i] = 1.0f / (1.0f + expf(-x[i]));
    }
}
`
	cKernels["tanh"] = `/* y = tanh(x) in single precision; y may be x. */
static void k_tanh(const float *x, float *y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        y[i] = tanhf(x[i]);
    }
}
`
	cKernels["hard_swish"] = `/* y = x * min(max(x + 3, 0), 6) / 6; y may be x. */
static void k_hard_swish(const float *x, float *y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        float g = x[i] + 3.0f;
        g = (g > 0.0f) ? g : 0.0f;
        g = (g < 6.0f) ? g : 6.0f;
        y[i] = x[i] * g / 6.0f;
    }
}
`
	cKernels["hard_sigmoid"] = `/* y = max(0, min(1, alpha * x + beta)); y may be x. */
static void k_hard_sigmoid(const float *x, float *y, int32_t n, float alpha, float beta)
{
    for (int32_t i = 0; i < n; ++i) {
        float v = alpha * x[i] + beta;
        v = (v < 1.0f) ? v : 1.0f;
        y[i] = (v > 0.0f) ? v : 0.0f;
    }
}
`
	cKernels["sub"] = `/* y = a - b elementwise. a and b may be the same buffer; y is distinct from both. */
static void k_sub(const float *a, const float *b, float *restrict y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        y[i] = a[i] - b[i];
    }
}
`
	cKernels["mul"] = `/* y = a * b elementwise. a and b may be the same buffer; y is distinct from both. */
static void k_mul(const float *a, const float *b, float *restrict y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        y[i] = a[i] * b[i];
    }
}
`
	for _, k := range []string{"clip", "leaky_relu", "hard_swish", "hard_sigmoid", "sub", "mul"} {
		kernelCodeBytes[k] = 70
	}
	kernelCodeBytes["sigmoid"] = 500 // plus exp from the C library
	kernelCodeBytes["tanh"] = 500    // plus tanh from the C library
}

// isActivation reports whether op is a unary activation with a kernel in this file.
func isActivation(op model.Op) bool {
	_, ok := activationOps[op]
	return ok
}

// planActivation checks the attributes of an activation or Sub/Mul node and counts its work.
func planActivation(ls *layerState) error {
	n, lp := ls.node, ls.plan
	lp.Kind = KindElementwise
	lp.Ops = lp.Outputs
	var attrs []float32
	switch n.Op {
	case model.OpClip:
		attrs = []float32{n.Attrs.Min, n.Attrs.Max}
	case model.OpLeakyRelu:
		attrs = []float32{n.Attrs.Alpha}
	case model.OpHardSigmoid:
		attrs = []float32{n.Attrs.Alpha, n.Attrs.Beta}
	}
	for _, v := range attrs {
		if math.IsNaN(float64(v)) || (n.Op != model.OpClip && math.IsInf(float64(v), 0)) {
			return fmt.Errorf("codegen: node %q (%s): attribute value %v has no C kernel", n.Name, n.Op, v)
		}
	}
	return nil
}

// cFloatArg is a float32 as a C argument; Clip bounds may be infinite.
func cFloatArg(v float32) string {
	switch {
	case math.IsInf(float64(v), 1):
		return "INFINITY"
	case math.IsInf(float64(v), -1):
		return "-INFINITY"
	}
	return cFloat(v)
}

// activationCall is the C call (without ';') of an activation or Sub/Mul layer reading x (and
// x2 for binary operators) and writing y, over elems elements.
func activationCall(n *model.Node, x, x2, y string, elems int) string {
	if k, ok := binaryOps[n.Op]; ok {
		return fmt.Sprintf("k_%s(%s, %s, %s, %d)", k, x, x2, y, elems)
	}
	call := fmt.Sprintf("k_%s(%s, %s, %d", activationOps[n.Op], x, y, elems)
	switch n.Op {
	case model.OpClip:
		call += ", " + cFloatArg(n.Attrs.Min) + ", " + cFloatArg(n.Attrs.Max)
	case model.OpLeakyRelu:
		call += ", " + cFloatArg(n.Attrs.Alpha)
	case model.OpHardSigmoid:
		call += ", " + cFloatArg(n.Attrs.Alpha) + ", " + cFloatArg(n.Attrs.Beta)
	}
	return call + ")"
}
