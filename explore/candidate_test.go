package explore

import (
	"regexp"
	"testing"
)

type quantOpts struct {
	Bits   int               `json:"bits"`
	Scheme string            `json:"scheme"`
	Extra  map[string]string `json:"extra,omitempty"`
}

func TestCandidateIDStable(t *testing.T) {
	hash := "abc123"
	opts := quantOpts{Bits: 8, Scheme: "per-channel", Extra: map[string]string{"z": "1", "a": "2", "m": "3"}}
	first := CandidateID(hash, Rates{"conv1": 0.3, "conv2": 0.45, "fc1": 0.9, "fc2": 0.1}, opts)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(first) {
		t.Fatalf("id %q is not hex sha256", first)
	}
	// Maps built in different insertion orders, many times (Go randomises map iteration).
	for i := 0; i < 50; i++ {
		r := Rates{}
		names := []string{"fc2", "conv2", "fc1", "conv1"}
		vals := []float64{0.1, 0.45, 0.9, 0.3}
		for j := range names {
			k := (j + i) % len(names)
			r[names[k]] = vals[k]
		}
		if got := CandidateID(hash, r, opts); got != first {
			t.Fatalf("iteration %d: id %s, want %s", i, got, first)
		}
	}
	// A map with the same JSON as the struct gives the same id.
	asMap := map[string]any{"scheme": "per-channel", "extra": map[string]any{"m": "3", "a": "2", "z": "1"}, "bits": 8}
	if got := CandidateID(hash, Rates{"conv1": 0.3, "conv2": 0.45, "fc1": 0.9, "fc2": 0.1}, asMap); got != first {
		t.Errorf("map opts id %s, struct opts id %s: want equal", got, first)
	}
}

func TestCandidateIDDistinguishes(t *testing.T) {
	base := CandidateID("h", Rates{"a": 0.5}, nil)
	different := map[string]string{
		"model hash":   CandidateID("h2", Rates{"a": 0.5}, nil),
		"rate":         CandidateID("h", Rates{"a": 0.50000001}, nil),
		"layer":        CandidateID("h", Rates{"b": 0.5}, nil),
		"extra layer":  CandidateID("h", Rates{"a": 0.5, "b": 0.1}, nil),
		"opts":         CandidateID("h", Rates{"a": 0.5}, quantOpts{Bits: 8}),
		"opts value":   CandidateID("h", Rates{"a": 0.5}, map[string]int{"bits": 4}),
		"name framing": CandidateID("h", Rates{"a\nrate 3:0.5\nlayer 1:b": 0.5}, nil),
	}
	seen := map[string]string{base: "base"}
	for what, id := range different {
		if prev, dup := seen[id]; dup {
			t.Errorf("changing %s gives the same id as %s", what, prev)
		}
		seen[id] = what
	}
	// Zero rates do not change the candidate.
	if CandidateID("h", Rates{"a": 0.5, "b": 0}, nil) != base {
		t.Error("a zero rate changed the id")
	}
	if CandidateID("h", nil, nil) != CandidateID("h", Rates{"a": 0}, nil) {
		t.Error("nil rates and all-zero rates give different ids")
	}
	// Unencodable options still give a deterministic id.
	ch := make(chan int)
	if CandidateID("h", nil, ch) != CandidateID("h", nil, ch) {
		t.Error("unencodable opts give an unstable id")
	}
}
