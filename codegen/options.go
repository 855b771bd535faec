package codegen

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Weight formats.
const (
	// FormatAuto picks per layer: for float32 layers the fewest bytes; for int8 layers the
	// lowest bytes/dense bytes + instructions/dense instructions (see the package doc).
	FormatAuto = "auto"
	// FormatSmallest picks per layer whichever format takes fewest bytes, float32 and int8:
	// for a footprint-first design point.
	FormatSmallest = "smallest"
	FormatDense    = "dense" // row-major float32
	FormatCSR      = "csr"   // compressed sparse rows, absolute uint8/uint16 column indices
	FormatRCSR8    = "rcsr8" // compressed sparse rows, 8-bit relative indices (gaps)
	FormatRCSR4    = "rcsr4" // compressed sparse rows, 4-bit relative indices (gaps)
	// FormatSparse8 is the int8 run format of sparse8_format.go: int8 values with 4-bit
	// pointer advances and per-row counts (float layers take FormatRCSR4).
	FormatSparse8 = "sparse8"
)

// Defaults applied by Options when a field is zero.
const (
	DefaultPrefix          = "model"
	DefaultTolerance       = 1e-5
	DefaultBenchIterations = 100
)

// Options selects the design point and what goes into the generated files.
type Options struct {
	// Prefix starts every exported C symbol, macro (upper-cased) and generated source file name.
	// It must be a C identifier starting with a letter, at most 32 characters, without "__".
	// Empty means DefaultPrefix.
	Prefix string
	// Format is the weight format of every Conv and Dense layer: FormatAuto (empty means auto),
	// FormatSmallest, FormatDense, FormatCSR, FormatRCSR8, FormatRCSR4 or FormatSparse8.
	Format string
	// LayerFormats overrides Format for individual nodes, keyed by node name.
	LayerFormats map[string]string
	// Vectors are the harness's test vectors; nil generates a harness that can only time the
	// model and reports "pass":false.
	Vectors *TestVectors
	// Tolerance is the harness's norm-wise relative error bound (see the package doc). Zero
	// means DefaultTolerance.
	Tolerance float64
	// BenchIterations is how many timed inferences the harness runs. Zero means
	// DefaultBenchIterations.
	BenchIterations int
	// WeightsMemory is the default placement of the weights on TriCore: MemoryPFlash (empty
	// means PFlash), MemoryLMU or MemoryDSPR. ArenaMemory that of the arena: MemoryDSPR (empty
	// means DSPR) or MemoryLMU. The build selects otherwise with TCDSE_WEIGHTS_IN and
	// TCDSE_ARENA_IN (see <prefix>_weights.h).
	WeightsMemory string
	ArenaMemory   string
	// Sections names the sections of each memory (the defaults of the TCDSE_SECNAME_*
	// macros); empty fields take DefaultSectionNames. Package deploy sets them to a core's
	// sections in the naming of Infineon's linker files.
	Sections SectionNames
	// Signature, when set, is written into <prefix>.h as PREFIX_SIGNATURE, a string literal
	// firmware can print to say which model and settings it runs (package deploy fills it).
	// At most 256 printable ASCII characters, without '"' or '\\'.
	Signature string
	// NoConvPoolFusion stores every conv output instead of computing a following
	// non-overlapping MaxPool on the fly (for comparisons; fusion is the default).
	NoConvPoolFusion bool
	// NoActivationFusion runs every float Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid and
	// Tanh as its own kernel instead of in the producing Conv or Dense output loop (for
	// comparisons; fusion is the default, see fuse_act.go). ReLU fusion is not affected.
	NoActivationFusion bool
}

// TestVectors holds inputs and the outputs the Go interpreter computed for them.
type TestVectors struct {
	Inputs  *model.Tensor // [N, per-sample input shape...]
	Outputs *model.Tensor // [N, per-sample output shape...]
}

var signaturePattern = regexp.MustCompile(`^[ !#-\[\]-~]{0,256}$`)

var prefixPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// withDefaults returns a copy of o with defaults filled in, or an error naming the bad field.
func (o Options) withDefaults() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !prefixPattern.MatchString(o.Prefix) || strings.Contains(o.Prefix, "__") {
		return o, fmt.Errorf("codegen: Options.Prefix %q is not a C identifier of the form [A-Za-z][A-Za-z0-9_]{0,31} without \"__\"", o.Prefix)
	}
	if o.Format == "" {
		o.Format = FormatAuto
	}
	if err := checkFormat(o.Format); err != nil {
		return o, fmt.Errorf("codegen: Options.Format: %w", err)
	}
	names := make([]string, 0, len(o.LayerFormats))
	for name := range o.LayerFormats {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := checkFormat(o.LayerFormats[name]); err != nil {
			return o, fmt.Errorf("codegen: Options.LayerFormats[%q]: %w", name, err)
		}
	}
	if o.WeightsMemory == "" {
		o.WeightsMemory = MemoryPFlash
	}
	if o.ArenaMemory == "" {
		o.ArenaMemory = MemoryDSPR
	}
	if err := checkMemory("WeightsMemory", o.WeightsMemory, MemoryPFlash, MemoryLMU, MemoryDSPR); err != nil {
		return o, err
	}
	if err := checkMemory("ArenaMemory", o.ArenaMemory, MemoryDSPR, MemoryLMU); err != nil {
		return o, err
	}
	if !signaturePattern.MatchString(o.Signature) {
		return o, fmt.Errorf("codegen: Options.Signature %q: want at most 256 printable ASCII characters without '\"' or '\\'", o.Signature)
	}
	var err error
	if o.Sections, err = o.Sections.withDefaults(); err != nil {
		return o, err
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if !(o.Tolerance > 0) || o.Tolerance >= 1 {
		return o, fmt.Errorf("codegen: Options.Tolerance %g must be in (0, 1)", o.Tolerance)
	}
	if o.BenchIterations == 0 {
		o.BenchIterations = DefaultBenchIterations
	}
	if o.BenchIterations < 1 || o.BenchIterations > 1<<30 {
		return o, fmt.Errorf("codegen: Options.BenchIterations %d must be in [1, 2^30]", o.BenchIterations)
	}
	return o, nil
}

func checkFormat(f string) error {
	switch f {
	case FormatAuto, FormatSmallest, FormatDense, FormatCSR, FormatRCSR8, FormatRCSR4, FormatSparse8:
		return nil
	}
	return fmt.Errorf("unknown weight format %q (want %q, %q, %q, %q, %q, %q or %q)", f, FormatAuto, FormatSmallest, FormatDense, FormatCSR, FormatRCSR8, FormatRCSR4, FormatSparse8)
}

// formatFor returns the requested format of a node.
func (o Options) formatFor(node string) string {
	if f, ok := o.LayerFormats[node]; ok && f != "" {
		return f
	}
	return o.Format
}

// check verifies the vectors against the plan's input and output sizes and returns N.
func (tv *TestVectors) check(p *Plan) (int, error) {
	if tv == nil {
		return 0, nil
	}
	if tv.Inputs == nil || tv.Outputs == nil {
		return 0, fmt.Errorf("codegen: TestVectors needs both Inputs and Outputs")
	}
	for _, c := range []struct {
		what string
		t    *model.Tensor
		per  int
	}{{"Inputs", tv.Inputs, p.Input.Elements}, {"Outputs", tv.Outputs, p.Output.Elements}} {
		n, err := model.NumElements(c.t.Shape)
		if err != nil || len(c.t.Shape) < 1 || n != len(c.t.Data) {
			return 0, fmt.Errorf("codegen: TestVectors.%s: shape %v does not match %d elements", c.what, c.t.Shape, len(c.t.Data))
		}
		if c.t.Shape[0] > 0 && n/c.t.Shape[0] != c.per {
			return 0, fmt.Errorf("codegen: TestVectors.%s shape %v: %d elements per vector, the graph has %d", c.what, c.t.Shape, n/c.t.Shape[0], c.per)
		}
		if err := c.t.CheckFinite(); err != nil {
			return 0, fmt.Errorf("codegen: TestVectors.%s: %v", c.what, err)
		}
	}
	if tv.Inputs.Shape[0] != tv.Outputs.Shape[0] {
		return 0, fmt.Errorf("codegen: TestVectors has %d inputs but %d outputs", tv.Inputs.Shape[0], tv.Outputs.Shape[0])
	}
	return tv.Inputs.Shape[0], nil
}
