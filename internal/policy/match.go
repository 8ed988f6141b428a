package policy

import (
	"strings"
	"unicode/utf8"
)

// Patterns are kept in a "glob form": '*' matches any run of characters,
// '?' matches exactly one character, and '\' makes the next byte literal.
// Text from the policy itself keeps its wildcards (a literal '\' is
// escaped); text that comes from a policy variable, a default value or one
// of the escapes ${*}, ${?} and ${$} is escaped, so it always matches
// itself only.

// globEscape appends s to dst with '*', '?' and '\' escaped.
func globEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '\\':
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// globText returns policy text s in glob form: wildcards stay, '\' is
// escaped.
func globText(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	return strings.ReplaceAll(s, `\`, `\\`)
}

// lowerASCII returns c in lower case if it is an ASCII letter.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// runeLen returns the length of the UTF-8 sequence at the start of s
// (1 for invalid bytes), s being non-empty.
func runeLen(s string) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// globMatch reports whether s matches the glob-form pattern p. With fold,
// ASCII letters compare without regard to case.
func globMatch[P ~string | ~[]byte](p P, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				if pi+1 == len(p) {
					return true // a trailing star matches the rest
				}
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				if s[si] < utf8.RuneSelf {
					si++
				} else {
					si += runeLen(s[si:])
				}
				continue
			case '\\':
				if pi+1 < len(p) {
					c = p[pi+1]
					if c == s[si] || (fold && lowerASCII(c) == lowerASCII(s[si])) {
						pi += 2
						si++
						continue
					}
					break
				}
				fallthrough
			default:
				if c == s[si] || (fold && lowerASCII(c) == lowerASCII(s[si])) {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last star take one more character, then skip ahead to
		// where the literal that follows the star occurs next.
		if s[starS] < utf8.RuneSelf {
			starS++
		} else {
			starS += runeLen(s[starS:])
		}
		pi = starP + 1
		if c, ok := literalAt(p, pi); ok && (!fold || !isLetter(c)) && starS < len(s) {
			i := strings.IndexByte(s[starS:], c)
			if i < 0 {
				return false
			}
			starS += i
		}
		si = starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// literalAt returns the literal byte that pattern p requires at index i,
// when there is one and it starts a character (ASCII or a UTF-8 lead byte).
func literalAt[P ~string | ~[]byte](p P, i int) (byte, bool) {
	if i >= len(p) {
		return 0, false
	}
	c := p[i]
	switch c {
	case '*', '?':
		return 0, false
	case '\\':
		if i+1 < len(p) {
			c = p[i+1]
		}
	}
	return c, c < 0x80 || c >= 0xC0
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// isStar reports whether the glob-form pattern p is the lone wildcard "*".
func isStar[P ~string | ~[]byte](p P) bool { return len(p) == 1 && p[0] == '*' }

// colon returns the index of the first unescaped ':' in glob-form p, or -1.
func colon[P ~string | ~[]byte](p P) int {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case ':':
			return i
		}
	}
	return -1
}

// matchARN matches a glob-form ARN pattern against an ARN component by
// component: wildcards do not cross ':' except in the sixth (resource)
// component, which runs to the end. The pattern "*" matches everything; a
// pattern and a value with different numbers of components do not match.
// Matching is case-sensitive.
func matchARN[P ~string | ~[]byte](p P, s string) bool {
	if isStar(p) {
		return true
	}
	for n := 1; ; n++ {
		pe, se := -1, -1
		if n < 6 {
			pe, se = colon(p), strings.IndexByte(s, ':')
		}
		if (pe < 0) != (se < 0) {
			return false
		}
		if pe < 0 {
			return globMatch(p, s, false)
		}
		if !globMatch(p[:pe], s[:se], false) {
			return false
		}
		p, s = p[pe+1:], s[se+1:]
	}
}

// template is a policy string (a Resource entry or a condition value)
// compiled for evaluation. Without policy variables it is static and text
// holds its final form; otherwise parts are joined at evaluation time.
type template struct {
	text  string
	parts []tpart
}

// tpart is one piece of a template: literal text (already in final form)
// or a policy variable.
type tpart struct {
	lit    string
	key    string // lower-case condition key; "" for literal parts
	def    string // default value (raw)
	hasDef bool
}

// static reports whether the template has no policy variables.
func (t *template) static() bool { return t.parts == nil }

// compileTemplate compiles policy text s. With glob, the final form is the
// glob form (wildcards in s stay wildcards); otherwise it is plain text.
// With vars (policy language 2012-10-17), ${key}, ${key, 'default'}, ${*},
// ${?} and ${$} are recognised; an unterminated "${" is literal text.
func compileTemplate(s string, glob, vars bool) template {
	lit := func(dst []byte, raw string, fromPolicy bool) []byte {
		switch {
		case !glob:
			return append(dst, raw...)
		case fromPolicy:
			return append(dst, globText(raw)...)
		}
		return globEscape(dst, raw)
	}
	if !vars || !strings.Contains(s, "${") {
		return template{text: string(lit(nil, s, true))}
	}
	var parts []tpart
	var buf []byte
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		buf = lit(buf, s[:i], true)
		body := s[i+2 : i+j]
		s = s[i+j+1:]
		switch body {
		case "*", "?", "$":
			buf = lit(buf, body, false)
			continue
		}
		key, def, hasDef := body, "", false
		if k, d, found := strings.Cut(body, ","); found {
			d = strings.TrimSpace(d)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				key, def, hasDef = k, d[1:len(d)-1], true
			}
		}
		if len(buf) > 0 {
			parts = append(parts, tpart{lit: string(buf)})
			buf = buf[:0]
		}
		parts = append(parts, tpart{key: strings.ToLower(strings.TrimSpace(key)), def: def, hasDef: hasDef})
	}
	buf = lit(buf, s, true)
	if parts == nil {
		return template{text: string(buf)}
	}
	if len(buf) > 0 {
		parts = append(parts, tpart{lit: string(buf)})
	}
	return template{parts: parts}
}

// expand appends the template's final form to dst, resolving variables
// with ev. ok is false if a variable has no single value and no default.
func (t *template) expand(dst []byte, ev *evaluator, glob bool) (out []byte, ok bool) {
	if t.parts == nil {
		return append(dst, t.text...), true
	}
	for i := range t.parts {
		tp := &t.parts[i]
		if tp.key == "" {
			dst = append(dst, tp.lit...)
			continue
		}
		v, found := ev.single(tp.key)
		if !found {
			if !tp.hasDef {
				return dst, false
			}
			v = tp.def
		}
		if glob {
			dst = globEscape(dst, v)
		} else {
			dst = append(dst, v...)
		}
	}
	return dst, true
}

// actionPattern is a compiled Action or NotAction entry.
type actionPattern struct {
	text string // glob form
	any  bool   // "*"
	glob bool   // contains wildcards
}

func compileAction(a string) actionPattern {
	if a == "*" {
		return actionPattern{text: a, any: true}
	}
	return actionPattern{text: globText(a), glob: strings.ContainsAny(a, "*?")}
}

// match reports whether the pattern matches action; action names compare
// without regard to case.
func (p *actionPattern) match(action string) bool {
	switch {
	case p.any:
		return true
	case p.glob:
		return globMatch(p.text, action, true)
	}
	return equalFoldASCII(p.text, action)
}

// equalFoldASCII reports whether a and b are equal with ASCII letters
// compared without regard to case; other bytes compare exactly.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// keyEqual reports whether request context key k names the lower-case
// policy key lk (condition key names are case-insensitive).
func keyEqual(k, lk string) bool {
	if len(k) == len(lk) && equalFoldASCII(k, lk) {
		return true
	}
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			return strings.EqualFold(k, lk)
		}
	}
	return false
}
