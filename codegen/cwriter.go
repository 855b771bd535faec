package codegen

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// cWriter accumulates C text.
type cWriter struct{ bytes.Buffer }

func (w *cWriter) f(format string, args ...any) { fmt.Fprintf(&w.Buffer, format, args...) }

// weightArrayDecl starts a constant array of the weight files: its extern declaration goes to
// h and the opening of its definition, placed by TCDSE_WEIGHTS_SECTION, to c. The caller writes
// the initialiser body and the closing "};".
func weightArrayDecl(h, c *cWriter, ctype, name string, count int) {
	h.f("extern const %s %s[%d];\n", ctype, name, count)
	c.f("TCDSE_WEIGHTS_SECTION const %s %s[%d] = {", ctype, name, count)
}

// signedWeightArray writes a whole constant signed integer array of the weight files:
// declaration, definition and initialiser (signedArray).
func signedWeightArray(h, c *cWriter, ctype, name string, vals []int) {
	weightArrayDecl(h, c, ctype, name, len(vals))
	c.signedArray(vals)
	c.f("};\n")
}

// floatArray writes the initialiser body of a float array, eight values per line.
func (w *cWriter) floatArray(vals []float32) {
	for i, v := range vals {
		if i%8 == 0 {
			w.WriteString("\n    ")
		} else {
			w.WriteByte(' ')
		}
		w.WriteString(cFloat(v))
		w.WriteByte(',')
	}
	w.WriteByte('\n')
}

// intArray writes the initialiser body of an integer array, sixteen values per line.
func (w *cWriter) intArray(vals []int) {
	for i, v := range vals {
		if i%16 == 0 {
			w.WriteString("\n    ")
		} else {
			w.WriteByte(' ')
		}
		w.WriteString(strconv.Itoa(v))
		w.WriteString("u,")
	}
	w.WriteByte('\n')
}

// cFloat formats a float32 as the shortest C float literal that converts back to the same
// value.
func cFloat(v float32) string {
	s := strconv.FormatFloat(float64(v), 'g', -1, 32)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s + "f"
}

// macroPrefix is the upper-case form of the symbol prefix used for macros.
func macroPrefix(prefix string) string { return strings.ToUpper(prefix) }

// shapeString renders a shape like [1,28,28].
func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
