package deploy

import (
	"fmt"
	"strings"
)

// The LSL lexer: tokens of the linker script language, as the LSL reference defines them.

type lslTokKind int

const (
	tEOF lslTokKind = iota
	tIdent
	tNumber
	tString
	tPunct
)

type lslTok struct {
	kind      lslTokKind
	text      string
	line, col int
}

// lslPuncts lists the punctuators, longest first.
var lslPuncts = []string{"..", ":=", "==", "!=", ">=", "<=", "&&", "||", "<<", ">>",
	"{", "}", "(", ")", "[", "]", ";", ",", "=", ":", "|", "+", "-", "*", "/", "%", "&", "^", "~", "!", "?", "<", ">"}

func lexLSL(s string) ([]lslTok, error) {
	var toks []lslTok
	line, col := 1, 1
	adv := func(n int) {
		for _, r := range s[:n] {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		s = s[n:]
	}
	lineStart := true
	for len(s) > 0 {
		c := s[0]
		switch {
		case c == '\n':
			adv(1)
			lineStart = true
			continue
		case c == ' ' || c == '\t' || c == '\r':
			adv(1)
			continue
		case strings.HasPrefix(s, "//"):
			n := strings.IndexByte(s, '\n')
			if n < 0 {
				n = len(s)
			}
			adv(n)
			continue
		case strings.HasPrefix(s, "/*"):
			n := strings.Index(s[2:], "*/")
			if n < 0 {
				return nil, fmt.Errorf("lsl %d:%d: unterminated comment", line, col)
			}
			adv(n + 4)
			continue
		case c == '#' && lineStart:
			return nil, fmt.Errorf("lsl %d:%d: preprocessor directive in a fragment", line, col)
		}
		lineStart = false
		tl, tc := line, col
		switch {
		case c == '"':
			n := 1
			for n < len(s) && s[n] != '"' && s[n] != '\n' {
				n++
			}
			if n >= len(s) || s[n] != '"' {
				return nil, fmt.Errorf("lsl %d:%d: unterminated string", tl, tc)
			}
			toks = append(toks, lslTok{tString, s[1:n], tl, tc})
			adv(n + 1)
		case isLSLDigit(c):
			n := 0
			for n < len(s) && (isLSLIdent(s[n])) {
				n++
			}
			num := s[:n]
			if !validLSLNumber(num) {
				return nil, fmt.Errorf("lsl %d:%d: bad number %q", tl, tc, num)
			}
			toks = append(toks, lslTok{tNumber, num, tl, tc})
			adv(n)
		case isLSLIdent(c):
			n := 0
			for n < len(s) && isLSLIdent(s[n]) {
				n++
			}
			toks = append(toks, lslTok{tIdent, s[:n], tl, tc})
			adv(n)
		default:
			matched := ""
			for _, p := range lslPuncts {
				if strings.HasPrefix(s, p) {
					matched = p
					break
				}
			}
			if matched == "" {
				return nil, fmt.Errorf("lsl %d:%d: unexpected character %q", tl, tc, c)
			}
			toks = append(toks, lslTok{tPunct, matched, tl, tc})
			adv(len(matched))
		}
	}
	return append(toks, lslTok{tEOF, "", line, col}), nil
}

func isLSLDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLSLIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isLSLDigit(c)
}

// validLSLNumber accepts decimal, 0x hex and 0b binary numbers with an optional k, M or G.
func validLSLNumber(s string) bool {
	if n := len(s); n > 1 && strings.ContainsRune("kKMG", rune(s[n-1])) && !strings.HasPrefix(s, "0x") {
		s = s[:n-1]
	}
	digits, base := s, "0123456789"
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		digits, base = s[2:], "0123456789abcdefABCDEF"
	case strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0B"):
		digits, base = s[2:], "01"
	}
	if digits == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if !strings.ContainsRune(base, rune(digits[i])) {
			return false
		}
	}
	return true
}
