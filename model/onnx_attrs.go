package model

import (
	"fmt"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// onnxAttrs gives typed access to a node's attributes.
type onnxAttrs map[string]*onnxpb.AttributeProto

func attrsOf(n *onnxpb.NodeProto) onnxAttrs {
	m := make(onnxAttrs, len(n.GetAttribute()))
	for _, a := range n.GetAttribute() {
		m[a.GetName()] = a
	}
	return m
}

// has reports whether the attribute is present.
func (a onnxAttrs) has(name string) bool { _, ok := a[name]; return ok }

// int returns an INT attribute, or def when it is absent.
func (a onnxAttrs) int(name string, def int64) (int64, error) {
	p, ok := a[name]
	if !ok {
		return def, nil
	}
	if p.GetType() != onnxpb.AttributeProto_INT {
		return 0, fmt.Errorf("attribute %s has type %v, want INT", name, p.GetType())
	}
	return p.GetI(), nil
}

// float returns a FLOAT attribute, or def when it is absent.
func (a onnxAttrs) float(name string, def float32) (float32, error) {
	p, ok := a[name]
	if !ok {
		return def, nil
	}
	if p.GetType() != onnxpb.AttributeProto_FLOAT {
		return 0, fmt.Errorf("attribute %s has type %v, want FLOAT", name, p.GetType())
	}
	return p.GetF(), nil
}

// string returns a STRING attribute, or def when it is absent.
func (a onnxAttrs) string(name, def string) (string, error) {
	p, ok := a[name]
	if !ok {
		return def, nil
	}
	if p.GetType() != onnxpb.AttributeProto_STRING {
		return "", fmt.Errorf("attribute %s has type %v, want STRING", name, p.GetType())
	}
	return string(p.GetS()), nil
}

// ints returns an INTS attribute as ints of exactly want elements (any length when want < 0),
// or def when it is absent. Values must lie in [lo, hi].
func (a onnxAttrs) ints(name string, want int, def []int, lo, hi int64) ([]int, error) {
	p, ok := a[name]
	if !ok {
		return def, nil
	}
	if p.GetType() != onnxpb.AttributeProto_INTS {
		return nil, fmt.Errorf("attribute %s has type %v, want INTS", name, p.GetType())
	}
	vs := p.GetInts()
	if want >= 0 && len(vs) != want {
		return nil, fmt.Errorf("attribute %s has %d values %v, want %d", name, len(vs), vs, want)
	}
	out := make([]int, len(vs))
	for i, v := range vs {
		if v < lo || v > hi {
			return nil, fmt.Errorf("attribute %s value %d is outside [%d, %d]", name, v, lo, hi)
		}
		out[i] = int(v)
	}
	return out, nil
}
