package activities

import (
	"strconv"
	"sync"
	"time"

	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/metrics"
)

// tcdse's own metrics, in metrics.Default (served by workers with --metrics).
const (
	metricEvaluations = "tcdse_evaluations_total"
	metricEvalSeconds = "tcdse_evaluation_seconds"
	metricStale       = "tcdse_cache_stale_entries_total"
	metricBoardJobs   = "tcdse_board_jobs_total"
)

// describe gives tcdse's metrics their help texts, once.
var describe = sync.OnceFunc(func() {
	m := metrics.Default
	m.Describe(metricEvaluations, metrics.Counter, "candidate evaluations, by whether the shared cache served them")
	m.Describe(metricEvalSeconds, metrics.Summary, "seconds spent computing evaluations (cache misses)")
	m.Describe(metricStale, metrics.Counter, "cache entries dropped because an object they name is gone")
	m.Describe(metricBoardJobs, metrics.Counter, "board runs, by outcome (pass, fail, build_error)")
})

func countEval(cached bool, d time.Duration) {
	describe()
	metrics.Default.Add(metricEvaluations, map[string]string{"cached": strconv.FormatBool(cached)}, 1)
	if !cached {
		metrics.Default.Observe(metricEvalSeconds, nil, d.Seconds())
	}
}

func countStale() { describe(); metrics.Default.Add(metricStale, nil, 1) }

func countBoard(res *hilbench.RunResult) {
	describe()
	outcome := "pass"
	switch {
	case !res.Built:
		outcome = "build_error"
	case !res.Pass:
		outcome = "fail"
	}
	metrics.Default.Add(metricBoardJobs, map[string]string{"board": res.Board, "outcome": outcome}, 1)
}
