package hilbench_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcdse/tcdse/hilbench"
)

// FuzzUnpack feeds arbitrary bytes to UnpackWithLimits and checks that, whatever it returns,
// it never panics, never writes outside its target directory, writes only regular files and
// directories, and stays within its limits.
func FuzzUnpack(f *testing.F) {
	limits := hilbench.UnpackLimits{MaxEntries: 20, MaxTotalBytes: 64 << 10, MaxDepth: 6}

	valid, err := hilbench.PackFiles(map[string][]byte{
		"Makefile":      []byte("harness:\n\t$(CC) -o harness harness.c model.c\n"),
		"model.c":       []byte("int x;\n"),
		"sub/dir/a.h":   []byte("#define A 1\n"),
		"manifest.json": []byte("{}"),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(rawArchive(f, file("../x", "evil")))
	f.Add(rawArchive(f, file("/abs", "evil")))
	f.Add(rawArchive(f, rawEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: "/etc"}}, file("l/passwd", "evil")))
	f.Add(rawArchive(f, file("a", "1"), rawEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "b", Linkname: "a"}}))
	f.Add(rawArchive(f, rawEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "./"}}, file("./d/x", "y")))
	f.Add(rawArchive(f, file("a", "1"), file("a/b", "2")))
	f.Add(rawArchive(f, file("big", string(bytes.Repeat([]byte("z"), 70<<10)))))
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	var plain bytes.Buffer
	zw := gzip.NewWriter(&plain)
	zw.Write([]byte("not a tar archive at all"))
	zw.Close()
	f.Add(plain.Bytes())

	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		out := filepath.Join(base, "out")
		_ = hilbench.UnpackWithLimits(data, out, limits)

		top, err := os.ReadDir(base)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range top {
			if e.Name() != "out" {
				t.Fatalf("wrote %s outside the target directory", e.Name())
			}
		}
		var entries int
		var total int64
		err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == out {
				return nil
			}
			entries++
			switch {
			case d.IsDir():
			case d.Type().IsRegular():
				info, err := d.Info()
				if err != nil {
					return err
				}
				total += info.Size()
			default:
				t.Errorf("%s has type %v; only regular files and directories may be written", p, d.Type())
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if total > limits.MaxTotalBytes {
			t.Errorf("wrote %d bytes, limit %d", total, limits.MaxTotalBytes)
		}
		// Parent directories created implicitly may add entries beyond the archive's own,
		// at most MaxDepth-1 per file.
		if entries > limits.MaxEntries*limits.MaxDepth {
			t.Errorf("wrote %d entries, limit %d entries of depth %d", entries, limits.MaxEntries, limits.MaxDepth)
		}
	})
}
