package deploy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/tc3xx"
)

// resultLine is the example's line as the farm's command driver parses it.
var resultLine = regexp.MustCompile(`^TCDSE v=1 pass=(\d) cycles=(\d+) crc=([0-9a-f]{8}) vectors=(\d+) max_abs_err=(\S+) max_rel_err=(\S+) mismatches=(\d+) iters=(\d+) timer=(\w+) model=([0-9a-f]{16})\n$`)

// TestHostExample builds the host variant of a float and an int8 bundle with gcc (C99,
// -Wall -Wextra -Werror, ASan and UBSan), runs the example and checks its result line; the
// int8 model must reproduce the reference bit for bit, so its CRC equals the manifest's.
func TestHostExample(t *testing.T) {
	requireTool(t, "gcc", "make")
	cases := []struct {
		name  string
		req   Request
		exact bool
	}{
		{"mlp-float", request(t, mlp(1), "tc387:cpu2", GCC), false},
		{"mlp-int8", request(t, mlpInt8(t, 1), "tc387:cpu2", GCC), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, dir := build(t, c.req)
			run(t, dir, "make", "host", "SANITIZE=1", "CC=gcc")
			out := run(t, dir, "./tcdse_example")
			m := resultLine.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("result line %q does not match %v", out, resultLine)
			}
			if m[1] != "1" || m[4] != "3" || m[7] != "0" || m[9] != "clock_ns" || m[10] != b.Manifest.ModelSHA256[:16] {
				t.Errorf("result line %q: want pass=1 vectors=3 mismatches=0 timer=clock_ns model=%s", out, b.Manifest.ModelSHA256[:16])
			}
			if c.exact && m[3] != b.Manifest.ReferenceCRC32 {
				t.Errorf("int8 outputs crc %s, reference %s", m[3], b.Manifest.ReferenceCRC32)
			}
			if js := run(t, dir, "make", "harness", "CC=gcc"); !strings.Contains(js, "harness") {
				t.Errorf("make harness: %s", js)
			}
			if js := run(t, dir, "./harness"); !strings.Contains(js, `"pass":true`) {
				t.Errorf("harness: %s", js)
			}
		})
	}
}

// TestReproducibleAndVerify: two builds give identical files; verify passes on a fresh
// bundle and names a file with one changed byte, and a missing one.
func TestReproducibleAndVerify(t *testing.T) {
	for _, tc := range Toolchains {
		req := request(t, mlp(2), "tc387:cpu2", tc)
		a, dirA := build(t, req)
		b, _ := build(t, request(t, mlp(2), "tc387:cpu2", tc))
		if len(a.Files) != len(b.Files) {
			t.Fatalf("%s: %d files, then %d", tc, len(a.Files), len(b.Files))
		}
		for i := range a.Files {
			if a.Files[i].Name != b.Files[i].Name || !bytes.Equal(a.Files[i].Data, b.Files[i].Data) {
				t.Errorf("%s: %s differs between two runs", tc, a.Files[i].Name)
			}
		}
		if _, v, err := Verify(dirA); err != nil || v.Checked != len(a.Files)-1 {
			t.Fatalf("%s: fresh bundle: %v (checked %d of %d)", tc, err, v.Checked, len(a.Files)-1)
		}
		path := filepath.Join(dirA, "model_weights.c")
		data, _ := os.ReadFile(path)
		data[len(data)/2] ^= 1
		os.WriteFile(path, data, 0o644)
		os.Remove(filepath.Join(dirA, ExampleFile))
		_, v, err := Verify(dirA)
		if !errors.Is(err, &Error{Kind: KindMismatch}) || len(v.Changed) != 1 || v.Changed[0] != "model_weights.c" || len(v.Missing) != 1 || v.Missing[0] != ExampleFile {
			t.Errorf("%s: after a flipped bit and a removed file: %v %+v", tc, err, v)
		}
	}
}

// TestManifest checks what the manifest records and the signature macro in the header.
func TestManifest(t *testing.T) {
	req := request(t, mlp(3), "tc387:cpu2", HighTec)
	req.SpecSHA256 = strings.Repeat("cd", 32)
	b, _ := build(t, req)
	m := b.Manifest
	if m.Target != "tc387:cpu2" || m.Toolchain != HighTec || m.Point.CandidateID != req.Point.CandidateID || m.SpecSHA256 != req.SpecSHA256 || m.TcdseVersion != "test" {
		t.Errorf("manifest identity: %+v", m)
	}
	if m.ModelSHA256 != req.Graph.Hash() || m.Estimated.Cycles <= 0 || m.Estimated.ROMBytes <= 0 || m.Estimated.RAMBytes <= 0 || !m.Estimated.Fits {
		t.Errorf("manifest figures: %+v", m.Estimated)
	}
	if m.Placement.WeightsRegion == "" || m.Placement.ArenaRegion != "dsram2" && m.Placement.ArenaRegion != "cpu2_dlmu" {
		t.Errorf("placement: %+v", m.Placement)
	}
	for _, f := range b.Files {
		if f.Name == ManifestFile {
			continue
		}
		if m.Files[f.Name] != sha256Hex(f.Data) {
			t.Errorf("manifest hash of %s wrong", f.Name)
		}
	}
	h, _ := b.File("model.h")
	if !bytes.Contains(h, []byte(`#define MODEL_SIGNATURE "tcdse model=`+m.ModelSHA256)) {
		t.Errorf("model.h has no signature:\n%s", h)
	}
	if !strings.Contains(m.Signature, "candidate="+req.Point.CandidateID) || !strings.Contains(m.Signature, "target=tc387:cpu2") {
		t.Errorf("signature %q", m.Signature)
	}
}

// TestRefusesWhatDoesNotFit: weights forced into a DSPR too small for them are refused with
// the numbers, and bundled (marked forced) with Force.
func TestRefusesWhatDoesNotFit(t *testing.T) {
	g := loadModel(t, "lenet/fyh620_lenet.onnx")
	req := request(t, g, "tc387:cpu2", HighTec)
	req.Weights = tc3xx.WeightsInDSPR
	_, err := Build(req)
	if !errors.Is(err, &Error{Kind: KindDoesNotFit}) || !strings.Contains(err.Error(), "DSPR of CPU2 96.0 KB (98304 B)") {
		t.Fatalf("want a DoesNotFit error with the DSPR size, got %v", err)
	}
	req.Force = true
	b, err := Build(req)
	if err != nil || !b.Manifest.Forced || b.Manifest.Estimated.Fits {
		t.Fatalf("forced: %v %+v", err, b)
	}
}

// TestBadRequests: unknown toolchain and unknown placement are refused by name.
func TestBadRequests(t *testing.T) {
	req := request(t, mlp(4), "tc387:cpu2", "keil")
	if _, err := Build(req); !errors.Is(err, &Error{Kind: KindBadRequest}) || !strings.Contains(err.Error(), "keil") {
		t.Errorf("toolchain keil: %v", err)
	}
	req = request(t, mlp(4), "tc387:cpu2", GCC)
	req.Weights = "eeprom"
	if _, err := Build(req); !errors.Is(err, &Error{Kind: KindBadRequest}) || !strings.Contains(err.Error(), "eeprom") {
		t.Errorf("weights eeprom: %v", err)
	}
}
