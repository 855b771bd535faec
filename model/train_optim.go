package model

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients. Step is called once per batch with the
// same parameters in the same order; implementations keep their per-parameter state by
// position.
type Optimizer interface {
	Step(params []*Param) error
}

// Param is one trainable tensor: a layer's weight, recurrence weight or bias, its gradient for
// the current batch and, optionally, a mask of elements frozen at zero (pruned weights).
type Param struct {
	Node   string // the layer's node name
	IsBias bool
	// IsRecurrent marks a recurrent layer's recurrence weight (Node.Recurrent).
	IsRecurrent bool
	Value       *Tensor
	Grad        []float32
	// Frozen marks the elements held at exactly zero (nil: none).
	Frozen []bool
}

// SGD is stochastic gradient descent with optional (heavy-ball) momentum:
// v = Momentum·v + g; w −= LR·v.
type SGD struct {
	LR       float64
	Momentum float64
	velocity [][]float32
}

// Step implements Optimizer.
func (o *SGD) Step(params []*Param) error {
	if o.LR <= 0 || math.IsNaN(o.LR) || o.Momentum < 0 || o.Momentum >= 1 {
		return fmt.Errorf("sgd: learning rate %v (want > 0) or momentum %v (want [0, 1)) out of range", o.LR, o.Momentum)
	}
	if o.velocity == nil {
		o.velocity = make([][]float32, len(params))
		for i, p := range params {
			o.velocity[i] = make([]float32, len(p.Value.Data))
		}
	}
	lr, mu := float32(o.LR), float32(o.Momentum)
	for i, p := range params {
		v := o.velocity[i]
		for j, g := range p.Grad {
			v[j] = mu*v[j] + g
			p.Value.Data[j] -= lr * v[j]
		}
	}
	return nil
}

// Adam is the Adam optimizer (Kingma & Ba) with bias correction. Zero Beta1, Beta2 and Eps
// take the usual defaults 0.9, 0.999 and 1e-8.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	m, v                  [][]float32
	t                     int
}

// Step implements Optimizer.
func (o *Adam) Step(params []*Param) error {
	if o.LR <= 0 || math.IsNaN(o.LR) {
		return fmt.Errorf("adam: learning rate %v, want > 0", o.LR)
	}
	b1, b2, eps := o.Beta1, o.Beta2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	if b1 < 0 || b1 >= 1 || b2 < 0 || b2 >= 1 || eps < 0 {
		return fmt.Errorf("adam: beta1 %v, beta2 %v (want [0, 1)) or eps %v (want > 0) out of range", b1, b2, eps)
	}
	if o.m == nil {
		o.m, o.v = make([][]float32, len(params)), make([][]float32, len(params))
		for i, p := range params {
			o.m[i], o.v[i] = make([]float32, len(p.Value.Data)), make([]float32, len(p.Value.Data))
		}
	}
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	step := float32(o.LR * math.Sqrt(c2) / c1)
	fb1, fb2, feps := float32(b1), float32(b2), float32(eps*math.Sqrt(c2))
	for i, p := range params {
		m, v := o.m[i], o.v[i]
		for j, g := range p.Grad {
			m[j] = fb1*m[j] + (1-fb1)*g
			v[j] = fb2*v[j] + (1-fb2)*g*g
			p.Value.Data[j] -= step * m[j] / (float32(math.Sqrt(float64(v[j]))) + feps)
		}
	}
	return nil
}

// NewOptimizer returns the optimizer called name ("sgd" or "adam") with learning rate lr;
// SGD gets momentum 0.9.
func NewOptimizer(name string, lr float64) (Optimizer, error) {
	if lr <= 0 || math.IsNaN(lr) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("optimizer %s: learning rate %v, want > 0", name, lr)
	}
	switch name {
	case "sgd":
		return &SGD{LR: lr, Momentum: 0.9}, nil
	case "adam":
		return &Adam{LR: lr}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want sgd or adam)", name)
}
