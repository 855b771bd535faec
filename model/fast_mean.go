package model

// fastMeanTrailing computes runMean when the reduced axes are the trailing ones (a global
// average pool over the pixels of each channel): output o of a sample is the float64 sum of the
// count consecutive inputs o·count… in order, divided by count — runMean's arithmetic. Eight
// outputs are summed side by side, so the additions of one do not wait for another's. It reports
// false, doing nothing, for other axes.
func fastMeanTrailing(a RunArgs, red []bool) bool {
	in := a.InShape[0]
	r := len(in)
	for r > 0 && red[r-1] {
		r--
	}
	for _, reduced := range red[:r] {
		if reduced {
			return false
		}
	}
	count := numElems(in[r:])
	per := numElems(in[:r])
	if count == 0 || per*count*a.Batch != len(a.Ins[0].Data) || per*a.Batch != len(a.Y.Data) {
		return false
	}
	outs := a.Batch * per
	x, y := a.Ins[0].Data, a.Y.Data
	div := float64(count)
	parallelFor(outs, 8, len(x), func(lo, hi int) {
		o := lo
		for ; o+8 <= hi; o += 8 {
			s := x[o*count : (o+8)*count]
			var a0, a1, a2, a3, a4, a5, a6, a7 float64
			for i := 0; i < count; i++ {
				a0 += float64(s[i])
				a1 += float64(s[count+i])
				a2 += float64(s[2*count+i])
				a3 += float64(s[3*count+i])
				a4 += float64(s[4*count+i])
				a5 += float64(s[5*count+i])
				a6 += float64(s[6*count+i])
				a7 += float64(s[7*count+i])
			}
			d := y[o : o+8]
			d[0], d[1], d[2], d[3] = float32(a0/div), float32(a1/div), float32(a2/div), float32(a3/div)
			d[4], d[5], d[6], d[7] = float32(a4/div), float32(a5/div), float32(a6/div), float32(a7/div)
		}
		for ; o < hi; o++ {
			var acc float64
			for _, v := range x[o*count : (o+1)*count] {
				acc += float64(v)
			}
			y[o] = float32(acc / div)
		}
	})
	return true
}
