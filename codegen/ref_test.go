package codegen

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/tcdse/tcdse/model"
)

// refRun is a deliberately plain single-sample reference interpreter (float64 accumulation)
// used to produce expected outputs independently of the generated C.
func refRun(g *model.Graph, in []float32) ([]float32, error) {
	vals := map[string][]float32{g.Inputs[0].Name: in}
	shape := func(name string) []int { return g.Shapes[name] }
	for _, n := range g.Nodes {
		x := vals[n.Inputs[0]]
		xs := shape(n.Inputs[0])
		ys := shape(n.Outputs[0])
		ny, _ := model.NumElements(ys)
		y := make([]float32, ny)
		switch n.Op {
		case model.OpConv:
			s, p, d := n.ConvGeometry()
			w := n.Weight
			grp := n.Groups()
			cpg, mpg := xs[0]/grp, ys[0]/grp
			kh, kw := w.Shape[2], w.Shape[3]
			for m := 0; m < ys[0]; m++ {
				for oy := 0; oy < ys[1]; oy++ {
					for ox := 0; ox < ys[2]; ox++ {
						acc := 0.0
						if n.Bias != nil {
							acc = float64(n.Bias.Data[m])
						}
						for ci := 0; ci < cpg; ci++ {
							c := (m/mpg)*cpg + ci
							for ky := 0; ky < kh; ky++ {
								for kx := 0; kx < kw; kx++ {
									iy := oy*s[0] - p[0] + ky*d[0]
									ix := ox*s[1] - p[1] + kx*d[1]
									if iy < 0 || iy >= xs[1] || ix < 0 || ix >= xs[2] {
										continue
									}
									acc += float64(w.Data[((m*cpg+ci)*kh+ky)*kw+kx]) * float64(x[(c*xs[1]+iy)*xs[2]+ix])
								}
							}
						}
						y[(m*ys[1]+oy)*ys[2]+ox] = float32(acc)
					}
				}
			}
		case model.OpDense:
			k := len(x)
			for o := range y {
				acc := 0.0
				if n.Bias != nil {
					acc = float64(n.Bias.Data[o])
				}
				for i := 0; i < k; i++ {
					acc += float64(n.Weight.Data[o*k+i]) * float64(x[i])
				}
				y[o] = float32(acc)
			}
		case model.OpMaxPool, model.OpAvgPool:
			s, p, _ := n.ConvGeometry()
			kh, kw := n.Attrs.Kernel[0], n.Attrs.Kernel[1]
			for c := 0; c < ys[0]; c++ {
				for oy := 0; oy < ys[1]; oy++ {
					for ox := 0; ox < ys[2]; ox++ {
						best, sum, cnt := math.Inf(-1), 0.0, 0
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy, ix := oy*s[0]-p[0]+ky, ox*s[1]-p[1]+kx
								if iy < 0 || iy >= xs[1] || ix < 0 || ix >= xs[2] {
									continue
								}
								v := float64(x[(c*xs[1]+iy)*xs[2]+ix])
								best = math.Max(best, v)
								sum += v
								cnt++
							}
						}
						o := (c*ys[1]+oy)*ys[2] + ox
						if n.Op == model.OpMaxPool {
							y[o] = float32(best)
						} else {
							y[o] = float32(sum / float64(cnt))
						}
					}
				}
			}
		case model.OpAdd:
			b := vals[n.Inputs[1]]
			for i := range y {
				y[i] = x[i] + b[i]
			}
		case model.OpRelu:
			for i := range y {
				y[i] = float32(math.Max(float64(x[i]), 0))
			}
		case model.OpSoftmax:
			l := ys[len(ys)-1]
			for r := 0; r < ny/l; r++ {
				row := x[r*l : (r+1)*l]
				top := math.Inf(-1)
				for _, v := range row {
					top = math.Max(top, float64(v))
				}
				sum := 0.0
				for _, v := range row {
					sum += math.Exp(float64(v) - top)
				}
				for i, v := range row {
					y[r*l+i] = float32(math.Exp(float64(v)-top) / sum)
				}
			}
		case model.OpReshape:
			copy(y, x)
		default:
			return nil, fmt.Errorf("refRun: op %s", n.Op)
		}
		vals[n.Outputs[0]] = y
	}
	return vals[g.Outputs[0].Name], nil
}

// refVectors draws n random inputs and computes the expected outputs with the Go interpreter
// (model.Run).
func refVectors(g *model.Graph, n int, seed int64) (*TestVectors, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(seed))
	in := model.NewTensor(append([]int{n}, g.Shapes[g.Inputs[0].Name]...)...)
	for i := range in.Data {
		in.Data[i] = float32(rng.NormFloat64())
	}
	return interpreterVectors(g, in)
}

// interpreterVectors runs the inputs [N, ...] through model.Run.
func interpreterVectors(g *model.Graph, in *model.Tensor) (*TestVectors, error) {
	outs, err := g.Run(in)
	if err != nil {
		return nil, err
	}
	return &TestVectors{Inputs: in, Outputs: outs[0]}, nil
}
