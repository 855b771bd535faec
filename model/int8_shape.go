package model

// Int8 data movement: Reshape, Transpose, Concat, Pad, Gather and Slice move values without
// arithmetic, so their float32 kernels are exact on int8 values. An input whose quantization
// differs from the output's is first requantized as TFLite's Requantize does (for Concat this
// matches TFLite's rescaling of mismatched inputs); Pad fills with the pad value quantized to
// the output (the output zero point for the usual 0).

func init() {
	for _, op := range []Op{OpReshape, OpTranspose, OpConcat, OpPad, OpGather, OpSlice} {
		RegisterInt8(op, q8RunMove)
	}
}

// q8RunMove runs the float kernel of a data movement operator on int8 values.
func q8RunMove(n *Node, a RunArgs) error {
	out, err := q8Output(n)
	if err != nil {
		return err
	}
	k, err := kernelOf(n)
	if err != nil {
		return err
	}
	if k.Run == nil {
		return errNode(n, "the interpreter does not implement this operator")
	}
	b := a
	b.Ins = append([]*Tensor(nil), a.Ins...)
	for i, t := range a.Ins {
		in, err := q8Input(n, a, i)
		if err != nil {
			return err
		}
		if in == out {
			continue
		}
		r := newQ8Requant(in, out)
		c := &Tensor{Shape: t.Shape, Data: make([]float32, len(t.Data))}
		for j, v := range t.Data {
			c.Data[j] = float32(r.apply(int32(v)))
		}
		b.Ins[i] = c
	}
	m := n
	if n.Op == OpPad {
		cp := *n
		cp.Attrs.Value = float32(q8QuantizeValue(n.Attrs.Value, out.scale, out.zp, n.Attrs.FloatRequant))
		m = &cp
	}
	return k.Run(m, b)
}
