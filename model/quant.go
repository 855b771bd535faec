package model

// QuantParams are affine quantization parameters, real = Scale·(q − ZeroPoint), either per
// tensor (one scale and zero point) or per channel along Axis (one per channel), as in TFLite and
// ONNX.
type QuantParams struct {
	Scale     []float32
	ZeroPoint []int32
	Axis      int `json:",omitempty"`
}

// PerChannel reports whether the parameters have one entry per channel.
func (q *QuantParams) PerChannel() bool { return q != nil && len(q.Scale) > 1 }

// Clone returns a deep copy.
func (q *QuantParams) Clone() *QuantParams {
	if q == nil {
		return nil
	}
	return &QuantParams{Scale: append([]float32(nil), q.Scale...), ZeroPoint: append([]int32(nil), q.ZeroPoint...), Axis: q.Axis}
}

// QTensor is an int8 tensor with its quantization.
type QTensor struct {
	Shape []int
	Data  []int8
	Quant QuantParams
}

// Clone returns a deep copy.
func (t *QTensor) Clone() *QTensor {
	if t == nil {
		return nil
	}
	return &QTensor{Shape: append([]int(nil), t.Shape...), Data: append([]int8(nil), t.Data...), Quant: *t.Quant.Clone()}
}

// ValueQuant records that a graph value holds int8 data with the given quantization. The
// interpreter stores such values in float32 tensors holding the integer values exactly.
type ValueQuant struct {
	Name   string
	Params *QuantParams
}
