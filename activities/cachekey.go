package activities

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime/debug"
	"sync"

	"github.com/tcdse/tcdse/tc3xx"
)

// evalCacheKey is the evaluation cache's key for candidate id on target: the id, which names
// the candidate and everything a sweep spec sets, plus what the id leaves out but the
// evaluation still depends on: the built-in cost parameters of the target's core and the build
// of this binary (its VCS revision, when it has one). A newer tcdse therefore never serves an
// older build's estimates from a shared cache, while candidate ids stay stable across builds.
func evalCacheKey(id, target string) string {
	salt := buildStamp()
	if t, err := tc3xx.Lookup(target); err == nil {
		if m, err := tc3xx.CostModelFor(t.Core.Arch); err == nil {
			salt += "/" + m.Hash()
		}
	}
	sum := sha256.Sum256([]byte(id + "\n" + salt))
	return hex.EncodeToString(sum[:])
}

// buildStamp identifies this binary's source: the VCS revision (with a mark when the tree was
// modified) as the Go toolchain stamped it, or the main module's version, or "" when neither
// is known (tests).
var buildStamp = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	stamp := info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			stamp += "@" + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				stamp += "+modified"
			}
		}
	}
	return stamp
})
