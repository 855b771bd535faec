package hilbench

import (
	"strings"
	"testing"
)

func TestTailBufferKeepsLastBytes(t *testing.T) {
	b := newTailBuffer(8)
	b.Write([]byte("abc"))
	b.Write([]byte("defgh"))
	if got := b.String(); got != "abcdefgh" {
		t.Errorf("at the limit: %q", got)
	}
	b.Write([]byte("ij"))
	if got := b.String(); !strings.HasSuffix(got, "\ncdefghij") || !strings.HasPrefix(got, "[...") {
		t.Errorf("after overflow: %q", got)
	}
	b.Write([]byte("0123456789XYZ"))
	if got := b.String(); !strings.HasSuffix(got, "\n56789XYZ") {
		t.Errorf("after a write larger than the limit: %q", got)
	}
}

func TestTruncateTail(t *testing.T) {
	s := strings.Repeat("x", 100) + "END"
	got := truncateTail(s, 40)
	if len(got) > 40 || !strings.HasSuffix(got, "END") || !strings.Contains(got, "truncated") {
		t.Errorf("truncateTail: %q (%d bytes)", got, len(got))
	}
	if truncateTail("short", 40) != "short" {
		t.Error("truncateTail changed a short string")
	}
}
