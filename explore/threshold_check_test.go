package explore

import (
	"strings"
	"testing"
)

func TestCheckBaseline(t *testing.T) {
	cases := []struct {
		t        Threshold
		baseline float64
		higher   bool
		fail     string
	}{
		{Threshold{Absolute: 0.95}, 0.98, true, ""},
		{Threshold{Absolute: 0.99}, 0.98, true, "already fails the threshold (at least 0.99)"},
		{Threshold{Absolute: 0.5}, 0.7, false, "already fails the threshold (at most 0.5)"},
		{Threshold{Absolute: 0.9}, 0.7, false, ""},
		{Threshold{Relative: 0.99}, 0.98, true, ""},
		{Threshold{Relative: 1.05}, 0.98, true, "fraction of baseline quality"},
		{Threshold{Relative: 1.05}, 0.2, false, ""},
	}
	for i, c := range cases {
		err := c.t.CheckBaseline(c.baseline, c.higher)
		switch {
		case c.fail == "" && err != nil:
			t.Errorf("case %d: %v", i, err)
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("case %d: err = %v, want it to mention %q", i, err, c.fail)
		}
	}
}
