package codegen

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestIdentifiersAreValidAndUnique(t *testing.T) {
	names := []string{"1/conv:0", "", "for", "dup", "dup", "dup_2", "a*/b", "x\ny??/", "__init__",
		"_", "Ünïcode", strings.Repeat("long", 20), strings.Repeat("long", 20), "conv.weight", "conv_weight"}
	ids := newIdentifiers(names).list
	ident := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	seen := map[string]string{}
	for i, id := range ids {
		if !ident.MatchString(id) || strings.Contains(id, "__") || strings.HasSuffix(id, "_") || len(id) > maxIdentPart+4 {
			t.Errorf("name %q -> identifier %q is not a clean C identifier fragment", names[i], id)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("names %q and %q both map to %q", prev, names[i], id)
		}
		seen[id] = names[i]
	}
	want := map[int]string{0: "n1_conv_0", 1: "node", 2: "for", 3: "dup", 4: "dup_2", 5: "dup_2_2", 6: "a_b", 8: "init"}
	for i, w := range want {
		if ids[i] != w {
			t.Errorf("name %q -> %q, want %q", names[i], ids[i], w)
		}
	}
}

func TestCommentTextIsInert(t *testing.T) {
	for _, s := range []string{"a*/b", "/* x", "x\ny", "??/", "tab\there", "quote\"", "back\\"} {
		c := cComment(s)
		if strings.Contains(c, "*/") || strings.Contains(c, "/*") || strings.Contains(c, "??") || strings.ContainsAny(c, "\n\r\t") {
			t.Errorf("cComment(%q) = %q is not safe inside /* */", s, c)
		}
	}
}

func TestCFloatRoundTrips(t *testing.T) {
	for _, v := range []float32{0, 1, -2, 0.1, 1e-7, 3.4028235e38, 1.17549435e-38, 1e-45, float32(math.Copysign(0, -1)), 123456.79} {
		s := cFloat(v)
		if !strings.HasSuffix(s, "f") || !strings.ContainsAny(s, ".e") {
			t.Errorf("cFloat(%g) = %q is not a C float literal", v, s)
		}
		back, err := strconv.ParseFloat(strings.TrimSuffix(s, "f"), 32)
		if err != nil || math.Float32bits(float32(back)) != math.Float32bits(v) {
			t.Errorf("cFloat(%g) = %q reads back as %g (%v)", v, s, back, err)
		}
	}
}
