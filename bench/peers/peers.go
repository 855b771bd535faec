// Package peers measures tcdse's generated C side by side with the figures other embedded
// code generators reach on the same reference models.
//
// The reference models come from ../shared/bench/reference_models.py (random weights, fixed
// seeds, exported with Debian's python3-torch), the peers' figures from ../shared/bench/PEERS.md,
// copied into [Peers]. [MeasureC] compiles generated code with gcc -O2 and measures it with the
// same method as PEERS.md: callgrind instructions (Ir) of the inference function only
// (--toggle-collect), code and weight bytes from `size -A` of the objects; RAM is the arena of
// the memory plan (the .bss of the model object, which is checked to agree).
//
// The benchmark in this package (make bench-codegen) prints the table; it is a measurement,
// not a test with thresholds.
package peers

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/codegen"
)

// PeerFigure is one row of PEERS.md: a peer tool's figures for one reference model.
type PeerFigure struct {
	Model, Tool                string
	Ir, CodeBytes, WeightBytes int
	RAMBytes                   int
}

// PeersSource names where [Peers] was copied from.
const PeersSource = "../shared/bench/PEERS.md (x86-64, Debian 12, gcc 12.2 -O2, valgrind 3.19, 2026-11-21), float32 table"

// Peers are the float32 figures of PEERS.md. The best peer on every model is onnx2c.
var Peers = []PeerFigure{
	{"ae_mlp", "onnx2c", 967560, 1511, 1063456, 1024},
	{"ae_mlp", "TFLite Micro", 1626691, 26434, 1066416, 5664},
	{"ae_mlp", "emlearn", 1783789, 3902, 1063572, 5120},
	{"lenet5", "onnx2c", 4204601, 1376, 246888, 37632},
	{"lenet5", "TFLite Micro", 9555414, 41005, 248972, 25744},
	{"lstm", "onnx2c", 459413, 1707, 23220, 4352},
	{"lstm", "TFLite Micro", 855089, 61611, 24712, 5696},
	{"dscnn", "onnx2c", 22776845, 3420, 90440, 64000},
	{"dscnn", "TFLite Micro", 45716436, 61219, 94852, 72112},
}

// UnluLeNetArenaBytes is the activation memory Unlu (arXiv:2007.01348) reports for LeNet-5 with
// in-place (fused) max pooling on a 32x32 input.
const UnluLeNetArenaBytes = 8800

// PeerFor returns the peer figure of a model and tool.
func PeerFor(model, tool string) (PeerFigure, bool) {
	for _, p := range Peers {
		if p.Model == model && p.Tool == tool {
			return p, true
		}
	}
	return PeerFigure{}, false
}

// SmallestPeerRAM is the smallest RAM figure any peer reports for a model (0 when none).
func SmallestPeerRAM(model string) int {
	best := 0
	for _, p := range Peers {
		if p.Model == model && (best == 0 || p.RAMBytes < best) {
			best = p.RAMBytes
		}
	}
	return best
}

// Measurement is what MeasureC found for one generated library.
type Measurement struct {
	// IrPerInference is callgrind's instruction count of <prefix>_run, divided by its calls.
	IrPerInference int64
	// CodeBytes is the .text of <prefix>.o; TableBytes its read-only data (geometry tables);
	// WeightBytes the read-only data of <prefix>_weights.o; BSSBytes the .bss of <prefix>.o
	// (the arena).
	CodeBytes, TableBytes, WeightBytes, BSSBytes int
	// Harness is the harness's JSON line (its pass flag checks the code against the Go
	// interpreter).
	Harness string
}

// MeasureC writes out into dir (which must not exist or be empty), compiles the library with
// gcc -O2, measures section sizes, then runs the harness under callgrind collecting only
// <prefix>_run. The harness must have been generated with test vectors; it runs every vector
// plus BenchIterations timed calls, and the instruction count is divided by that call count.
func MeasureC(out *codegen.Output, dir string) (*Measurement, error) {
	if err := out.WriteDir(dir, false); err != nil {
		return nil, err
	}
	prefix := out.Manifest.Prefix
	cflags := []string{"-std=c99", "-O2", "-Wall", "-Wextra", "-Wshadow", "-Werror"}
	for _, src := range []string{prefix + ".c", prefix + "_weights.c"} {
		args := append(append([]string(nil), cflags...), "-c", src)
		if msg, err := run(dir, "gcc", args...); err != nil {
			return nil, fmt.Errorf("peers: compiling %s: %v\n%s", src, err, msg)
		}
	}
	m := &Measurement{}
	secs, err := sectionSizes(dir, prefix+".o")
	if err != nil {
		return nil, err
	}
	m.CodeBytes = secs.sum(".text")
	m.TableBytes = secs.sum(".rodata")
	m.BSSBytes = secs.sum(".bss")
	wsecs, err := sectionSizes(dir, prefix+"_weights.o")
	if err != nil {
		return nil, err
	}
	m.WeightBytes = wsecs.sum(".rodata") + wsecs.sum(".data")

	if msg, err := run(dir, "make", "-s", "harness"); err != nil {
		return nil, fmt.Errorf("peers: building the harness: %v\n%s", err, msg)
	}
	cgOut := filepath.Join(dir, "callgrind.out")
	stdout, err := run(dir, "valgrind", "--tool=callgrind", "--callgrind-out-file="+cgOut,
		"--toggle-collect="+prefix+"_run", "./harness")
	if err != nil {
		return nil, fmt.Errorf("peers: valgrind: %v\n%s", err, stdout)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "{") {
			m.Harness = line
		}
	}
	total, err := callgrindTotal(cgOut)
	if err != nil {
		return nil, err
	}
	calls := int64(out.Manifest.Vectors + out.Manifest.Iterations)
	m.IrPerInference = total / calls
	return m, nil
}

func run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// sections maps section names to sizes.
type sections map[string]int

// sum adds the sizes of the section named prefix and of its subsections (prefix + ".").
func (s sections) sum(prefix string) int {
	t := 0
	for name, size := range s {
		if name == prefix || strings.HasPrefix(name, prefix+".") {
			t += size
		}
	}
	return t
}

// sectionSizes runs `size -A` on an object file.
func sectionSizes(dir, obj string) (sections, error) {
	out, err := run(dir, "size", "-A", obj)
	if err != nil {
		return nil, fmt.Errorf("peers: size -A %s: %v\n%s", obj, err, out)
	}
	return parseSizeA(out)
}

// parseSizeA parses the System V output of `size -A`: "name size addr" rows.
func parseSizeA(text string) (sections, error) {
	s := sections{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || !strings.HasPrefix(f[0], ".") {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("peers: size -A row %q: %v", sc.Text(), err)
		}
		s[f[0]] += n
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("peers: size -A printed no sections:\n%s", text)
	}
	return s, nil
}

// callgrindTotal reads the "totals:" (or "summary:") Ir count of a callgrind output file.
func callgrindTotal(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("peers: %w", err)
	}
	var summary int64 = -1
	for _, line := range strings.Split(string(data), "\n") {
		for _, key := range []string{"totals:", "summary:"} {
			if v, ok := strings.CutPrefix(line, key); ok {
				f := strings.Fields(v)
				if len(f) == 0 {
					continue
				}
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("peers: %s: %q: %v", path, line, err)
				}
				if key == "totals:" {
					return n, nil
				}
				summary = n
			}
		}
	}
	if summary < 0 {
		return 0, fmt.Errorf("peers: %s has no totals or summary line", path)
	}
	return summary, nil
}
