package model

import (
	"fmt"
	"math"
	"slices"
)

// Tensor is a dense float32 array in row-major order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// MaxElements bounds the size of any tensor tcdse allocates from a model or data file, so that
// absurd dimensions in a corrupt file give an error instead of exhausting memory (1 Gi elements).
const MaxElements = 1 << 30

// NumElements returns the product of shape, or an error when a dimension is negative or the
// product exceeds MaxElements.
func NumElements(shape []int) (int, error) {
	n := 1
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d of shape %v is negative", i, shape)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, MaxElements)
		}
		n *= d
	}
	return n, nil
}

// NewTensor allocates a zeroed tensor of the given shape. It panics on a negative or oversized
// shape; use NumElements first for shapes that come from outside the program.
func NewTensor(shape ...int) *Tensor {
	n, err := NumElements(shape)
	if err != nil {
		panic(err)
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	if t == nil {
		return nil
	}
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// CountZeros returns how many elements are exactly zero.
func (t *Tensor) CountZeros() int {
	z := 0
	for _, v := range t.Data {
		if v == 0 {
			z++
		}
	}
	return z
}

// Sparsity returns the fraction of elements that are exactly zero.
func (t *Tensor) Sparsity() float64 {
	if t == nil || len(t.Data) == 0 {
		return 0
	}
	return float64(t.CountZeros()) / float64(len(t.Data))
}

// CheckFinite returns an error naming the first NaN or Inf element, or nil.
func (t *Tensor) CheckFinite() error {
	for i, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("element %d is %v", i, v)
		}
	}
	return nil
}

// EqualShapes reports whether two shapes are the same.
func EqualShapes(a, b []int) bool { return slices.Equal(a, b) }
