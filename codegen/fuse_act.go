package codegen

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Float32 activation fusion beyond ReLU. A Clip (Relu6), LeakyRelu, HardSigmoid, HardSwish,
// Sigmoid or Tanh whose input is a float Conv or Dense output read by nothing else (and not the
// graph output) is applied by the producer in its output loop: the activation node emits no
// code and shares the producer's buffer, so the pre-activation tensor is never stored apart.
//
// The geometry tables keep their layout: the existing int32_t relu field becomes an activation
// selector (0 none, 1 ReLU, k >= 2 the entry act_tab[k - 2] holding the operator and its two
// parameters). act_tab, act_block (one selector applied to a register block of outputs) and
// act_apply (one value) replace the ReLU output stores of the float Conv and Dense kernels only
// when a plan fuses such an activation; a plan fusing only ReLU gets exactly the C text it got
// before. The activations use the same float operations in the same order as the standalone
// kernels (Sigmoid and Tanh with expf and tanhf, single precision), so fused and separate
// activations give identical results.
//
// A Conv with a fused activation still fuses into a following non-overlapping MaxPool when the
// activation is non-decreasing (max(f(a), f(b)) = f(max(a, b))): Clip, LeakyRelu and
// HardSigmoid with alpha >= 0, Sigmoid and Tanh. HardSwish is not monotone and is not fused
// into pooling.

// C operator codes of act_t.op (0 and 1 are the selector's "none" and "ReLU").
const (
	fuseActClip        = 2
	fuseActLeakyRelu   = 3
	fuseActHardSigmoid = 4
	fuseActHardSwish   = 5
	fuseActSigmoid     = 6
	fuseActTanh        = 7
)

// fuseActCodes maps the fusable activations to their act_t.op code.
var fuseActCodes = map[model.Op]int{
	model.OpClip:        fuseActClip,
	model.OpLeakyRelu:   fuseActLeakyRelu,
	model.OpHardSigmoid: fuseActHardSigmoid,
	model.OpHardSwish:   fuseActHardSwish,
	model.OpSigmoid:     fuseActSigmoid,
	model.OpTanh:        fuseActTanh,
}

// fuseAct is one act_tab entry: an activation operator and its parameters.
type fuseAct struct {
	op   model.Op
	code int
	a, b float32
}

// fuseActOf returns the act_tab entry of an activation node.
func fuseActOf(n *model.Node) fuseAct {
	a := fuseAct{op: n.Op, code: fuseActCodes[n.Op]}
	switch n.Op {
	case model.OpClip:
		a.a, a.b = n.Attrs.Min, n.Attrs.Max
	case model.OpLeakyRelu:
		a.a = n.Attrs.Alpha
	case model.OpHardSigmoid:
		a.a, a.b = n.Attrs.Alpha, n.Attrs.Beta
	}
	return a
}

// monotone reports whether the activation is non-decreasing, so that it commutes with max
// pooling.
func (a fuseAct) monotone() bool {
	switch a.op {
	case model.OpClip, model.OpSigmoid, model.OpTanh:
		return true
	case model.OpLeakyRelu, model.OpHardSigmoid:
		return a.a >= 0
	}
	return false
}

// fuseActDecide marks the activations that their float Conv or Dense producer applies and
// builds the plan's activation table. It runs after decideFusion (ReLU) and before
// decideConvPool.
func fuseActDecide(p *Plan, graphOutput string) {
	producer, readers := producersAndReaders(p.layers)
	index := map[fuseAct]int{}
	for _, ls := range p.layers {
		if _, ok := fuseActCodes[ls.node.Op]; !ok || ls.q8 != nil || ls.custom != nil || ls.fusedAway {
			continue
		}
		x := ls.node.Inputs[0]
		pr := producer[x]
		if pr == nil || readers[x] != 1 || x == graphOutput || pr.q8 != nil || pr.custom != nil ||
			pr.fuseRelu || pr.act != 0 {
			continue
		}
		if pr.node.Op != model.OpConv && pr.node.Op != model.OpDense {
			continue
		}
		a := fuseActOf(ls.node)
		k, ok := index[a]
		if !ok {
			p.acts = append(p.acts, a)
			k = len(p.acts) + 1
			index[a] = k
		}
		pr.act = k
		pr.plan.FusedActivation = string(ls.node.Op)
		ls.fusedAway = true
		ls.plan.FusedInto = pr.node.Name
	}
}

// actSelector is the value of a conv or dense layer's relu geometry field.
func (ls *layerState) actSelector() int {
	if ls.act != 0 {
		return ls.act
	}
	return b2i(ls.fuseRelu)
}

// fuseActSource is the C of act_t, act_tab, act_block and act_apply for a plan's
// activations, or "". act_block applies one selector to n values: the selector is decoded once
// per call and each operator has its own loop, so a register block of 8 outputs pays one
// dispatch; act_apply is the one-value form for the scalar output stores. Only the operators
// the plan uses get a case.
func fuseActSource(acts []fuseAct) string {
	if len(acts) == 0 {
		return ""
	}
	var w strings.Builder
	w.WriteString(`/* Activations fused into Conv and Dense output loops: the geometry's relu field selects
 * none (0), ReLU (1) or act_tab[relu - 2]. */
typedef struct {
    int32_t op;             /* 2 Clip, 3 LeakyRelu, 4 HardSigmoid, 5 HardSwish, 6 Sigmoid, 7 Tanh */
    float a, b;             /* Clip: min, max; LeakyRelu: alpha; HardSigmoid: alpha, beta */
} act_t;

static const act_t act_tab[] = {
`)
	used := map[int]bool{}
	for _, a := range acts {
		fmt.Fprintf(&w, "    { %d, %s, %s }, /* %s */\n", a.code, cFloatArg(a.a), cFloatArg(a.b), a.op)
		used[a.code] = true
	}
	// Compare-and-select activations are inlined into the output loops (one dispatch per
	// register block, no call); with Sigmoid or Tanh the library call dominates and inlining it
	// into every kernel only costs code and registers, so act_block stays a function.
	inline := "inline "
	if used[fuseActSigmoid] || used[fuseActTanh] {
		inline = ""
	}
	w.WriteString(`};

/* y[i * stride] = activation act of x[i] for i < n; y may be x (stride 1). */
static ` + inline + `void act_block(float *y, int32_t stride, const float *x, int32_t n, int32_t act)
{
    const act_t *t;
    if (act < 2) {
        for (int32_t i = 0; i < n; ++i) {
            y[i * stride] = (act != 0 && x[i] < 0.0f) ? 0.0f : x[i];
        }
        return;
    }
    t = &act_tab[act - 2];
    switch (t->op) {
`)
	for _, c := range fuseActCBodies {
		if !used[c.code] {
			continue
		}
		fmt.Fprintf(&w, "    case %d: {\n        const float a = t->a, b = t->b;\n        (void)a;\n        (void)b;\n", c.code)
		w.WriteString("        for (int32_t i = 0; i < n; ++i) {\n            const float v = x[i];\n")
		w.WriteString(c.body)
		w.WriteString("        }\n        return;\n    }\n")
	}
	w.WriteString(`    default:
        for (int32_t i = 0; i < n; ++i) {
            y[i * stride] = x[i];
        }
        return;
    }
}

/* The activation act of one value. */
static inline float act_apply(float x, int32_t act)
{
    float y;
    act_block(&y, 1, &x, 1, act);
    return y;
}
`)
	return w.String()
}

// fuseActCBodies are the loop bodies of act_block per operator code: v is the input, a and b
// the table parameters; each stores y[i * stride]. The float operations and their order are
// those of the interpreter (model/ops_activation.go) and of the standalone kernels.
var fuseActCBodies = []struct {
	code int
	body string
}{
	{fuseActClip, `            const float u = (v > a) ? v : a;
            y[i * stride] = (u < b) ? u : b;
`},
	{fuseActLeakyRelu, `            y[i * stride] = (v < 0.0f) ? a * v : v;
`},
	{fuseActHardSigmoid, `            float u = a * v + b;
            u = (u < 1.0f) ? u : 1.0f;
            y[i * stride] = (u > 0.0f) ? u : 0.0f;
`},
	{fuseActHardSwish, `            float u = v + 3.0f;
            u = (u > 0.0f) ? u : 0.0f;
            u = (u < 6.0f) ? u : 6.0f;
            y[i * stride] = v * u / 6.0f;
`},
	{fuseActSigmoid, `            y[i * stride] = 1.0f / (1.0f + expf(-v));
`},
	{fuseActTanh, `            y[i * stride] = tanhf(v);
`},
}

// fuseActBlockConv matches the pooled-output store loop of the blocked Conv kernels.
var fuseActBlockConv = regexp.MustCompile(`for \(int32_t j = 0; j < (\d+); \+\+j\) \{\s*y\[j \* pplane \+ py \* g->pw \+ px\] = \(g->relu != 0 && best\[j\] < 0\.0f\) \? 0\.0f : best\[j\];\s*\}`)

// fuseActBlockDense matches the output store loop of the blocked Dense kernels.
var fuseActBlockDense = regexp.MustCompile(`for \(int32_t j = 0; j < (\d+); \+\+j\) \{\s*y\[j\] = \(relu != 0 && acc\[j\] < 0\.0f\) \? 0\.0f : acc\[j\];\s*\}`)

// fuseActReluStore matches a scalar ReLU output store: "(g->relu != 0 && V < 0.0f) ? 0.0f : V".
var fuseActReluStore = regexp.MustCompile(`\(g->relu != 0 && ([A-Za-z_][A-Za-z0-9_]*) < 0\.0f\) \? 0\.0f : ([A-Za-z_][A-Za-z0-9_]*)`)

// fuseActReluPlane matches the in-place ReLU pass over an output plane of the CSR convolution.
var fuseActReluPlane = regexp.MustCompile(`for \(int32_t i = 0; i < plane; \+\+i\) \{\s*if \(ym\[i\] < 0\.0f\) \{\s*ym\[i\] = 0\.0f;\s*\}\s*\}`)

// fuseActKernel rewrites a float Conv or Dense kernel's ReLU output stores into act_block or
// act_apply calls. Other kernels are returned unchanged.
func fuseActKernel(name, src string) (string, error) {
	if strings.HasPrefix(name, "q8_") || (!strings.HasPrefix(name, "conv2d") && !strings.HasPrefix(name, "dwconv2d") &&
		!strings.HasPrefix(name, "dense")) {
		return src, nil
	}
	out := fuseActBlockConv.ReplaceAllString(src, "act_block(y + py * g->pw + px, pplane, best, $1, g->relu);")
	out = fuseActBlockDense.ReplaceAllString(out, "act_block(y, 1, acc, $1, relu);")
	out = fuseActReluPlane.ReplaceAllString(out, "act_block(ym, 1, ym, plane, g->relu);")
	bad := false
	out = fuseActReluStore.ReplaceAllStringFunc(out, func(m string) string {
		s := fuseActReluStore.FindStringSubmatch(m)
		if s[1] != s[2] {
			bad = true
			return m
		}
		return "act_apply(" + s[1] + ", g->relu)"
	})
	if bad || !strings.Contains(out, "act_") || strings.Contains(out, "0.0f) ? 0.0f :") || strings.Contains(out, "ym[i] = 0.0f") {
		return "", fmt.Errorf("codegen: internal error: kernel %q has an output store the activation fusion does not recognise", name)
	}
	return out, nil
}

// fuseActCodeBytes estimates act_apply and act_tab in bytes (an assumption like
// kernelCodeBytes): a selector prologue, each operator case, 12 bytes per table entry.
func fuseActCodeBytes(acts []fuseAct) int {
	if len(acts) == 0 {
		return 0
	}
	total := 40
	used := map[int]bool{}
	for _, a := range acts {
		total += 12
		if used[a.code] {
			continue
		}
		used[a.code] = true
		switch a.code {
		case fuseActSigmoid, fuseActTanh:
			total += 60 // plus exp or tanh from the C library
		default:
			total += 30
		}
	}
	return total
}
