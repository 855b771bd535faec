package deploy

import "fmt"

// ErrorKind names a class of deploy failure.
type ErrorKind string

// Error kinds.
const (
	// KindBadRequest: a request field (target, toolchain, placement, model) is unusable.
	KindBadRequest ErrorKind = "BadRequest"
	// KindDoesNotFit: the point does not fit the core's memories and Force is not set.
	KindDoesNotFit ErrorKind = "DoesNotFit"
	// KindBadManifest: a bundle's manifest.json is missing or unreadable.
	KindBadManifest ErrorKind = "BadManifest"
	// KindMismatch: a bundle's files differ from what its manifest records.
	KindMismatch ErrorKind = "Mismatch"
)

// Error is a deploy failure of a named kind.
type Error struct {
	Kind ErrorKind
	Msg  string
}

func (e *Error) Error() string { return "deploy: " + e.Msg }

// Is matches errors of the same kind, so errors.Is(err, &Error{Kind: KindDoesNotFit}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

func newError(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
