package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"go.temporal.io/sdk/activity"

	"github.com/tcdse/tcdse/store"
)

// fromCache decodes the cache entry for key into v and reports whether it may be served: an
// entry is served only when every object refs(v) names is still in the artifact store. An
// entry naming a missing object (the store was wiped or pruned) is deleted and reported as a
// miss, so the work is done again instead of handing out a dangling reference.
func (a *Activities) fromCache(ctx context.Context, key string, v any, refs func() []store.Ref) (bool, error) {
	if a.Cache == nil {
		return false, nil
	}
	ok, err := a.Cache.Get(key, v)
	if err != nil || !ok {
		return false, err
	}
	for _, r := range refs() {
		err := a.Objects.Check(ctx, r)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrSizeMismatch) {
			if activity.IsActivity(ctx) {
				activity.GetLogger(ctx).Warn("cache entry names a missing object; doing the work again", "key", key, "object", r.String())
			}
			countStale()
			return false, a.Cache.Delete(key)
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// toCache stores v under key when there is a cache.
func (a *Activities) toCache(key string, v any) error {
	if a.Cache == nil {
		return nil
	}
	return a.Cache.Put(key, v)
}

// contentKey is the cache key of work identified by its kind and input: the SHA-256 of both
// (as JSON) and of this binary's build, so a newer tcdse never serves an older one's output.
func contentKey(kind string, in any) string {
	data, _ := json.Marshal(in)
	sum := sha256.Sum256(append([]byte(kind+"\n"+buildStamp()+"\n"), data...))
	return kind + "-" + hex.EncodeToString(sum[:])
}

// refs lists the objects an evaluation names.
func (e *Evaluation) refs() []store.Ref {
	if e.Model == nil {
		return nil
	}
	return []store.Ref{*e.Model}
}

// refs lists the objects a generated point names.
func (g *GenerateResult) refs() []store.Ref {
	out := []store.Ref{g.Code}
	for _, o := range g.Outputs {
		out = append(out, o.Ref)
	}
	return out
}
