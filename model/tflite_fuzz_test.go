package model

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzImportTFLite checks that no input makes ImportTFLite panic, and that a graph it returns
// is validated. Panics of the importer's own code are re-raised (flatbuffers accessors panic on
// corrupt offsets by design and are recovered into errors). Seeds: the synthetic layout model,
// the small bundled real models, and truncations of each.
func FuzzImportTFLite(f *testing.F) {
	spec, _ := tflTestModel(false)
	seeds := [][]byte{spec.build()}
	for _, name := range []string{"kws01/kws_ref_model.tflite", "kws01/kws_ref_model_float32.tflite",
		"mnist_lstm/trained_lstm.tflite", "mnist_lstm/trained_lstm_int8.tflite"} {
		if data, err := os.ReadFile(filepath.Join("..", "testdata", "examples", name)); err == nil {
			seeds = append(seeds, data)
		}
	}
	for _, s := range seeds {
		f.Add(s)
		for _, n := range []int{0, 7, 8, 32, len(s) / 3, len(s) / 2, len(s) - 16} {
			if n >= 0 && n < len(s) {
				f.Add(s[:n])
			}
		}
	}
	tflRepanicOwnBugs = true
	f.Cleanup(func() { tflRepanicOwnBugs = false })
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ImportTFLite(data)
		if err != nil {
			if g != nil {
				t.Fatal("graph returned with an error")
			}
			return
		}
		if g.Shapes == nil || len(g.Inputs) == 0 || len(g.Outputs) == 0 {
			t.Fatal("graph returned without validation, inputs or outputs")
		}
	})
}
