package deploy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/tc3xx"
)

// Toolchain names the compiler a bundle is built for.
type Toolchain string

// Toolchains a bundle can target.
const (
	// HighTec is HighTec's TriCore GCC (tricore-elf-gcc) with a GNU ld linker file.
	HighTec Toolchain = "hightec"
	// Tasking is the TASKING VX-toolset for TriCore (cctc) with an LSL linker file.
	Tasking Toolchain = "tasking"
	// GCC is a GNU toolchain without a board: the host (make host) or any TriCore GCC; the
	// bundle gets the GNU ld fragment.
	GCC Toolchain = "gcc"
)

// Toolchains lists every toolchain.
var Toolchains = []Toolchain{HighTec, Tasking, GCC}

// ParseToolchain checks a toolchain name.
func ParseToolchain(s string) (Toolchain, error) {
	for _, t := range Toolchains {
		if string(t) == s {
			return t, nil
		}
	}
	return "", newError(KindBadRequest, "toolchain %q: want one of %v", s, Toolchains)
}

// gnu reports whether the toolchain links with GNU ld.
func (t Toolchain) gnu() bool { return t != Tasking }

// pflashBanks is the number of PFlash banks (pfls0, pfls1, ...) in Infineon's linker files
// per series; a core's constants go to the bank of its own number when the part has one.
// TC39x is read from Infineon's iLLD Lcf files (pfls0..pfls5); the others follow the
// PFlash sizes in the tc3xx catalog at 3 MB per bank (TC38x: 3+3+3+1 MB) and are assumed.
var pflashBanks = map[string]int{"TC39x": 6, "TC38x": 4, "TC37x": 2, "TC36x": 2, "TC35x": 2, "TC33x": 1, "TC32x": 1}

// Regions are the memory names of one core in Infineon's TC3xx linker files
// (Lcf_Gnuc_Tricore_Tc.lsl MEMORY regions, Lcf_Tasking_Tricore_Tc.lsl memories).
type Regions struct {
	Core     int    `json:"core"`      // the core's number: 2 for cpu2
	DSPR     string `json:"dspr"`      // "dsram2"
	DLMU     string `json:"dlmu"`      // "cpu2_dlmu"
	LMU      string `json:"lmu"`       // "lmuram"
	PFlash   string `json:"pflash"`    // "pfls2": the core's PFlash bank, cached
	PFlashNC string `json:"pflash_nc"` // "pfls2_nc": the same bank, not cached (GNU only)
}

// regionsOf returns the Infineon memory names of t's core.
func regionsOf(t tc3xx.Target) (Regions, error) {
	name := strings.ToLower(t.Core.Name)
	n, err := strconv.Atoi(strings.TrimPrefix(name, "cpu"))
	if !strings.HasPrefix(name, "cpu") || err != nil || n < 0 || n > 9 {
		return Regions{}, newError(KindBadRequest, "target %s: core %q is not named cpuN, so its Infineon memory names are unknown", t, t.Core.Name)
	}
	bank := 0
	if n < pflashBanks[t.Derivative.Series] {
		bank = n
	}
	return Regions{
		Core: n, DSPR: fmt.Sprintf("dsram%d", n), DLMU: fmt.Sprintf("cpu%d_dlmu", n), LMU: "lmuram",
		PFlash: fmt.Sprintf("pfls%d", bank), PFlashNC: fmt.Sprintf("pfls%d_nc", bank),
	}, nil
}

// sectionNames returns the names the generated C uses for core n with toolchain tc. They
// follow Infineon's conventions, so that the board's own linker file already places them in
// the right memory, with a tcdse suffix so that the bundle's fragment can select exactly
// them. GNU (HighTec): .rodata_cpuN.*, .data_cpuN.*, .bss_cpuN.*, .lmudata.*, .lmubss_cpuN.*
// as in Lcf_Gnuc_Tricore_Tc.lsl. TASKING: the names "#pragma section" is given, which cctc
// prefixes with the section type, giving .rodata.rodata_cpuN.* and .bss.bss_cpuN.* as
// Lcf_Tasking_Tricore_Tc.lsl selects them.
func sectionNames(tc Toolchain, n int) codegen.SectionNames {
	dot := "."
	if tc == Tasking {
		dot = ""
	}
	return codegen.SectionNames{
		PFlash:   fmt.Sprintf("%srodata_cpu%d.tcdse_weights", dot, n),
		DSPRData: fmt.Sprintf("%sdata_cpu%d.tcdse_weights", dot, n),
		LMUData:  dot + "lmudata.tcdse_weights",
		DSPRBSS:  fmt.Sprintf("%sbss_cpu%d.tcdse_arena", dot, n),
		LMUBSS:   fmt.Sprintf("%slmubss_cpu%d.tcdse_arena", dot, n),
	}
}

// Placement is where a bundle puts the weights and the arena: the cost model's placement,
// the memory names of Infineon's linker files and the input section names of the C.
type Placement struct {
	Weights     tc3xx.Placement           `json:"weights"`
	Activations tc3xx.ActivationPlacement `json:"activations"`
	// WeightsRegion and ArenaRegion are the Infineon memories; LoadRegion holds the initial
	// image of weights copied to RAM (empty when they are read in place).
	WeightsRegion string `json:"weights_region"`
	ArenaRegion   string `json:"arena_region"`
	LoadRegion    string `json:"load_region,omitempty"`
	// WeightsSection and ArenaSection are the sections the object files hold (for TASKING
	// with the type prefix cctc adds).
	WeightsSection string `json:"weights_section"`
	ArenaSection   string `json:"arena_section"`
	// WeightsInRAM says the weights are copied from LoadRegion at start-up.
	WeightsInRAM bool `json:"weights_in_ram"`
}

// placementOf resolves a cost's placement to regions and section names.
func placementOf(c tc3xx.Cost, r Regions, tc Toolchain) Placement {
	names := sectionNames(tc, r.Core)
	p := Placement{Weights: c.Weights, Activations: c.Activations}
	typed := func(prefix, name string) string {
		if tc == Tasking {
			return prefix + name
		}
		return name
	}
	switch c.Weights {
	case tc3xx.WeightsInDSPR:
		p.WeightsRegion, p.WeightsSection, p.WeightsInRAM = r.DSPR, typed(".rodata.", names.DSPRData), true
	case tc3xx.WeightsInLMU:
		p.WeightsRegion, p.WeightsSection, p.WeightsInRAM = r.LMU, typed(".rodata.", names.LMUData), true
	case tc3xx.WeightsInPFlashUncached:
		p.WeightsRegion, p.WeightsSection = r.PFlashNC, typed(".rodata.", names.PFlash)
		if tc == Tasking {
			p.WeightsRegion = r.PFlash + "/not_cached" // the memory's not_cached map in Infineon's LSL
		}
	default:
		p.WeightsRegion, p.WeightsSection = r.PFlash, typed(".rodata.", names.PFlash)
	}
	if p.WeightsInRAM {
		p.LoadRegion = r.PFlash
	}
	if c.Activations == tc3xx.ActivationsInDLMU {
		p.ArenaRegion, p.ArenaSection = r.DLMU, typed(".bss.", names.LMUBSS)
	} else {
		p.ArenaRegion, p.ArenaSection = r.DSPR, typed(".bss.", names.DSPRBSS)
	}
	return p
}
