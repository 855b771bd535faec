package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
)

//go:embed assets/page.html
var pageHTML string

//go:embed assets/page.css
var pageCSS string

//go:embed assets/page.js
var pageJS string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// WriteHTML writes the self-contained page of p.
func WriteHTML(w io.Writer, p Page) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return pageTemplate.Execute(w, struct {
		Title string
		CSS   template.CSS
		JS    template.JS
		Data  template.JS
	}{Title: p.Name, CSS: template.CSS(pageCSS), JS: template.JS(pageJS), Data: template.JS(data)})
}

// WriteAll writes report.html and the static plots into s.Dir and returns the paths written,
// the page first.
func WriteAll(s Sweep) ([]string, error) {
	p, err := Build(s)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	plots, err := WritePlots(s.Dir, p)
	if err != nil {
		return nil, err
	}
	for _, f := range plots {
		if filepath.Ext(f) == ".svg" {
			p.Files = append(p.Files, File{Name: filepath.Base(f), Href: relTo(s.Dir, f)})
		}
	}
	for _, name := range []string{FrontFile, "front.csv", "front.txt", PointsFile} {
		if fi, err := os.Stat(filepath.Join(s.Dir, name)); err == nil {
			p.Files = append(p.Files, File{Name: name, Href: name, Bytes: fi.Size()})
		}
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, p); err != nil {
		return nil, err
	}
	path := filepath.Join(s.Dir, HTMLFile)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return append([]string{path}, plots...), nil
}
