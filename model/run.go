package model

import (
	"fmt"
	"slices"
)

// Run executes the graph on a batch. inputs[i] matches g.Inputs[i] and has shape
// [B, per-sample shape...] with the same B for every input; Run returns the graph outputs in
// order, each of shape [B, per-sample shape...]. The inputs are not modified, and the outputs
// share no memory with them.
//
// Run spreads the work of each layer over GOMAXPROCS goroutines, by samples or by output
// blocks. Every output element is computed by one goroutine in a fixed order of operations, so
// results are bit-identical whatever the number of goroutines.
//
// Run calls Validate when g.Shapes is nil. Several goroutines may call Run on the same graph
// concurrently once it has been validated, as long as none modifies the graph.
func (g *Graph) Run(inputs ...*Tensor) ([]*Tensor, error) {
	if g.Shapes == nil {
		if err := g.Validate(); err != nil {
			return nil, err
		}
	}
	_, batch, err := g.bindInputs(inputs)
	if err != nil {
		return nil, err
	}
	plan := runPlan{lastUse: g.lastUses(), consts: g.constMap(), quant: g.quantMap(), bufs: g.fastNewBufPool()}
	defer plan.bufs.recycle()
	chunk := g.chunkSize()
	if batch <= chunk {
		return g.runBatch(inputs, plan)
	}
	// Run the whole graph on slices of the batch, so that each layer's activations stay in
	// cache for the next layer. Every kernel computes each sample independently, so results are
	// the same bits as one large batch.
	outs := make([]*Tensor, len(g.Outputs))
	for i, o := range g.Outputs {
		outs[i] = NewTensor(append([]int{batch}, g.Shapes[o.Name]...)...)
	}
	for lo := 0; lo < batch; lo += chunk {
		hi := min(lo+chunk, batch)
		part := make([]*Tensor, len(inputs))
		for i, t := range inputs {
			per := len(t.Data) / batch
			part[i] = &Tensor{Shape: append([]int{hi - lo}, t.Shape[1:]...), Data: t.Data[lo*per : hi*per]}
		}
		res, err := g.runBatch(part, plan)
		if err != nil {
			return nil, err
		}
		for i, r := range res {
			per := len(outs[i].Data) / batch
			copy(outs[i].Data[lo*per:hi*per], r.Data)
		}
	}
	return outs, nil
}

// chunkBytes is the activation footprint per batch slice that Run aims for: about a last-level
// cache share; smaller slices pay the kernels' per-call costs (weight packing) too often.
const chunkBytes = 2 << 20

// chunkSize returns how many samples Run pushes through the graph at once: enough that the
// largest activation of the slice fills about chunkBytes, and at least 8.
func (g *Graph) chunkSize() int {
	largest := 1
	for _, s := range g.Shapes {
		largest = max(largest, numElems(s))
	}
	return max(8, chunkBytes/(4*largest))
}

// runPlan is what Run derives from the graph once, for every slice of the batch.
type runPlan struct {
	lastUse map[string]int          // index of the last node reading each value
	consts  map[string]*Tensor      // graph constants by name
	quant   map[string]*QuantParams // int8 values' quantization by name
	bufs    *fastBufPool            // dead activations' memory, for the direct convolutions' outputs
}

// runBatch runs the graph on inputs already checked by bindInputs.
func (g *Graph) runBatch(inputs []*Tensor, plan runPlan) ([]*Tensor, error) {
	vals, batch, err := g.bindInputs(inputs)
	if err != nil {
		return nil, err
	}
	lastUse, consts, quant := plan.lastUse, plan.consts, plan.quant
	for i := 0; i < len(g.Nodes); i++ {
		n := g.Nodes[i]
		args := RunArgs{
			Batch: batch, Ins: make([]*Tensor, len(n.Inputs)), InShape: make([][]int, len(n.Inputs)),
			IsConst: make([]bool, len(n.Inputs)), Out: g.Shapes[n.Outputs[0]], InQuant: make([]*QuantParams, len(n.Inputs)),
		}
		for j, name := range n.Inputs {
			args.Ins[j], args.InShape[j], args.InQuant[j] = vals[name], g.Shapes[name], quant[name]
			if c := consts[name]; c != nil {
				args.Ins[j], args.IsConst[j] = c, true
			}
		}
		// A float convolution may run on the direct paths and absorb the Relu after it.
		out, last := g.fastRunConv(i, args, plan)
		if out == nil {
			var reuse *Tensor
			if x := args.Ins[0]; !args.IsConst[0] && lastUse[n.Inputs[0]] == i && !isInput(inputs, x) && n.Attrs.Quant == nil {
				reuse = x // dead after this node: an in-place kernel may overwrite it
			}
			if out, err = runNode(n, args, reuse); err != nil {
				return nil, err
			}
		}
		vals[g.Nodes[last].Outputs[0]] = out
		for _, name := range n.Inputs {
			if lastUse[name] == i {
				plan.bufs.release(vals[name], out, inputs)
				delete(vals, name) // let the garbage collector reclaim intermediate results
			}
		}
		i = last
	}
	outs := make([]*Tensor, len(g.Outputs))
	for i, o := range g.Outputs {
		t := vals[o.Name]
		if t == nil {
			return nil, fmt.Errorf("graph output %q was not computed", o.Name)
		}
		if isInput(inputs, t) {
			t = t.Clone()
		}
		outs[i] = t
	}
	return outs, nil
}

// bindInputs checks the inputs against the graph and returns them by name with the batch size.
func (g *Graph) bindInputs(inputs []*Tensor) (map[string]*Tensor, int, error) {
	if len(inputs) != len(g.Inputs) {
		return nil, 0, fmt.Errorf("graph %q has %d inputs, got %d tensors", g.Name, len(g.Inputs), len(inputs))
	}
	vals := make(map[string]*Tensor, len(g.Nodes)+len(inputs))
	batch := -1
	for i, in := range g.Inputs {
		t := inputs[i]
		if t == nil {
			return nil, 0, fmt.Errorf("input %q is nil", in.Name)
		}
		if len(t.Shape) != len(in.Shape)+1 || !slices.Equal(t.Shape[1:], in.Shape) {
			return nil, 0, fmt.Errorf("input %q: expected shape [B %v], got %v", in.Name, in.Shape, t.Shape)
		}
		if n, err := NumElements(t.Shape); err != nil || n != len(t.Data) {
			return nil, 0, fmt.Errorf("input %q: shape %v does not match its %d elements", in.Name, t.Shape, len(t.Data))
		}
		if batch >= 0 && t.Shape[0] != batch {
			return nil, 0, fmt.Errorf("input %q has batch %d, but input %q has %d", in.Name, t.Shape[0], g.Inputs[0].Name, batch)
		}
		batch = t.Shape[0]
		if batch < 1 {
			return nil, 0, fmt.Errorf("input %q: batch size %d, want at least 1", in.Name, batch)
		}
		vals[in.Name] = t
	}
	return vals, batch, nil
}

// lastUses returns, for each value read by a node, the index of the last node reading it.
// Graph outputs are never released.
func (g *Graph) lastUses() map[string]int {
	last := make(map[string]int)
	for i, n := range g.Nodes {
		for _, name := range n.Inputs {
			last[name] = i
		}
	}
	for _, o := range g.Outputs {
		last[o.Name] = len(g.Nodes)
	}
	return last
}

func isInput(inputs []*Tensor, t *Tensor) bool {
	for _, in := range inputs {
		if in == t {
			return true
		}
	}
	return false
}

// runNode executes one node on a batch.
// reuse, when not nil, is a dead input tensor that an in-place kernel may write its output to.
func runNode(n *Node, args RunArgs, reuse *Tensor) (*Tensor, error) {
	if err := checkParams(n); err != nil {
		return nil, err
	}
	k, err := kernelOf(n)
	if err != nil {
		return nil, err
	}
	run, inPlace := k.Run, k.InPlace
	if n.Attrs.Quant != nil && n.Op != OpQuantize {
		inPlace = false
		q, ok := int8Kernels[n.Op]
		if !ok {
			return nil, errNode(n, "the interpreter has no int8 kernel for this operator")
		}
		run = q
	}
	if run == nil {
		return nil, errNode(n, "the interpreter does not implement this operator")
	}
	if reuse != nil && inPlace && len(reuse.Data) == args.Batch*numElems(args.Out) {
		args.Y = &Tensor{Shape: append([]int{args.Batch}, args.Out...), Data: reuse.Data}
	} else {
		args.Y = NewTensor(append([]int{args.Batch}, args.Out...)...)
	}
	if len(args.Y.Data) == 0 {
		return args.Y, nil // a zero-sized output needs no work
	}
	if err := run(n, args); err != nil {
		return nil, err
	}
	return args.Y, nil
}

// checkParams verifies that a node's weight and bias hold as many elements as their shapes say,
// which Validate does not check for graphs built in code.
func checkParams(n *Node) error {
	for i, t := range []*Tensor{n.Weight, n.Bias} {
		if t == nil {
			continue
		}
		if k, err := NumElements(t.Shape); err != nil || k != len(t.Data) {
			return errNode(n, "%s shape %v does not match its %d elements", [2]string{"weight", "bias"}[i], t.Shape, len(t.Data))
		}
	}
	return nil
}

func biasData(n *Node) []float32 {
	if n.Bias == nil {
		return nil
	}
	return n.Bias.Data
}

// numElems is NumElements for shapes already validated.
func numElems(shape []int) int {
	n, _ := NumElements(shape)
	return n
}
