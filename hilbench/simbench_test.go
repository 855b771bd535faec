package hilbench_test

import (
	"context"
	"testing"

	"github.com/tcdse/tcdse/hilbench"
)

func BenchmarkSimDriverRun(b *testing.B) {
	_, tree := mlpTree(b, connect(b, startNATS(b)))
	dir := b.TempDir()
	if err := hilbench.Unpack(tree, dir); err != nil {
		b.Fatal(err)
	}
	d := simDriver(b, 1)
	for b.Loop() {
		if _, err := d.Run(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
}
