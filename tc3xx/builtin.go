package tc3xx

// Sources cited by the built-in catalog.
const (
	srcILLDTC38 = "Infineon iLLD linker description for derivative tc38 (Lcf_Tasking_Tricore_Tc.lsl: " +
		"dsram0/1 240k, dsram2/3 96k, psram0..3 64k, cpu0..3_dlmu 64k, pflash0..3 3M+3M+3M+1M, dflash0 512K, lmu0ram 128K)"
	srcTC38xDataSheet = "AURIX TC38x data sheet / TC3xx user manual (4 x TC1.6.2P at up to 300 MHz)"
	srcCacheAssumed   = "assumed: TC1.6.2P cores of TC38x configured with 32 KB program cache and 16 KB data cache; confirm in the TC38x user manual"
)

const kib = 1024

func documented(v int64, src string) Amount { return Amount{Value: v, Basis: Documented, Source: src} }
func assumed(v int64, why string) Amount    { return Amount{Value: v, Basis: Assumed, Source: why} }

// builtin returns the derivatives compiled into tcdse.
func builtin() []Derivative {
	return []Derivative{tc387()}
}

func tc387() Derivative {
	core := func(name string, dspr int64) Core {
		return Core{
			Name:   name,
			Arch:   "TC1.6.2P",
			Clock:  documented(300_000_000, srcTC38xDataSheet),
			DSPR:   documented(dspr*kib, srcILLDTC38),
			PSPR:   documented(64*kib, srcILLDTC38),
			DLMU:   documented(64*kib, srcILLDTC38),
			DCache: assumed(16*kib, srcCacheAssumed),
			PCache: assumed(32*kib, srcCacheAssumed),
		}
	}
	return Derivative{
		Name:   "tc387",
		Series: "TC38x",
		CPUs:   []Core{core("cpu0", 240), core("cpu1", 240), core("cpu2", 96), core("cpu3", 96)},
		PFlash: documented(10*kib*kib, srcILLDTC38),
		DFlash: documented(512*kib, srcILLDTC38+" (DF0; the HSM's DF1 is not counted)"),
		LMU:    documented(128*kib, srcILLDTC38),
		Notes: []string{
			"PFlash is four banks (PF0..PF2 3 MB, PF3 1 MB; documented in the iLLD linker file). Assumed: bank PFn has the fast (local) read path to CPUn, so a model run on CPUn should keep its weights in PFn.",
			"DSPR figures are the full scratchpads; the start-up code's stacks and context save areas (a few KB) share them.",
		},
	}
}
