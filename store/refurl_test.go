package store

import (
	"strings"
	"testing"
)

func TestRefURLRoundTrip(t *testing.T) {
	ref := Ref{Bucket: "tcdse-artifacts", Key: Key([]byte("x")), Size: 1}
	for _, name := range []string{"/abs/dir/model.onnx", "rel/t10k-images.gz", `C:\data\x.npz`, ""} {
		u := ref.URL(name)
		got, base, err := ParseURL(u)
		if err != nil || got != ref || strings.Contains(base, "/") || base == "" {
			t.Errorf("ParseURL(%q) = %+v, %q, %v", u, got, base, err)
		}
	}
	if _, base, _ := ParseURL(ref.URL("a/b/model.onnx")); base != "model.onnx" {
		t.Errorf("base name %q, want model.onnx", base)
	}
	for _, bad := range []string{
		"model.onnx", "artifact://b/" + ref.Key + "/1", "artifact://b/XYZ/1/n", "artifact:///" + ref.Key + "/1/n",
		"artifact://b/" + ref.Key + "/-1/n", "artifact://b/" + ref.Key + "/1/..", "artifact://b/" + ref.Key + `/1/a\b`,
	} {
		if _, _, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add(Ref{Bucket: "b", Key: Key(nil), Size: 0}.URL("n.onnx"))
	f.Add("artifact://b/k/1/n")
	f.Fuzz(func(t *testing.T, s string) {
		ref, name, err := ParseURL(s)
		if err != nil {
			return
		}
		again, name2, err := ParseURL(ref.URL(name))
		if err != nil || again != ref || name2 != name {
			t.Fatalf("%q: round trip gave %+v %q %v", s, again, name2, err)
		}
	})
}
