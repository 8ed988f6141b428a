package policy

import (
	"strings"
	"unicode/utf8"
)

// pchar is one character of a pattern: a literal rune, or a wildcard
// ('*' or '?') written in the policy itself.
type pchar struct {
	r    rune
	wild byte
}

// pattern is a glob after policy-variable expansion; characters that came
// from variable values are always literal.
type pattern []pchar

// literalPattern converts s to a pattern in which '*' and '?' are wildcards
// when glob is true.
func literalPattern(s string, glob bool, dst pattern) pattern {
	for _, r := range s {
		if glob && (r == '*' || r == '?') {
			dst = append(dst, pchar{r: r, wild: byte(r)})
		} else {
			dst = append(dst, pchar{r: r})
		}
	}
	return dst
}

// expand turns a policy string into a pattern. When vars is true, policy
// variables ${key}, ${key, 'default'}, ${*}, ${?} and ${$} are expanded
// against ctx; ok is false if a variable has no value and no default.
func expand(s string, glob, vars bool, ctx evalContext) (pattern, bool) {
	p := make(pattern, 0, len(s))
	if !vars {
		return literalPattern(s, glob, p), true
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return literalPattern(s, glob, p), true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return literalPattern(s, glob, p), true
		}
		p = literalPattern(s[:i], glob, p)
		body := s[i+2 : i+j]
		s = s[i+j+1:]
		switch body {
		case "*", "?", "$":
			p = append(p, pchar{r: rune(body[0])})
			continue
		}
		key, def, hasDef := body, "", false
		if k, d, found := strings.Cut(body, ","); found {
			d = strings.TrimSpace(d)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				key, def, hasDef = k, d[1:len(d)-1], true
			}
		}
		key = strings.TrimSpace(key)
		if v, ok := ctx.single(key); ok {
			p = literalPattern(v, false, p)
		} else if hasDef {
			p = literalPattern(def, false, p)
		} else {
			return nil, false
		}
	}
}

// match reports whether p matches s; fold makes the comparison case-insensitive.
func (p pattern) match(s string, fold bool) bool {
	// Iterative glob match with single-star backtracking.
	var rs []rune
	if utf8.RuneCountInString(s) == len(s) {
		rs = make([]rune, len(s))
		for i := 0; i < len(s); i++ {
			rs[i] = rune(s[i])
		}
	} else {
		rs = []rune(s)
	}
	eq := func(a, b rune) bool {
		if a == b {
			return true
		}
		if fold {
			return strings.EqualFold(string(a), string(b))
		}
		return false
	}
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(rs) {
		if pi < len(p) && p[pi].wild == '*' {
			starP, starS = pi, si
			pi++
			continue
		}
		if pi < len(p) && (p[pi].wild == '?' || (p[pi].wild == 0 && eq(p[pi].r, rs[si]))) {
			pi++
			si++
			continue
		}
		if starP >= 0 {
			starS++
			si = starS
			pi = starP + 1
			continue
		}
		return false
	}
	for pi < len(p) && p[pi].wild == '*' {
		pi++
	}
	return pi == len(p)
}

// isStar reports whether p is the single wildcard "*".
func (p pattern) isStar() bool { return len(p) == 1 && p[0].wild == '*' }

// splitARN splits a pattern on literal ':' into at most n parts.
func (p pattern) splitARN(n int) []pattern {
	var out []pattern
	start := 0
	for i, c := range p {
		if len(out) == n-1 {
			break
		}
		if c.wild == 0 && c.r == ':' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

// matchARN matches an ARN pattern against an ARN component by component;
// wildcards do not cross ':' except in the final resource component. The
// pattern "*" matches everything; a pattern and a value with different
// numbers of components do not match.
func matchARN(p pattern, arn string) bool {
	if p.isStar() {
		return true
	}
	pp := p.splitARN(6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != len(ap) {
		return false
	}
	for i := range pp {
		if !pp[i].match(ap[i], false) {
			return false
		}
	}
	return true
}

// matchAction reports whether action pattern pat matches action;
// comparison is case-insensitive.
func matchAction(pat, action string) bool {
	if pat == "*" {
		return true
	}
	return literalPattern(pat, true, nil).match(action, true)
}
