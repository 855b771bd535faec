package model

import (
	"bytes"
	"strings"
	"testing"
)

func tinyGraph() *Graph {
	w := NewTensor(3, 4)
	for i := range w.Data {
		w.Data[i] = float32(i) - 5
	}
	b := NewTensor(3)
	b.Data[1] = 0.5
	return &Graph{
		Name:    "tiny",
		Inputs:  []Value{{Name: "x", Shape: []int{4}}},
		Outputs: []Value{{Name: "y"}},
		Nodes: []*Node{
			{Name: "fc", Op: OpDense, Inputs: []string{"x"}, Outputs: []string{"h"}, Weight: w, Bias: b},
			{Name: "relu", Op: OpRelu, Inputs: []string{"h"}, Outputs: []string{"y"}},
		},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	g := tinyGraph()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := g.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	h := g.Hash()
	back, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != h {
		t.Error("hash changed across a round trip")
	}
	if got := back.Shapes["y"]; len(got) != 1 || got[0] != 3 {
		t.Errorf("decoded graph has shape %v for y, want [3]", got)
	}
	c := g.Clone()
	c.Nodes[0].Weight.Data[0] = 42
	if c.Hash() == h {
		t.Error("changing a weight did not change the hash")
	}
	if g.Nodes[0].Weight.Data[0] == 42 {
		t.Error("Clone shares weights with the original")
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	if _, err := Decode(strings.NewReader("not a model")); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("garbage: err = %v, want a bad-magic error", err)
	}
	g := tinyGraph()
	data, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(data[:len(data)/2])); err == nil {
		t.Error("truncated IR decoded without error")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	g := tinyGraph()
	g.Nodes[0].Inputs = []string{"missing"}
	g.Nodes = append(g.Nodes, &Node{Name: "odd", Op: "Mystery", Inputs: []string{"x"}, Outputs: []string{"z"}})
	err := g.Validate()
	if err == nil {
		t.Fatal("invalid graph validated")
	}
	for _, want := range []string{`"missing"`, `"odd"`, "unknown IR operator"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
