package codegen

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// harnessResult is the harness's JSON line; decoding rejects unknown keys so the contract's
// key set is checked too.
type harnessResult struct {
	Pass           bool    `json:"pass"`
	Vectors        int     `json:"vectors"`
	MaxAbsErr      float64 `json:"max_abs_err"`
	MaxRelErr      float64 `json:"max_rel_err"`
	Iterations     int     `json:"iterations"`
	NsPerInference float64 `json:"ns_per_inference"`
	Exact          bool    `json:"exact"`
	Mismatches     int     `json:"mismatches"`

	line     string
	exitCode int
}

func requireGCC(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"gcc", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
}

// buildAndRun writes the output to a fresh directory, builds the harness with make (with the
// given CFLAGS, or the Makefile's default when empty) and runs it.
func buildAndRun(t *testing.T, out *Output, cflags string) harnessResult {
	t.Helper()
	dir := t.TempDir()
	if err := out.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	args := []string{"-s", "-C", dir, "harness"}
	if cflags != "" {
		args = append(args, "CFLAGS="+cflags)
	}
	if msg, err := exec.Command("make", args...).CombinedOutput(); err != nil {
		t.Fatalf("building %s harness: %v\n%s", out.Plan.Graph, err, msg)
	}
	cmd := exec.Command(filepath.Join(dir, "harness"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var r harnessResult
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		r.exitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running harness: %v", err)
	}
	if stderr.Len() > 0 {
		t.Errorf("harness wrote to stderr:\n%s", stderr.String())
	}
	r.line = stdout.String()
	if strings.Count(r.line, "\n") != 1 || !strings.HasSuffix(r.line, "}\n") {
		t.Fatalf("harness stdout is not exactly one JSON line: %q", r.line)
	}
	dec := json.NewDecoder(strings.NewReader(r.line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("harness JSON %q: %v", r.line, err)
	}
	return r
}

func generate(t *testing.T, g *model.Graph, opts Options) *Output {
	t.Helper()
	out, err := Generate(g, opts)
	if err != nil {
		t.Fatalf("Generate(%s): %v", g.Name, err)
	}
	return out
}

func vectorsFor(t *testing.T, g *model.Graph, n int) *TestVectors {
	t.Helper()
	tv, err := refVectors(g.Clone(), n, 99)
	if err != nil {
		t.Fatal(err)
	}
	return tv
}

func assertPass(t *testing.T, what string, r harnessResult, vectors int, tol float64) {
	t.Helper()
	if !r.Pass || r.exitCode != 0 || r.Vectors != vectors || r.MaxRelErr > tol || r.Iterations <= 0 || r.NsPerInference <= 0 {
		t.Errorf("%s: harness %s (exit %d); want pass with %d vectors and max_rel_err <= %g", what, strings.TrimSpace(r.line), r.exitCode, vectors, tol)
	}
}

func TestGeneratedCodeMatchesReference(t *testing.T) {
	requireGCC(t)
	graphs := testGraphs()
	graphs["convnet pruned"] = prune(convNet(1), 0.7)
	graphs["residual pruned"] = prune(residualNet(2), 0.9)
	for _, name := range []string{"convnet", "convnet pruned", "residual", "residual pruned", "mlp", "inplace", "copy", "nasty", "chain"} {
		g := graphs[name]
		tv := vectorsFor(t, g, 3)
		for _, format := range []string{FormatAuto, FormatDense, FormatCSR, FormatRCSR8, FormatRCSR4} {
			if name == "copy" && format != FormatAuto {
				continue
			}
			out := generate(t, g, Options{Format: format, Vectors: tv, BenchIterations: 5})
			r := buildAndRun(t, out, "")
			assertPass(t, name+"/"+format, r, 3, 1e-5)
		}
	}
}

func TestSanitizedBuild(t *testing.T) {
	requireGCC(t)
	cflags := "-std=c99 -O1 -g -Wall -Wextra -Wshadow -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	for _, g := range []*model.Graph{convNet(1), prune(residualNet(2), 0.8), nastyNet(5), inPlaceNet(4), mlpNet(3)} {
		tv := vectorsFor(t, g, 2)
		for _, format := range []string{FormatDense, FormatCSR, FormatRCSR4} {
			out := generate(t, g, Options{Format: format, Vectors: tv, BenchIterations: 2})
			assertPass(t, g.Name+"/"+format+" (asan+ubsan)", buildAndRun(t, out, cflags), 2, 1e-5)
		}
	}
}

func TestCSRAndDenseAgree(t *testing.T) {
	requireGCC(t)
	for _, g := range []*model.Graph{prune(convNet(11), 0.75), prune(residualNet(12), 0.6)} {
		tv := vectorsFor(t, g, 4)
		dense := buildAndRun(t, generate(t, g, Options{Format: FormatDense, Vectors: tv, BenchIterations: 2}), "")
		assertPass(t, g.Name+" dense", dense, 4, 1e-5)
		for _, f := range []string{FormatCSR, FormatRCSR8, FormatRCSR4} {
			sparse := buildAndRun(t, generate(t, g, Options{Format: f, Vectors: tv, BenchIterations: 2}), "")
			assertPass(t, g.Name+" "+f, sparse, 4, 1e-5)
			// The sparse kernels add the same nonzero terms in the same order (relative fillers
			// add exact zeros), so the results are identical, and so are their errors.
			if dense.MaxAbsErr != sparse.MaxAbsErr {
				t.Errorf("%s: dense max_abs_err %g, %s %g; want identical outputs", g.Name, dense.MaxAbsErr, f, sparse.MaxAbsErr)
			}
		}
	}
}

func TestHarnessReportsFailure(t *testing.T) {
	requireGCC(t)
	g := convNet(1)
	tv := vectorsFor(t, g, 3)
	tv.Outputs.Data[13] += 1e-3 // probabilities are <= 1: a norm-wise error of >= 1e-3
	r := buildAndRun(t, generate(t, g, Options{Vectors: tv, BenchIterations: 2}), "")
	if r.Pass || r.exitCode != 1 || r.MaxRelErr < 9e-4 {
		t.Errorf("corrupted reference: harness %s exit %d; want pass false, exit 1, max_rel_err about 1e-3", strings.TrimSpace(r.line), r.exitCode)
	}

	r = buildAndRun(t, generate(t, g, Options{BenchIterations: 2}), "")
	if r.Pass || r.exitCode != 1 || r.Vectors != 0 || r.Iterations != 2 {
		t.Errorf("no vectors: harness %s exit %d; want pass false, exit 1, 0 vectors, 2 iterations", strings.TrimSpace(r.line), r.exitCode)
	}
}

func TestPrefixAndFiles(t *testing.T) {
	requireGCC(t)
	g := residualNet(3)
	tv := vectorsFor(t, g, 2)
	out := generate(t, g, Options{Prefix: "net_7", Vectors: tv, BenchIterations: 3})
	var names []string
	for _, f := range out.Files {
		names = append(names, f.Name)
	}
	want := "Makefile harness.c manifest.json net_7.c net_7.h net_7_weights.c net_7_weights.h test_vectors.h"
	if strings.Join(names, " ") != want {
		t.Errorf("files %v, want %s", names, want)
	}
	h, _ := out.File("net_7.h")
	for _, s := range []string{"#define NET_7_INPUT_SIZE 256", "#define NET_7_OUTPUT_SIZE 5",
		"int net_7_run(const float *restrict input, float *restrict output);",
		"#define NET_7_ARENA_BYTES " + strconv.Itoa(out.Plan.ArenaBytes)} {
		if !bytes.Contains(h, []byte(s)) {
			t.Errorf("net_7.h lacks %q", s)
		}
	}
	c, _ := out.File("net_7.c")
	if !bytes.Contains(c, []byte("TCDSE_SECTION_ARENA static float arena["+strconv.Itoa(out.Plan.ArenaBytes/4)+"];")) {
		t.Error("net_7.c lacks the arena declaration with its section hook")
	}
	for _, banned := range []string{"malloc", "calloc", "alloca", "free("} {
		if bytes.Contains(c, []byte(banned)) {
			t.Errorf("net_7.c uses %s", banned)
		}
	}
	assertPass(t, "prefix net_7", buildAndRun(t, out, ""), 2, 1e-5)
}

func TestGenerateIsDeterministic(t *testing.T) {
	g := prune(convNet(1), 0.5)
	tv := vectorsFor(t, g, 2)
	opts := Options{Vectors: tv, LayerFormats: map[string]string{"c1": FormatCSR, "d1": FormatDense, "c2": FormatCSR, "d2": FormatCSR}}
	a, b := generate(t, g, opts), generate(t, g.Clone(), opts)
	if len(a.Files) != len(b.Files) {
		t.Fatalf("%d vs %d files", len(a.Files), len(b.Files))
	}
	for i := range a.Files {
		if a.Files[i].Name != b.Files[i].Name || !bytes.Equal(a.Files[i].Data, b.Files[i].Data) {
			t.Errorf("file %s differs between two runs", a.Files[i].Name)
		}
	}
	var m Manifest
	data, _ := a.File("manifest.json")
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	w, _ := a.File("model_weights.c")
	if m.WeightsSHA256 != sha256Hex(w) || m.Files["model.c"] == "" || m.ModelSHA256 != g.Hash() {
		t.Errorf("manifest hashes: weights %s (file %s), model.c %q, model %q", m.WeightsSHA256, sha256Hex(w), m.Files["model.c"], m.ModelSHA256)
	}
	if m.ROMBytes != a.Plan.WeightBytes+a.Plan.CodeBytesEstimate || m.RAMBytes != a.Plan.ArenaBytes+a.Plan.IOBytes || m.Plan.ArenaBytes != a.Plan.ArenaBytes {
		t.Errorf("manifest ROM %d RAM %d arena %d; plan %+v", m.ROMBytes, m.RAMBytes, m.Plan.ArenaBytes, a.Plan)
	}
	for name, f := range map[string]string{"c1": FormatCSR, "d1": FormatDense} {
		if l := layerByNode(t, a.Plan, name); l.Format != f {
			t.Errorf("LayerFormats: %s is %s, want %s", name, l.Format, f)
		}
	}
}

func TestWriteDir(t *testing.T) {
	out := generate(t, mlpNet(1), Options{})
	dir := filepath.Join(t.TempDir(), "gen")
	if err := out.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := out.WriteDir(dir, false); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second WriteDir without overwrite: %v; want a not-empty error", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.c"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := out.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "model.c"))
	want, _ := out.File("model.c")
	if !bytes.Equal(got, want) {
		t.Error("overwrite did not replace a stale file")
	}
}

func TestVectorsValidation(t *testing.T) {
	g := mlpNet(1)
	tv := vectorsFor(t, g, 2)
	bad := &TestVectors{Inputs: tv.Inputs, Outputs: model.NewTensor(2, 7)}
	if _, err := Generate(g, Options{Vectors: bad}); err == nil || !strings.Contains(err.Error(), "6") {
		t.Errorf("wrong output width: %v", err)
	}
	bad = &TestVectors{Inputs: tv.Inputs, Outputs: model.NewTensor(3, 6)}
	if _, err := Generate(g, Options{Vectors: bad}); err == nil {
		t.Error("mismatched vector counts accepted")
	}
}
