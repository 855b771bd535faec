package explore

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// recurrentUnitNorms returns the L1 or L2 norm of every hidden unit j of a recurrent node: over
// row j of every gate block of W [gates·H, I] and of R [gates·H, H].
func recurrentUnitNorms(n *model.Node, norm string) ([]float64, error) {
	if norm != "l1" && norm != "l2" {
		return nil, fmt.Errorf("channel norms: unknown norm %q (want l1 or l2)", norm)
	}
	gates, h := model.RecurrentGates(n.Op), n.Attrs.Hidden
	if n.Weight == nil || n.Recurrent == nil || h < 1 || n.Weight.Shape[0] != gates*h || n.Recurrent.Shape[0] != gates*h {
		return nil, fmt.Errorf("channel norms: %s node %q has no weights of %d gates × %d hidden units", n.Op, n.Name, gates, h)
	}
	out := make([]float64, h)
	rows := make([][]float32, 0, 2*gates)
	for j := range out {
		rows = rows[:0]
		for _, w := range []*model.Tensor{n.Weight, n.Recurrent} {
			cols := w.Shape[1]
			for g := range gates {
				rows = append(rows, w.Data[(g*h+j)*cols:(g*h+j+1)*cols])
			}
		}
		out[j] = rowsNorm(norm, rows...)
	}
	return out, nil
}

// cutRecurrentUnits keeps only the hidden units of n marked in keep: their rows in every gate
// block of W, R and both halves of the bias, their columns of R, their initial states.
func cutRecurrentUnits(n *model.Node, keep []bool) {
	gates, h := model.RecurrentGates(n.Op), n.Attrs.Hidden
	var rows []int
	for g := range gates {
		for j := range h {
			if keep[j] {
				rows = append(rows, g*h+j)
			}
		}
	}
	n.Weight = keepRows(n.Weight, rows)
	n.Recurrent = keepRows(n.Recurrent, rows)
	n.Recurrent = keepCols(n.Recurrent, func(j int) bool { return keep[j] })
	if n.Bias != nil {
		both := append([]int(nil), rows...)
		for _, r := range rows {
			both = append(both, gates*h+r)
		}
		n.Bias = keepRows1D(n.Bias, both)
	}
	var units []int
	for j := range h {
		if keep[j] {
			units = append(units, j)
		}
	}
	if n.InitialH != nil {
		n.InitialH = keepRows1D(n.InitialH, units)
	}
	if n.InitialC != nil {
		n.InitialC = keepRows1D(n.InitialC, units)
	}
	n.Attrs.Hidden = len(units)
}

// zeroRecurrentUnits zeroes, in place, the parameters of the hidden units of n not marked in
// keep: their rows of W and R in every gate block, their biases and initial states. Such a unit
// stays exactly 0 at every step (every gate sees 0; the candidate is tanh(0) = 0).
func zeroRecurrentUnits(n *model.Node, keep []bool) {
	gates, h := model.RecurrentGates(n.Op), n.Attrs.Hidden
	for j := range h {
		if keep[j] {
			continue
		}
		for g := range gates {
			r := g*h + j
			for _, w := range []*model.Tensor{n.Weight, n.Recurrent} {
				clear(w.Data[r*w.Shape[1] : (r+1)*w.Shape[1]])
			}
			if n.Bias != nil {
				n.Bias.Data[r], n.Bias.Data[gates*h+r] = 0, 0
			}
		}
		for _, s := range []*model.Tensor{n.InitialH, n.InitialC} {
			if s != nil {
				s.Data[j] = 0
			}
		}
	}
}

// keepRows returns the given rows (first axis) of t, in order.
func keepRows(t *model.Tensor, rows []int) *model.Tensor {
	per := t.Len() / t.Shape[0]
	out := model.NewTensor(append([]int{len(rows)}, t.Shape[1:]...)...)
	for i, r := range rows {
		copy(out.Data[i*per:(i+1)*per], t.Data[r*per:(r+1)*per])
	}
	return out
}

// keepRows1D returns the given elements of a vector, in order.
func keepRows1D(t *model.Tensor, idx []int) *model.Tensor {
	out := model.NewTensor(len(idx))
	for i, k := range idx {
		out.Data[i] = t.Data[k]
	}
	return out
}

// keepCols returns the columns j of a matrix [rows, cols] for which keep(j) holds.
func keepCols(t *model.Tensor, keep func(j int) bool) *model.Tensor {
	rows, cols := t.Shape[0], t.Shape[1]
	var kept []int
	for j := range cols {
		if keep(j) {
			kept = append(kept, j)
		}
	}
	out := model.NewTensor(rows, len(kept))
	for r := range rows {
		for i, j := range kept {
			out.Data[r*len(kept)+i] = t.Data[r*cols+j]
		}
	}
	return out
}
