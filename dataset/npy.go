package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// npyMaxHeader bounds the header length (numpy itself refuses headers over 10,000 bytes by default).
const npyMaxHeader = 1 << 16

// npyTypes are the supported dtypes, by descr without byte order: element size and whether the
// values are integers.
var npyTypes = map[string]struct {
	size    int
	integer bool
}{
	"f4": {4, false}, "f8": {8, false},
	"i1": {1, true}, "u1": {1, true}, "i4": {4, true}, "i8": {8, true},
}

// NPYArray is a decoded .npy array: the values converted to float32, and whether the file held
// integers (which class labels need).
type NPYArray struct {
	Tensor  *model.Tensor
	DType   string // numpy descr without byte order: f4, f8, i1, u1, i4, i8
	Integer bool
}

// ReadNPY reads a .npy array (format version 1, 2 or 3; dtype float32, float64, int8, uint8,
// int32 or int64; little-endian; C order) and returns it as a float32 tensor.
func ReadNPY(r io.Reader) (*model.Tensor, error) {
	a, err := DecodeNPY(r)
	if err != nil {
		return nil, err
	}
	return a.Tensor, nil
}

// LoadNPY reads a .npy file; see ReadNPY.
func LoadNPY(path string) (*model.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ReadNPY(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// DecodeNPY is ReadNPY that also reports the stored dtype.
func DecodeNPY(r io.Reader) (*NPYArray, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("npy: reading magic: %w", err)
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("npy: bad magic %q, want %q", pre[:6], npyMagic)
	}
	var hlen int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("npy: format version %d.%d is not supported", major, pre[7])
	}
	if hlen > npyMaxHeader {
		return nil, fmt.Errorf("npy: header of %d bytes is longer than %d", hlen, npyMaxHeader)
	}
	hdr, err := readExactly(r, int64(hlen))
	if err != nil {
		return nil, fmt.Errorf("npy: header: %w", err)
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, fmt.Errorf("npy: header %q: %w", strings.TrimSpace(string(hdr)), err)
	}
	if fortran {
		return nil, fmt.Errorf("npy: Fortran-order arrays are not supported")
	}
	if len(descr) != 3 {
		return nil, fmt.Errorf("npy: dtype %q is not supported", descr)
	}
	order, code := descr[0], descr[1:]
	typ, ok := npyTypes[code]
	if !ok {
		return nil, fmt.Errorf("npy: dtype %q is not supported (want f4, f8, i1, u1, i4 or i8)", descr)
	}
	if order == '>' && typ.size > 1 {
		return nil, fmt.Errorf("npy: big-endian dtype %q is not supported", descr)
	}
	if order != '<' && order != '|' && order != '=' && order != '>' {
		return nil, fmt.Errorf("npy: dtype %q has an unknown byte order", descr)
	}
	n, err := model.NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	raw, err := readExactly(r, int64(n)*int64(typ.size))
	if err != nil {
		return nil, fmt.Errorf("npy: shape %v of %s: %w", shape, descr, err)
	}
	data := make([]float32, n)
	for i := range data {
		switch code {
		case "f4":
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		case "f8":
			data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		case "i1":
			data[i] = float32(int8(raw[i]))
		case "u1":
			data[i] = float32(raw[i])
		case "i4":
			data[i] = float32(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		case "i8":
			data[i] = float32(int64(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	}
	return &NPYArray{Tensor: &model.Tensor{Shape: shape, Data: data}, DType: code, Integer: typ.integer}, nil
}

// parseNPYHeader parses the Python dict literal of a .npy header, such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "{") || !strings.HasSuffix(h, "}") {
		return "", false, nil, fmt.Errorf("not a dict")
	}
	body := h[1 : len(h)-1]
	seen := map[string]bool{}
	for body = strings.TrimSpace(body); body != ""; body = strings.TrimSpace(body) {
		key, rest, err := pyString(body)
		if err != nil {
			return "", false, nil, err
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return "", false, nil, fmt.Errorf("missing ':' after key %q", key)
		}
		rest = strings.TrimSpace(rest[1:])
		switch key {
		case "descr":
			descr, rest, err = pyString(rest)
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "True"):
				fortran, rest = true, rest[4:]
			case strings.HasPrefix(rest, "False"):
				fortran, rest = false, rest[5:]
			default:
				err = fmt.Errorf("fortran_order is not True or False")
			}
		case "shape":
			shape, rest, err = pyIntTuple(rest)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return "", false, nil, err
		}
		seen[key] = true
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = rest[1:]
		} else if rest != "" {
			return "", false, nil, fmt.Errorf("expected ',' after %q", key)
		}
		body = rest
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("missing key %q", k)
		}
	}
	return descr, fortran, shape, nil
}

// pyString parses a single- or double-quoted Python string without escapes at the start of s.
func pyString(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", fmt.Errorf("expected a quoted string at %q", truncate(s))
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", "", fmt.Errorf("unterminated string at %q", truncate(s))
	}
	return s[1 : 1+end], s[end+2:], nil
}

// pyIntTuple parses a Python tuple of non-negative ints, such as (), (3,) or (2, 3), at the
// start of s.
func pyIntTuple(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, "", fmt.Errorf("shape is not a tuple at %q", truncate(s))
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, "", fmt.Errorf("unterminated shape tuple")
	}
	shape := []int{}
	fields := strings.Split(s[1:end], ",")
	for i, f := range fields {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "L"))
		if f == "" && i == len(fields)-1 {
			break // (), or the trailing comma of (3,)
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > model.MaxElements {
			return nil, "", fmt.Errorf("bad shape dimension %q", f)
		}
		shape = append(shape, v)
	}
	return shape, s[end+1:], nil
}

func truncate(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
