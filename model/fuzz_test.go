package model_test

import (
	"os"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// FuzzImportONNX feeds arbitrary bytes to the ONNX importer: it must never panic, and a graph it
// accepts must validate and run.
func FuzzImportONNX(f *testing.F) {
	for _, path := range []string{lenetPath, fixtures + "mlp.onnx", fixtures + "convnet.onnx"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, n := range []int{len(data) - 1, len(data) - 200, len(data) / 2, 300, 40} {
			f.Add(data[:n])
		}
	}
	f.Add(newONNXModel().input("x", "N", 2, 4, 4).ints("s", 0, -1).
		node("MaxPool", "mp", strs("x"), strs("p"), attrInts("kernel_shape", 2, 2), attrString("auto_pad", "SAME_LOWER")).
		node("Reshape", "rs", strs("p", "s"), strs("y")).output("y").bytes(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := model.ImportONNX(data)
		if err != nil {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("imported graph does not validate: %v", err)
		}
		// Run one sample of zeros when the graph is small enough to be quick.
		total := 0
		for _, s := range g.Shapes {
			n, _ := model.NumElements(s)
			total += n
		}
		macs := 0
		for _, n := range g.Nodes {
			if n.Weight != nil {
				out, _ := model.NumElements(g.Shapes[n.Outputs[0]])
				macs += out * (n.Weight.Len() / n.Weight.Shape[0])
			}
		}
		if total > 1<<20 || macs > 1<<24 {
			return
		}
		var inputs []*model.Tensor
		for _, in := range g.Inputs {
			inputs = append(inputs, model.NewTensor(append([]int{1}, in.Shape...)...))
		}
		if _, err := g.Run(inputs...); err != nil {
			t.Fatalf("imported graph does not run: %v", err)
		}
	})
}
