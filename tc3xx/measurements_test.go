package tc3xx

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// loaderFor serves named test graphs; rates zero the named layers' weights below the rate's
// quantile (enough for the resolver, which only needs a different graph per rate).
func loaderFor(graphs map[string]*model.Graph) GraphLoader {
	return func(name string, rates map[string]float64) (*model.Graph, error) {
		g, ok := graphs[name]
		if !ok {
			return nil, fmt.Errorf("no such model %q", name)
		}
		out := g
		for _, r := range rates {
			out = zeroFraction(out, r, 1)
		}
		return out, nil
	}
}

func TestResolveMeasurements(t *testing.T) {
	graphs := map[string]*model.Graph{"chain.ir": denseChain(1, 64, 32, 10), "conv.ir": convNet(2, 2, 8, 4)}
	file := `# two builds of chain, one of conv
{"model": "chain.ir", "target": "tc387:cpu2", "cycles": 20000}
{"model": "chain.ir", "target": "tc387:cpu2", "layer": "a", "cycles": 9000}
{"model": "chain.ir", "target": "tc387:cpu2", "layer": "b", "cycles": 1000}

{"model": "chain.ir", "rates": {"a": 0.8}, "format": "csr", "target": "tc387:cpu0", "weights": "dspr", "activations": "dlmu", "cycles": 5000, "label": "sparse"}
{"model": "conv.ir", "target": "TC38x:CPU1", "cycles": 60000}
`
	recs, err := ParseMeasurements(strings.NewReader(file), "m.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[1].Line != 3 || recs[3].Line != 6 {
		t.Fatalf("records: %+v", recs)
	}
	ms, err := ResolveMeasurements(recs, "m.jsonl", DefaultCatalog(), TC162P, loaderFor(graphs))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 5 || ms[3].Label != "sparse" || ms[0].Label != "line 2" {
		t.Fatalf("measurements: %+v", ms)
	}
	if ms[1].Counts["call"] != 1 || ms[0].Counts["call"] < 2 || ms[0].Counts["mac"] != ms[1].Counts["mac"]+ms[2].Counts["mac"] {
		t.Errorf("layer and whole-model counts: %v / %v / %v", ms[0].Counts, ms[1].Counts, ms[2].Counts)
	}
	if ms[3].Counts["csr_index"] == 0 || ms[3].Counts["dlmu_line"] == 0 || ms[3].Counts["pflash_line"] != 0 || ms[0].Fixed == 0 || ms[3].Fixed != 0 {
		t.Errorf("sparse DSPR/DLMU build counts %v fixed %g (dense build fixed %g)", ms[3].Counts, ms[3].Fixed, ms[0].Fixed)
	}
}

func TestMeasurementErrorsNameLineAndField(t *testing.T) {
	graphs := map[string]*model.Graph{"chain.ir": denseChain(1, 64, 32, 10)}
	parseCases := map[string][]string{
		`{"model": "chain.ir", "target": "tc387:cpu2"}`:                                   {"m.jsonl:1", "field cycles: missing"},
		`{"target": "tc387:cpu2", "cycles": 5}`:                                           {"m.jsonl:1", "field model: missing"},
		`{"model": "chain.ir", "cycles": 5}`:                                              {"field target: missing"},
		`{"model": "chain.ir", "target": "tc387:cpu2", "cycles": -5}`:                     {"field cycles", "-5"},
		`{"model": "chain.ir", "target": "tc387:cpu2", "cycles": 5, "weights": "emem"}`:   {"field weights", "emem"},
		`{"model": "chain.ir", "target": "tc387:cpu2", "cycles": 5, "format": "coo"}`:     {"field format", "coo"},
		`{"model": "chain.ir", "target": "tc387:cpu2", "cycles": 5, "rates": {"a": 1.5}}`: {`field rates["a"]`},
		`{"model": "chain.ir", "target": "tc387:cpu2", "cycles": 5, "cycle": 5}`:          {"m.jsonl:1", "cycle"},
		`{"model": "chain.ir", "target": "tc387:cpu2", "cycles": "many"}`:                 {"m.jsonl:1"},
		`{"model": "chain.ir"`: {"m.jsonl:1", "not a JSON measurement"},
		"# only a comment\n\n": {"no measurements"},
	}
	for in, wants := range parseCases {
		_, err := ParseMeasurements(strings.NewReader(in), "m.jsonl")
		if err == nil {
			t.Errorf("%s: accepted", in)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", in, err, w)
			}
		}
	}
	resolveCases := map[string][]string{
		`{"model": "chain.ir", "target": "tc399:cpu0", "cycles": 5}`:                {"m.jsonl:1", "field target", `"tc399"`},
		`{"model": "chain.ir", "target": "tc387:cpu9", "cycles": 5}`:                {"m.jsonl:1", "field target", `"cpu9"`},
		`{"model": "other.ir", "target": "tc387:cpu2", "cycles": 5}`:                {"m.jsonl:1", "field model", "other.ir"},
		`{"model": "chain.ir", "target": "tc387:cpu2", "layer": "zz", "cycles": 5}`: {"m.jsonl:1", "field layer", `"zz"`},
		`{"model": "chain.ir", "target": "tc387:cpu2", "layer": "ar", "cycles": 5}`: {"field layer", "emits no code"},
		"{\"model\": \"chain.ir\", \"target\": \"tc387:cpu2\", \"layer\": \"a\", \"cycles\": 500}\n" +
			"{\"model\": \"chain.ir\", \"target\": \"tc387:cpu2\", \"layer\": \"a\", \"cycles\": 900}": {"m.jsonl:2", "inconsistent", "line 1"},
		"{\"model\": \"chain.ir\", \"target\": \"tc387:cpu2\", \"cycles\": 1000}\n" +
			"{\"model\": \"chain.ir\", \"target\": \"tc387:cpu2\", \"layer\": \"a\", \"cycles\": 900}\n" +
			"{\"model\": \"chain.ir\", \"target\": \"tc387:cpu2\", \"layer\": \"b\", \"cycles\": 300}": {"inconsistent", "lines [2 3]", "1200", "line 1"},
	}
	for in, wants := range resolveCases {
		recs, err := ParseMeasurements(strings.NewReader(in), "m.jsonl")
		if err != nil {
			t.Errorf("%s: parse: %v", in, err)
			continue
		}
		_, err = ResolveMeasurements(recs, "m.jsonl", DefaultCatalog(), TC162P, loaderFor(graphs))
		if err == nil {
			t.Errorf("%s: accepted", in)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", in, err, w)
			}
		}
	}
}
