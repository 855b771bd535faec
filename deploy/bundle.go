package deploy

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"sort"
	"strings"

	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// BundleFormat identifies the layout of a bundle and its manifest.
const BundleFormat = "tcdse-bundle/1"

// ManifestFile is the name of a bundle's manifest.
const ManifestFile = "manifest.json"

// Request says what to bundle.
type Request struct {
	// Graph is the point's model; Vectors its test vectors (inputs and the Go interpreter's
	// outputs), which the example and the harness check.
	Graph   *model.Graph
	Vectors *codegen.TestVectors
	// Target is the core; Toolchain the compiler. CostModel, when set, replaces the core's
	// built-in cost model (a calibrated one, as the sweep's cost_model).
	Target    tc3xx.Target
	CostModel *tc3xx.CostModel
	Toolchain Toolchain
	// Weights and Activations force a placement; empty takes the cheapest that fits.
	Weights     tc3xx.Placement
	Activations tc3xx.ActivationPlacement
	// Format and Prefix are codegen's (empty: auto, "model").
	Format string
	Prefix string
	// Force bundles a point that does not fit, recording that in the manifest.
	Force bool
	// Point, SpecSHA256 and Version are recorded in the manifest.
	Point      PointInfo
	SpecSHA256 string
	Version    string
	// Measured, when known (from the sweep's board run), is recorded in the manifest.
	Measured *Measured
}

// PointInfo says which design point a bundle was made from.
type PointInfo struct {
	Label       string `json:"label,omitempty"`
	CandidateID string `json:"candidate_id,omitempty"`
	// Source is where the point was read (a point directory, a model file).
	Source string `json:"source,omitempty"`
}

// Bundle is a built bundle: its manifest and files (manifest.json included), sorted by name.
type Bundle struct {
	Manifest Manifest
	Files    []codegen.File
}

// Build generates the bundle for req. It refuses a point that does not fit the core
// (KindDoesNotFit, with the numbers) unless req.Force. The same request gives byte-identical
// files.
func Build(req Request) (*Bundle, error) {
	if req.Graph == nil {
		return nil, newError(KindBadRequest, "no model")
	}
	if req.Vectors == nil {
		return nil, newError(KindBadRequest, "no test vectors: the example and the harness check the C against them")
	}
	if _, err := ParseToolchain(string(req.Toolchain)); err != nil {
		return nil, err
	}
	regions, err := regionsOf(req.Target)
	if err != nil {
		return nil, err
	}
	costing, err := candidate.CostingFor(req.Target, req.CostModel)
	if err != nil {
		return nil, newError(KindBadRequest, "%v", err)
	}
	opts := codegen.Options{Prefix: req.Prefix, Format: req.Format, Vectors: req.Vectors}
	priced, err := placedCode(req.Graph, opts, costing)
	if err != nil {
		return nil, newError(KindBadRequest, "%s on %s: %v", req.Graph.Name, req.Target, err)
	}
	cost, fits := choose(priced, req.Weights, req.Activations)
	if cost.Target == "" {
		return nil, newError(KindBadRequest, "placement weights=%q activations=%q: want weights one of %v, activations one of %v", req.Weights, req.Activations, tc3xx.WeightPlacements, tc3xx.ActivationPlacements)
	}
	if !fits && !req.Force {
		return nil, newError(KindDoesNotFit, "%s does not fit %s with weights in %s and activations in %s: %s (pass --force to bundle it anyway)",
			req.Graph.Name, req.Target, cost.Weights, cost.Activations, cost.Reason)
	}
	place := placementOf(cost, regions, req.Toolchain)
	opts.WeightsMemory, opts.ArenaMemory = cost.CodegenMemories()
	opts.Sections = sectionNames(req.Toolchain, regions.Core)
	modelHash := req.Graph.Hash()
	opts.Signature = signature(modelHash, req.Point.CandidateID, req.Target, place, req.Toolchain)
	out, err := codegen.Generate(req.Graph, opts)
	if err != nil {
		return nil, newError(KindBadRequest, "%v", err)
	}
	prefix := out.Manifest.Prefix
	m := Manifest{
		Format: BundleFormat, TcdseVersion: req.Version, Generator: codegen.GeneratorVersion,
		Graph: req.Graph.Name, ModelSHA256: modelHash, Point: req.Point, SpecSHA256: req.SpecSHA256,
		Target: req.Target.String(), Toolchain: req.Toolchain, Prefix: prefix, WeightFormat: out.Manifest.Format,
		Signature: opts.Signature, Placement: place, Regions: regions,
		Estimated: estimateOf(cost, costing.Name), Forced: !fits, Measured: req.Measured,
		Vectors: out.Manifest.Vectors, ReferenceCRC32: referenceCRC(req.Vectors),
		Files: map[string]string{},
	}
	files := map[string][]byte{}
	for _, f := range out.Files {
		switch f.Name {
		case "manifest.json", "Makefile": // the bundle writes its own
			continue
		}
		files[f.Name] = f.Data
	}
	frag := fragmentName(req.Target, req.Toolchain)
	m.LinkerFragment = frag
	if req.Toolchain.gnu() {
		files[frag] = gnuFragment(m, out.Plan)
	} else {
		files[frag] = lslFragment(m)
	}
	files[ExampleFile] = exampleSource(m, req.Target, out.Manifest.Tolerance, out.Manifest.Iterations, out.Plan.HasInt8())
	files["Makefile"] = bundleMakefile(m, req.Target)
	for name, data := range files {
		m.Files[name] = sha256Hex(data)
	}
	js, err := m.encode()
	if err != nil {
		return nil, err
	}
	files[ManifestFile] = js
	b := &Bundle{Manifest: m}
	for name, data := range files {
		b.Files = append(b.Files, codegen.File{Name: name, Data: data})
	}
	sort.Slice(b.Files, func(i, j int) bool { return b.Files[i].Name < b.Files[j].Name })
	return b, nil
}

// signature is the PREFIX_SIGNATURE string: enough to name the model, candidate, target
// and placement a firmware runs.
func signature(modelHash, candidate string, t tc3xx.Target, p Placement, tc Toolchain) string {
	if candidate == "" {
		candidate = "-"
	}
	return fmt.Sprintf("tcdse model=%s candidate=%s target=%s weights=%s arena=%s toolchain=%s",
		modelHash, candidate, t, p.Weights, p.Activations, tc)
}

// fragmentName is the linker fragment's file name, e.g. tcdse_tc387_cpu2.ld.
func fragmentName(t tc3xx.Target, tc Toolchain) string {
	ext := ".ld"
	if tc == Tasking {
		ext = ".lsl"
	}
	return "tcdse_" + t.Derivative.Name + "_" + strings.ToLower(t.Core.Name) + ext
}

// referenceCRC is the CRC-32 (IEEE) of the first vector's reference outputs as little-endian
// float32 bytes: what the example and the TriCore harness print when the C reproduces them
// bit for bit.
func referenceCRC(tv *codegen.TestVectors) string {
	if tv == nil || tv.Outputs == nil || len(tv.Outputs.Shape) == 0 || tv.Outputs.Shape[0] == 0 {
		return ""
	}
	first := tv.Outputs.Data[:len(tv.Outputs.Data)/tv.Outputs.Shape[0]]
	buf := make([]byte, 4*len(first))
	for i, v := range first {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE(buf))
}

// WriteDir writes the bundle into dir, creating it. A non-empty dir is refused unless
// overwrite; then the bundle's files replace those of the same name and others stay.
func (b *Bundle) WriteDir(dir string, overwrite bool) error {
	return (&codegen.Output{Files: b.Files}).WriteDir(dir, overwrite)
}

// File returns a file of the bundle by name.
func (b *Bundle) File(name string) ([]byte, bool) {
	for _, f := range b.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

func (m Manifest) encode() ([]byte, error) {
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("deploy: encoding the manifest: %w", err)
	}
	return append(js, '\n'), nil
}
