package tc3xx

// The built-in catalog. Every figure is an Amount that says whether it is documented (and
// where) or assumed (and why). Figures marked assumed come from general knowledge of the
// TC3xx family and must be confirmed against the derivative's data sheet before a design is
// committed to them; a catalog file (LoadFile) overrides any of them.

// Sources cited by the built-in catalog.
const (
	srcILLDTC38 = "Infineon iLLD linker description for derivative tc38 (Lcf_Tasking_Tricore_Tc.lsl: " +
		"dsram0/1 240k, dsram2/3 96k, psram0..3 64k, cpu0..3_dlmu 64k, pflash0..3 3M+3M+3M+1M, dflash0 512K, lmu0ram 128K)"
	srcILLDTC39 = "Infineon iLLD linker description for derivative tc39 (dsram0/1 240K, dsram2..5 96K, psram0..5 64K, " +
		"PFlash banks of 3 MB at 0x80000000, 0x80300000, ...)"
	srcTC3xxUM       = "AURIX TC3xx user manual: all TC3xx CPUs are TC1.6.2P at up to 300 MHz"
	srcTC375Examples = "Infineon AURIX code examples for KIT_TC375_LK (Flash_Programming_1_KIT_TC375_LK): PF0 and PF1 3 MB each, DFLASH0 256 KB"
	srcBrief         = "project brief (issue 6): TC397 6 cores at 300 MHz, 16 MB PFlash; TC32x 1 MB PFlash"
	srcCacheAssumed  = "assumed: TC1.6.2P configured with 32 KB program cache and 16 KB data cache as on TC38x/TC39x; confirm in the data sheet"
	srcSmallCache    = "assumed: the single-core TC3xx parts have 16 KB program cache and 4 KB data cache; confirm in the data sheet"
	srcFlashRead     = "assumed: PFlash read access of about 30 ns (flash wait states RFLASH+1 at the 300 MHz FSI2 clock = 9 cycles); confirm tPF in the data sheet"
	srcFlashRead160  = "assumed: PFlash read access of about 30 ns at 160 MHz = 5 cycles; confirm tPF in the data sheet"
)

const (
	kib = 1024
	mib = 1024 * 1024
)

func documented(v int64, src string) Amount { return Amount{Value: v, Basis: Documented, Source: src} }
func assumed(v int64, why string) Amount    { return Amount{Value: v, Basis: Assumed, Source: why} }

// builtin returns the derivatives compiled into tcdse.
func builtin() []Derivative {
	return []Derivative{tc32x(), tc33x(), tc35x(), tc36x(), tc37x(), tc387(), tc397()}
}

// coreSpec describes one core for newCores.
type coreSpec struct {
	dspr, pspr, dlmu Amount
}

func newCores(clock, dcache, pcache Amount, specs ...coreSpec) []Core {
	cores := make([]Core, len(specs))
	for i, s := range specs {
		cores[i] = Core{
			Name: "cpu" + string(rune('0'+i)), Arch: "TC1.6.2P", Clock: clock,
			DSPR: s.dspr, PSPR: s.pspr, DLMU: s.dlmu, DCache: dcache, PCache: pcache,
		}
	}
	return cores
}

func tc387() Derivative {
	clock := documented(300_000_000, srcTC3xxUM)
	big := coreSpec{documented(240*kib, srcILLDTC38), documented(64*kib, srcILLDTC38), documented(64*kib, srcILLDTC38)}
	small := coreSpec{documented(96*kib, srcILLDTC38), documented(64*kib, srcILLDTC38), documented(64*kib, srcILLDTC38)}
	return Derivative{
		Name:       "tc387",
		Series:     "TC38x",
		CPUs:       newCores(clock, assumed(16*kib, srcCacheAssumed), assumed(32*kib, srcCacheAssumed), big, big, small, small),
		PFlash:     documented(10*mib, srcILLDTC38),
		DFlash:     documented(512*kib, srcILLDTC38+" (DF0; the HSM's DF1 is not counted)"),
		LMU:        documented(128*kib, srcILLDTC38),
		PFlashRead: assumed(9, srcFlashRead),
		Notes: []string{
			"PFlash is four banks (PF0..PF2 3 MB, PF3 1 MB; documented in the iLLD linker file). Assumed: bank PFn has the fast (local) read path to CPUn, so a model run on CPUn should keep its weights in PFn.",
			"DSPR figures are the full scratchpads; the start-up code's stacks and context save areas (a few KB) share them.",
		},
	}
}

func tc397() Derivative {
	clock := documented(300_000_000, srcBrief+"; "+srcTC3xxUM)
	big := coreSpec{documented(240*kib, srcILLDTC39), documented(64*kib, srcILLDTC39), assumed(64*kib, "assumed: 64 KB DLMU per CPU as on TC38x")}
	small := coreSpec{documented(96*kib, srcILLDTC39), documented(64*kib, srcILLDTC39), assumed(64*kib, "assumed: 64 KB DLMU per CPU as on TC38x")}
	return Derivative{
		Name:       "tc397",
		Series:     "TC39x",
		CPUs:       newCores(clock, assumed(16*kib, srcCacheAssumed), assumed(32*kib, srcCacheAssumed), big, big, small, small, small, small),
		PFlash:     documented(16*mib, srcBrief+"; banks PF0..PF4 3 MB and PF5 1 MB ("+srcILLDTC39+")"),
		DFlash:     assumed(1*mib, "assumed: DF0 1 MB (the HSM's DF1 not counted); confirm in the TC39x data sheet"),
		LMU:        assumed(768*kib, "assumed: three LMU RAM blocks of 256 KB; confirm in the TC39x data sheet"),
		PFlashRead: assumed(9, srcFlashRead),
		Notes: []string{
			"TC39x A-step ADAS variants (TC39xXA) add up to 4 MB EMEM, which the catalog does not model.",
		},
	}
}

func tc37x() Derivative {
	clock := documented(300_000_000, srcTC3xxUM)
	c := coreSpec{assumed(240*kib, "assumed: 240 KB DSPR per CPU (3 x (240+64+64) KB = 1.1 MB SRAM, the TC37x figure)"),
		assumed(64*kib, "assumed: 64 KB PSPR per CPU"), assumed(64*kib, "assumed: 64 KB DLMU per CPU")}
	return Derivative{
		Name:       "tc377",
		Series:     "TC37x",
		CPUs:       newCores(clock, assumed(16*kib, srcCacheAssumed), assumed(32*kib, srcCacheAssumed), c, c, c),
		PFlash:     documented(6*mib, srcTC375Examples),
		DFlash:     documented(256*kib, srcTC375Examples),
		LMU:        assumed(0, "assumed: TC37x has no LMU RAM beyond the DLMUs; confirm in the data sheet"),
		PFlashRead: assumed(9, srcFlashRead),
	}
}

func tc36x() Derivative {
	clock := documented(300_000_000, srcTC3xxUM)
	c := coreSpec{assumed(240*kib, "assumed: 240 KB DSPR per CPU"), assumed(64*kib, "assumed: 64 KB PSPR per CPU"), assumed(64*kib, "assumed: 64 KB DLMU per CPU")}
	return Derivative{
		Name:       "tc367",
		Series:     "TC36x",
		CPUs:       newCores(clock, assumed(16*kib, srcCacheAssumed), assumed(32*kib, srcCacheAssumed), c, c),
		PFlash:     assumed(4*mib, "assumed: 4 MB PFlash in two banks; confirm in the TC36x data sheet"),
		DFlash:     assumed(128*kib, "assumed: DF0 128 KB; confirm in the data sheet"),
		LMU:        assumed(0, "assumed: no LMU RAM beyond the DLMUs; confirm in the data sheet"),
		PFlashRead: assumed(9, srcFlashRead),
	}
}

func tc35x() Derivative {
	clock := documented(300_000_000, srcTC3xxUM)
	big := coreSpec{assumed(240*kib, "assumed: 240 KB DSPR on CPU0 and CPU1"), assumed(64*kib, "assumed: 64 KB PSPR per CPU"), assumed(64*kib, "assumed: 64 KB DLMU per CPU")}
	small := coreSpec{assumed(96*kib, "assumed: 96 KB DSPR on CPU2 as on TC38x"), assumed(64*kib, "assumed: 64 KB PSPR per CPU"), assumed(64*kib, "assumed: 64 KB DLMU per CPU")}
	return Derivative{
		Name:       "tc357",
		Series:     "TC35x",
		CPUs:       newCores(clock, assumed(16*kib, srcCacheAssumed), assumed(32*kib, srcCacheAssumed), big, big, small),
		PFlash:     assumed(4*mib, "assumed: 4 MB PFlash; confirm in the TC35x data sheet"),
		DFlash:     assumed(128*kib, "assumed: DF0 128 KB; confirm in the data sheet"),
		LMU:        assumed(0, "assumed: no LMU RAM beyond the DLMUs (the radar SRAM of TC35x is not modelled)"),
		PFlashRead: assumed(9, srcFlashRead),
	}
}

func tc33x() Derivative {
	clock := assumed(300_000_000, "assumed: the single-core TC33x runs at up to 300 MHz; confirm in the data sheet")
	c := coreSpec{assumed(192*kib, "assumed: 192 KB DSPR; confirm in the TC33x data sheet"), assumed(8*kib, "assumed: 8 KB PSPR"), assumed(0, "assumed: no DLMU")}
	return Derivative{
		Name:       "tc337",
		Series:     "TC33x",
		CPUs:       newCores(clock, assumed(4*kib, srcSmallCache), assumed(16*kib, srcSmallCache), c),
		PFlash:     assumed(2*mib, "assumed: 2 MB PFlash (TC337LP); confirm in the data sheet"),
		DFlash:     assumed(128*kib, "assumed: DF0 128 KB; confirm in the data sheet"),
		LMU:        assumed(0, "assumed: no LMU"),
		PFlashRead: assumed(9, srcFlashRead),
	}
}

func tc32x() Derivative {
	clock := assumed(160_000_000, "assumed: the single-core TC32x runs at up to 160 MHz; confirm in the data sheet")
	c := coreSpec{assumed(96*kib, "assumed: 96 KB DSPR; confirm in the TC32x data sheet"), assumed(8*kib, "assumed: 8 KB PSPR"), assumed(0, "assumed: no DLMU")}
	return Derivative{
		Name:       "tc327",
		Series:     "TC32x",
		CPUs:       newCores(clock, assumed(4*kib, srcSmallCache), assumed(16*kib, srcSmallCache), c),
		PFlash:     documented(1*mib, srcBrief),
		DFlash:     assumed(64*kib, "assumed: DF0 64 KB; confirm in the data sheet"),
		LMU:        assumed(0, "assumed: no LMU"),
		PFlashRead: assumed(5, srcFlashRead160),
	}
}
