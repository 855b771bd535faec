package peers

import (
	"fmt"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// BenchmarkFuseActivation measures activation fusion on the reference LeNet-5 and DS-CNN with
// every Relu replaced by Relu6 (Clip 0..6), HardSwish or Sigmoid: callgrind instructions per
// inference, code bytes and arena bytes with the activations fused into their producers and
// with codegen.Options.NoActivationFusion. Run it once:
// go test -run '^$' -bench FuseActivation -benchtime 1x ./bench/peers/
func BenchmarkFuseActivation(b *testing.B) {
	requireTools(b)
	dir := modelsDir(b)
	variants := []struct {
		name string
		op   model.Op
		a    model.Attrs
	}{
		{"relu6", model.OpClip, model.Attrs{Min: 0, Max: 6}},
		{"hardswish", model.OpHardSwish, model.Attrs{}},
		{"sigmoid", model.OpSigmoid, model.Attrs{}},
	}
	for _, name := range []string{"lenet5", "dscnn"} {
		base, _, _, err := loadReference(dir, name)
		if err != nil {
			b.Logf("%s: not measured: %v", name, err)
			continue
		}
		for _, v := range variants {
			g := base.Clone()
			for _, n := range g.Nodes {
				if n.Op == model.OpRelu {
					n.Op, n.Attrs = v.op, v.a
				}
			}
			in := model.NewTensor(append([]int{1}, g.Inputs[0].Shape...)...)
			for i := range in.Data {
				in.Data[i] = float32(i%17)/8 - 1
			}
			tv, err := interpreterVectors(g, in)
			if err != nil {
				b.Fatal(err)
			}
			pu, unfused := measure(b, g, tv, codegen.Options{NoActivationFusion: true})
			p, fused := measure(b, g, tv, codegen.Options{})
			fmt.Printf("%-7s %-10s Ir %10d -> %10d (%s)  code %6d -> %6d B  arena %6d -> %6d B\n", name, v.name,
				unfused.IrPerInference, fused.IrPerInference, ratio(fused.IrPerInference, unfused.IrPerInference),
				unfused.CodeBytes, fused.CodeBytes, pu.ArenaBytes, p.ArenaBytes)
		}
	}
}
