package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/store"
)

// Error kinds of a sweep's inputs (the Type of the non-retryable application error).
const (
	// KindLocalPath: the spec names a file on some machine's disk instead of a stored
	// artifact; workers share nothing with the submitter but Temporal and NATS.
	KindLocalPath = "LocalPath"
	// KindMissingInput: the spec names an artifact the store does not hold (or holds
	// corrupted); it has to be stored again.
	KindMissingInput = "MissingInput"
)

// UploadInputs stores every input file the spec names (see explore.SweepSpec.MapInputs;
// relative names are taken relative to spec.BaseDir) in objs and returns the spec with
// artifact references (store.URLScheme) in their place, which is what a sweep must be
// submitted with. Content already stored is not sent again. A name that already is a
// reference is kept after checking that the store holds it, so a typo fails here and not
// on a worker.
func UploadInputs(ctx context.Context, objs *store.Objects, spec explore.SweepSpec) (explore.SweepSpec, error) {
	return spec.MapInputs(func(field, name string) (string, error) {
		if store.IsURL(name) {
			ref, _, err := store.ParseURL(name)
			if err != nil {
				return "", err
			}
			if err := objs.Check(ctx, ref); err != nil {
				return "", err
			}
			return name, nil
		}
		path := spec.Resolve(name)
		ref, err := objs.PutFile(ctx, path)
		if err != nil {
			return "", err
		}
		return ref.URL(path), nil
	})
}

// fetchInputs is the I/O boundary of Import: it copies every artifact the spec names into
// this worker's input directory (DIR/inputs/KEY/NAME, hash-checked, reused when present)
// and returns the spec with those paths in place of the references. A spec that still
// names a local path fails at once, naming the field and the fix.
func (a *Activities) fetchInputs(ctx context.Context, spec explore.SweepSpec) (explore.SweepSpec, error) {
	local, err := spec.MapInputs(func(field, name string) (string, error) {
		if !store.IsURL(name) {
			return "", fmt.Errorf("%w: %q is a file name, but workers read a sweep's inputs only from the artifact store: "+
				"store it with `tcdse put %s` and write the artifact:// reference it prints here (tcdse sweep and tcdse run do this for you)",
				errLocalPath, name, name)
		}
		ref, base, err := store.ParseURL(name)
		if err != nil {
			return "", fmt.Errorf("%w: %w", errMissingInput, err)
		}
		return a.materialize(ctx, ref, base)
	})
	switch {
	case errors.Is(err, errLocalPath):
		return spec, badInput(KindLocalPath, err)
	case errors.Is(err, errMissingInput), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrHashMismatch):
		return spec, badInput(KindMissingInput, err)
	case err != nil:
		return spec, err
	}
	return local, nil
}

var (
	errLocalPath    = errors.New("local path")
	errMissingInput = errors.New("bad artifact reference")
)

// materialize returns the path of a local copy of ref named base under the worker's input
// directory, fetching it (hash-checked) when it is not there yet.
func (a *Activities) materialize(ctx context.Context, ref store.Ref, base string) (string, error) {
	dir := filepath.Join(a.dir(), "inputs", ref.Key)
	path := filepath.Join(dir, base)
	if fi, err := os.Stat(path); err == nil && fi.Size() == ref.Size {
		return path, nil // GetFile writes whole files only, after the hash check
	}
	if err := a.Objects.GetFile(ctx, ref, path); err != nil {
		return "", err
	}
	return path, nil
}

// dir is the worker's own directory for copies of inputs: Dir, or a tcdse directory in the
// system's temporary directory when Dir is empty (tests).
func (a *Activities) dir() string {
	if a.Dir != "" {
		return a.Dir
	}
	return filepath.Join(os.TempDir(), "tcdse-worker")
}
