package codegen

import (
	"math"
	"strings"
	"testing"
)

// TestLSTMKernelClip checks the generated LSTM with a cell clip, a gate clip and both against
// the interpreter's vectors, with bounds small enough to bind, and that a clip changes the
// interpreter's output (so the comparison exercises the clipping code).
func TestLSTMKernelClip(t *testing.T) {
	requireGCC(t)
	for _, c := range []struct {
		name       string
		gate, cell float32
	}{{"cell", 0, 0.25}, {"gate", 0.4, 0}, {"both", 0.6, 0.3}} {
		t.Run(c.name, func(t *testing.T) {
			g := lstmNet(11, true, true)
			plain := vectorsFor(t, g, 3)
			l := g.Node("lstm")
			l.Attrs.GateClip, l.Attrs.CellClip = c.gate, c.cell
			tv := vectorsFor(t, g, 3)
			diff := 0.0
			for i, v := range tv.Outputs.Data {
				diff = max(diff, math.Abs(float64(v-plain.Outputs.Data[i])))
			}
			if diff < 1e-3 {
				t.Fatalf("the clip changes the interpreter's outputs by only %g; pick smaller bounds", diff)
			}
			out := generate(t, g, Options{Vectors: tv, BenchIterations: 1})
			bound, found := cFloat(max(c.gate, c.cell)), false
			for _, f := range out.Files {
				found = found || strings.Contains(string(f.Data), bound)
			}
			if !found {
				t.Errorf("no generated file contains the clip bound %s", bound)
			}
			assertPass(t, "clipped lstm", buildAndRun(t, out, ""), 3, 1e-5)
		})
	}
}

// TestLSTMClipRejectsBadBound checks that codegen refuses a negative clip with an error naming
// the node.
func TestLSTMClipRejectsBadBound(t *testing.T) {
	g := lstmNet(11, false, false)
	g.Node("lstm").Attrs.CellClip = -1
	_, err := Generate(g, Options{})
	if err == nil || !strings.Contains(err.Error(), `"lstm"`) || !strings.Contains(err.Error(), "CellClip") {
		t.Fatalf("got %v, want an error naming node lstm and CellClip", err)
	}
}
