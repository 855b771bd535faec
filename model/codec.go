package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
)

// irMagic starts every encoded graph so that a wrong file gives a clear error.
const irMagic = "TCDSE-IR-1\n"

// Encode writes the graph in tcdse's own binary IR format. The encoding is deterministic: the
// same graph always gives the same bytes, which Hash relies on.
func (g *Graph) Encode(w io.Writer) error {
	if _, err := io.WriteString(w, irMagic); err != nil {
		return err
	}
	shapes := g.Shapes
	g.Shapes = nil // a map would make gob's output order-dependent; Decode recomputes it
	defer func() { g.Shapes = shapes }()
	return gob.NewEncoder(w).Encode((*graphData)(g))
}

// graphData is Graph without its methods: gob would otherwise call MarshalBinary, which calls
// Encode, forever.
type graphData Graph

// MarshalBinary returns the Encode bytes.
func (g *Graph) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if err := g.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode reads a graph written by Encode and validates it.
func Decode(r io.Reader) (*Graph, error) {
	magic := make([]byte, len(irMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != irMagic {
		return nil, fmt.Errorf("not a tcdse IR file (bad magic)")
	}
	var g Graph
	if err := gob.NewDecoder(r).Decode((*graphData)(&g)); err != nil {
		return nil, fmt.Errorf("decoding tcdse IR: %w", err)
	}
	for _, n := range g.Nodes {
		for _, t := range []*Tensor{n.Weight, n.Bias, n.Recurrent, n.InitialH, n.InitialC} {
			if t == nil {
				continue
			}
			if k, err := NumElements(t.Shape); err != nil || k != len(t.Data) {
				return nil, errNode(n, "tensor shape %v does not match its %d elements", t.Shape, len(t.Data))
			}
		}
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("decoding tcdse IR: %w", err)
	}
	return &g, nil
}

// Hash returns the hex SHA-256 of the graph's encoding: its content address.
func (g *Graph) Hash() string {
	h := sha256.New()
	if err := g.Encode(h); err != nil {
		panic(err) // writing to a hash cannot fail; gob fails only on unsupported types
	}
	return hex.EncodeToString(h.Sum(nil))
}
