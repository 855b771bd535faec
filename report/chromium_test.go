package report

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the headless browser the page tests use, or skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: the report's browser tests need Debian's chromium package (.ci/run installs it)")
	return ""
}

// runChromium runs headless Chromium on a file URL with extra flags and returns its stdout
// and stderr.
func runChromium(t *testing.T, url string, flags ...string) (string, string) {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0"}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(errb.String(), 2000))
	}
	return out.String(), errb.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// selftest is what the page's #selftest hook reports (assets/page.js).
type selftest struct {
	Errors       []string `json:"errors"`
	Marks        int      `json:"marks"`
	FrontMarks   int      `json:"front_marks"`
	FrontPoints  int      `json:"front_points"`
	XLabelBefore string   `json:"x_label_before"`
	XLabelAfter  string   `json:"x_label_after"`
	CXBefore     string   `json:"cx_before"`
	CXAfter      string   `json:"cx_after"`
	DetailBefore string   `json:"detail_before"`
	DetailAfter  string   `json:"detail_after"`
	LayerRows    int      `json:"layer_rows"`
	Curves       int      `json:"curves"`
	Thresholds   int      `json:"thresholds"`
	CalibMarks   int      `json:"calib_marks"`
	CompareRows  int      `json:"compare_rows"`
	HVLines      int      `json:"hv_lines"`
}

var selftestRE = regexp.MustCompile(`<pre id="selftest"[^>]*>([^<]*)</pre>`)

// TestPageInChromium opens the report in headless Chromium: no script errors, one front mark
// per front point, switching an axis moves the marks, clicking a mark opens its details, and
// every section draws.
func TestPageInChromium(t *testing.T) {
	s := fixture(t)
	writePointsJSON(t, s)
	if _, err := WriteExtra(s.Dir, s.Extra); err != nil {
		t.Fatal(err)
	}
	paths, err := WriteAll(s)
	if err != nil {
		t.Fatal(err)
	}
	dom, logs := runChromium(t, "file://"+paths[0]+"#selftest", "--dump-dom")
	m := selftestRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page did not run its self test; DOM tail:\n%s\nlog:\n%s", tail(dom, 1500), tail(logs, 2000))
	}
	var st selftest
	if err := json.Unmarshal([]byte(htmlUnescape(m[1])), &st); err != nil {
		t.Fatalf("self test output %q: %v", m[1], err)
	}
	t.Logf("self test: %+v", st)
	if len(st.Errors) > 0 {
		t.Errorf("script errors: %v", st.Errors)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") && (strings.Contains(line, "Uncaught") || strings.Contains(line, "Error")) {
			t.Errorf("console: %s", line)
		}
	}
	if st.FrontMarks != len(s.Report.Front) || st.FrontPoints != len(s.Report.Front) {
		t.Errorf("%d front marks (%d front points on the page), front.json has %d", st.FrontMarks, st.FrontPoints, len(s.Report.Front))
	}
	if st.Marks != len(s.Report.Points) {
		t.Errorf("%d marks, want one per point (%d)", st.Marks, len(s.Report.Points))
	}
	if st.XLabelBefore == st.XLabelAfter || st.CXBefore == st.CXAfter || st.XLabelAfter != "cycles" {
		t.Errorf("switching the x axis changed nothing: label %q -> %q, cx %s -> %s", st.XLabelBefore, st.XLabelAfter, st.CXBefore, st.CXAfter)
	}
	if st.DetailBefore == st.DetailAfter || st.LayerRows < 5 {
		t.Errorf("clicking a mark did not open its details: %q -> %q, %d layer rows", st.DetailBefore, st.DetailAfter, st.LayerRows)
	}
	if st.Curves != 2 || st.Thresholds != 1 || st.CalibMarks != 2 || st.CompareRows < 8 || st.HVLines != 1 {
		t.Errorf("sections: %d curves, %d threshold lines, %d measured points, %d compare rows, %d hypervolume lines", st.Curves, st.Thresholds, st.CalibMarks, st.CompareRows, st.HVLines)
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}

// TestPageScreenshot takes a screenshot of the report with a point selected and checks that it
// shows the kinds' colours and the selection's red ring, not a blank page.
func TestPageScreenshot(t *testing.T) {
	s := fixture(t)
	writePointsJSON(t, s)
	paths, err := WriteAll(s)
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, "file://"+paths[0]+"#point=gwp-1", "--screenshot="+shot, "--window-size=1200,1400")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	counts := colourCounts(img, map[string][3]uint8{
		"gwp blue": {0x1f, 0x77, 0xb4}, "int8 orange": {0xff, 0x7f, 0x0e}, "probe grey": {0x98, 0xa2, 0xb3},
		"baseline black": {0x11, 0x11, 0x11}, "selection red": {0xd9, 0x2d, 0x20},
	})
	t.Logf("pixels by colour: %v", counts)
	for name, n := range counts {
		if n < 20 {
			t.Errorf("%s: %d pixels, want the colour on screen", name, n)
		}
	}
}

// colourCounts counts the pixels within a small distance of each named colour.
func colourCounts(img image.Image, want map[string][3]uint8) map[string]int {
	out := map[string]int{}
	for name := range want {
		out[name] = 0
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for name, c := range want {
				if near(r>>8, c[0]) && near(g>>8, c[1]) && near(bl>>8, c[2]) {
					out[name]++
				}
			}
		}
	}
	return out
}

func near(v uint32, c uint8) bool {
	d := int(v) - int(c)
	return d >= -6 && d <= 6
}
