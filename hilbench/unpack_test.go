package hilbench_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/hilbench"
)

// rawEntry is one entry of a hand-made archive.
type rawEntry struct {
	hdr  tar.Header
	data string
}

// rawArchive builds a tar.gz with exactly the given headers, bypassing PackFiles' checks.
func rawArchive(t testing.TB, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := e.hdr
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == 0 {
			hdr.Size = int64(len(e.data))
		}
		if hdr.Mode == 0 && hdr.Typeflag != tar.TypeXGlobalHeader {
			hdr.Mode = 0o644
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("write header %q: %v", hdr.Name, err)
		}
		if e.data != "" {
			if _, err := tw.Write([]byte(e.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func file(name, data string) rawEntry {
	return rawEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name}, data: data}
}

// unpackInSandbox unpacks into base/out and returns base, so tests can check that nothing
// appeared beside out.
func unpackInSandbox(t *testing.T, data []byte) (base string, err error) {
	t.Helper()
	base = t.TempDir()
	return base, hilbench.Unpack(data, filepath.Join(base, "out"))
}

// onlyOut fails unless base holds nothing but out.
func onlyOut(t *testing.T, base string) {
	t.Helper()
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "out" {
			t.Errorf("unpack wrote %s outside its target directory", e.Name())
		}
	}
}

func TestUnpackRejectsUnsafeEntries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []rawEntry
		want    string
	}{
		{"dotdot", []rawEntry{file("../x", "evil")}, ".."},
		{"nested dotdot", []rawEntry{file("a/../../x", "evil")}, ".."},
		{"absolute", []rawEntry{file("/tmp/hilbench-evil", "evil")}, "absolute"},
		{"backslash", []rawEntry{file(`..\x`, "evil")}, "backslash"},
		{"symlink", []rawEntry{{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "link", Linkname: "/etc/passwd"}}}, "symbolic link"},
		{"symlink then write through it", []rawEntry{
			{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "d", Linkname: ".."}},
			file("d/x", "evil"),
		}, "symbolic link"},
		{"hardlink", []rawEntry{file("a", "x"), {hdr: tar.Header{Typeflag: tar.TypeLink, Name: "b", Linkname: "a"}}}, "hard link"},
		{"char device", []rawEntry{{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "null", Devmajor: 1, Devminor: 3}}}, "character device"},
		{"block device", []rawEntry{{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "sda", Devmajor: 8}}}, "block device"},
		{"fifo", []rawEntry{{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "pipe"}}}, "named pipe"},
		{"duplicate", []rawEntry{file("model.c", "a"), file("./model.c", "b")}, "twice"},
		{"too deep", []rawEntry{file(strings.Repeat("d/", 20)+"x", "deep")}, "levels deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, err := unpackInSandbox(t, rawArchive(t, tc.entries...))
			if !errors.Is(err, hilbench.ErrUnsafeArchive) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrUnsafeArchive mentioning %q", err, tc.want)
			}
			onlyOut(t, base)
			if _, err := os.Lstat("/tmp/hilbench-evil"); err == nil {
				t.Error("/tmp/hilbench-evil was written")
			}
		})
	}
}

func TestUnpackDoesNotFollowExistingSymlinks(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{out, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(out, "evil")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if err := os.Symlink(filepath.Join(outside, "target"), filepath.Join(out, "dangling")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"evil/x", "dangling"} {
		err := hilbench.Unpack(rawArchive(t, file(name, "evil")), out)
		if err == nil {
			t.Errorf("unpacking %s through a symlink succeeded", name)
		}
	}
	left, _ := os.ReadDir(outside)
	if len(left) != 0 {
		t.Errorf("unpack wrote %d entries through a symlink into %s", len(left), outside)
	}
}

func TestUnpackLimits(t *testing.T) {
	limits := hilbench.UnpackLimits{MaxEntries: 3, MaxTotalBytes: 10, MaxDepth: 4}
	for _, tc := range []struct {
		name    string
		entries []rawEntry
		want    string
	}{
		{"too many files", []rawEntry{file("a", "1"), file("b", "2"), file("c", "3"), file("d", "4")}, "more than 3 entries"},
		{"one file too big", []rawEntry{file("a", "0123456789x")}, "byte total limit"},
		{"total too big", []rawEntry{file("a", "012345"), file("b", "012345")}, "byte total limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := hilbench.UnpackWithLimits(rawArchive(t, tc.entries...), t.TempDir(), limits)
			if !errors.Is(err, hilbench.ErrUnsafeArchive) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrUnsafeArchive mentioning %q", err, tc.want)
			}
		})
	}
	ok := rawArchive(t, file("a", "01234"), file("b", "56789"))
	if err := hilbench.UnpackWithLimits(ok, t.TempDir(), limits); err != nil {
		t.Errorf("archive exactly at the limits: %v", err)
	}
}

func TestUnpackRejectsCorruptInput(t *testing.T) {
	good := rawArchive(t, file("model.c", strings.Repeat("int x;\n", 500)))
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not gzip", []byte("model.c\x00 plain bytes")},
		{"truncated", good[:len(good)/2]},
	} {
		if err := hilbench.Unpack(tc.data, t.TempDir()); err == nil {
			t.Errorf("%s: Unpack succeeded", tc.name)
		}
	}
}

func TestUnpackAcceptsDotSlashAndDirectories(t *testing.T) {
	data := rawArchive(t,
		rawEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755}},
		rawEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "./src/", Mode: 0o755}},
		file("./src/model.c", "int x;\n"),
		rawEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "./run.sh", Mode: 0o755}, data: "#!/bin/sh\n"},
		rawEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "empty/", Mode: 0o700}},
		rawEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "abc"}}},
	)
	dir := t.TempDir()
	if err := hilbench.Unpack(data, dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "src", "model.c"))
	if err != nil || string(got) != "int x;\n" {
		t.Errorf("src/model.c: %q, %v", got, err)
	}
	st, err := os.Stat(filepath.Join(dir, "run.sh"))
	if err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("run.sh lost its executable bit: %v %v", st, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "empty")); err != nil || !st.IsDir() {
		t.Errorf("empty directory not created: %v", err)
	}
}
