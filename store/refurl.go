package store

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// URLScheme starts the text form of a Ref in a sweep spec:
// "artifact://BUCKET/KEY/SIZE/NAME", where NAME is the base name of the file the content
// came from (kept so that a worker can give its copy the same name and extension). It is
// what `tcdse put` prints and what `tcdse sweep` writes into the spec it submits.
const URLScheme = "artifact://"

// URL returns the text form of r for a file called name (only its base name is kept).
func (r Ref) URL(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if base == "." || base == "/" || base == "" {
		base = "file"
	}
	return fmt.Sprintf("%s%s/%s/%d/%s", URLScheme, r.Bucket, r.Key, r.Size, base)
}

// IsURL reports whether s is written as an artifact reference (it may still be malformed;
// ParseURL says how).
func IsURL(s string) bool { return strings.HasPrefix(s, URLScheme) }

// ParseURL reads the text form made by Ref.URL, returning the ref and the file name.
func ParseURL(s string) (Ref, string, error) {
	if !IsURL(s) {
		return Ref{}, "", fmt.Errorf("%q is not an artifact reference (%sBUCKET/SHA256/SIZE/NAME)", s, URLScheme)
	}
	parts := strings.Split(strings.TrimPrefix(s, URLScheme), "/")
	if len(parts) != 4 || parts[0] == "" || parts[3] == "" || parts[3] == "." || parts[3] == ".." || strings.Contains(parts[3], "\\") {
		return Ref{}, "", fmt.Errorf("artifact reference %q: want %sBUCKET/SHA256/SIZE/NAME", s, URLScheme)
	}
	if !validKey(parts[1]) {
		return Ref{}, "", fmt.Errorf("artifact reference %q: %q is not a 64-digit lower-case hex sha256", s, parts[1])
	}
	size, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || size < 0 {
		return Ref{}, "", fmt.Errorf("artifact reference %q: size %q is not a byte count", s, parts[2])
	}
	return Ref{Bucket: parts[0], Key: parts[1], Size: size}, parts[3], nil
}
