package codegen

import (
	"math/rand"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// lstmNet: LSTM over [6, 5] with hidden size 7, then a dense head; sequence selects the
// [T, H] output (flattened) or the last hidden state.
func lstmNet(seed int64, sequence, states bool) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	const steps, in, hid = 6, 5, 7
	l := &model.Node{Name: "lstm", Op: model.OpLSTM, Inputs: []string{"x"}, Outputs: []string{"h"},
		Attrs:     model.Attrs{Hidden: hid, Sequence: sequence},
		Weight:    randTensor(rng, 0.5, 4*hid, in),
		Recurrent: randTensor(rng, 0.5, 4*hid, hid),
		Bias:      randTensor(rng, 0.2, 8*hid)}
	if states {
		l.InitialH, l.InitialC = randTensor(rng, 0.5, hid), randTensor(rng, 0.5, hid)
	}
	return graph("lstmnet", "x", []int{steps, in}, "y", withDenseHead(rng, l, steps, hid, sequence)...)
}

// withDenseHead returns the recurrent node l (output "h", hidden size hid over steps time
// steps) followed by a dense head "fc" of 3 outputs ("y") over its last state, or over the
// flattened sequence when sequence is set.
func withDenseHead(rng *rand.Rand, l *model.Node, steps, hid int, sequence bool) []*model.Node {
	nodes := []*model.Node{l}
	k, x := hid, "h"
	if sequence {
		k = steps * hid
		nodes = append(nodes, opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{k}}, "h"))
		x = "flat"
	}
	nodes = append(nodes, denseNode(rng, "fc", x, "y", 3, k, true))
	return nodes
}

func TestLSTMKernel(t *testing.T) {
	requireGCC(t)
	asan := "-std=c99 -O1 -g -Wall -Wextra -Wshadow -Werror -fsanitize=address,undefined -fno-sanitize-recover=all"
	for _, c := range []struct{ sequence, states bool }{{false, false}, {true, true}, {false, true}} {
		g := lstmNet(int64(7+b2i(c.sequence)), c.sequence, c.states)
		tv := vectorsFor(t, g, 3)
		out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
		p := out.Plan
		l := layerByNode(t, p, "lstm")
		if l.Kind != KindRecurrent || l.Kernel != "lstm" || l.MACs != 6*28*(5+7) {
			t.Errorf("lstm layer: kind %q kernel %q MACs %d", l.Kind, l.Kernel, l.MACs)
		}
		scratch := false
		for _, b := range p.Buffers {
			if b.Values[0] == "lstm#scratch" {
				scratch = b.Bytes == 10*7*4 && b.FirstNode == 0 && b.LastNode == 0
			}
		}
		if !scratch {
			t.Errorf("no 280-byte scratch buffer live only at the lstm node: %+v", p.Buffers)
		}
		checkArena(t, p, len(g.Nodes))
		assertPass(t, "lstm", buildAndRun(t, out, ""), 3, 1e-5)
		assertPass(t, "lstm (asan+ubsan)", buildAndRun(t, out, asan), 3, 1e-5)
	}
}
