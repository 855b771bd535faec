package hilbench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// packModTime is the modification time written for every packed file, so that packing the
// same files always yields the same bytes (and so the same content address).
var packModTime = time.Unix(0, 0).UTC()

// PackFiles packs files, keyed by slash-separated relative path, into a gzip-compressed tar
// archive. The output depends only on the names and contents: entries are sorted by name and
// carry a fixed modification time, owner and mode (0644). Names must be clean relative paths
// ("src/model.c", not "./model.c", "/x" or "a/../b"), and no name may also be a directory of
// another ("a" and "a/b").
func PackFiles(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		if err := validateEntryName(name); err != nil {
			return nil, fmt.Errorf("pack: %w", err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for i := 0; i+1 < len(names); i++ {
		if strings.HasPrefix(names[i+1], names[i]+"/") {
			return nil, fmt.Errorf("pack: %q is a file and also the directory of %q", names[i], names[i+1])
		}
	}

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	tw := tar.NewWriter(zw)
	for _, name := range names {
		data := files[name]
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Size:     int64(len(data)),
			Mode:     0o644,
			ModTime:  packModTime,
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("pack %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("pack %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	return buf.Bytes(), nil
}

// PackDir packs the regular files under dir with [PackFiles], named by their paths relative
// to dir. Empty directories are not recorded. A symbolic link or any other non-regular file
// under dir is an error rather than being followed or skipped.
func PackDir(dir string) ([]byte, error) {
	files := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is a %s; only regular files can be packed", p, describeMode(d.Type()))
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pack directory %s: %w", dir, err)
	}
	return PackFiles(files)
}

// validateEntryName checks that name is a clean, local, slash-separated relative path.
func validateEntryName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty file name")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("file name %q contains a NUL byte", name)
	case strings.ContainsRune(name, '\\'):
		return fmt.Errorf("file name %q contains a backslash; use '/' as separator", name)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("file name %q is absolute", name)
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return fmt.Errorf("file name %q contains '..'", name)
		}
	}
	if path.Clean(name) != name || name == "." {
		return fmt.Errorf("file name %q is not a clean relative path (want %q)", name, path.Clean(name))
	}
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("file name %q is not a local path", name)
	}
	return nil
}

// describeMode names a non-regular file type for error messages.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	default:
		return "non-regular file"
	}
}
