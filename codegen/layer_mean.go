package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// KindReduce is the kernel class of Mean (GlobalAveragePool, ReduceMean).
const KindReduce = "reduce"

// cMean is the Mean kernel: the reduced axes are a trailing run of the input axes, so every
// output is the mean of one contiguous run of count inputs, summed in order.
const cMean = `/* y[o] = mean of x[o * count .. (o + 1) * count). */
static void k_mean(const float *restrict x, float *restrict y, int32_t n, int32_t count)
{
    for (int32_t o = 0; o < n; ++o) {
        const float *restrict xo = x + (size_t)o * (size_t)count;
        float sum = 0.0f;
        for (int32_t i = 0; i < count; ++i) {
            sum += xo[i];
        }
        y[o] = sum / (float)count;
    }
}
`

func init() { cKernels["mean"] = cMean }

// meanRun returns how many outputs a Mean node has and how many contiguous inputs each one
// averages, or an error when the reduced axes are not a trailing run of the input axes.
func meanRun(n *model.Node, in []int) (outs, count int, err error) {
	red := make([]bool, len(in))
	if len(n.Attrs.Axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	for _, ax := range n.Attrs.Axes {
		if ax < 0 || ax >= len(in) {
			return 0, 0, fmt.Errorf("codegen: node %q (Mean): axis %d outside the input rank %d", n.Name, ax, len(in))
		}
		red[ax] = true
	}
	outs, count = 1, 1
	seenReduced := false
	for i, d := range in {
		switch {
		case red[i]:
			seenReduced = true
			count *= d
		case seenReduced:
			return 0, 0, fmt.Errorf("codegen: node %q (Mean): axes %v of input %v are not a trailing run; only trailing axes have a C kernel", n.Name, n.Attrs.Axes, in)
		default:
			outs *= d
		}
	}
	return outs, count, nil
}
