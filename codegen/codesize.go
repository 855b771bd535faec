package codegen

import "strings"

// Code size model. These are assumptions, not measurements: rough TriCore (TC1.6.2P, -O2)
// machine-code sizes of each kernel variant as generated here, in bytes. The linker map of a
// real TriCore build is the ground truth; the estimate exists so that design points can be
// compared and ROM budgets checked before a cross-compiler is involved.
var kernelCodeBytes = map[string]int{
	"valid_range":  60,   // shared by the conv kernels
	"conv2d":       1300, // three register-blocked variants (8, 4, 1 channels) and the dispatcher
	"conv2d_csr":   660,
	"dwconv2d":     1100, // depthwise: three blocked variants and the dispatcher
	"dense":        420,  // three register-blocked variants (8, 4, 1 rows) and the dispatcher
	"dense_csr":    170,
	"conv2d_rcsr":  680,
	"dense_rcsr":   190,
	"maxpool":      300,
	"avgpool":      340,
	"add":          70,
	"relu":         60,
	"relu_inplace": 50,
	"softmax":      900, // including expf from the C library
	"copy":         40,
	"mean":         60,
	"lstm":         620, // plus expf and tanhf from the C library
	// int8 kernels (int8_kernels*.go), TriCore -O2 guesses, helpers included once per kernel
	// that inlines them.
	"q8_in": 60, "q8_out": 40, "q8_quantize": 120, "q8_dequantize": 60, "q8_copy": 40,
	"q8_clamp": 140, "q8_addsub": 260, "q8_mul": 180, "q8_mean": 200, "q8_maxpool": 260,
	"q8_avgpool": 300, "q8_softmax": 1100, "q8_logistic": 900, "q8_tanh": 900,
	"q8_dense": 420, "q8_dense_csr": 220, "q8_dense_rcsr": 240, "q8_conv": 600, "q8_conv_csr": 520, "q8_conv_rcsr": 540,
}

const (
	// runOverheadBytes covers the inference function's prologue, NULL checks and epilogue,
	// and the arena fill hook.
	runOverheadBytes = 64
	// callSiteBytes is one kernel call: argument set-up and the call instruction.
	callSiteBytes = 28
)

// Geometry table sizes in the generated C (int32_t fields).
const (
	convGeomBytes  = 16 * 4
	poolGeomBytes  = 14 * 4
	denseGeomBytes = 3 * 4
)

// codeBytes estimates code plus constant geometry tables for a plan: each kernel variant once,
// each call site, each geometry table.
func codeBytes(p *Plan) int {
	total := runOverheadBytes
	for _, k := range p.Kernels {
		if strings.Contains(k, "conv2d") {
			total += kernelCodeBytes["valid_range"]
			break
		}
	}
	for _, k := range p.Kernels {
		base := k
		if i := strings.Index(k, "_csr"); i >= 0 {
			base = k[:i+len("_csr")]
		} else if i := strings.Index(k, "_rcsr"); i >= 0 {
			base = k[:i+len("_rcsr")]
		}
		total += kernelCodeBytes[base]
	}
	for _, l := range p.Layers {
		if l.Kernel == "" {
			continue
		}
		total += callSiteBytes
		switch l.Kind {
		case KindConv:
			total += convGeomBytes
		case KindPool:
			total += poolGeomBytes
		case KindDense:
			total += denseGeomBytes
		}
	}
	return total
}
