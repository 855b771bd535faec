package tc3xx

import (
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// Data movement layers (codegen.KindMove) are priced as copies per output element; a
// broadcasting Mul by a constant like any binary elementwise operator, its constant counted as
// weight bytes.
func TestMoveCosts(t *testing.T) {
	node := func(name string, op model.Op, a model.Attrs, ins ...string) *model.Node {
		return &model.Node{Name: name, Op: op, Inputs: ins, Outputs: []string{name}, Attrs: a}
	}
	scale := model.NewTensor(4, 1, 1)
	g := &model.Graph{Name: "move", Inputs: []model.Value{{Name: "x", Shape: []int{4, 3, 5}}}, Outputs: []model.Value{{Name: "cat"}},
		Consts: []model.Const{{Name: "scale", Tensor: scale}},
		Nodes: []*model.Node{
			node("tr", model.OpTranspose, model.Attrs{Perm: []int{0, 2, 1}}, "x"),
			node("pad", model.OpPad, model.Attrs{Pads: []int{0, 1, 1, 0, 0, 0}}, "tr"),
			node("sc", model.OpMul, model.Attrs{}, "pad", "scale"),
			node("sl", model.OpSlice, model.Attrs{Starts: []int{1}, Ends: []int{4}, Axes: []int{1}}, "sc"),
			node("cat", model.OpConcat, model.Attrs{Axis: 1}, "sl", "sc"),
		}}
	tg, _ := Lookup("tc387:cpu0")
	e, err := Estimate(g, mustPlan(t, g), tg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		kind, param string
		count       float64
	}{
		"tr": {codegen.KindMove, "copy", 60}, "pad": {codegen.KindMove, "copy", 4 * 6 * 4},
		"sc": {codegen.KindElementwise, "elementwise", 96}, "sl": {codegen.KindMove, "copy", 4 * 3 * 4},
		"cat": {codegen.KindMove, "copy", 4 * 9 * 4},
	}
	for _, l := range e.Layers {
		w := want[l.Node]
		if l.Kind != w.kind || l.Counts[w.param] != w.count || l.Cycles <= 0 {
			t.Errorf("%s: kind %q counts %v cycles %d; want %s with %v × %s", l.Node, l.Kind, l.Counts, l.Cycles, w.kind, w.count, w.param)
		}
	}
	if e.WeightBytes != 4*4 {
		t.Errorf("weight bytes %d, want 16 (the per-channel constant)", e.WeightBytes)
	}
}
