package explore

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// Calibration methods of [QuantizeOptions].
const (
	CalibrationMinMax     = "minmax"     // the smallest and largest value seen
	CalibrationPercentile = "percentile" // the (100−p)-th and p-th percentiles, clipping outliers
)

// Quantization defaults.
const (
	DefaultQuantizeSamples = 200
	DefaultPercentile      = 99.99
)

// QuantizeOptions configures [Quantize].
type QuantizeOptions struct {
	// Calibration is CalibrationMinMax (default) or CalibrationPercentile.
	Calibration string
	// Percentile is the upper percentile kept by percentile calibration, in (50, 100]; 0 means
	// DefaultPercentile.
	Percentile float64
	// Samples is how many calibration samples (the first ones) are run; 0 means
	// DefaultQuantizeSamples. Fewer are used when the data set is smaller.
	Samples int
	// Float names nodes that stay float32 (mixed precision); Dequantize and Quantize nodes
	// are inserted where int8 and float values meet.
	Float []string
	// PerTensor uses one weight scale per layer instead of one per output channel.
	PerTensor bool
}

// withDefaults fills zero fields.
func (o QuantizeOptions) withDefaults() QuantizeOptions {
	if o.Calibration == "" {
		o.Calibration = CalibrationMinMax
	}
	if o.Percentile == 0 {
		o.Percentile = DefaultPercentile
	}
	if o.Samples == 0 {
		o.Samples = DefaultQuantizeSamples
	}
	return o
}

// Validate checks the options; float node names are checked against the graph by Quantize.
func (o QuantizeOptions) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.Calibration != CalibrationMinMax && o.Calibration != CalibrationPercentile {
		errs = append(errs, fmt.Errorf("quantize: calibration %q, want %q or %q", o.Calibration, CalibrationMinMax, CalibrationPercentile))
	}
	if math.IsNaN(o.Percentile) || o.Percentile <= 50 || o.Percentile > 100 {
		errs = append(errs, fmt.Errorf("quantize: percentile %v, want a value in (50, 100]", o.Percentile))
	}
	if o.Samples < 1 {
		errs = append(errs, fmt.Errorf("quantize: %d calibration samples, want at least 1", o.Samples))
	}
	seen := map[string]bool{}
	for _, name := range o.Float {
		if seen[name] {
			errs = append(errs, fmt.Errorf("quantize: float layer %q listed twice", name))
		}
		seen[name] = true
	}
	return errors.Join(errs...)
}

// quantPassThrough are operators whose int8 output keeps the input's quantization, as TFLite
// requires of pooling and data movement.
var quantPassThrough = map[model.Op]bool{
	model.OpMaxPool: true, model.OpAvgPool: true, model.OpReshape: true, model.OpTranspose: true,
	model.OpPad: true, model.OpGather: true, model.OpSlice: true,
}

// quantCommutesWithRelu are pass-through operators that commute with ReLU and clipping, so that
// clamping before them equals clamping after them (a Conv → MaxPool → Relu chain can clamp at the
// Conv).
var quantCommutesWithRelu = map[model.Op]bool{
	model.OpMaxPool: true, model.OpReshape: true, model.OpTranspose: true, model.OpGather: true, model.OpSlice: true,
}

// quantCalibrated are operators whose int8 output gets its own calibrated range.
var quantCalibrated = map[model.Op]bool{
	model.OpConv: true, model.OpDense: true, model.OpAdd: true, model.OpSub: true, model.OpMul: true,
	model.OpConcat: true, model.OpMean: true, model.OpRelu: true, model.OpClip: true,
}

// quantFixedOutput are operators whose int8 output quantization is fixed, as in TFLite.
var quantFixedOutput = map[model.Op]model.QuantParams{
	model.OpSoftmax: {Scale: []float32{1.0 / 256}, ZeroPoint: []int32{-128}},
	model.OpSigmoid: {Scale: []float32{1.0 / 256}, ZeroPoint: []int32{-128}},
	model.OpTanh:    {Scale: []float32{1.0 / 128}, ZeroPoint: []int32{0}},
}

// QuantizableOp reports whether Quantize can compute op in int8.
func QuantizableOp(op model.Op) bool {
	_, fixed := quantFixedOutput[op]
	return quantPassThrough[op] || quantCalibrated[op] || fixed || quantRecurrent[op]
}

// Quantize returns a post-training int8 copy of g that the interpreter runs with its int8
// kernels (TFLite arithmetic): Conv and Dense get per-channel symmetric int8 weights (QWeight,
// zero point 0, scale max|w|/127 per output channel, or per layer with PerTensor) and int32
// biases (QBias, scale input·weight); every int8 value gets asymmetric parameters calibrated by
// running the float graph on calib, its range widened to include 0. Pooling and data movement
// keep their input's quantization; a Conv or Dense whose output reaches a Relu or Clip only
// through operators that commute with it takes that activation's range, so the activation
// becomes a clamp; Softmax and Sigmoid output scale 1/256 zero point −128 and Tanh 1/128, 0.
// RNN, LSTM and GRU nodes get TFLite's integer LSTM scheme (int16 gates and cell state, int8
// hidden state) with ranges calibrated inside the layer; see quantize_rnn.go.
// Float inputs are quantized by Quantize nodes and int8 outputs dequantized by Dequantize
// nodes, so the graph keeps its float interface; the same happens around nodes named in
// opts.Float. Weights that are zero stay exactly zero. Weight and Bias hold the dequantized
// values. g is not modified.
//
// Quantize returns an error naming every node whose operator has no int8 kernel unless the
// node is listed in opts.Float.
func Quantize(g *model.Graph, calib *dataset.Dataset, opts QuantizeOptions) (*model.Graph, error) {
	if g == nil {
		return nil, errors.New("quantize: nil graph")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if calib == nil || calib.Len() == 0 {
		return nil, errors.New("quantize: empty calibration data set")
	}
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("quantize: graph %q has %d inputs, want 1", g.Name, len(g.Inputs))
	}
	if want, got := g.Inputs[0].Shape, calib.SampleShape(); !slices.Equal(want, got) {
		return nil, fmt.Errorf("quantize: calibration data %q samples have shape %v, graph %q input %q wants %v",
			calib.Name, got, g.Name, g.Inputs[0].Name, want)
	}
	q := g.Clone()
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	if len(q.Quant) > 0 {
		return nil, fmt.Errorf("quantize: graph %q already has int8 values", g.Name)
	}
	isFloat := make(map[string]bool, len(opts.Float))
	var errs []error
	for _, name := range opts.Float {
		if q.Node(name) == nil {
			errs = append(errs, fmt.Errorf("quantize: float layer %q: no such node in graph %q", name, g.Name))
		}
		isFloat[name] = true
	}
	for _, n := range q.Nodes {
		if isFloat[n.Name] {
			continue
		}
		switch {
		case n.Attrs.Quant != nil || n.Op == model.OpQuantize || n.Op == model.OpDequantize:
			errs = append(errs, fmt.Errorf("quantize: node %q (%s) is already quantized", n.Name, n.Op))
		case !QuantizableOp(n.Op):
			errs = append(errs, fmt.Errorf("quantize: node %q (%s): no int8 kernel for this operator; list it in the float layers to keep it float", n.Name, n.Op))
		case (n.Op == model.OpConv || n.Op == model.OpDense) && n.Weight == nil:
			errs = append(errs, fmt.Errorf("quantize: node %q (%s) has no weight", n.Name, n.Op))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ranges, err := quantCalibrate(g, calib, opts)
	if err != nil {
		return nil, err
	}
	recurrent, err := quantCalibrateRecurrent(g, calib, opts, isFloat)
	if err != nil {
		return nil, err
	}
	r := &quantRewriter{g: q, isFloat: isFloat, ranges: ranges, opts: opts, recurrent: recurrent}
	if err := r.rewrite(); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("quantize: quantized graph: %w", err)
	}
	return q, nil
}

// quantRewriter turns a validated float graph into its int8 form.
type quantRewriter struct {
	g       *model.Graph
	isFloat map[string]bool
	ranges  map[string]quantRange
	opts    QuantizeOptions
	// recurrent holds the calibrated internals of the int8 recurrent nodes (quantize_rnn.go).
	recurrent map[string]*model.RecurrentRanges

	names     map[string]bool               // every value and node name in use
	params    map[string]*model.QuantParams // int8 values
	asInt8    map[string]string             // float value -> its Quantize node's output
	asFloat   map[string]string             // int8 value -> its Dequantize node's output
	consumers map[string][]*model.Node
	outputs   map[string]bool
	nodes     []*model.Node
}

// fresh returns an unused name starting with base.
func (r *quantRewriter) fresh(base string) string {
	name := base
	for i := 2; r.names[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	r.names[name] = true
	return name
}

func (r *quantRewriter) rewrite() error {
	g := r.g
	r.names, r.params = map[string]bool{}, map[string]*model.QuantParams{}
	r.asInt8, r.asFloat = map[string]string{}, map[string]string{}
	for name := range g.Shapes {
		r.names[name] = true
	}
	for _, n := range g.Nodes {
		r.names[n.Name] = true
	}
	// An int8 node producing a graph output writes a new value; a Dequantize node restores the
	// output's name.
	produced := map[string]*model.Node{}
	for _, n := range g.Nodes {
		produced[n.Outputs[0]] = n
	}
	dequantOutputs := map[string]string{}
	for _, o := range g.Outputs {
		n := produced[o.Name]
		if n == nil || r.isFloat[n.Name] {
			continue
		}
		renamed := r.fresh(o.Name + "_int8")
		n.Outputs[0] = renamed
		for _, m := range g.Nodes {
			for i, in := range m.Inputs {
				if in == o.Name {
					m.Inputs[i] = renamed
				}
			}
		}
		r.ranges[renamed] = r.ranges[o.Name]
		dequantOutputs[o.Name] = renamed
	}
	r.consumers, r.outputs = map[string][]*model.Node{}, map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			r.consumers[in] = append(r.consumers[in], n)
		}
	}
	for _, o := range g.Outputs {
		r.outputs[o.Name] = true
	}
	consts := map[string]*model.Tensor{}
	for _, c := range g.Consts {
		consts[c.Name] = c.Tensor
	}
	for _, n := range g.Nodes {
		if r.isFloat[n.Name] {
			for i, in := range n.Inputs {
				if r.params[in] != nil {
					n.Inputs[i] = r.dequantized(in)
				}
			}
			r.nodes = append(r.nodes, n)
			continue
		}
		for i, in := range n.Inputs {
			switch {
			case r.params[in] != nil:
			case consts[in] != nil:
				n.Inputs[i] = r.quantizedConst(in, consts[in])
			default:
				n.Inputs[i] = r.quantized(in)
			}
		}
		if err := r.quantizeNode(n); err != nil {
			return err
		}
		r.nodes = append(r.nodes, n)
	}
	for _, o := range g.Outputs {
		if renamed, ok := dequantOutputs[o.Name]; ok {
			r.nodes = append(r.nodes, &model.Node{Name: r.fresh("Dequantize_" + o.Name), Op: model.OpDequantize,
				Inputs: []string{renamed}, Outputs: []string{o.Name}})
		}
	}
	g.Nodes = r.nodes
	for _, name := range r.order() {
		g.Quant = append(g.Quant, model.ValueQuant{Name: name, Params: r.params[name].Clone()})
	}
	g.Shapes = nil
	return nil
}

// order returns the int8 values in graph order (constants, then node outputs).
func (r *quantRewriter) order() []string {
	var out []string
	for _, c := range r.g.Consts {
		if r.params[c.Name] != nil {
			out = append(out, c.Name)
		}
	}
	for _, n := range r.nodes {
		if r.params[n.Outputs[0]] != nil {
			out = append(out, n.Outputs[0])
		}
	}
	return out
}

// quantized returns the int8 version of float value v, adding a Quantize node with v's
// calibrated parameters the first time.
func (r *quantRewriter) quantized(v string) string {
	if name, ok := r.asInt8[v]; ok {
		return name
	}
	p := quantActivationParams(r.ranges[v])
	out := r.fresh(v + "_int8")
	r.nodes = append(r.nodes, &model.Node{Name: r.fresh("Quantize_" + v), Op: model.OpQuantize,
		Inputs: []string{v}, Outputs: []string{out}, Attrs: model.Attrs{Quant: p.Clone()}})
	r.params[out] = p
	r.asInt8[v] = out
	return out
}

// dequantized returns the float version of int8 value v, adding a Dequantize node the first
// time.
func (r *quantRewriter) dequantized(v string) string {
	if name, ok := r.asFloat[v]; ok {
		return name
	}
	out := r.fresh(v + "_float")
	r.nodes = append(r.nodes, &model.Node{Name: r.fresh("Dequantize_" + v), Op: model.OpDequantize,
		Inputs: []string{v}, Outputs: []string{out}})
	r.asFloat[v] = out
	return out
}

// quantizedConst returns the name of an int8 copy of a constant, adding it the first time.
func (r *quantRewriter) quantizedConst(name string, t *model.Tensor) string {
	if q, ok := r.asInt8[name]; ok {
		return q
	}
	data, p := quantConst(t)
	out := r.fresh(name + "_int8")
	r.g.Consts = append(r.g.Consts, model.Const{Name: out, Tensor: data})
	r.params[out] = p
	r.asInt8[name] = out
	return out
}

// quantizeNode sets the output quantization of an int8 node (and its int8 weights).
func (r *quantRewriter) quantizeNode(n *model.Node) error {
	if quantRecurrent[n.Op] {
		return r.quantizeRecurrent(n)
	}
	out := n.Outputs[0]
	var p *model.QuantParams
	switch {
	case quantPassThrough[n.Op]:
		p = r.params[n.Inputs[0]].Clone()
	case quantCalibrated[n.Op]:
		p = quantActivationParams(r.fusedRange(n))
	default:
		fixed := quantFixedOutput[n.Op]
		p = fixed.Clone()
	}
	n.Attrs.Quant = p
	r.params[out] = p.Clone()
	if n.Op == model.OpConv || n.Op == model.OpDense {
		in := r.params[n.Inputs[0]]
		if err := quantWeights(n, in.Scale[0], r.opts.PerTensor); err != nil {
			return err
		}
	}
	return nil
}

// fusedRange returns the calibrated range a node's output is quantized with: that of the Relu
// or Clip it feeds through a chain of single-consumer int8 operators that commute with
// clamping (so that the activation is a pure clamp), else its own.
func (r *quantRewriter) fusedRange(n *model.Node) quantRange {
	own := r.ranges[n.Outputs[0]]
	if n.Op == model.OpRelu || n.Op == model.OpClip {
		return own
	}
	v := n.Outputs[0]
	for {
		cs := r.consumers[v]
		if len(cs) != 1 || r.outputs[v] || r.isFloat[cs[0].Name] {
			return own
		}
		c := cs[0]
		switch {
		case c.Op == model.OpRelu || (c.Op == model.OpClip && c.Attrs.Min <= 0):
			return r.ranges[c.Outputs[0]]
		case quantCommutesWithRelu[c.Op] && c.Inputs[0] == v:
			v = c.Outputs[0]
		default:
			return own
		}
	}
}
