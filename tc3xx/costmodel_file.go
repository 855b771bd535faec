package tc3xx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// ParseCostModel reads a cost model written by `tcdse calibrate --out` (JSON) or by hand
// (YAML with the same fields). Parameters the file leaves out keep the built-in values of its
// architecture; unknown parameters, negative values and unknown fields are errors naming
// the file and the entry.
func ParseCostModel(data []byte, name string) (CostModel, error) {
	var m CostModel
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return CostModel{}, fmt.Errorf("tc3xx: cost model %s: %w", name, err)
	}
	if m.Arch == "" {
		return CostModel{}, fmt.Errorf("tc3xx: cost model %s: field arch: missing (e.g. %q)", name, TC162P.Arch)
	}
	ref, err := CostModelFor(m.Arch)
	if err != nil {
		return CostModel{}, fmt.Errorf("tc3xx: cost model %s: field arch: %v", name, err)
	}
	given := map[string]bool{}
	for i, p := range m.Params {
		if p.Name == "" {
			return CostModel{}, fmt.Errorf("tc3xx: cost model %s: params[%d]: field name: missing", name, i)
		}
		given[p.Name] = true
		j := ref.index(p.Name)
		if j < 0 {
			continue // Validate names it
		}
		if p.Unit == "" {
			m.Params[i].Unit = ref.Params[j].Unit
		}
		if p.Category == "" {
			m.Params[i].Category = ref.Params[j].Category
		}
		if p.Basis == "" {
			m.Params[i].Basis = Assumed
		}
	}
	for _, p := range ref.Params {
		if !given[p.Name] {
			m.Params = append(m.Params, p)
		}
	}
	if err := m.Validate(); err != nil {
		return CostModel{}, fmt.Errorf("tc3xx: cost model %s: %v", name, err)
	}
	return m, nil
}

// LoadCostModel reads a cost model file (see ParseCostModel).
func LoadCostModel(path string) (CostModel, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CostModel{}, fmt.Errorf("tc3xx: cost model: %w", err)
	}
	return ParseCostModel(data, path)
}

// MarshalIndent returns the model as indented JSON, the format `tcdse calibrate --out`
// writes.
func (m CostModel) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Hash returns a hex SHA-256 of the parameter values by name (not of notes or the fit
// report), so that two files with the same values give the same hash.
func (m CostModel) Hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "arch %s\n", m.Arch)
	for _, p := range m.sortedParams() {
		fmt.Fprintf(h, "%s %v\n", p.Name, p.Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (m CostModel) sortedParams() []Param {
	out := append([]Param(nil), m.Params...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Name < out[j-1].Name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
