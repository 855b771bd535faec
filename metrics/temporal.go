package metrics

import (
	"maps"
	"time"

	"go.temporal.io/sdk/client"
)

// TemporalHandler records the Temporal SDK's metrics (worker polls, task latencies, activity
// executions...) into a registry, prefixed "temporal_"; pass it as client.Options.MetricsHandler.
func TemporalHandler(r *Registry) client.MetricsHandler { return &handler{r: r} }

type handler struct {
	r    *Registry
	tags map[string]string
}

func (h *handler) WithTags(tags map[string]string) client.MetricsHandler {
	t := maps.Clone(h.tags)
	if t == nil {
		t = map[string]string{}
	}
	maps.Copy(t, tags)
	return &handler{r: h.r, tags: t}
}

func (h *handler) Counter(name string) client.MetricsCounter {
	return counterFunc(func(d int64) { h.r.Add("temporal_"+name, h.tags, float64(d)) })
}

func (h *handler) Gauge(name string) client.MetricsGauge {
	return gaugeFunc(func(v float64) { h.r.Set("temporal_"+name, h.tags, v) })
}

func (h *handler) Timer(name string) client.MetricsTimer {
	return timerFunc(func(d time.Duration) { h.r.Observe("temporal_"+name+"_seconds", h.tags, d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
