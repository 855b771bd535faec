package deploy

import (
	"strings"
	"testing"

	"github.com/tcdse/tcdse/tc3xx"
)

// TestLSLFragmentChecks: the TASKING fragment of every placement passes the syntax check,
// names only the core's Infineon memories, selects the sections the C is compiled into,
// and gives weights in RAM the copy property.
func TestLSLFragmentChecks(t *testing.T) {
	for _, w := range tc3xx.WeightPlacements {
		for _, a := range tc3xx.ActivationPlacements {
			req := request(t, mlp(7), "tc387:cpu2", Tasking)
			req.Weights, req.Activations = w, a
			b, err := Build(req)
			if err != nil {
				t.Fatal(err)
			}
			frag, ok := b.File("tcdse_tc387_cpu2.lsl")
			if !ok {
				t.Fatalf("no LSL fragment in %v", b.Manifest.Files)
			}
			if err := CheckLSL(frag, []string{"dsram2", "cpu2_dlmu", "lmuram", "pfls2"}); err != nil {
				t.Errorf("%s/%s: %v\n%s", w, a, err, frag)
			}
			p := b.Manifest.Placement
			for _, want := range []string{`select "` + p.WeightsSection + `";`, `select "` + p.ArenaSection + `";`, "run_addr = mem:" + p.WeightsRegion} {
				if !strings.Contains(string(frag), want) {
					t.Errorf("%s/%s: fragment lacks %s:\n%s", w, a, want, frag)
				}
			}
			if strings.Contains(string(frag), "copy,") != p.WeightsInRAM {
				t.Errorf("%s/%s: copy property present %v, weights in RAM %v", w, a, !p.WeightsInRAM, p.WeightsInRAM)
			}
			// cctc prefixes the #pragma section name with the type: the weights header must carry
			// the name without it.
			h, _ := b.File("model_weights.h")
			if !strings.Contains(string(h), `"`+strings.TrimPrefix(p.WeightsSection, ".rodata.")+`"`) {
				t.Errorf("%s/%s: model_weights.h does not name %s", w, a, p.WeightsSection)
			}
		}
	}
}

// TestCheckLSL runs the checker on constructs of Infineon's LSL files and on broken ones.
func TestCheckLSL(t *testing.T) {
	good := []string{
		`section_layout :vtc:linear { group (ordered, contiguous, align = 4, attributes=rw, run_addr = mem:dsram2) { select "(.zdata.zdata_cpu2|.zdata.zdata_cpu2.*)"; select "(.zbss.zbss_cpu2|.zbss.zbss_cpu2.*)"; } }`,
		`section_layout mpe:vtc:linear (locate_direction = high_to_low) { group ustack2(align = 8, run_addr = mem:dsram2[0x1000]) { stack "ustack_tc2" (size = 2k); } "__USTACK2":= sizeof(group:ustack2) > 0 ? "_lc_ue_ustack_tc2" : 0; }`,
		`section_layout :vtc:linear { group (align = 64, attributes=rw, run_addr=mem:dsram2[0x100]) reserved "csa_tc2" (size = 16k); "__CSA2" := "_lc_ub_csa_tc2"; }`,
		`section_layout :vtc:linear { group reset (run_addr=0xA0000000) { section "reset" (size = 0x20, fill = 0x0800, attributes = r) { select ".text.start"; } } }`,
		`section_layout :vtc:linear { if (exists(section:".text.x")) { select ".text.x"; } else { group g (copy, run_addr = mem:lmuram | mem:dsram2) { select ".rodata.w"; } } }`,
		"// comment\nsection_layout :vtc:linear { /* c */ group a9 (ordered, align = 4, run_addr=mem:lmuram) { select \"(.data_a9.a9sdata|.data_a9.a9sdata.*)\"; } \"_A9_DATA_\" := sizeof(group:a9) > 0 ? addressof(group:a9) : addressof(group:a9) & 0xF0000000 + 32k; }",
	}
	for _, src := range good {
		if err := CheckLSL([]byte(src), nil); err != nil {
			t.Errorf("%v\n%s", err, src)
		}
	}
	bad := []struct{ src, want string }{
		{``, "empty"},
		{`section_layout :vtc:linear { select ".text" }`, `want ";"`},
		{`section_layout :vtc:linear { group g (ordred) { select ".a"; } }`, "unknown group property"},
		{`section_layout :vtc:linear { group g (run_addr = mem:dsram9) { select ".a"; } }`, "memory dsram9"},
		{`section_layout :vtc:linear { group g (align = ) { } }`, "want an expression"},
		{`section_layout :vtc:linear { group g () { } }`, "unknown group property"},
		{`section_layout :vtc:linear { group g { } group g { } }`, "defined twice"},
		{`section_layout :vtc:linear { "sym" = 1; `, `want "}"`},
		{`section_layout :vtc:linear { select ".a; }`, "unterminated string"},
		{"#include \"x.lsl\"\nsection_layout :vtc:linear { }", "preprocessor"},
		{`section_layout vtc:linear { }`, `want ":"`},
		{`section_layout :vtc:linear { group g (attributes = rz) { } }`, "attributes"},
		{`section_layout :vtc:linear { group g (align = 0x) { } }`, "bad number"},
		{`group g { }`, "want section_layout"},
		{`section_layout :vtc:linear { foo ".a"; }`, "unknown section statement"},
		{`section_layout :vtc:linear { select; }`, "needs a section name"},
	}
	for _, c := range bad {
		err := CheckLSL([]byte(c.src), []string{"dsram2", "lmuram"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.src, err, c.want)
		}
	}
}

// FuzzCheckLSL: the checker never panics, and accepts the generated fragments.
func FuzzCheckLSL(f *testing.F) {
	f.Add([]byte(`section_layout :vtc:linear { group g (ordered, align = 8, copy, run_addr = mem:dsram2[0x10]) { select ".rodata.w"; } "__X" := "_lc_gb_g"; }`))
	f.Add([]byte(`section_layout :vtc:linear { if (1 ? 2 : (3 << 4)) { } }`))
	f.Add([]byte("section_layout :vtc:linear { /* x */ // y\n }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_ = CheckLSL(src, []string{"dsram2"})
	})
}
