package explore

import "testing"

func TestSummarize(t *testing.T) {
	g := tinyGraph()
	s := Summarize(g)
	if s.Params != 12+3+6+2 || s.NonzeroParams != s.Params || s.Weights != 18 || s.ZeroWeights != 0 || s.Sparsity != 0 {
		t.Errorf("unpruned summary = %+v", s)
	}
	p, err := Prune(g, Rates{"fc1": 0.5, "fc2": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	p.Node("fc2").Bias.Data[0] = 0 // a zero bias counts in NonzeroParams but not in weight sparsity
	s = Summarize(p)
	if s.ZeroWeights != 9 || s.Sparsity != 0.5 || s.NonzeroParams != 23-9-1 {
		t.Errorf("pruned summary = %+v", s)
	}
	if got := Sparsity(p); got != 0.5 {
		t.Errorf("Sparsity = %v, want 0.5", got)
	}
	if got := NonzeroParams(p); got != 13 {
		t.Errorf("NonzeroParams = %v, want 13", got)
	}
	layers := SparsityByLayer(p)
	if len(layers) != 2 || layers[0].Layer != "fc1" || layers[0].Zeros != 6 || layers[0].Weights != 12 ||
		layers[1].Layer != "fc2" || layers[1].Zeros != 3 || layers[1].Sparsity != 0.5 {
		t.Errorf("SparsityByLayer = %+v", layers)
	}
}
