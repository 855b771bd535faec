package codegen

import (
	"fmt"
	"sort"

	"github.com/tcdse/tcdse/model"
)

// Kernel classes reported in LayerPlan.Kind.
const (
	KindConv        = "conv"
	KindDense       = "dense"
	KindPool        = "pool"
	KindElementwise = "elementwise"
	KindSoftmax     = "softmax"
	KindReshape     = "reshape"
)

// Buffers a value can live in (LayerPlan.OutBuffer).
const (
	BufferArena  = "arena"  // the static activation arena
	BufferInput  = "input"  // the caller's input buffer (read-only)
	BufferOutput = "output" // the caller's output buffer
)

// floatBytes is the size of one activation or weight element (float32).
const floatBytes = 4

// arenaAlign is the byte alignment of every arena offset.
const arenaAlign = 4

// maxValueElements bounds any tensor the generated C indexes with int32_t arithmetic.
const maxValueElements = 1 << 28

// Plan is everything decided about a graph before C text is written: kernel classes, weight
// formats, operation counts, sizes and the activation memory plan. Byte counts follow each
// value's type: 4 bytes per float32 element, 1 per int8 element.
type Plan struct {
	Graph  string      `json:"graph"`
	Input  IOPlan      `json:"input"`
	Output IOPlan      `json:"output"`
	Layers []LayerPlan `json:"layers"`
	// Buffers are the arena's allocations; values that alias share one.
	Buffers []BufferPlan `json:"buffers"`
	// ArenaBytes is the size of the static arena; PeakLiveBytes the largest sum of live arena
	// buffers at any node (a lower bound on ArenaBytes); ArenaStrategy the placement that won.
	ArenaBytes    int    `json:"arena_bytes"`
	PeakLiveBytes int    `json:"peak_live_bytes"`
	ArenaStrategy string `json:"arena_strategy"`
	// IOBytes is the caller's input plus output buffer.
	IOBytes int `json:"io_bytes"`
	// WeightBytes is the read-only data of all layers in their chosen formats (ROM for data);
	// DenseWeightBytes the same with every layer dense.
	WeightBytes      int `json:"weight_bytes"`
	DenseWeightBytes int `json:"dense_weight_bytes"`
	// CodeBytesEstimate estimates the machine code plus geometry tables (see codeBytes).
	CodeBytesEstimate int `json:"code_bytes_estimate"`
	// MACs and EffectiveMACs are the sums over layers.
	MACs          int `json:"macs"`
	EffectiveMACs int `json:"effective_macs"`
	Params        int `json:"params"`
	NNZ           int `json:"nnz"`
	// Kernels lists the C kernel variants the generated code contains, sorted.
	Kernels []string `json:"kernels"`

	// Unexported details the C emitter needs.
	layers  []*layerState
	storage map[string]storage // value name -> where it lives
	// q8Values are the int8 activations (one byte per element); the rest are float32.
	q8Values map[string]bool
	// acts are the activations fused into float Conv and Dense layers (fuse_act.go).
	acts []fuseAct
}

// IOPlan describes the graph input or output.
type IOPlan struct {
	Name     string `json:"name"`
	Shape    []int  `json:"shape"` // per sample
	Elements int    `json:"elements"`
	Bytes    int    `json:"bytes"`
}

// LayerPlan describes one node of the graph, in graph order.
type LayerPlan struct {
	Node   string   `json:"node"`
	Op     string   `json:"op"`
	Kind   string   `json:"kind"`
	Format string   `json:"format,omitempty"` // "dense", "csr", "rcsr8", "rcsr4" or (int8) "sparse8" for Conv and Dense
	Inputs []string `json:"inputs"`
	Output string   `json:"output"`
	// OutShape is the per-sample output shape; Outputs its element count.
	OutShape []int `json:"out_shape"`
	Outputs  int   `json:"outputs"`
	// MACs counts multiply-accumulates of the dense computation over taps inside the padded
	// input; EffectiveMACs those the chosen kernel executes (stored nonzeros only for CSR).
	MACs          int `json:"macs"`
	EffectiveMACs int `json:"effective_macs"`
	// Ops counts the other elementary operations: window elements read (pooling), elements
	// processed (elementwise, softmax, copying reshape).
	Ops int `json:"ops"`
	// Weight statistics: Params = weight + bias elements, NNZ = nonzero weights (bias
	// excluded), Rows x Cols = the weight matrix view, WeightBytes = bytes in the chosen format
	// including the bias, DenseWeightBytes and CSRWeightBytes = the two alternatives.
	Params           int `json:"params,omitempty"`
	NNZ              int `json:"nnz,omitempty"`
	Rows             int `json:"rows,omitempty"`
	Cols             int `json:"cols,omitempty"`
	WeightBytes      int `json:"weight_bytes"`
	DenseWeightBytes int `json:"dense_weight_bytes,omitempty"`
	CSRWeightBytes   int `json:"csr_weight_bytes,omitempty"`
	RCSR8WeightBytes int `json:"rcsr8_weight_bytes,omitempty"`
	RCSR4WeightBytes int `json:"rcsr4_weight_bytes,omitempty"`
	IndexBytes       int `json:"index_bytes,omitempty"`    // CSR column index width
	RelIndexBits     int `json:"rel_index_bits,omitempty"` // relative CSR gap width: 4 or 8
	RowPtrBytes      int `json:"row_ptr_bytes,omitempty"`  // sparse row pointer width
	// StoredEntries counts the sparse values stored, relative-index fillers included.
	StoredEntries int `json:"stored_entries,omitempty"`
	// Where the output lives: OutBuffer is "arena", "input" or "output"; OutOffset the byte
	// offset in it; OutBytes the output size.
	OutBuffer string `json:"out_buffer"`
	OutOffset int    `json:"out_offset"`
	OutBytes  int    `json:"out_bytes"`
	// FusedRelu: this layer applies the following Relu in its output loop. FusedInto: this
	// Relu emits no code because the named producer applies it, or this Conv (and its fused Relu)
	// emits no code because the named MaxPool computes it. InPlace: this Relu overwrites its
	// input. Alias: this Reshape emits no code and shares its input's buffer.
	FusedRelu bool   `json:"fused_relu,omitempty"`
	FusedInto string `json:"fused_into,omitempty"`
	// FusedActivation: this Conv or Dense applies the following activation (Clip, LeakyRelu,
	// HardSigmoid, HardSwish, Sigmoid or Tanh; the operator name) in its output loop.
	FusedActivation string `json:"fused_activation,omitempty"`
	// FusedConv: this MaxPool computes the named Conv (and its ReLU) on the fly; the conv
	// output is never stored.
	FusedConv string `json:"fused_conv,omitempty"`
	InPlace   bool   `json:"in_place,omitempty"`
	Alias     bool   `json:"alias,omitempty"`
	// Kernel is the C kernel variant the layer calls, empty when it emits no code.
	Kernel string `json:"kernel,omitempty"`
}

// BufferPlan is one arena allocation: the values sharing it, its placement and its live
// interval as node indices (inclusive).
type BufferPlan struct {
	Values    []string `json:"values"`
	Offset    int      `json:"offset"`
	Bytes     int      `json:"bytes"`
	FirstNode int      `json:"first_node"`
	LastNode  int      `json:"last_node"`
}

// storage is where a value lives.
type storage struct {
	buffer string // BufferArena, BufferInput or BufferOutput
	offset int    // bytes, arena only
}

// layerState carries per-node decisions from planning to emission.
type layerState struct {
	node      *model.Node
	plan      *LayerPlan
	inShape   []int
	outShape  []int
	fuseRelu  bool // apply a Relu in the output loop
	fusedAway bool // a Relu or activation applied by its producer
	act       int  // a fused non-ReLU activation: its relu-field selector (>= 2, fuse_act.go); 0 none
	inPlace   bool // a Relu overwriting its input
	alias     bool // a Reshape sharing its input's buffer
	copy      bool // a Reshape copying input to output
	csr       *csrMatrix
	intoPool  *layerState // a Conv computed by this MaxPool's fused kernel
	fusedConv *layerState // a MaxPool that computes this Conv on the fly
	q8        *q8Layer    // an int8 layer's parameters (int8_plan.go); nil for float layers
	custom    customLayer // a data movement or broadcasting layer (layer_move*.go, layer_bcast.go)
}

// PlanGraph validates g (on a shallow copy; g is not modified) and plans code generation for
// it. Only opts.Prefix, Format and LayerFormats matter here.
func PlanGraph(g *model.Graph, opts Options) (*Plan, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return planGraph(g, o)
}

func planGraph(g *model.Graph, opts Options) (*Plan, error) {
	if g == nil {
		return nil, fmt.Errorf("codegen: nil graph")
	}
	h := *g
	h.Outputs = append([]model.Value(nil), g.Outputs...)
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("codegen: graph %q: %w", g.Name, err)
	}
	if len(h.Inputs) != 1 || len(h.Outputs) != 1 {
		return nil, fmt.Errorf("codegen: graph %q has %d inputs and %d outputs; code generation supports exactly one of each", g.Name, len(h.Inputs), len(h.Outputs))
	}
	for name := range opts.LayerFormats {
		if h.Node(name) == nil {
			return nil, fmt.Errorf("codegen: Options.LayerFormats names node %q, which is not in graph %q", name, g.Name)
		}
	}
	valueNames := []string{h.Inputs[0].Name}
	for _, n := range h.Nodes {
		valueNames = append(valueNames, n.Outputs[0])
	}
	for _, name := range valueNames {
		s := h.Shapes[name]
		switch n, _ := model.NumElements(s); {
		case n == 0:
			return nil, fmt.Errorf("codegen: value %q has shape %v with no elements", name, s)
		case n > maxValueElements:
			return nil, fmt.Errorf("codegen: value %q has %d elements, more than the %d the generated code indexes", name, n, maxValueElements)
		}
	}
	wrapped := q8WrapBoundary(&h) // int8 graph input/output: synthetic conversion layers
	h.Nodes, h.Shapes, h.Quant = wrapped.Nodes, wrapped.Shapes, wrapped.Quant
	p := &Plan{Graph: g.Name, storage: map[string]storage{}, q8Values: q8ValueTypes(&h)}
	p.Input = ioPlan(h.Inputs[0].Name, h.Shapes[h.Inputs[0].Name])
	p.Output = ioPlan(h.Outputs[0].Name, h.Shapes[h.Outputs[0].Name])
	p.IOBytes = p.Input.Bytes + p.Output.Bytes

	consts := map[string]bool{}
	for _, c := range h.Consts {
		consts[c.Name] = true
	}
	for _, n := range h.Nodes {
		var ls *layerState
		var err error
		if isCustomNode(n, &h) { // data movement, broadcasting or constant operands (layer_move_operands.go)
			ls, err = planCustom(n, &h, p.q8Values)
			if err != nil {
				return nil, err
			}
			p.layers = append(p.layers, ls)
			continue
		}
		for _, in := range n.Inputs {
			if consts[in] {
				return nil, fmt.Errorf("codegen: node %q (%s): constant operand %q has no C kernel yet", n.Name, n.Op, in)
			}
		}
		if isQ8Node(n) {
			ls, err = planQ8Node(n, &h, p.q8Values, opts)
		} else {
			ls, err = planLayer(n, h.Shapes, opts)
		}
		if err != nil {
			return nil, err
		}
		p.layers = append(p.layers, ls)
	}
	decideFusion(p.layers, p.Output.Name)
	if !opts.NoActivationFusion {
		fuseActDecide(p, p.Output.Name)
	}
	q8DecideFusion(p.layers, p.Output.Name)
	if !opts.NoConvPoolFusion {
		decideConvPool(p.layers, p.Output.Name)
	}
	if err := planMemory(p, &h); err != nil {
		return nil, err
	}
	kernels := map[string]bool{}
	for _, ls := range p.layers {
		ls.plan.Kernel = kernelName(ls)
		if ls.plan.Kernel != "" {
			kernels[ls.plan.Kernel] = true
		}
		if ls.custom != nil {
			for _, k := range ls.custom.kernels() {
				kernels[k] = true
			}
		}
		p.Layers = append(p.Layers, *ls.plan)
		p.WeightBytes += ls.plan.WeightBytes
		if ls.plan.DenseWeightBytes > 0 {
			p.DenseWeightBytes += ls.plan.DenseWeightBytes
		}
		p.MACs += ls.plan.MACs
		p.EffectiveMACs += ls.plan.EffectiveMACs
		p.Params += ls.plan.Params
		p.NNZ += ls.plan.NNZ
	}
	if recurrentUsesDense(kernels) {
		kernels["dense"] = true // k_lstm, k_gru and k_rnn call k_dense
	}
	for k := range kernels {
		p.Kernels = append(p.Kernels, k)
	}
	sort.Strings(p.Kernels)
	p.CodeBytesEstimate = codeBytes(p) + fuseActCodeBytes(p.acts)
	return p, nil
}

func ioPlan(name string, shape []int) IOPlan {
	n, _ := model.NumElements(shape)
	return IOPlan{Name: name, Shape: append([]int(nil), shape...), Elements: n, Bytes: n * floatBytes}
}
