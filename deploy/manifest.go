package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tcdse/tcdse/tc3xx"
)

// Manifest is a bundle's manifest.json: what it was built from, for which core and
// toolchain, where it places the model, what it is estimated (and measured) to cost, and
// the SHA-256 of every other file.
type Manifest struct {
	Format       string `json:"format"`
	TcdseVersion string `json:"tcdse_version"`
	Generator    string `json:"generator"`
	Graph        string `json:"graph"`
	ModelSHA256  string `json:"model_sha256"`
	// Point names the design point (label, candidate id); SpecSHA256 the sweep spec.
	Point      PointInfo `json:"point"`
	SpecSHA256 string    `json:"spec_sha256,omitempty"`
	Target     string    `json:"target"`
	Toolchain  Toolchain `json:"toolchain"`
	Prefix     string    `json:"prefix"`
	// WeightFormat is codegen's weight format option (per-layer choices are in the C).
	WeightFormat string `json:"weight_format"`
	// Signature is PREFIX_SIGNATURE in <prefix>.h.
	Signature string    `json:"signature"`
	Placement Placement `json:"placement"`
	Regions   Regions   `json:"regions"`
	// LinkerFragment is the bundle's GNU ld (.ld) or TASKING LSL (.lsl) fragment.
	LinkerFragment string   `json:"linker_fragment"`
	Estimated      Estimate `json:"estimated"`
	// Forced says the point does not fit and was bundled with --force.
	Forced   bool      `json:"forced,omitempty"`
	Measured *Measured `json:"measured,omitempty"`
	// Vectors is the number of test vectors; ReferenceCRC32 the CRC-32 of the first vector's
	// reference outputs (little-endian float32 bytes), which the example prints when it
	// reproduces them bit for bit.
	Vectors        int    `json:"vectors"`
	ReferenceCRC32 string `json:"reference_crc32"`
	// Files maps every file of the bundle but manifest.json to its lowercase hex SHA-256.
	Files map[string]string `json:"files"`
}

// Estimate is the cost model's estimate for the chosen placement.
type Estimate struct {
	// CostModel names the cost model ("built-in TC1.6.2P", or a calibrated one and its hash).
	CostModel   string            `json:"cost_model"`
	Cycles      int64             `json:"cycles"`
	TimeUS      float64           `json:"time_us"`
	ROMBytes    int64             `json:"rom_bytes"`
	RAMBytes    int64             `json:"ram_bytes"`
	WeightBytes int64             `json:"weight_bytes"`
	ArenaBytes  int64             `json:"arena_bytes"`
	CodeBytes   int64             `json:"code_bytes"`
	IOBytes     int64             `json:"io_bytes"`
	Memories    []tc3xx.MemoryUse `json:"memories"`
	Fits        bool              `json:"fits"`
	Reason      string            `json:"reason,omitempty"`
}

func estimateOf(c tc3xx.Cost, costModel string) Estimate {
	return Estimate{
		CostModel: costModel,
		Cycles:    c.Cycles, TimeUS: c.TimeUS, ROMBytes: c.ROMBytes, RAMBytes: c.RAMBytes,
		WeightBytes: c.WeightBytes, ArenaBytes: c.ArenaBytes, CodeBytes: c.CodeBytes, IOBytes: c.IOBytes,
		Memories: c.Memories, Fits: c.Fits, Reason: c.Reason,
	}
}

// Measured is a run of the bundle (or of the point's code) on a board.
type Measured struct {
	// Source is "validate" (tcdse deploy --validate) or "sweep" (the sweep's board run).
	Source string `json:"source"`
	Board  string `json:"board"`
	Agent  string `json:"agent,omitempty"`
	Pass   bool   `json:"pass"`
	// NsPerInference is the board's timing; Cycles its count per inference, set when the board
	// reports one or for TC3xx boards (not for the host board, whose nanoseconds say nothing
	// about a TC3xx).
	NsPerInference float64 `json:"ns_per_inference"`
	Cycles         int64   `json:"cycles,omitempty"`
	// CycleUnit says what Cycles counts (the board's unit, e.g. "cycles", or how it was derived).
	CycleUnit  string  `json:"cycle_unit,omitempty"`
	Iterations int     `json:"iterations"`
	MaxRelErr  float64 `json:"max_rel_err"`
}

// ReadManifest reads dir's manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, newError(KindBadManifest, "%s is not a bundle: %v", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, newError(KindBadManifest, "%s: %v", filepath.Join(dir, ManifestFile), err)
	}
	if m.Format != BundleFormat {
		return nil, newError(KindBadManifest, "%s: format %q, want %q", filepath.Join(dir, ManifestFile), m.Format, BundleFormat)
	}
	if len(m.Files) == 0 {
		return nil, newError(KindBadManifest, "%s lists no files", filepath.Join(dir, ManifestFile))
	}
	return &m, nil
}

// WriteManifest replaces dir's manifest.json with m (after recording a measurement, say).
func WriteManifest(dir string, m *Manifest) error {
	js, err := m.encode()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), js, 0o644)
}

// Verification is the outcome of Verify: the files whose hash differs, those missing, and
// files in the directory the manifest does not list (build outputs, say; not an error).
type Verification struct {
	Checked int      `json:"checked"`
	Changed []string `json:"changed,omitempty"`
	Missing []string `json:"missing,omitempty"`
	Extra   []string `json:"extra,omitempty"`
}

// Verify re-hashes the files of the bundle in dir against its manifest. It returns a
// KindMismatch error naming every changed or missing file; files the manifest does not list
// are reported in Extra only.
func Verify(dir string) (*Manifest, Verification, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, Verification{}, err
	}
	var v Verification
	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name != filepath.Base(name) || name == ManifestFile {
			return m, v, newError(KindBadManifest, "%s: file name %q is not a plain file name of the bundle", dir, name)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			v.Missing = append(v.Missing, name)
			continue
		}
		v.Checked++
		if sha256Hex(data) != m.Files[name] {
			v.Changed = append(v.Changed, name)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return m, v, err
	}
	for _, e := range entries {
		if _, ok := m.Files[e.Name()]; !ok && e.Name() != ManifestFile {
			v.Extra = append(v.Extra, e.Name())
		}
	}
	if len(v.Changed) > 0 || len(v.Missing) > 0 {
		var parts []string
		if len(v.Changed) > 0 {
			parts = append(parts, "changed: "+strings.Join(v.Changed, ", "))
		}
		if len(v.Missing) > 0 {
			parts = append(parts, "missing: "+strings.Join(v.Missing, ", "))
		}
		return m, v, newError(KindMismatch, "%s does not match its manifest (%s)", dir, strings.Join(parts, "; "))
	}
	return m, v, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
