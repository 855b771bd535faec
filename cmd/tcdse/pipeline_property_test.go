package main

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// propertyModelRoots are searched for models: the committed examples and, when present, the
// shared data sets.
var propertyModelRoots = []string{"../../testdata/examples", "../../../shared/datasets"}

// propertyModels lists every .onnx, .tflite and .h5 file under the roots, each content once.
func propertyModels(t *testing.T) []string {
	t.Helper()
	seen := map[[32]byte]bool{}
	var out []string
	for _, root := range propertyModelRoots {
		if _, err := os.Stat(root); err != nil {
			t.Logf("skipping %s: %v", root, err)
			continue
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".onnx", ".tflite", ".h5":
			default:
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if sum := sha256.Sum256(data); !seen[sum] {
				seen[sum] = true
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

// propertyData returns the eval arguments of a model's own data, or nil when none is at hand.
func propertyData(path string) []string {
	shared := propertyModelRoots[1]
	kws := filepath.Join(shared, "mlperf_tiny_kws01", "inputs")
	ad := filepath.Join(shared, "mlperf_tiny_ad01", "inputs", "normal_id_01_00000000_hist_librosa.bin")
	mnist := filepath.Join(propertyModelRoots[0], "mnist")
	mnistArgs := []string{"--data", filepath.Join(mnist, "t10k-1000-images-idx3-ubyte.gz"), "--labels", filepath.Join(mnist, "t10k-1000-labels-idx1-ubyte.gz")}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	switch base := filepath.Base(path); {
	case strings.Contains(base, "lenet"):
		return append(mnistArgs, "--limit", "50", "--norm-scale", "0.00392156862745098", "--norm-mean", "0.1307", "--norm-std", "0.3081")
	case strings.Contains(base, "lstm"):
		return append(mnistArgs, "--limit", "20", "--norm-scale", "0.00392156862745098")
	case strings.HasPrefix(base, "ad01") && exists(ad):
		return []string{"--data", ad, "--window", "640", "--stride", "128"}
	case strings.HasPrefix(base, "kws_ref_model") && exists(kws):
		args := []string{"--data", kws, "--dtype", "int8", "--labels", filepath.Join(kws, "y_labels.csv"), "--limit", "10"}
		if strings.Contains(base, "float32") {
			args = append(args, "--scale", "0.584703", "--zero-point", "83")
		}
		return args
	}
	return nil
}

// isFloatModel reports whether no node of g computes in int8 (export takes float models).
func isFloatModel(g *model.Graph) bool {
	if len(g.Quant) > 0 {
		return false
	}
	for _, n := range g.Nodes {
		if n.Attrs.Quant != nil || n.Op == model.OpDequantize || n.Op == model.OpQuantize {
			return false
		}
	}
	return true
}

// Every model we have goes through the same pipeline: analyze on tc387:cpu2, eval on its own
// data, generate, validate on the host (gcc with ASan and UBSan), and for float models export
// to ONNX and re-import with bit-identical outputs. A step may only fail by saying which
// operators are unsupported; a file that is not a model must say what it is.
func TestEveryModelThroughThePipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("about 90 s: every model through analyze, eval, generate, validate (ASan/UBSan) and export")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found")
	}
	models := propertyModels(t)
	if len(models) == 0 {
		t.Skip("no models found")
	}
	for _, path := range models {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			step := func(name string, args ...string) bool {
				t.Helper()
				_, stderr, err := runCLI(t, args...)
				if err == nil {
					return true
				}
				if strings.Contains(err.Error(), "unsupported") || strings.Contains(err.Error(), "not supported") {
					t.Logf("%s: %v", name, err)
					return false
				}
				t.Errorf("%s: %v\n%s", name, err, stderr)
				return false
			}
			g, err := model.LoadFile(path)
			if strings.HasSuffix(path, ".h5") {
				if !errors.Is(err, model.ErrNotAModel) || !strings.Contains(err.Error(), "HDF5") {
					t.Errorf("a Keras file: %v; want an error naming HDF5", err)
				}
				return
			}
			if err != nil {
				step("import", "analyze", path) // must say what is unsupported
				return
			}
			if !step("analyze", "analyze", path, "--target", "tc387:cpu2", "--json") {
				return
			}
			if data := propertyData(path); data != nil {
				step("eval", append([]string{"eval", path, "--json"}, data...)...)
			} else {
				t.Logf("no data at hand for %s: eval skipped", path)
			}
			dir := filepath.Join(t.TempDir(), "gen")
			if step("generate", "generate", path, "--out", dir, "--vectors", "2") {
				step("validate", "validate", dir, "--board", "host", "--sanitize")
			}
			if isFloatModel(g) {
				out := filepath.Join(t.TempDir(), "model.onnx")
				if step("export", "export", path, "--out", out) {
					exportSameOutputs(t, g, out)
				}
			}
		})
	}
}
