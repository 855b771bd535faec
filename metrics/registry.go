package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
)

// Kind is a series' Prometheus type.
type Kind string

// The kinds a series can have.
const (
	Counter Kind = "counter"
	Gauge   Kind = "gauge"
	Summary Kind = "summary" // exposed as NAME_sum and NAME_count
)

// Registry holds series. The zero value is not usable; use NewRegistry. It is safe for
// concurrent use.
type Registry struct {
	mu     sync.Mutex
	kinds  map[string]Kind
	help   map[string]string
	series map[string]*series // by name + labels
}

type series struct {
	name   string
	labels string // rendered {k="v",...} or ""
	value  float64
	count  uint64 // summaries
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{kinds: map[string]Kind{}, help: map[string]string{}, series: map[string]*series{}}
}

// Default is the registry tcdse's own counters and the Temporal SDK's metrics go to.
var Default = NewRegistry()

// Describe sets a metric's kind and help text (optional; Add, Set and Observe set the kind
// on first use).
func (r *Registry) Describe(name string, kind Kind, help string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds[name], r.help[name] = kind, help
}

// Add adds v to a counter.
func (r *Registry) Add(name string, labels map[string]string, v float64) {
	r.update(name, Counter, labels, func(s *series) { s.value += v })
}

// Set sets a gauge.
func (r *Registry) Set(name string, labels map[string]string, v float64) {
	r.update(name, Gauge, labels, func(s *series) { s.value = v })
}

// Observe records one observation of a summary.
func (r *Registry) Observe(name string, labels map[string]string, v float64) {
	r.update(name, Summary, labels, func(s *series) { s.value += v; s.count++ })
}

// Value returns a counter's or gauge's value (a summary's sum), 0 when absent.
func (r *Registry) Value(name string, labels map[string]string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.series[name+renderLabels(labels)]; ok {
		return s.value
	}
	return 0
}

func (r *Registry) update(name string, kind Kind, labels map[string]string, f func(*series)) {
	name = sanitize(name)
	key := name + renderLabels(labels)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.kinds[name]; !ok {
		r.kinds[name] = kind
	}
	s, ok := r.series[key]
	if !ok {
		s = &series{name: name, labels: renderLabels(labels)}
		r.series[key] = s
	}
	f(s)
}

// WriteText writes every series in the Prometheus text exposition format, sorted.
func (r *Registry) WriteText(w io.Writer) error {
	r.mu.Lock()
	byName := map[string][]*series{}
	for _, s := range r.series {
		byName[s.name] = append(byName[s.name], &series{name: s.name, labels: s.labels, value: s.value, count: s.count})
	}
	kinds, help := make(map[string]Kind, len(r.kinds)), make(map[string]string, len(r.help))
	for k, v := range r.kinds {
		kinds[k] = v
	}
	for k, v := range r.help {
		help[k] = v
	}
	r.mu.Unlock()
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		ss := byName[n]
		sort.Slice(ss, func(i, j int) bool { return ss[i].labels < ss[j].labels })
		if h := help[n]; h != "" {
			fmt.Fprintf(&b, "# HELP %s %s\n", n, h)
		}
		fmt.Fprintf(&b, "# TYPE %s %s\n", n, kinds[n])
		for _, s := range ss {
			if kinds[n] == Summary {
				fmt.Fprintf(&b, "%s_sum%s %s\n%s_count%s %d\n", n, s.labels, num(s.value), n, s.labels, s.count)
				continue
			}
			fmt.Fprintf(&b, "%s%s %s\n", n, s.labels, num(s.value))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return fmt.Sprintf("%g", v)
}

// renderLabels renders labels sorted by key, escaped, as {k="v",...}.
func renderLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(labels[k])
		fmt.Fprintf(&b, `%s="%s"`, sanitize(k), v)
	}
	b.WriteByte('}')
	return b.String()
}

// sanitize makes a metric or label name valid: [a-zA-Z_:][a-zA-Z0-9_:]*.
func sanitize(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
