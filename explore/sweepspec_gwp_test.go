package explore

import (
	"reflect"
	"strings"
	"testing"
)

const gwpSpecBase = `model: m.onnx
data: {format: mnist}
metric: top1
rates: [0.5]
schedule: [1]
target: tc387:cpu2
out: out
`

func TestSweepSpecSensitivityAndGWP(t *testing.T) {
	s, err := ParseSweepSpec([]byte(gwpSpecBase+`finetune: {split: 0.5}
sensitivity: {rule: last_pass, threshold: {absolute: 0.9}, finetune: true}
gwp: {method: weighted_global, structured: true, norm: l1}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	if s.SensitivityRule() != RuleLastPass || s.SensitivityThreshold() != (Threshold{Absolute: 0.9}) || !s.ProbeFineTune() {
		t.Errorf("rule %q threshold %+v probe fine-tune %v", s.SensitivityRule(), s.SensitivityThreshold(), s.ProbeFineTune())
	}
	if g := s.GWP.WithDefaults(); !reflect.DeepEqual(g, GWPSpec{Method: GWPWeightedGlobal, Structured: true, Norm: "l1"}) {
		t.Errorf("gwp %+v", g)
	}

	// Defaults: the top-level threshold, first_fail, scaled, unstructured, l2.
	d, err := ParseSweepSpec([]byte(gwpSpecBase+"threshold: {relative: 0.99}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	if d.SensitivityRule() != RuleFirstFail || d.SensitivityThreshold() != (Threshold{Relative: 0.99}) || d.ProbeFineTune() {
		t.Errorf("defaults: rule %q threshold %+v probe fine-tune %v", d.SensitivityRule(), d.SensitivityThreshold(), d.ProbeFineTune())
	}
	if g := d.GWP.WithDefaults(); !reflect.DeepEqual(g, GWPSpec{Method: GWPScaled, Norm: "l2"}) {
		t.Errorf("default gwp %+v", g)
	}

	bad := []struct {
		extra string
		want  []string
	}{
		{"threshold: {relative: 0.99}\ngwp: {method: global}\n", []string{"gwp.method", `"global"`, "weighted_global"}},
		{"threshold: {relative: 0.99}\ngwp: {norm: l2}\n", []string{"gwp.norm", "structured"}},
		{"threshold: {relative: 0.99}\ngwp: {structured: true, norm: l3}\n", []string{"gwp.norm", "l3"}},
		{"threshold: {relative: 0.99}\nsensitivity: {rule: best}\n", []string{"sensitivity.rule", "last_pass", "first_fail"}},
		{"threshold: {relative: 0.99}\nsensitivity: {threshold: {relative: 0.98}}\n", []string{"sensitivity.threshold", "one of the two"}},
		{"sensitivity: {threshold: {relative: 3}}\n", []string{"sensitivity.threshold.relative", "3"}},
		{"sensitivity: {threshold: {relative: 0.9, absolute: 0.8}}\n", []string{"sensitivity.threshold", "not both"}},
		{"sensitivity: {rule: last_pass}\n", []string{"threshold", "set relative"}},
		{"threshold: {relative: 0.99}\nsensitivity: {finetune: true}\n", []string{"sensitivity.finetune", "finetune block"}},
	}
	for _, b := range bad {
		s, err := ParseSweepSpec([]byte(gwpSpecBase+b.extra), "")
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
	if _, err := ParseSweepSpec([]byte(gwpSpecBase+"gwp: {methd: scaled}\n"), ""); err == nil {
		t.Error("misspelt gwp field accepted")
	}
}
