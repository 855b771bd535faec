package explore

import (
	"bytes"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// mustRun runs g on x and stops the test on an error.
func mustRun(t *testing.T, g *model.Graph, x *model.Tensor) []*model.Tensor {
	t.Helper()
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// encodeDecode encodes g and decodes it again, stopping the test on an error and failing it
// when the decoded graph does not hash like g.
func encodeDecode(t *testing.T, g *model.Graph) *model.Graph {
	t.Helper()
	var buf bytes.Buffer
	if err := g.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := model.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != g.Hash() {
		t.Errorf("graph %q: the decoded graph hashes differently", g.Name)
	}
	return back
}
