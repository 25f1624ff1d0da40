package safetext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// CutMarker ends a text that [Escape] cut at its limit.
const CutMarker = "…[cut]"

// Escape returns s made inert for a terminal and a log line, at most limit
// bytes long plus [CutMarker] when it was cut (limit <= 0: no limit):
//   - control characters (C0 including tab and newline, DEL, C1) are written
//     as Go escapes (\n, \x1b, \u009b), so no escape sequence (clear the
//     screen, set the window title...) reaches a terminal and no line break
//     can forge a log line;
//   - Unicode line separators and bidirectional controls, which can make text
//     read differently from what it is, are written as \uXXXX;
//   - bytes that are not UTF-8 are written as \xNN;
//   - a backslash is left as it is.
//
// Text that needs none of this is returned as it is, without allocating.
func Escape(s string, limit int) string { return escape(s, limit, "") }

// EscapeKeeping is [Escape] without a limit that leaves the characters of keep
// (such as "\n\t") as they are.
func EscapeKeeping(s, keep string) string { return escape(s, 0, keep) }

func escape(s string, limit int, keep string) string {
	if (limit <= 0 || len(s) <= limit) && clean(s, keep) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max(limit, 0)+len(CutMarker)) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && size <= 1:
			piece = `\x` + hex2(s[i])
		case keep != "" && r < utf8.RuneSelf && strings.IndexByte(keep, byte(r)) >= 0:
			piece = s[i : i+size]
		case unsafeRune(r):
			piece = quoteRune(r)
		default:
			piece = s[i : i+size]
		}
		if limit > 0 && b.Len()+len(piece) > limit {
			b.WriteString(CutMarker)
			return b.String()
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

// clean reports whether s needs no escaping.
func clean(s string, keep string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		if c < utf8.RuneSelf {
			if keep != "" && strings.IndexByte(keep, c) >= 0 {
				continue
			}
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) {
			return false
		}
		i += size - 1
	}
	return true
}

// unsafeRune reports whether r must not reach a terminal as it is.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c: // bidi controls
		return true
	case r == 0xfeff: // zero-width no-break space (BOM)
		return true
	}
	return false
}

func quoteRune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	if r < 0x80 {
		return `\x` + hex2(byte(r))
	}
	q := strconv.FormatInt(int64(r), 16)
	return `\u` + strings.Repeat("0", 4-len(q)) + q
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
