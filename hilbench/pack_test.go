package hilbench_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/hilbench"
)

func TestPackFilesIsDeterministic(t *testing.T) {
	files := map[string][]byte{
		"model.c":       []byte("int x;\n"),
		"sub/helper.h":  []byte("#define Y 1\n"),
		"Makefile":      []byte("harness:\n\ttrue\n"),
		"empty.txt":     nil,
		"manifest.json": []byte(`{"a":1}`),
	}
	a, err := hilbench.PackFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	// A different map with the same content, filled in another order.
	other := make(map[string][]byte)
	for _, name := range []string{"manifest.json", "empty.txt", "sub/helper.h", "Makefile", "model.c"} {
		other[name] = append([]byte(nil), files[name]...)
	}
	b, err := hilbench.PackFiles(other)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || hilbench.SHA256Hex(a) != hilbench.SHA256Hex(b) {
		t.Fatal("packing the same files twice gave different archives")
	}

	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Typeflag != tar.TypeReg || hdr.Mode != 0o644 || hdr.Uid != 0 || hdr.Gid != 0 ||
			hdr.Uname != "" || hdr.Gname != "" || hdr.ModTime.Unix() != 0 {
			t.Errorf("%s: header not normalised: type %q mode %o uid %d gid %d user %q group %q mtime %v",
				hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.ModTime)
		}
		got, _ := io.ReadAll(tr)
		if !bytes.Equal(got, files[hdr.Name]) {
			t.Errorf("%s: content %q, want %q", hdr.Name, got, files[hdr.Name])
		}
	}
	want := "Makefile,empty.txt,manifest.json,model.c,sub/helper.h"
	if strings.Join(names, ",") != want {
		t.Errorf("entry order %v, want %s", names, want)
	}
}

func TestPackDirMatchesPackFilesAndRoundTrips(t *testing.T) {
	files := cTree(t)
	files["include/extra.h"] = []byte("/* nested */\n")
	packed, err := hilbench.PackFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tree")
	if err := hilbench.Unpack(packed, dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs after unpacking", name)
		}
	}
	repacked, err := hilbench.PackDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(packed, repacked) {
		t.Error("PackDir of the unpacked tree differs from PackFiles of the same files")
	}
}

func TestPackFilesRejectsBadNames(t *testing.T) {
	for _, tc := range []struct {
		name, want string
	}{
		{"", "empty"},
		{"/etc/passwd", "absolute"},
		{"../x", ".."},
		{"a/../../x", ".."},
		{"a/./b", "clean"},
		{"a//b", "clean"},
		{"./a", "clean"},
		{"a/", "clean"},
		{`a\b`, "backslash"},
		{"a\x00b", "NUL"},
	} {
		_, err := hilbench.PackFiles(map[string][]byte{tc.name: []byte("x")})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("PackFiles(%q): error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	_, err := hilbench.PackFiles(map[string][]byte{"a": nil, "a/b": nil})
	if err == nil || !strings.Contains(err.Error(), "also the directory") {
		t.Errorf("file and directory of the same name: error %v", err)
	}
}

func TestPackDirRejectsSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.c"), []byte("int x;"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	_, err := hilbench.PackDir(dir)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "link") {
		t.Errorf("PackDir with a symlink: error %v, want one naming the symbolic link", err)
	}
}
