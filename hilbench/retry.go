package hilbench

import (
	"context"
	"errors"
	"time"
)

// permanentError stops [retry].
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth retrying.
func permanent(err error) error { return &permanentError{err} }

// retry calls fn until it succeeds, returns a [permanent] error, or ctx ends, waiting 50 ms
// after the first failure and doubling up to 2 s: long enough to ride out a NATS server
// restart. It returns fn's last error (unwrapped from permanent).
func retry(ctx context.Context, fn func() error) error {
	wait := 50 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		var p *permanentError
		if errors.As(err, &p) {
			return p.err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
