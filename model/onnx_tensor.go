package model

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// onnxConst is a constant value of an ONNX graph (an initializer or a Constant node's output).
// Exactly one of F (floating-point data) and I (integer data) is set, unless the tensor is
// empty.
type onnxConst struct {
	Dims []int
	F    []float32
	I    []int64
	// DataType is the element type of the TensorProto (int8 and uint8 zero points differ).
	DataType onnxpb.TensorProto_DataType
}

// isFloat reports whether the constant holds floating-point data.
func (c *onnxConst) isFloat() bool { return c.I == nil }

// tensor returns the floating-point data as a Tensor that owns a copy of it.
func (c *onnxConst) tensor() *Tensor {
	return &Tensor{Shape: cloneInts(c.Dims), Data: append([]float32(nil), c.F...)}
}

// decodeONNXTensor converts a TensorProto into a constant, checking that the declared dims
// agree with the amount of data and that the size is bounded by MaxElements.
func decodeONNXTensor(t *onnxpb.TensorProto) (*onnxConst, error) {
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return nil, fmt.Errorf("tensor %q: external data is not supported", t.GetName())
	}
	if t.GetSegment() != nil {
		return nil, fmt.Errorf("tensor %q: segmented tensors are not supported", t.GetName())
	}
	dims := make([]int, len(t.GetDims()))
	for i, d := range t.GetDims() {
		if d < 0 || d > MaxElements {
			return nil, fmt.Errorf("tensor %q: dimension %d is %d", t.GetName(), i, d)
		}
		dims[i] = int(d)
	}
	n, err := NumElements(dims)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.GetName(), err)
	}
	raw := t.GetRawData()
	dt := onnxpb.TensorProto_DataType(t.GetDataType())
	c := &onnxConst{Dims: dims, DataType: dt}
	// count checks the number of stored elements against the declared shape.
	count := func(have int) error {
		if have != n {
			return fmt.Errorf("tensor %q: dims %v declare %d elements but the data holds %d", t.GetName(), dims, n, have)
		}
		return nil
	}
	rawCount := func(size int) error {
		if len(raw)%size != 0 {
			return fmt.Errorf("tensor %q: raw data of %d bytes is not a whole number of %d-byte %v elements", t.GetName(), len(raw), size, dt)
		}
		return count(len(raw) / size)
	}
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		if raw != nil {
			if err := rawCount(4); err != nil {
				return nil, err
			}
			c.F = make([]float32, n)
			for i := range c.F {
				c.F[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
			return c, nil
		}
		if err := count(len(t.GetFloatData())); err != nil {
			return nil, err
		}
		c.F = append(make([]float32, 0, n), t.GetFloatData()...)
	case onnxpb.TensorProto_DOUBLE:
		if raw != nil {
			if err := rawCount(8); err != nil {
				return nil, err
			}
			c.F = make([]float32, n)
			for i := range c.F {
				c.F[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
			}
			return c, nil
		}
		if err := count(len(t.GetDoubleData())); err != nil {
			return nil, err
		}
		c.F = make([]float32, n)
		for i, v := range t.GetDoubleData() {
			c.F[i] = float32(v)
		}
	case onnxpb.TensorProto_INT64:
		if raw != nil {
			if err := rawCount(8); err != nil {
				return nil, err
			}
			c.I = make([]int64, n)
			for i := range c.I {
				c.I[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
			return c, nil
		}
		if err := count(len(t.GetInt64Data())); err != nil {
			return nil, err
		}
		c.I = append(make([]int64, 0, n), t.GetInt64Data()...)
	case onnxpb.TensorProto_INT32:
		if raw != nil {
			if err := rawCount(4); err != nil {
				return nil, err
			}
			c.I = make([]int64, n)
			for i := range c.I {
				c.I[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
			}
			return c, nil
		}
		if err := count(len(t.GetInt32Data())); err != nil {
			return nil, err
		}
		c.I = make([]int64, n)
		for i, v := range t.GetInt32Data() {
			c.I[i] = int64(v)
		}
	case onnxpb.TensorProto_BOOL, onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8:
		if raw != nil {
			if err := rawCount(1); err != nil {
				return nil, err
			}
			c.I = make([]int64, n)
			for i, b := range raw {
				if dt == onnxpb.TensorProto_INT8 {
					c.I[i] = int64(int8(b))
				} else {
					c.I[i] = int64(b)
				}
			}
			return c, nil
		}
		if err := count(len(t.GetInt32Data())); err != nil {
			return nil, err
		}
		c.I = make([]int64, n)
		for i, v := range t.GetInt32Data() {
			c.I[i] = int64(v)
		}
	default:
		return nil, fmt.Errorf("tensor %q: data type %v is not supported (want FLOAT, DOUBLE, INT64, INT32, INT8, UINT8 or BOOL)", t.GetName(), dt)
	}
	return c, nil
}
