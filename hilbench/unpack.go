package hilbench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// UnpackLimits bounds what [UnpackWithLimits] will write.
type UnpackLimits struct {
	// MaxEntries is the largest number of archive entries (files and directories).
	MaxEntries int
	// MaxTotalBytes is the largest sum of file sizes, counted as decompressed.
	MaxTotalBytes int64
	// MaxDepth is the largest number of path elements in one name.
	MaxDepth int
}

// DefaultUnpackLimits are the limits [Unpack] applies: far above any generated source tree,
// far below what would hurt a board agent.
var DefaultUnpackLimits = UnpackLimits{
	MaxEntries:    2000,
	MaxTotalBytes: 256 << 20,
	MaxDepth:      16,
}

// ErrUnsafeArchive is wrapped by every error [Unpack] returns for an archive it refuses
// (unsafe names, links, devices, limits exceeded, duplicates) as opposed to I/O failures.
var ErrUnsafeArchive = errors.New("unsafe archive")

// Unpack extracts a gzip-compressed tar archive into dir (created if missing) under
// [DefaultUnpackLimits]. See [UnpackWithLimits].
func Unpack(data []byte, dir string) error {
	return UnpackWithLimits(data, dir, DefaultUnpackLimits)
}

// UnpackWithLimits extracts a gzip-compressed tar archive into dir (created if missing).
//
// Only regular files and directories are accepted. It refuses, with an error wrapping
// [ErrUnsafeArchive]: absolute names, names with a ".." element, backslashes or NUL bytes;
// symbolic links, hard links, devices, FIFOs and sparse files; a name given twice or
// clashing with an existing file; and archives over limits. Files are written with mode
// 0644 (0755 if the archive marks them executable); owners and times are not restored.
// Entries named "./x" are taken as "x". Writes go through an [os.Root] opened on dir, so
// nothing lands outside dir even if dir already held symbolic links.
//
// On error, files extracted so far are left in dir; callers unpack into a fresh directory
// and remove it.
func UnpackWithLimits(data []byte, dir string, limits UnpackLimits) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	defer root.Close()

	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("unpack: not a gzip stream: %w", err)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)

	var (
		entries int
		total   int64
		seen    = make(map[string]bool)
	)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("unpack: reading tar entry %d: %w", entries+1, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // PAX global header (e.g. git archive's commit id): carries no file.
		}
		entries++
		if entries > limits.MaxEntries {
			return fmt.Errorf("unpack: %w: more than %d entries", ErrUnsafeArchive, limits.MaxEntries)
		}
		name, err := entryName(hdr.Name, limits.MaxDepth)
		if err != nil {
			return fmt.Errorf("unpack: %w: %v", ErrUnsafeArchive, err)
		}
		if name == "." {
			if hdr.Typeflag != tar.TypeDir {
				return fmt.Errorf("unpack: %w: entry %q names the top directory but is not a directory", ErrUnsafeArchive, hdr.Name)
			}
			continue
		}
		if seen[name] {
			return fmt.Errorf("unpack: %w: %q appears twice", ErrUnsafeArchive, name)
		}
		seen[name] = true

		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("unpack %s: %w", name, err)
			}
		case tar.TypeReg:
			if hdr.Size < 0 || hdr.Size > limits.MaxTotalBytes-total {
				return fmt.Errorf("unpack: %w: %s has %d bytes, over the %d byte total limit with %d bytes already unpacked",
					ErrUnsafeArchive, name, hdr.Size, limits.MaxTotalBytes, total)
			}
			n, err := writeEntry(root, name, hdr, tr)
			total += n
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("unpack: %w: %s is a %s; only regular files and directories are allowed",
				ErrUnsafeArchive, name, describeTypeflag(hdr.Typeflag))
		}
	}
	// Anything after the tar end marker (trailing garbage, a second gzip member) is ignored
	// by design of tar; make sure the gzip stream itself was intact.
	if _, err := io.Copy(io.Discard, io.LimitReader(zr, 1<<20)); err != nil {
		return fmt.Errorf("unpack: gzip stream: %w", err)
	}
	return nil
}

// writeEntry creates name under root and copies the entry's contents, returning the number of
// bytes written.
func writeEntry(root *os.Root, name string, hdr *tar.Header, r io.Reader) (int64, error) {
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return 0, fmt.Errorf("unpack %s: %w", name, err)
		}
	}
	perm := os.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		perm = 0o755
	}
	// O_EXCL: never overwrite, and never follow a symbolic link already at name.
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return 0, fmt.Errorf("unpack: %w: %s already exists in the target directory", ErrUnsafeArchive, name)
		}
		return 0, fmt.Errorf("unpack %s: %w", name, err)
	}
	n, err := io.Copy(f, io.LimitReader(r, hdr.Size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("unpack %s: %w", name, err)
	}
	if n != hdr.Size {
		return n, fmt.Errorf("unpack %s: archive truncated: %d of %d bytes", name, n, hdr.Size)
	}
	return n, nil
}

// entryName turns a tar entry name into a clean local path, accepting a leading "./" and a
// trailing "/" (directories), and rejecting everything that could leave the target directory.
func entryName(raw string, maxDepth int) (string, error) {
	name := raw
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	name = strings.TrimSuffix(name, "/")
	if name == "" || name == "." {
		if strings.HasPrefix(raw, "/") {
			return "", fmt.Errorf("file name %q is absolute", raw)
		}
		return ".", nil
	}
	if err := validateEntryName(name); err != nil {
		return "", err
	}
	if depth := strings.Count(name, "/") + 1; depth > maxDepth {
		return "", fmt.Errorf("file name %q is %d levels deep, limit %d", raw, depth, maxDepth)
	}
	return name, nil
}

// describeTypeflag names a tar entry type for error messages.
func describeTypeflag(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe"
	case tar.TypeGNUSparse:
		return "sparse file"
	default:
		return fmt.Sprintf("tar entry of type %q", t)
	}
}
