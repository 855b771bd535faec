package explore

import (
	"reflect"
	"strings"
	"testing"
)

// TestSweepSpecUnstructuredPhaseAndCalibrationData parses gwp.unstructured_schedule and
// quantize.data, and checks that every misuse is reported with its field.
func TestSweepSpecUnstructuredPhaseAndCalibrationData(t *testing.T) {
	s, err := ParseSweepSpec([]byte(gwpSpecBase+`threshold: {relative: 0.99}
gwp: {structured: true, unstructured_schedule: [0.5, 1, 1.2]}
finetune: {split: 0.9}
quantize: {data: finetune}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	if !s.HasUnstructuredPhase() || !reflect.DeepEqual(s.GWP.UnstructuredSchedule, []float64{0.5, 1, 1.2}) || !s.CalibratesOnFineTuneData() {
		t.Errorf("two phases %v (schedule %v), calibrate on fine-tuning data %v", s.HasUnstructuredPhase(), s.GWP.UnstructuredSchedule, s.CalibratesOnFineTuneData())
	}
	plain, err := ParseSweepSpec([]byte(gwpSpecBase+"threshold: {relative: 0.99}\ngwp: {structured: true}\nquantize: {samples: 10}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if plain.HasUnstructuredPhase() || plain.CalibratesOnFineTuneData() {
		t.Error("a spec without the new fields has an unstructured phase or calibrates on fine-tuning data")
	}

	bad := []struct {
		extra string
		want  []string
	}{
		{"gwp: {unstructured_schedule: [0.5]}\n", []string{"gwp.unstructured_schedule", "structured: true"}},
		{"gwp: {structured: true, method: weighted_global, unstructured_schedule: [0.5]}\n", []string{"gwp.unstructured_schedule", "weighted_global"}},
		{"gwp: {structured: true, unstructured_schedule: [0.5, 0.5]}\n", []string{"gwp.unstructured_schedule", "increasing"}},
		{"gwp: {structured: true, unstructured_schedule: [0, 2.5]}\n", []string{"gwp.unstructured_schedule[0]", "gwp.unstructured_schedule[1]", "2.5"}},
		{"quantize: {data: test}\n", []string{"quantize.data", `"test"`, "finetune"}},
		{"quantize: {data: finetune}\n", []string{"quantize.data", "finetune block"}},
	}
	for _, b := range bad {
		s, err := ParseSweepSpec([]byte(gwpSpecBase+"threshold: {relative: 0.99}\n"+b.extra), "")
		if err != nil {
			t.Fatalf("%q: %v", b.extra, err)
		}
		err = s.Validate()
		if err == nil {
			t.Errorf("%q: no error", b.extra)
			continue
		}
		for _, w := range b.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not mention %s", b.extra, err, w)
			}
		}
	}
}

// TestFootprintSpecFile checks that examples/lenet/sweep-footprint.yaml is a valid two-phase
// spec that keeps scored images out of fine-tuning and calibration.
func TestFootprintSpecFile(t *testing.T) {
	s, err := LoadSweepSpec("../examples/lenet/sweep-footprint.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	if !s.HasUnstructuredPhase() || !s.CalibratesOnFineTuneData() || s.FineTune == nil || s.FineTune.Split == 0 {
		t.Errorf("sweep-footprint.yaml: two phases %v, calibration on fine-tuning data %v, fine-tuning %+v", s.HasUnstructuredPhase(), s.CalibratesOnFineTuneData(), s.FineTune)
	}
}
