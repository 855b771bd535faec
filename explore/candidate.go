package explore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// candidateIDVersion starts the encoding hashed by CandidateID; change it if the encoding does.
const candidateIDVersion = "tcdse-candidate-v1\n"

// CandidateID returns the identity of a compression candidate: the hex SHA-256 of a canonical
// encoding of the base model's hash, the pruning rates and any further options (quantisation,
// target, ...). Layers are encoded in sorted name order with rates formatted by
// strconv.FormatFloat(r, 'g', -1, 64), so the map's iteration order does not matter. Layers
// with rate 0 are left out, as pruning them changes nothing: Rates{"fc": 0} and Rates{} name
// the same candidate. opts is encoded as canonical JSON (object keys sorted at every level), so
// a struct and a map with the same JSON give the same id; nil opts encodes as null. Options
// that encoding/json cannot encode (channels, functions, cycles) are encoded as a marker that
// names their type, so they all share one id per model and rates: pass JSON-encodable options.
func CandidateID(modelHash string, rates Rates, opts any) string {
	var b bytes.Buffer
	b.WriteString(candidateIDVersion)
	writeField(&b, "model", modelHash)
	for _, name := range rates.Layers() {
		r := rates[name]
		if r == 0 {
			continue
		}
		writeField(&b, "layer", name)
		writeField(&b, "rate", strconv.FormatFloat(r, 'g', -1, 64))
	}
	writeField(&b, "opts", canonicalJSON(opts))
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// writeField writes a length-prefixed key and value so no two field lists encode alike.
func writeField(b *bytes.Buffer, key, value string) {
	fmt.Fprintf(b, "%s %d:%s\n", key, len(value), value)
}

// canonicalJSON encodes v as JSON with object keys sorted at every level, by decoding the
// ordinary encoding into generic values (numbers kept verbatim) and encoding those again.
func canonicalJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("unencodable %T", v)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return string(raw)
	}
	out, err := json.Marshal(generic)
	if err != nil {
		return string(raw)
	}
	return string(out)
}
