package candidate

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

const examples = "../testdata/examples"

// What Price chooses is what generate writes: the manifest's memories, ROM and RAM (weights
// included when they are copied into a RAM) equal the priced placement's, for a float model
// whose weights go to a RAM (kws01's DS-CNN) and one whose weights stay in PFlash (ad01 int8).
func TestPriceAgreesWithTheGeneratedManifest(t *testing.T) {
	c, err := ResolveCosting("tc387:cpu2", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "built-in TC1.6.2P" {
		t.Errorf("cost model name %q", c.Name)
	}
	seen := map[tc3xx.Placement]bool{}
	for _, f := range []string{"kws01/kws_ref_model.tflite", "ad01/ad01_int8.tflite", "lenet/fyh620_lenet.onnx"} {
		g, err := model.LoadFile(filepath.Join(examples, f))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Price(g, codegen.Options{}, c)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !p.Cost.Fits || p.Cost.Weights != p.Placements[0].Weights || p.Cost.Activations != p.Placements[0].Activations {
			t.Errorf("%s: chose %s/%s, cheapest fitting is %s/%s", f, p.Cost.Weights, p.Cost.Activations, p.Placements[0].Weights, p.Placements[0].Activations)
		}
		seen[p.Cost.Weights] = true
		w, a := p.Cost.CodegenMemories()
		out, err := codegen.Generate(g, codegen.Options{WeightsMemory: w, ArenaMemory: a})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m := out.Manifest
		if int64(m.RAMBytes) != p.Cost.RAMBytes || int64(m.ROMBytes) != p.Cost.ROMBytes || m.WeightsMemory != w || m.ArenaMemory != a {
			t.Errorf("%s: manifest %s/%s ROM %d RAM %d; priced %s/%s ROM %d RAM %d", f, m.WeightsMemory, m.ArenaMemory, m.ROMBytes, m.RAMBytes,
				p.Cost.Weights, p.Cost.Activations, p.Cost.ROMBytes, p.Cost.RAMBytes)
		}
	}
	if !seen[tc3xx.WeightsInPFlash] || len(seen) < 2 {
		t.Errorf("placements chosen %v; the models should exercise PFlash and a RAM", seen)
	}
}

// A model that fits no placement is priced at the default placement, with the reason.
func TestPriceWithoutAFittingPlacement(t *testing.T) {
	g, err := model.LoadFile(filepath.Join(examples, "ad01/ad01_int8.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ResolveCosting("tc387:cpu2", "", "")
	if err != nil {
		t.Fatal(err)
	}
	c.Target.Derivative.PFlash.Value = 1024 // no PFlash room for 270 KB of weights
	p, err := Price(g, codegen.Options{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cost.Fits || p.Cost.Weights != tc3xx.WeightsInPFlash || p.Cost.Activations != tc3xx.ActivationsInDSPR || !strings.Contains(p.Cost.Reason, "PFlash") {
		t.Errorf("cost %s/%s fits %v reason %q", p.Cost.Weights, p.Cost.Activations, p.Cost.Fits, p.Cost.Reason)
	}
}

func TestResolveCostingErrors(t *testing.T) {
	if _, err := ResolveCosting("tc999:cpu0", "", ""); err == nil {
		t.Error("unknown target accepted")
	}
	tg, err := tc3xx.Lookup("tc387:cpu2")
	if err != nil {
		t.Fatal(err)
	}
	m, err := tc3xx.CostModelFor(tg.Core.Arch)
	if err != nil {
		t.Fatal(err)
	}
	m.Arch = "TC1.8"
	if _, err := CostingFor(tg, &m); err == nil || !strings.Contains(err.Error(), "TC1.8") {
		t.Errorf("cost model of another architecture: %v", err)
	}
}
