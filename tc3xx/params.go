package tc3xx

import (
	"fmt"
	"sort"
	"strings"
)

// Calibrated marks a cost parameter fitted to board measurements by [Calibrate].
const Calibrated Basis = "calibrated"

// Category groups cost parameters in a [LayerCost] breakdown.
type Category string

// Categories of cost parameters.
const (
	// Compute covers MACs, window taps and elementwise work.
	Compute Category = "compute"
	// Index covers sparse-format bookkeeping (CSR).
	Index Category = "index"
	// Memory covers weight and activation traffic from memories slower than the DSPR.
	Memory Category = "memory"
	// Overhead covers calls, loop set-up, per-output work and requantization.
	Overhead Category = "overhead"
	// Structural parameters are not cycle counts (line size) and are never fitted.
	Structural Category = "structural"
)

// Param is one cost-model parameter.
type Param struct {
	Name     string   `json:"name" yaml:"name"`
	Value    float64  `json:"value" yaml:"value"`
	Unit     string   `json:"unit" yaml:"unit"`
	Basis    Basis    `json:"basis" yaml:"basis"`
	Category Category `json:"category" yaml:"category"`
	Note     string   `json:"note" yaml:"note"`
}

// CostModel is the parameter table of one core architecture.
type CostModel struct {
	Arch   string  `json:"arch" yaml:"arch"`
	Params []Param `json:"params" yaml:"params"`
	// Fit describes the calibration that produced the values, if any.
	Fit *FitReport `json:"fit,omitempty" yaml:"fit,omitempty"`
}

// TC162P is the cost model of the TC1.6.2P core: THE table of cost parameters. The formulas
// that use them are in the package documentation and docs/cost-model.md. Values marked
// assumed are derived from the TC1.6.2P pipeline structure as described in each note; they
// rank design points before any board has reported, and [Calibrate] replaces them with fitted
// values.
var TC162P = CostModel{Arch: "TC1.6.2P", Params: []Param{
	{"mac", 3, "cycles per MAC", Assumed, Compute,
		"float32 MAC in the generated loops (acc += w*x, one accumulator, no reassociation): the two operand loads " +
			"issue on the load/store pipeline (2 cycles) beside MADD.F on the integer/FPU pipeline; the loop-carried " +
			"MADD.F result latency (3 cycles on the pipelined TC1.6.2P FPU) bounds it"},
	{"mac_q8", 2, "cycles per MAC", Assumed, Compute,
		"int8 MAC into a register accumulator (the sparse kernels; dense dot products add q8_dot_partial): two byte " +
			"loads on the load/store pipeline, integer MADD (2-cycle latency) on the integer pipeline"},
	{"scatter_mac", 3, "cycles per MAC", Assumed, Compute,
		"CSR convolution inner loop: load activation, load output, store output (3 load/store slots); weight held in a register"},
	{"csr_index", 2, "cycles per stored weight", Assumed, Index,
		"CSR dense layer, int8 CSR and sparse8 convolution entry: load the column index, form the address; the " +
			"dependent activation load stalls on it"},
	{"csr_row", 4, "cycles per weight row", Assumed, Index, "CSR row pointer loads and loop set-up"},
	{"csr_conv_decode", 30, "cycles per stored weight", Assumed, Index,
		"CSR convolution: split the column into (channel, ky, kx) with two integer divisions and compute the valid output ranges"},
	{"loop", 2, "cycles per inner-loop entry", Assumed, Overhead, "loop set-up and bounds; TriCore's zero-overhead LOOP removes per-iteration cost"},
	{"output", 4, "cycles per output element", Assumed, Overhead, "bias load, ReLU select, store, outer-loop step"},
	{"requant", 8, "cycles per output element", Assumed, Overhead,
		"int8 layers: 32x32->64 multiply by the fixed-point multiplier, rounding shift, zero point, clamp to int8"},
	{"pool_tap", 2, "cycles per window element", Assumed, Compute, "load and compare or add, with bounds checks"},
	{"elementwise", 3, "cycles per element", Assumed, Compute, "Add, Sub, Mul: two loads and a store"},
	{"relu", 2, "cycles per element", Assumed, Compute, "load, compare/select, store"},
	{"copy", 1, "cycles per element", Assumed, Compute, "memcpy with 64-bit loads and stores"},
	{"softmax_exp", 60, "cycles per element", Assumed, Compute, "expf in software on the single-precision FPU"},
	{"softmax_elem", 25, "cycles per element", Assumed, Compute, "max, sum and DIV.F (multi-cycle divide)"},
	{"gate_act", 70, "cycles per gate element", Assumed, Compute,
		"recurrent layers: sigmoid or tanh of one gate element (expf in software plus DIV.F)"},
	{"call", 40, "cycles per layer", Assumed, Overhead, "call, context save/restore (CSA), geometry loads"},
	{"line_bytes", 32, "bytes", Documented, Structural,
		"TC1.6.2P data cache line and PFlash read width: 256 bits (TC3xx user manual, CPU and NVM chapters)"},
	{"pflash_line", 3, "cycles per line", Assumed, Memory,
		"cached PFlash line fill beyond the flash array read (which the catalog gives per derivative as pflash_read_cycles): " +
			"the 256-bit line crosses the local PFI path and refills the data cache"},
	{"pflash_nc_word", 5, "cycles per 32-bit load", Assumed, Memory,
		"non-cached PFlash (segment 0xA): every weight load is a bus read served from the PFI read buffer; " +
			"the array read per 256-bit line is added from the catalog"},
	{"lmu_line", 10, "cycles per line", Assumed, Memory,
		"cached LMU SRAM: line fill over the SRI crossbar (request, arbitration, four 64-bit beats, cache refill)"},
	{"dlmu_line", 6, "cycles per line", Assumed, Memory,
		"activations in the core's own DLMU, cached: line fill over the local DLMU path (DSPR accesses cost none)"},
	// int8 kernel specifics: assumptions like the rest, each a TriCore pipeline count, chosen
	// so that int8 design points rank as the host's instruction counts do (see
	// TestInt8RankingAgreesWithInstructionCounts). Appended last: the order of the table is
	// part of the calibration tests' random draws.
	{"q8_dot_partial", 2, "cycles per MAC", Assumed, Compute,
		"int8 dense dot product (q8_dot: dense Conv, Dense and recurrent layers) on top of mac_q8: the kernel keeps 16 " +
			"partial sums for SIMD targets, and gcc -O2 without vectorization keeps them in a stack array, so every MAC " +
			"also loads and stores its partial sum (2 load/store slots). Assumed from the host code (gcc -O2 " +
			"-fno-tree-vectorize, 9 instructions per MAC); the host ranking puts dense int8 behind 50%-sparse int8"},
	{"sparse8_offset", 2, "cycles per stored weight", Assumed, Index,
		"int8 sparse8 convolution (gather through the tap offset table), per entry beside mac_q8 and csr_index (column " +
			"byte, ADDSC.A into the halfword table): load the offset and ADD.A it to the window origin (TriCore has no " +
			"register+register addressing) before the dependent activation load, two more load/store-pipeline slots. " +
			"Assumed; sparse8 wins against the CSR kernels by copying no window, not by a cheaper entry"},
	{"q8_gather_tap", 3, "cycles per window element", Assumed, Overhead,
		"int8 dense, csr and rcsr convolutions copy the kernel window into a patch at every output position: per tap " +
			"LD.B, ST.B and the strided pointer step, three load/store-pipeline slots. Assumed; the copy is what the host " +
			"ranking (TestInt8RankingAgreesWithInstructionCounts) shows these kernels losing to sparse8 convolutions, " +
			"which read through an offset table and copy nothing"},
	{"q8_gather_row", 10, "cycles per kernel row", Assumed, Overhead,
		"the window copy's per-kernel-row work (kW taps): row bounds tests and branch, the row address (a multiply-add), " +
			"inner-loop set-up for a short trip count"},
	{"rcsr4_decode", 2, "cycles per stored weight", Assumed, Index,
		"int8 rcsr4: extract the 4-bit gap (EXTR.U) and add it plus one to the running column, a chain ahead of the " +
			"activation load; the odd-start and tail steps also derive the nibble shift from the entry's parity. Assumed " +
			"(conservative: the integer pipeline overlaps part of it with the loads); the host counts rcsr4 rows at about " +
			"1.6 times csr rows. rcsr8 has no such parameter: its one gap add per entry issues on the integer pipeline " +
			"beside the entry's four load/store slots"},
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

// Clone returns a deep copy.
func (m CostModel) Clone() CostModel {
	c := m
	c.Params = append([]Param(nil), m.Params...)
	if m.Fit != nil {
		f := *m.Fit
		c.Fit = &f
	}
	return c
}

// With returns a copy with the named parameters set to new values (basis unchanged); unknown
// names are an error.
func (m CostModel) With(values map[string]float64) (CostModel, error) {
	c := m.Clone()
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		i := c.index(n)
		if i < 0 {
			return CostModel{}, fmt.Errorf("tc3xx: cost model %s has no parameter %q", m.Arch, n)
		}
		c.Params[i].Value = values[n]
	}
	return c, nil
}

func (m CostModel) index(name string) int {
	for i, p := range m.Params {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// Validate checks that every parameter of the architecture's built-in table is present once,
// known, finite and non-negative, and that line_bytes is positive.
func (m CostModel) Validate() error {
	ref, err := CostModelFor(m.Arch)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, p := range m.Params {
		switch {
		case ref.index(p.Name) < 0:
			return fmt.Errorf("tc3xx: cost model %s: params[%d]: unknown parameter %q (known: %s)", m.Arch, i, p.Name, strings.Join(ref.names(), ", "))
		case seen[p.Name]:
			return fmt.Errorf("tc3xx: cost model %s: params[%d]: parameter %q given twice", m.Arch, i, p.Name)
		case p.Value < 0 || p.Value != p.Value || p.Value > 1e12:
			return fmt.Errorf("tc3xx: cost model %s: params[%d] (%s): value %g must be finite and non-negative", m.Arch, i, p.Name, p.Value)
		}
		seen[p.Name] = true
	}
	for _, p := range ref.Params {
		if !seen[p.Name] {
			return fmt.Errorf("tc3xx: cost model %s: parameter %q is missing", m.Arch, p.Name)
		}
	}
	if v, _ := m.Param("line_bytes"); v <= 0 {
		return fmt.Errorf("tc3xx: cost model %s: line_bytes must be positive", m.Arch)
	}
	return nil
}

func (m CostModel) names() []string {
	out := make([]string, len(m.Params))
	for i, p := range m.Params {
		out[i] = p.Name
	}
	return out
}

// category returns the category of a parameter of the model (Overhead when unknown).
func (m CostModel) category(name string) Category {
	if i := m.index(name); i >= 0 {
		return m.Params[i].Category
	}
	return Overhead
}

// CostModelFor returns (a copy of) the built-in cost model of a core architecture.
func CostModelFor(arch string) (CostModel, error) {
	switch arch {
	case TC162P.Arch:
		return TC162P.Clone(), nil
	}
	return CostModel{}, fmt.Errorf("tc3xx: no cost model for core architecture %q (known: %s)", arch, TC162P.Arch)
}
