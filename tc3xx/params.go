package tc3xx

import "fmt"

// Param is one cost-model parameter.
type Param struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Basis Basis   `json:"basis"`
	Note  string  `json:"note"`
}

// CostModel is the parameter table of one core architecture.
type CostModel struct {
	Arch   string  `json:"arch"`
	Params []Param `json:"params"`
}

// TC162P is the cost model of the TC1.6.2P core: THE table of cost parameters. The formulas
// that use them are in the package documentation.
var TC162P = CostModel{Arch: "TC1.6.2P", Params: []Param{
	{"mac", 2, "cycles per MAC", Assumed,
		"two 32-bit operand loads (weight, activation) through the single load/store pipeline per MAC; " +
			"MADD.F issues in parallel on the integer/FPU pipeline at one per cycle (pipelined FPU)"},
	{"scatter_mac", 3, "cycles per MAC", Assumed,
		"CSR convolution inner loop: load activation, load output, store output (3 load/store slots); weight held in a register"},
	{"csr_index", 2, "cycles per stored weight", Assumed,
		"CSR dense layer: load the column index, form the address; the dependent activation load stalls on it"},
	{"csr_row", 4, "cycles per weight row", Assumed, "CSR row pointer loads and loop set-up"},
	{"csr_conv_decode", 30, "cycles per stored weight", Assumed,
		"CSR convolution: split the column into (channel, ky, kx) with two integer divisions and compute the valid output ranges"},
	{"loop", 2, "cycles per inner-loop entry", Assumed, "loop set-up and bounds; TriCore's zero-overhead LOOP removes per-iteration cost"},
	{"output", 4, "cycles per output element", Assumed, "bias load, ReLU select, store, outer-loop step"},
	{"pool_tap", 2, "cycles per window element", Assumed, "load and compare or add, with bounds checks"},
	{"elementwise", 3, "cycles per element", Assumed, "Add: two loads and a store"},
	{"relu", 2, "cycles per element", Assumed, "load, compare/select, store"},
	{"copy", 1, "cycles per element", Assumed, "memcpy with 64-bit loads and stores"},
	{"softmax_exp", 60, "cycles per element", Assumed, "expf in software on the single-precision FPU"},
	{"softmax_elem", 25, "cycles per element", Assumed, "max, sum and DIV.F (multi-cycle divide)"},
	{"call", 40, "cycles per layer", Assumed, "call, context save/restore (CSA), geometry loads"},
	{"line_bytes", 32, "bytes", Assumed, "data cache line and PFlash read width: 256 bits"},
	{"line_fill", 12, "cycles per line", Assumed,
		"PFlash read at 300 MHz through the data cache: flash wait states plus SRI transfer of one 256-bit line"},
}}

// Param returns a parameter's value by name.
func (m CostModel) Param(name string) (float64, error) {
	for _, p := range m.Params {
		if p.Name == name {
			return p.Value, nil
		}
	}
	return 0, fmt.Errorf("tc3xx: cost model %s has no parameter %q", m.Arch, name)
}

// costParams is a cost model resolved into fields for the estimator.
type costParams struct {
	mac, scatterMAC, csrIndex, csrRow, csrConvDecode, loop, output  float64
	poolTap, elementwise, relu, copy, softmaxExp, softmaxElem, call float64
	lineBytes, lineFill                                             float64
}

func (m CostModel) resolve() (costParams, error) {
	var p costParams
	fields := []struct {
		name string
		dst  *float64
	}{
		{"mac", &p.mac}, {"scatter_mac", &p.scatterMAC}, {"csr_index", &p.csrIndex}, {"csr_row", &p.csrRow},
		{"csr_conv_decode", &p.csrConvDecode}, {"loop", &p.loop}, {"output", &p.output},
		{"pool_tap", &p.poolTap}, {"elementwise", &p.elementwise}, {"relu", &p.relu}, {"copy", &p.copy},
		{"softmax_exp", &p.softmaxExp}, {"softmax_elem", &p.softmaxElem}, {"call", &p.call},
		{"line_bytes", &p.lineBytes}, {"line_fill", &p.lineFill},
	}
	for _, f := range fields {
		v, err := m.Param(f.name)
		if err != nil {
			return p, err
		}
		if v < 0 {
			return p, fmt.Errorf("tc3xx: cost model %s: parameter %q is negative (%g)", m.Arch, f.name, v)
		}
		*f.dst = v
	}
	if p.lineBytes <= 0 {
		return p, fmt.Errorf("tc3xx: cost model %s: line_bytes must be positive", m.Arch)
	}
	return p, nil
}

// CostModelFor returns the cost model of a core architecture.
func CostModelFor(arch string) (CostModel, error) {
	switch arch {
	case TC162P.Arch:
		return TC162P, nil
	}
	return CostModel{}, fmt.Errorf("tc3xx: no cost model for core architecture %q (known: %s)", arch, TC162P.Arch)
}
