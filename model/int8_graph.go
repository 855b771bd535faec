package model

// quantMap returns the int8 quantization of graph values by name (Graph.Quant), or nil when the
// graph has none.
func (g *Graph) quantMap() map[string]*QuantParams {
	if len(g.Quant) == 0 {
		return nil
	}
	m := make(map[string]*QuantParams, len(g.Quant))
	for _, q := range g.Quant {
		m[q.Name] = q.Params
	}
	return m
}

// ValueQuantOf returns the int8 quantization of a graph value, or nil when the value holds
// float32 data.
func (g *Graph) ValueQuantOf(name string) *QuantParams {
	for _, q := range g.Quant {
		if q.Name == name {
			return q.Params
		}
	}
	return nil
}
