package model

import (
	"fmt"
	"math"
)

// LossKind names a training loss.
type LossKind string

// The training losses. All are averaged over the samples of a batch.
const (
	// LossCrossEntropy is −log softmax(z)[label] with class labels. When the graph's output is
	// produced by a Softmax node, z is that node's input (the logits) and the gradient enters
	// there, which is the numerically stable form; otherwise the output itself is read as logits.
	LossCrossEntropy LossKind = "ce"
	// LossMSE is the mean over output elements of (y − target)², on the graph output itself.
	LossMSE LossKind = "mse"
	// LossDistill is knowledge distillation from a teacher (usually the unpruned model) on the
	// logits z (found as for cross-entropy): T²·KL(softmax(z_t/T) ‖ softmax(z/T)), mixed with
	// cross-entropy on labels as Alpha·CE + (1−Alpha)·KL. With Alpha 0 no labels are needed.
	LossDistill LossKind = "distill"
	// LossDistillMSE is the mean squared difference between student and teacher logits.
	LossDistillMSE LossKind = "distill_mse"
)

// Loss configures the training objective.
type Loss struct {
	Kind LossKind
	// Temperature softens both distributions for LossDistill; 0 means 1.
	Temperature float64
	// Alpha weighs label cross-entropy against distillation for LossDistill, in [0, 1].
	Alpha float64
}

// Validate checks the loss settings.
func (l Loss) Validate() error {
	switch l.Kind {
	case LossCrossEntropy, LossMSE, LossDistillMSE:
	case LossDistill:
		if l.Temperature < 0 || math.IsNaN(l.Temperature) {
			return fmt.Errorf("loss %s: temperature %v, want > 0 (0 means 1)", l.Kind, l.Temperature)
		}
		if l.Alpha < 0 || l.Alpha > 1 || math.IsNaN(l.Alpha) {
			return fmt.Errorf("loss %s: alpha %v outside [0, 1]", l.Kind, l.Alpha)
		}
	default:
		return fmt.Errorf("unknown loss %q (want ce, mse, distill or distill_mse)", l.Kind)
	}
	return nil
}

// NeedsLabels reports whether the loss reads class labels.
func (l Loss) NeedsLabels() bool {
	return l.Kind == LossCrossEntropy || (l.Kind == LossDistill && l.Alpha > 0)
}

// NeedsTargets reports whether the loss reads regression targets.
func (l Loss) NeedsTargets() bool { return l.Kind == LossMSE }

// NeedsTeacher reports whether the loss reads a teacher's outputs.
func (l Loss) NeedsTeacher() bool { return l.Kind == LossDistill || l.Kind == LossDistillMSE }

// usesLogits reports whether the loss reads the logits before a final Softmax.
func (l Loss) usesLogits() bool { return l.Kind != LossMSE }

// LossValue returns the name of the value the loss reads in g: the input of the Softmax node
// producing the first graph output for losses on logits, the first output otherwise.
func (l Loss) LossValue(g *Graph) string {
	out := g.Outputs[0].Name
	if !l.usesLogits() {
		return out
	}
	for _, n := range g.Nodes {
		if n.Outputs[0] == out && n.Op == OpSoftmax {
			return n.Inputs[0]
		}
	}
	return out
}

// LossBatch is what a loss compares the model's value with, for one batch.
type LossBatch struct {
	Labels  []int   // class labels, one per sample
	Targets *Tensor // regression targets shaped like the output
	Teacher *Tensor // the teacher's value at its own LossValue, shaped like the student's
}

// Eval returns the mean loss over the batch of z ([B, ...]) and its gradient with respect to z.
func (l Loss) Eval(z *Tensor, lb LossBatch) (float64, *Tensor, error) {
	if err := l.Validate(); err != nil {
		return 0, nil, err
	}
	batch := z.Shape[0]
	if batch < 1 {
		return 0, nil, fmt.Errorf("loss %s: empty batch", l.Kind)
	}
	width := len(z.Data) / batch
	grad := NewTensor(z.Shape...)
	var total float64
	switch l.Kind {
	case LossMSE, LossDistillMSE:
		ref, what := lb.Targets, "targets"
		if l.Kind == LossDistillMSE {
			ref, what = lb.Teacher, "teacher outputs"
		}
		if ref == nil || len(ref.Data) != len(z.Data) {
			return 0, nil, fmt.Errorf("loss %s: %s missing or not shaped like the output %v", l.Kind, what, z.Shape)
		}
		scale := 1 / float64(len(z.Data))
		for i, v := range z.Data {
			d := float64(v) - float64(ref.Data[i])
			total += d * d * scale
			grad.Data[i] = float32(2 * d * scale)
		}
		return total, grad, nil
	}
	if l.NeedsLabels() && len(lb.Labels) != batch {
		return 0, nil, fmt.Errorf("loss %s: %d labels for a batch of %d", l.Kind, len(lb.Labels), batch)
	}
	if l.NeedsTeacher() && (lb.Teacher == nil || len(lb.Teacher.Data) != len(z.Data)) {
		return 0, nil, fmt.Errorf("loss %s: teacher outputs missing or not shaped like the logits %v", l.Kind, z.Shape)
	}
	alpha, temp := 1.0, 1.0
	if l.Kind == LossDistill {
		alpha = l.Alpha
		if l.Temperature > 0 {
			temp = l.Temperature
		}
	}
	p := make([]float64, width)
	q := make([]float64, width)
	inv := 1 / float64(batch)
	for b := 0; b < batch; b++ {
		zs, gs := z.Data[b*width:(b+1)*width], grad.Data[b*width:(b+1)*width]
		if alpha > 0 {
			y := lb.Labels[b]
			if y < 0 || y >= width {
				return 0, nil, fmt.Errorf("loss %s: label %d of sample %d outside [0, %d)", l.Kind, y, b, width)
			}
			lse := trainSoftmax(zs, 1, p)
			total += alpha * inv * (lse - float64(zs[y]))
			for i := range gs {
				d := p[i]
				if i == y {
					d--
				}
				gs[i] += float32(alpha * inv * d)
			}
		}
		if alpha < 1 {
			lseS := trainSoftmax(zs, temp, p)
			lseT := trainSoftmax(lb.Teacher.Data[b*width:(b+1)*width], temp, q)
			var kl float64
			for i := range q {
				if q[i] > 0 {
					// log q − log p with log p_i = z_i/T − lse
					kl += q[i] * ((float64(lb.Teacher.Data[b*width+i])/temp - lseT) - (float64(zs[i])/temp - lseS))
				}
			}
			total += (1 - alpha) * inv * temp * temp * kl
			for i := range gs {
				gs[i] += float32((1 - alpha) * inv * temp * (p[i] - q[i]))
			}
		}
	}
	return total, grad, nil
}

// trainSoftmax writes softmax(z/temp) into p and returns log Σ exp(z/temp), in float64.
func trainSoftmax(z []float32, temp float64, p []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, float64(v)/temp)
	}
	var s float64
	for i, v := range z {
		p[i] = math.Exp(float64(v)/temp - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return m + math.Log(s)
}
