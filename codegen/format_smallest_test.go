package codegen

import "testing"

// TestFormatSmallest: at 80% sparsity a large int8 layer of ad01 under "smallest" takes the
// fewest bytes of all formats, where "auto" trades some bytes for instructions.
func TestFormatSmallest(t *testing.T) {
	g := q8Sparse(loadExample(t, "ad01/ad01_int8.tflite"), 0.8, 5)
	plan := func(format string) LayerPlan {
		p, err := PlanGraph(g, Options{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Layers {
			if l.Kind == KindDense && l.Rows*l.Cols >= 16384 {
				return l
			}
		}
		t.Fatal("no dense layer")
		return LayerPlan{}
	}
	small, auto := plan(FormatSmallest), plan(FormatAuto)
	t.Logf("smallest: %s %d B; auto: %s %d B", small.Format, small.WeightBytes, auto.Format, auto.WeightBytes)
	for _, f := range []string{FormatDense, FormatCSR, FormatRCSR8, FormatRCSR4, FormatSparse8} {
		if l := plan(f); l.WeightBytes < small.WeightBytes {
			t.Errorf("%s takes %d B, fewer than smallest's %s %d B", f, l.WeightBytes, small.Format, small.WeightBytes)
		}
	}
	if auto.Format == small.Format {
		t.Errorf("auto and smallest both chose %s; the test wants a layer where they differ", auto.Format)
	}
}
