package report

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PlotsDir is where the static plots go, inside the results directory.
const PlotsDir = "plots"

// kindColors are the page's colours of the kinds (assets/page.js uses the same).
var kindColors = map[string]color.RGBA{
	KindBaseline: {0x11, 0x11, 0x11, 0xff}, KindProbe: {0x98, 0xa2, 0xb3, 0xff}, KindGWP: {0x1f, 0x77, 0xb4, 0xff},
	KindStructured: {0x94, 0x67, 0xbd, 0xff}, KindInt8: {0xff, 0x7f, 0x0e, 0xff}, KindSearch: {0x2c, 0xa0, 0x2c, 0xff},
}

var layerColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff},
	{0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// WritePlots writes the static plots of p into dir/plots as SVG and PNG: front (quality
// against ROM of the points that fit, coloured by kind, front points ringed), sensitivity (quality against rate per layer) when the sweep
// probed, hypervolume (against evaluations) when the sweep measured it, and layers (cycles per
// layer of each point with code) when a point has them. It
// returns the paths written.
func WritePlots(dir string, p Page) ([]string, error) {
	out := filepath.Join(dir, PlotsDir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var paths []string
	save := func(pl *plot.Plot, name string, w, h vg.Length) error {
		for _, ext := range []string{".svg", ".png"} {
			path := filepath.Join(out, name+ext)
			if err := pl.Save(w, h, path); err != nil {
				return fmt.Errorf("report: plot %s: %w", path, err)
			}
			paths = append(paths, path)
		}
		return nil
	}
	front, err := frontPlot(p)
	if err != nil {
		return paths, err
	}
	if err := save(front, "front", 8*vg.Inch, 5*vg.Inch); err != nil {
		return paths, err
	}
	if len(p.Curves) > 0 {
		sens, err := sensitivityPlot(p)
		if err != nil {
			return paths, err
		}
		if err := save(sens, "sensitivity", 8*vg.Inch, 5*vg.Inch); err != nil {
			return paths, err
		}
	}
	if hv := p.Hypervolume; hv != nil && len(hv.Trace) > 0 {
		pl := plot.New()
		pl.Title.Text = fmt.Sprintf("%s: hypervolume against evaluations (final %.4f)", p.Name, hv.Value)
		pl.X.Label.Text = "evaluations"
		pl.Y.Label.Text = "normalised hypervolume"
		pl.Add(plotter.NewGrid())
		xys := make(plotter.XYs, len(hv.Trace))
		for i, t := range hv.Trace {
			xys[i] = plotter.XY{X: float64(t.Evaluations), Y: t.Hypervolume}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return paths, err
		}
		l.StepStyle = plotter.PreStep
		l.Color = kindColors[KindGWP]
		pl.Add(l)
		if err := save(pl, "hypervolume", 8*vg.Inch, 4*vg.Inch); err != nil {
			return paths, err
		}
	}
	if layers, err := layersPlot(p); err != nil {
		return paths, err
	} else if layers != nil {
		if err := save(layers, "layers", 8*vg.Inch, 5*vg.Inch); err != nil {
			return paths, err
		}
	}
	return paths, nil
}

func frontPlot(p Page) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("%s: %s against ROM of the points that fit %s", p.Name, p.Metric, p.Target)
	pl.X.Label.Text = "ROM (KB)"
	pl.Y.Label.Text = p.Metric
	pl.Add(plotter.NewGrid())
	for _, kind := range Kinds {
		for _, onFront := range []bool{false, true} {
			var xys plotter.XYs
			for _, pt := range p.Points {
				if pt.Kind == kind && pt.OnFront == onFront && pt.Fits {
					xys = append(xys, plotter.XY{X: float64(pt.ROMBytes) / 1024, Y: pt.Quality})
				}
			}
			if len(xys) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color = kindColors[kind]
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			sc.GlyphStyle.Radius = vg.Points(3)
			if onFront {
				sc.GlyphStyle.Radius = vg.Points(4.5)
				sc.GlyphStyle.Shape = draw.RingGlyph{}
			}
			pl.Add(sc)
			if onFront {
				pl.Legend.Add(kind+" (front)", sc)
			} else {
				pl.Legend.Add(kind, sc)
			}
		}
	}
	pl.Legend.Top = false
	pl.Legend.Left = true
	return pl, nil
}

func sensitivityPlot(p Page) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Name + ": sensitivity of each layer pruned alone"
	pl.X.Label.Text = "pruning rate"
	pl.Y.Label.Text = p.Metric
	pl.Add(plotter.NewGrid())
	bounds := map[float64]bool{}
	for i, c := range p.Curves {
		xys := make(plotter.XYs, 0, len(c.Points))
		for _, q := range c.Points {
			xys = append(xys, plotter.XY{X: q.Rate, Y: q.Quality})
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		col := layerColors[i%len(layerColors)]
		l.Color, s.Color = col, col
		if c.Phase != "" {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		pl.Add(l, s)
		name := c.Layer
		if c.Phase != "" {
			name = "u-" + name
		}
		if c.Known {
			name += " (max " + strconv.FormatFloat(c.MaxRate, 'g', 3, 64) + ")"
			bounds[c.Bound] = true
		}
		pl.Legend.Add(name, l, s)
	}
	for b := range bounds {
		f := plotter.NewFunction(func(float64) float64 { return b })
		f.Color = color.RGBA{0xd9, 0x2d, 0x20, 0xff}
		f.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		pl.Add(f)
	}
	pl.Legend.Top = false
	pl.Legend.Left = true
	return pl, nil
}

// layersPlot draws cycles per layer, one group of bars per point with code; nil when no point
// has per-layer costs.
func layersPlot(p Page) (*plot.Plot, error) {
	var pts []PagePoint
	for _, pt := range p.Points {
		if pt.Detail != nil && len(pt.Detail.Layers) > 0 {
			pts = append(pts, pt)
		}
	}
	if len(pts) == 0 {
		return nil, nil
	}
	var nodes []string
	for _, l := range pts[0].Detail.Layers {
		if l.Cycles > 0 {
			nodes = append(nodes, l.Node)
		}
	}
	pl := plot.New()
	pl.Title.Text = p.Name + ": estimated cycles per layer"
	pl.Y.Label.Text = "kilocycles"
	w := vg.Points(float64(300) / float64(len(nodes)*len(pts)+1))
	if w > vg.Points(18) {
		w = vg.Points(18)
	}
	for i, pt := range pts {
		byNode := map[string]int64{}
		for _, l := range pt.Detail.Layers {
			byNode[l.Node] = l.Cycles
		}
		vals := make(plotter.Values, len(nodes))
		for j, n := range nodes {
			vals[j] = float64(byNode[n]) / 1000
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		b.Color = layerColors[i%len(layerColors)]
		b.LineStyle.Width = 0
		b.Offset = w * vg.Length(float64(i)-float64(len(pts)-1)/2)
		pl.Add(b)
		pl.Legend.Add(pt.Label, b)
	}
	pl.NominalX(nodes...)
	pl.Legend.Top = true
	return pl, nil
}
