package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
)

// fanOut runs Evaluate for every input with at most limit in flight, and returns the results
// in input order. After the first failure it starts no more, waits for those in flight and
// returns that failure.
func fanOut(ctx workflow.Context, limit int, ins []activities.EvalInput, prog *Progress) ([]activities.Evaluation, error) {
	out := make([]activities.Evaluation, len(ins))
	var firstErr error
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	collect := func() {
		sel.Select(ctx)
		inFlight--
	}
	for i := range ins {
		if firstErr != nil {
			break
		}
		for inFlight >= limit {
			collect()
		}
		// A failure seen while waiting for a slot starts no further activity (histories
		// from before this rule, which started one more, replay as they were).
		if firstErr != nil && workflow.GetVersion(ctx, "fanout-stop-on-failure", workflow.DefaultVersion, 1) == 1 {
			break
		}
		idx := i
		f := workflow.ExecuteActivity(ctx, a.Evaluate, ins[idx])
		sel.AddFuture(f, func(f workflow.Future) {
			if err := f.Get(ctx, &out[idx]); err != nil && firstErr == nil {
				firstErr = err
			}
			prog.Done++
		})
		inFlight++
	}
	for inFlight > 0 {
		collect()
	}
	return out, firstErr
}
