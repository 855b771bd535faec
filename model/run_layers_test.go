package model_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// TestConvMatchesDirectLoops compares the im2col convolution with a direct six-loop reference on
// random geometries: strides, asymmetric pads, dilations, groups, and layers large enough that
// pixel chunks straddle samples.
func TestConvMatchesDirectLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ran := 0
	for trial := 0; trial < 40; trial++ {
		groups := 1 + rng.IntN(3)
		c := groups * (1 + rng.IntN(4))
		m := groups * (1 + rng.IntN(4))
		if trial%10 == 0 {
			c, m = groups*40, groups*2 // a long K forces small pixel chunks
		}
		kh, kw := 1+rng.IntN(4), 1+rng.IntN(4)
		h, w := kh+rng.IntN(9), kw+rng.IntN(9)
		n := &model.Node{
			Name: fmt.Sprint("conv", trial), Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"y"},
			Weight: randTensor(rng, m, c/groups, kh, kw), Bias: randTensor(rng, m),
			Attrs: model.Attrs{
				Strides:   []int{1 + rng.IntN(3), 1 + rng.IntN(3)},
				Pads:      []int{rng.IntN(kh), rng.IntN(kw), rng.IntN(kh), rng.IntN(kw)},
				Dilations: []int{1 + rng.IntN(2), 1 + rng.IntN(2)},
				Group:     groups,
			},
		}
		g := &model.Graph{Inputs: []model.Value{{Name: "x", Shape: []int{c, h, w}}}, Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}}
		if err := g.Validate(); err != nil {
			continue // window larger than the padded input
		}
		ran++
		batch := 1 + rng.IntN(5)
		x := randTensor(rng, batch, c, h, w)
		out, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		want := directConv(n, x, g.Shapes["y"])
		for i := range want {
			if math.Abs(float64(out[0].Data[i]-want[i])) > 1e-4 {
				t.Fatalf("trial %d (%+v, input %v): element %d = %v, want %v", trial, n.Attrs, x.Shape, i, out[0].Data[i], want[i])
			}
		}
	}
	if ran < 30 {
		t.Errorf("only %d of 40 random geometries were valid", ran)
	}
	t.Logf("%d random convolutions matched", ran)
}

func directConv(n *model.Node, x *model.Tensor, out []int) []float32 {
	b, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, oh, ow := out[0], out[1], out[2]
	g := n.Groups()
	cg, mg := c/g, m/g
	kh, kw := n.Weight.Shape[2], n.Weight.Shape[3]
	s, p, d := n.ConvGeometry()
	y := make([]float32, b*m*oh*ow)
	for bi := 0; bi < b; bi++ {
		for mi := 0; mi < m; mi++ {
			gi := mi / mg
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var sum float64
					for ci := 0; ci < cg; ci++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy, ix := oy*s[0]-p[0]+ky*d[0], ox*s[1]-p[1]+kx*d[1]
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								xv := x.Data[((bi*c+gi*cg+ci)*h+iy)*w+ix]
								wv := n.Weight.Data[((mi*cg+ci)*kh+ky)*kw+kx]
								sum += float64(xv) * float64(wv)
							}
						}
					}
					y[((bi*m+mi)*oh+oy)*ow+ox] = float32(sum) + n.Bias.Data[mi]
				}
			}
		}
	}
	return y
}

// TestPoolDenseSoftmaxAdd checks the remaining kernels on small hand-computed cases.
func TestPoolDenseSoftmaxAdd(t *testing.T) {
	g := &model.Graph{
		Inputs:  []model.Value{{Name: "x", Shape: []int{1, 3, 3}}, {Name: "z", Shape: []int{1, 2, 2}}},
		Outputs: []model.Value{{Name: "max"}, {Name: "avg"}, {Name: "sum"}, {Name: "soft"}, {Name: "dense"}},
		Nodes: []*model.Node{
			{Name: "mp", Op: model.OpMaxPool, Inputs: []string{"x"}, Outputs: []string{"max"},
				Attrs: model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: []int{1, 1, 0, 0}}},
			{Name: "ap", Op: model.OpAvgPool, Inputs: []string{"x"}, Outputs: []string{"avg"},
				Attrs: model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: []int{1, 1, 0, 0}}},
			{Name: "add", Op: model.OpAdd, Inputs: []string{"max", "z"}, Outputs: []string{"sum"}},
			{Name: "flat", Op: model.OpReshape, Inputs: []string{"sum"}, Outputs: []string{"flat"}, Attrs: model.Attrs{Shape: []int{4}}},
			{Name: "sm", Op: model.OpSoftmax, Inputs: []string{"flat"}, Outputs: []string{"soft"}},
			{Name: "fc", Op: model.OpDense, Inputs: []string{"flat"}, Outputs: []string{"dense"},
				Weight: &model.Tensor{Shape: []int{2, 4}, Data: []float32{1, 0, 0, 0, 1, 1, 1, 1}},
				Bias:   &model.Tensor{Shape: []int{2}, Data: []float32{0.5, -1}}},
		},
	}
	x := &model.Tensor{Shape: []int{1, 1, 3, 3}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}}
	z := &model.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{0, 1, 0, -9}}
	out, err := g.Run(x, z)
	if err != nil {
		t.Fatal(err)
	}
	// Windows (top-left padding 1): {1}, {2,3}, {4,7}, {5,6,8,9}.
	checks := []struct {
		name string
		got  []float32
		want []float32
	}{
		{"max", out[0].Data, []float32{1, 3, 7, 9}},
		{"avg", out[1].Data, []float32{1, 2.5, 5.5, 7}},
		{"sum", out[2].Data, []float32{1, 4, 7, 0}},
		{"dense", out[4].Data, []float32{1.5, 11}},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var total float64
	e := []float64{math.Exp(1), math.Exp(4), math.Exp(7), math.Exp(0)}
	for _, v := range e {
		total += v
	}
	for i, v := range out[3].Data {
		if math.Abs(float64(v)-e[i]/total) > 1e-7 {
			t.Errorf("softmax[%d] = %v, want %v", i, v, e[i]/total)
		}
	}
	if !slices.Equal(out[3].Shape, []int{1, 4}) || !slices.Equal(out[0].Shape, []int{1, 1, 2, 2}) {
		t.Errorf("shapes %v %v", out[3].Shape, out[0].Shape)
	}
}

func randTensor(rng *rand.Rand, shape ...int) *model.Tensor {
	t := model.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}
