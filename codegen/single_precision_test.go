package codegen

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// allModelCSources returns every piece of C the generator can put in a model's .c file (not the
// harness, which may use double), by name.
func allModelCSources() map[string]string {
	src := map[string]string{
		"typedefs": cTypedefs, "q8_helpers": cQ8Helpers, "q8_fixed_point": cQ8FixedPoint,
		"rnn8_common": cRNN8Common, "rnn8_sigmoid": cRNN8Sigmoid, "q8_lstm": cQ8LSTM, "q8_gru": cQ8GRU, "q8_rnn": cQ8RNN,
		"sparse8_requant": cSparse8Requant, "q8_dense_sparse8": cQ8DenseSparse8, "q8_conv_sparse8": cQ8ConvSparse8,
		"bcast_geom": cBcastGeom, "move_geom": cMoveGeom,
	}
	for k, v := range cKernels {
		src[k] = v
	}
	for k, v := range q8Kernels {
		src[k] = v
	}
	for _, b := range fuseActCBodies {
		src["fused activation "+strings.TrimSpace(strings.SplitN(b.body, "\n", 2)[0])] = b.body
	}
	return src
}

var (
	cComments = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	// doubleMath are the C library's double-precision functions (the float ones end in f).
	doubleMath = regexp.MustCompile(`\b(exp|expm1|log|log1p|log2|log10|pow|sqrt|tanh|sinh|cosh|sin|cos|tan|atan|atan2|floor|ceil|round|lround|rint|lrint|nearbyint|trunc|fabs|fmod|fmin|fmax|erf|cbrt|hypot|ldexp|frexp)\s*\(`)
	// floatLiteral matches a C floating constant with its optional suffix.
	floatLiteral = regexp.MustCompile(`\b[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?[fFlL]?|\b[0-9]+[eE][-+]?[0-9]+[fFlL]?|\.[0-9]+(?:[eE][-+]?[0-9]+)?[fFlL]?`)
)

// The TC3xx FPU is single precision and emulates double in software, so the model code must not
// compute in double: no double type, no double-precision math function, no unsuffixed floating
// constant (which C types double and which promotes the whole expression).
func TestModelCodeIsSinglePrecision(t *testing.T) {
	src := allModelCSources()
	names := make([]string, 0, len(src))
	for k := range src {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		code := cComments.ReplaceAllString(src[name], "")
		var problems []string
		if regexp.MustCompile(`\bdouble\b|\blong double\b`).MatchString(code) {
			problems = append(problems, "uses the double type")
		}
		for _, m := range doubleMath.FindAllStringSubmatch(code, -1) {
			problems = append(problems, "calls "+m[1]+"() (double precision)")
		}
		for _, lit := range floatLiteral.FindAllString(code, -1) {
			if !strings.HasSuffix(lit, "f") && !strings.HasSuffix(lit, "F") {
				problems = append(problems, "unsuffixed constant "+lit+" (a double)")
			}
		}
		if len(problems) > 0 {
			t.Errorf("kernel %s: %s", name, strings.Join(problems, "; "))
		}
	}
	// The scan itself must catch what it looks for.
	for _, bad := range []string{"y = (float)exp(x);", "double r = 1;", "y = x * 0.5;"} {
		c := cComments.ReplaceAllString(bad, "")
		if !doubleMath.MatchString(c) && !strings.Contains(c, "double") && !floatLiteral.MatchString(c) {
			t.Errorf("scan misses %q", bad)
		}
	}
}
