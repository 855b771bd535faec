package dataset

import (
	"bytes"
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestReadNPYDtypes(t *testing.T) {
	for _, name := range []string{"f4", "f8", "i1", "u1", "i4", "i8", "f4_v2"} {
		t.Run(name, func(t *testing.T) {
			a, err := decodeNPYFile("testdata/arange_" + name + ".npy")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Tensor.Shape, []int{2, 3, 4}) {
				t.Fatalf("shape %v, want [2 3 4]", a.Tensor.Shape)
			}
			for i, v := range a.Tensor.Data {
				want := float32(i - 3)
				if name == "u1" && i < 3 {
					want = float32(256 + i - 3) // uint8 wraps
				}
				if v != want {
					t.Fatalf("element %d = %v, want %v", i, v, want)
				}
			}
			if wantInt := name[0] != 'f'; a.Integer != wantInt {
				t.Errorf("Integer = %v, want %v", a.Integer, wantInt)
			}
		})
	}
	s, err := LoadNPY("testdata/scalar_f8.npy")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Shape) != 0 || len(s.Data) != 1 || s.Data[0] != 2.5 {
		t.Errorf("0-d array: shape %v data %v, want [] [2.5]", s.Shape, s.Data)
	}
}

func TestReadNPYErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/arange_f4.npy")
	if err != nil {
		t.Fatal(err)
	}
	withHeader := func(h string) []byte {
		b := []byte("\x93NUMPY\x01\x00")
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
		return append(append(b, h...), make([]byte, 64)...)
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":           {nil, "magic"},
		"bad magic":       {append([]byte("\x93NUMPZ"), good[6:]...), "bad magic"},
		"version 9":       {append(append([]byte{}, good[:6]...), append([]byte{9, 0}, good[8:]...)...), "version 9.0"},
		"truncated data":  {good[:len(good)-1], "truncated"},
		"truncated head":  {good[:20], "truncated"},
		"huge header":     {append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), good[10:]...), "longer than"},
		"not a dict":      {withHeader("['descr', 1]"), "not a dict"},
		"unknown dtype":   {withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"), "not supported"},
		"object dtype":    {withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"), "not supported"},
		"missing shape":   {withHeader("{'descr': '<f4', 'fortran_order': False, }"), "missing key \"shape\""},
		"negative dim":    {withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"), "bad shape dimension"},
		"absurd shape":    {withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"), "more than"},
		"empty dim":       {withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,,3), }"), "bad shape dimension"},
		"unknown key":     {withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"), "unknown key"},
		"unquoted string": {withHeader("{descr: '<f4'}"), "quoted string"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadNPY(bytes.NewReader(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	for file, want := range map[string]string{"big_endian_f4.npy": "big-endian", "fortran_f4.npy": "Fortran"} {
		if _, err := LoadNPY("testdata/" + file); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: err = %v, want it to name the file and say %q", file, err, want)
		}
	}
}

// FuzzReadNPY feeds arbitrary bytes to the .npy reader: it must never panic, and an array it
// accepts must have as many elements as its shape says.
func FuzzReadNPY(f *testing.F) {
	for _, name := range []string{"arange_f4", "arange_f8", "arange_i1", "arange_u1", "arange_i4", "arange_i8", "arange_f4_v2", "scalar_f8", "fortran_f4", "big_endian_f4"} {
		data, err := os.ReadFile("testdata/" + name + ".npy")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ReadNPY(bytes.NewReader(data))
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Shape {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("shape %v but %d elements", x.Shape, len(x.Data))
		}
	})
}
