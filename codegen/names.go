package codegen

import (
	"fmt"
	"strconv"
	"strings"
)

// maxIdentPart bounds the part of a C identifier derived from a node name.
const maxIdentPart = 32

// identifiers assigns each node a distinct C-safe name part, in graph order.
type identifiers struct {
	used map[string]bool
	list []string // per layer index
}

func newIdentifiers(nodeNames []string) *identifiers {
	ids := &identifiers{used: map[string]bool{}}
	for _, name := range nodeNames {
		base := sanitizeIdent(name)
		id := base
		for k := 2; ids.used[id]; k++ {
			id = fmt.Sprintf("%s_%d", base, k)
		}
		ids.used[id] = true
		ids.list = append(ids.list, id)
	}
	return ids
}

// sanitizeIdent maps any string to a non-empty C identifier fragment: ASCII letters, digits and
// single underscores, not starting with a digit or underscore, at most maxIdentPart bytes.
func sanitizeIdent(s string) string {
	var b strings.Builder
	lastUnderscore := true // suppresses a leading '_'
	for i := 0; i < len(s); i++ {
		c := s[i]
		isAlnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if isAlnum {
			b.WriteByte(c)
			lastUnderscore = false
		} else if !lastUnderscore {
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	id := strings.TrimRight(b.String(), "_")
	if id == "" {
		id = "node"
	}
	if id[0] >= '0' && id[0] <= '9' {
		id = "n" + id
	}
	if len(id) > maxIdentPart {
		id = strings.TrimRight(id[:maxIdentPart], "_")
	}
	return id
}

// cComment renders arbitrary text safely inside a /* */ comment: Go-quoted (so no newlines or
// control characters), with comment delimiters and trigraph starts broken up.
func cComment(s string) string {
	q := strconv.Quote(s)
	return strings.NewReplacer("*/", "*\\/", "/*", "/\\*", "??", "?\\?").Replace(q)
}
