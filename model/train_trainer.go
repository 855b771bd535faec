package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Trainer fine-tunes the parameters of a single-input graph in place: the weights and biases
// of Conv and Dense layers, and the input weights, recurrence weights and biases of RNN, LSTM
// and GRU layers (their initial states stay as they are).
//
// Masks name, per layer, the weight elements that are pruned: they are held at exactly zero
// (their gradient is dropped before the optimizer step and the element is reset to zero after
// it), so a pruned model keeps its sparsity. RecurrentMasks do the same for recurrent layers'
// recurrence weights. [ZeroMasks] and [ZeroRecurrentMasks] record a pruned graph's zeros.
type Trainer struct {
	Graph     *Graph
	Loss      Loss
	Optimizer Optimizer
	Masks     map[string][]bool
	// RecurrentMasks are the masks of the recurrence weights (Node.Recurrent), by layer name.
	RecurrentMasks map[string][]bool
	// Teacher is the model distilled from (LossDistill, LossDistillMSE). It is only run.
	Teacher *Graph

	params []*Param
}

// ZeroMasks returns, for every layer with a weight, which weight elements are exactly zero.
func ZeroMasks(g *Graph) map[string][]bool {
	m := make(map[string][]bool)
	for _, n := range g.PrunableLayers() {
		mask := make([]bool, n.Weight.Len())
		for i, v := range n.Weight.Data {
			mask[i] = v == 0
		}
		m[n.Name] = mask
	}
	return m
}

// ZeroRecurrentMasks returns, for every layer with a recurrence weight (RNN, LSTM, GRU), which
// of its elements are exactly zero.
func ZeroRecurrentMasks(g *Graph) map[string][]bool {
	m := make(map[string][]bool)
	for _, n := range g.Nodes {
		if n.Recurrent == nil {
			continue
		}
		mask := make([]bool, n.Recurrent.Len())
		for i, v := range n.Recurrent.Data {
			mask[i] = v == 0
		}
		m[n.Name] = mask
	}
	return m
}

// init collects the parameters once and checks the configuration.
func (t *Trainer) init() error {
	if t.params != nil {
		return nil
	}
	var errs []error
	if t.Graph == nil {
		return errors.New("trainer: nil graph")
	}
	if err := t.Loss.Validate(); err != nil {
		errs = append(errs, err)
	}
	if t.Optimizer == nil {
		errs = append(errs, errors.New("trainer: no optimizer"))
	}
	if t.Loss.NeedsTeacher() && t.Teacher == nil {
		errs = append(errs, fmt.Errorf("trainer: loss %s needs a teacher graph", t.Loss.Kind))
	}
	if len(t.Graph.Inputs) != 1 || len(t.Graph.Outputs) == 0 {
		errs = append(errs, fmt.Errorf("trainer: graph %q has %d inputs and %d outputs, want 1 and at least 1", t.Graph.Name, len(t.Graph.Inputs), len(t.Graph.Outputs)))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if t.Graph.Shapes == nil {
		if err := t.Graph.Validate(); err != nil {
			return err
		}
	}
	var params []*Param
	for _, n := range t.Graph.PrunableLayers() {
		recurrent := RecurrentGates(n.Op) > 0
		if n.Op != OpConv && n.Op != OpDense && !recurrent {
			return errNode(n, "training supports the parameters of Conv, Dense, RNN, LSTM and GRU layers only")
		}
		mask := t.Masks[n.Name]
		if mask != nil && len(mask) != n.Weight.Len() {
			return errNode(n, "mask has %d elements, weight has %d", len(mask), n.Weight.Len())
		}
		params = append(params, &Param{Node: n.Name, Value: n.Weight, Frozen: mask})
		if recurrent && n.Recurrent != nil {
			rmask := t.RecurrentMasks[n.Name]
			if rmask != nil && len(rmask) != n.Recurrent.Len() {
				return errNode(n, "recurrent mask has %d elements, recurrence weight has %d", len(rmask), n.Recurrent.Len())
			}
			params = append(params, &Param{Node: n.Name, IsRecurrent: true, Value: n.Recurrent, Frozen: rmask})
		}
		if n.Bias != nil {
			params = append(params, &Param{Node: n.Name, IsBias: true, Value: n.Bias})
		}
	}
	for name := range t.Masks {
		if n := t.Graph.Node(name); n == nil || n.Weight == nil {
			return fmt.Errorf("trainer: mask for %q, which is not a layer with weights in graph %q", name, t.Graph.Name)
		}
	}
	for name := range t.RecurrentMasks {
		if n := t.Graph.Node(name); n == nil || n.Recurrent == nil {
			return fmt.Errorf("trainer: recurrent mask for %q, which is not a layer with a recurrence weight in graph %q", name, t.Graph.Name)
		}
	}
	t.params = params
	return nil
}

// Gradients runs one forward and backward pass on a batch and returns the mean loss and the
// parameter gradients by layer name. It does not change the graph.
func (t *Trainer) Gradients(x *Tensor, labels []int, targets *Tensor) (float64, map[string]*LayerGrad, error) {
	if err := t.init(); err != nil {
		return 0, nil, err
	}
	act, err := t.Graph.Forward(x)
	if err != nil {
		return 0, nil, err
	}
	at := t.Loss.LossValue(t.Graph)
	lb := LossBatch{Labels: labels, Targets: targets}
	if t.Loss.NeedsTeacher() {
		tact, err := t.Teacher.Forward(x)
		if err != nil {
			return 0, nil, fmt.Errorf("teacher: %w", err)
		}
		lb.Teacher = tact.Values[t.Loss.LossValue(t.Teacher)]
	}
	loss, dz, err := t.Loss.Eval(act.Values[at], lb)
	if err != nil {
		return 0, nil, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, nil, fmt.Errorf("trainer: loss is %v", loss)
	}
	grads, _, err := t.Graph.Backward(act, at, dz)
	return loss, grads, err
}

// Step trains on one batch: gradients, masking, one optimizer step, masking again. It returns
// the batch's mean loss before the step.
func (t *Trainer) Step(x *Tensor, labels []int, targets *Tensor) (float64, error) {
	loss, grads, err := t.Gradients(x, labels, targets)
	if err != nil {
		return 0, err
	}
	for _, p := range t.params {
		lg := grads[p.Node]
		var g *Tensor
		if lg != nil {
			switch {
			case p.IsBias:
				g = lg.Bias
			case p.IsRecurrent:
				g = lg.Recurrent
			default:
				g = lg.Weight
			}
		}
		if g == nil {
			p.Grad = make([]float32, len(p.Value.Data))
		} else {
			p.Grad = g.Data
		}
		for i, f := range p.Frozen {
			if f {
				p.Grad[i] = 0
			}
		}
	}
	if err := t.Optimizer.Step(t.params); err != nil {
		return 0, err
	}
	for _, p := range t.params {
		for i, f := range p.Frozen {
			if f {
				p.Value.Data[i] = 0
			}
		}
		if err := p.Value.CheckFinite(); err != nil {
			return 0, fmt.Errorf("trainer: layer %q parameter diverged: %w (lower the learning rate)", p.Node, err)
		}
	}
	return loss, nil
}

// Fit trains for epochs passes over the samples of x ([N, ...]), batch samples at a time, in an
// order shuffled afresh every epoch by a generator seeded with seed. labels (len N) and targets
// ([N, ...]) are given as the loss needs them. It returns the mean loss of each epoch. The
// result depends only on the inputs and the seed, not on GOMAXPROCS.
func (t *Trainer) Fit(x *Tensor, labels []int, targets *Tensor, epochs, batch int, seed uint64) ([]float64, error) {
	if err := t.init(); err != nil {
		return nil, err
	}
	if x == nil || len(x.Shape) == 0 || x.Shape[0] < 1 {
		return nil, errors.New("fit: no samples")
	}
	n := x.Shape[0]
	switch {
	case epochs < 1 || batch < 1:
		return nil, fmt.Errorf("fit: epochs %d and batch %d must be at least 1", epochs, batch)
	case t.Loss.NeedsLabels() && len(labels) != n:
		return nil, fmt.Errorf("fit: loss %s needs one label per sample, got %d labels for %d samples", t.Loss.Kind, len(labels), n)
	case t.Loss.NeedsTargets() && (targets == nil || len(targets.Shape) == 0 || targets.Shape[0] != n):
		return nil, fmt.Errorf("fit: loss %s needs targets for all %d samples", t.Loss.Kind, n)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7463647365))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	var history []float64
	for e := 0; e < epochs; e++ {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		for from := 0; from < n; from += batch {
			idx := order[from:min(n, from+batch)]
			xb := trainGather(x, idx)
			var lb []int
			if labels != nil {
				lb = make([]int, len(idx))
				for i, k := range idx {
					lb[i] = labels[k]
				}
			}
			var tb *Tensor
			if targets != nil {
				tb = trainGather(targets, idx)
			}
			loss, err := t.Step(xb, lb, tb)
			if err != nil {
				return history, fmt.Errorf("fit: epoch %d, batch at %d: %w", e+1, from, err)
			}
			sum += loss * float64(len(idx))
		}
		history = append(history, sum/float64(n))
	}
	return history, nil
}

// trainGather copies the rows idx of t ([N, ...]) into a new [len(idx), ...] tensor.
func trainGather(t *Tensor, idx []int) *Tensor {
	per := len(t.Data) / t.Shape[0]
	out := NewTensor(append([]int{len(idx)}, t.Shape[1:]...)...)
	for i, k := range idx {
		copy(out.Data[i*per:(i+1)*per], t.Data[k*per:(k+1)*per])
	}
	return out
}
