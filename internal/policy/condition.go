package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// evalContext holds the request's condition keys under lower-case names.
type evalContext map[string][]string

// get returns the values of key; present is false when the key is missing
// or has no values.
func (c evalContext) get(key string) (vals []string, present bool) {
	v := c[strings.ToLower(key)]
	return v, len(v) > 0
}

// single returns the value of a single-valued key. Multivalued keys cannot
// be used as policy variables and count as missing.
func (c evalContext) single(key string) (string, bool) {
	v := c[strings.ToLower(key)]
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// eval evaluates one condition entry against the context. vars enables
// policy variables in condition values.
func (c *Condition) eval(ctx evalContext, vars bool) bool {
	reqVals, present := ctx.get(c.Key)
	if c.base == "Null" {
		for _, v := range c.Values {
			wantMissing := strings.EqualFold(v, "true")
			if !wantMissing && !strings.EqualFold(v, "false") {
				continue
			}
			if wantMissing != present {
				return true
			}
		}
		return false
	}
	glob := c.base == "StringLike" || c.base == "StringNotLike" ||
		strings.HasPrefix(c.base, "Arn")
	pats := make([]pattern, 0, len(c.Values))
	for _, v := range c.Values {
		p, ok := expand(v, glob, vars, ctx)
		if !ok {
			// A policy variable without a value makes the condition false.
			return false
		}
		pats = append(pats, p)
	}
	negated := baseOperators[c.base]
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == "ForAllValues":
			return true
		case c.set == "ForAnyValue":
			return false
		}
		return negated
	}
	switch c.set {
	case "ForAllValues":
		for _, rv := range reqVals {
			if c.positive(rv, pats) == negated {
				return false
			}
		}
		return true
	case "ForAnyValue":
		for _, rv := range reqVals {
			if c.positive(rv, pats) != negated {
				return true
			}
		}
		return false
	}
	hit := false
	for _, rv := range reqVals {
		if c.positive(rv, pats) {
			hit = true
			break
		}
	}
	return hit != negated
}

// literal returns the pattern's text.
func (p pattern) literal() string {
	var b strings.Builder
	for _, c := range p {
		b.WriteRune(c.r)
	}
	return b.String()
}

// positive reports whether request value rv matches any policy value under
// the non-negated form of the operator.
func (c *Condition) positive(rv string, pats []pattern) bool {
	for _, p := range pats {
		if compare(c.base, rv, p) {
			return true
		}
	}
	return false
}

func compare(base, rv string, p pattern) bool {
	switch base {
	case "StringEquals", "StringNotEquals":
		return rv == p.literal()
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(rv, p.literal())
	case "StringLike", "StringNotLike":
		return p.match(rv, false)
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		return matchARN(p, rv)
	case "Bool":
		a, b := strings.ToLower(rv), strings.ToLower(p.literal())
		return (a == "true" || a == "false") && a == b
	case "BinaryEquals":
		a, errA := base64.StdEncoding.DecodeString(rv)
		b, errB := base64.StdEncoding.DecodeString(p.literal())
		if errA != nil || errB != nil {
			return false
		}
		return bytes.Equal(a, b)
	case "IpAddress", "NotIpAddress":
		return ipMatch(rv, p.literal())
	}
	if strings.HasPrefix(base, "Numeric") {
		a, errA := strconv.ParseFloat(strings.TrimSpace(rv), 64)
		b, errB := strconv.ParseFloat(strings.TrimSpace(p.literal()), 64)
		if errA != nil || errB != nil {
			return false
		}
		return ordered(strings.TrimPrefix(base, "Numeric"), cmpFloat(a, b))
	}
	if strings.HasPrefix(base, "Date") {
		a, okA := parseDate(rv)
		b, okB := parseDate(p.literal())
		if !okA || !okB {
			return false
		}
		return ordered(strings.TrimPrefix(base, "Date"), a.Compare(b))
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordered applies a comparison suffix ("Equals", "LessThan", ...) to the
// result of comparing request value with policy value. NotEquals compares
// for equality; the caller negates.
func ordered(op string, c int) bool {
	switch op {
	case "Equals", "NotEquals":
		return c == 0
	case "LessThan":
		return c < 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThan":
		return c > 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z",
	"2006-01-02",
	"20060102T150405Z",
}

// parseDate parses ISO 8601 dates and times, and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ipMatch reports whether address rv lies in the CIDR block (or equals the
// address) cidr. IPv4-mapped IPv6 addresses match their IPv4 form.
func ipMatch(rv, cidr string) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(rv))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	cidr = strings.TrimSpace(cidr)
	if !strings.Contains(cidr, "/") {
		a, err := netip.ParseAddr(cidr)
		return err == nil && a.Unmap() == addr
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false
	}
	if pfx.Addr().Is4In6() {
		bits := pfx.Bits() - 96
		if bits < 0 {
			return false
		}
		pfx = netip.PrefixFrom(pfx.Addr().Unmap(), bits)
	}
	return pfx.Masked().Contains(addr)
}
