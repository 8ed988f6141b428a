package policy

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is the family of a condition operator.
type opKind uint8

const (
	opInvalid opKind = iota
	opStringEquals
	opStringEqualsIgnoreCase
	opStringLike
	opNumeric
	opDate
	opBool
	opBinary
	opIP
	opArn
	opNull
)

// cmpKind is the comparison of a Numeric or Date operator.
type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

// setKind is the set qualifier of a condition operator.
type setKind uint8

const (
	setNone setKind = iota
	setForAnyValue
	setForAllValues
)

// opInfo describes one base condition operator (without IfExists and set
// qualifier).
type opInfo struct {
	kind    opKind
	cmp     cmpKind
	negated bool
}

// baseOperators are the documented condition operators.
var baseOperators = map[string]opInfo{
	"StringEquals":              {kind: opStringEquals},
	"StringNotEquals":           {kind: opStringEquals, negated: true},
	"StringEqualsIgnoreCase":    {kind: opStringEqualsIgnoreCase},
	"StringNotEqualsIgnoreCase": {kind: opStringEqualsIgnoreCase, negated: true},
	"StringLike":                {kind: opStringLike},
	"StringNotLike":             {kind: opStringLike, negated: true},
	"NumericEquals":             {kind: opNumeric, cmp: cmpEq},
	"NumericNotEquals":          {kind: opNumeric, cmp: cmpEq, negated: true},
	"NumericLessThan":           {kind: opNumeric, cmp: cmpLT},
	"NumericLessThanEquals":     {kind: opNumeric, cmp: cmpLE},
	"NumericGreaterThan":        {kind: opNumeric, cmp: cmpGT},
	"NumericGreaterThanEquals":  {kind: opNumeric, cmp: cmpGE},
	"DateEquals":                {kind: opDate, cmp: cmpEq},
	"DateNotEquals":             {kind: opDate, cmp: cmpEq, negated: true},
	"DateLessThan":              {kind: opDate, cmp: cmpLT},
	"DateLessThanEquals":        {kind: opDate, cmp: cmpLE},
	"DateGreaterThan":           {kind: opDate, cmp: cmpGT},
	"DateGreaterThanEquals":     {kind: opDate, cmp: cmpGE},
	"Bool":                      {kind: opBool},
	"BinaryEquals":              {kind: opBinary},
	"IpAddress":                 {kind: opIP},
	"NotIpAddress":              {kind: opIP, negated: true},
	"ArnEquals":                 {kind: opArn},
	"ArnLike":                   {kind: opArn},
	"ArnNotEquals":              {kind: opArn, negated: true},
	"ArnNotLike":                {kind: opArn, negated: true},
	"Null":                      {kind: opNull},
}

// splitOperator splits an operator such as "ForAnyValue:StringLikeIfExists"
// into its set qualifier, base operator and IfExists suffix. known is false
// for an operator that is not documented; ok is false for a documented base
// operator used in a way AWS does not allow (Null with IfExists or a set
// qualifier).
func splitOperator(op string) (set setKind, info opInfo, ifExists, known bool) {
	base := op
	if b, found := strings.CutPrefix(base, "ForAnyValue:"); found {
		base, set = b, setForAnyValue
	} else if b, found := strings.CutPrefix(base, "ForAllValues:"); found {
		base, set = b, setForAllValues
	}
	if b, found := strings.CutSuffix(base, "IfExists"); found {
		base, ifExists = b, true
	}
	info, known = baseOperators[base]
	if known && info.kind == opNull && (ifExists || set != setNone) {
		known = false
	}
	return set, info, ifExists, known
}

// varsAllowed reports whether policy variables are expanded in the values
// of an operator: string, ARN and Bool operators only.
func (k opKind) varsAllowed() bool {
	switch k {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArn, opBool:
		return true
	}
	return false
}

// glob reports whether an operator's values are patterns.
func (k opKind) glob() bool { return k == opStringLike || k == opArn }

// condValue is one compiled condition value.
type condValue struct {
	tmpl template // string, ARN and Bool operators

	num float64 // Numeric
	t   time.Time
	pfx netip.Prefix
	bin []byte
	ok  bool // num, t, pfx or bin holds a valid value; for Null: the value is "true"/"false"
	yes bool // Null: "true"
}

// compile fills in the compiled form of c from its exported fields.
// vars enables policy variables (policy language 2012-10-17).
func (c *Condition) compile(vars bool) {
	set, info, ifExists, known := splitOperator(c.Operator)
	c.set, c.info, c.ifExists = set, info, ifExists
	if !known {
		c.info = opInfo{kind: opInvalid}
		return
	}
	c.lkey = strings.ToLower(c.Key)
	c.vals = make([]condValue, len(c.Values))
	c.vars = false
	for i, v := range c.Values {
		cv := &c.vals[i]
		switch info.kind {
		case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArn, opBool:
			cv.tmpl = compileTemplate(v, info.kind.glob(), vars)
			if !cv.tmpl.static() {
				c.vars = true
			}
		case opNumeric:
			cv.num, cv.ok = parseNumber(v)
		case opDate:
			cv.t, cv.ok = parseDate(v)
		case opIP:
			cv.pfx, cv.ok = parseCIDR(v)
		case opBinary:
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
			cv.bin, cv.ok = b, err == nil
		case opNull:
			switch {
			case strings.EqualFold(v, "true"):
				cv.ok, cv.yes = true, true
			case strings.EqualFold(v, "false"):
				cv.ok = true
			}
		}
	}
}

// eval evaluates the condition entry against the request.
func (c *Condition) eval(ev *evaluator) bool {
	if c.info.kind == opInvalid {
		return false
	}
	reqVals, present := ev.values(c.lkey)
	if c.info.kind == opNull {
		for i := range c.vals {
			if v := &c.vals[i]; v.ok && v.yes != present {
				return true
			}
		}
		return false
	}
	if c.set != setNone && present {
		// A set of empty strings is an empty data set.
		present = false
		for _, v := range reqVals {
			if v != "" {
				present = true
				break
			}
		}
	}
	if c.ifExists && !present {
		return true
	}
	// Expand policy variables; one without a value makes the condition,
	// and so the statement, not match.
	var offs []int
	if c.vars {
		ev.scratch = ev.scratch[:0]
		ev.offs = ev.offs[:0]
		for i := range c.vals {
			var ok bool
			ev.scratch, ok = c.vals[i].tmpl.expand(ev.scratch, ev, c.info.kind.glob())
			if !ok {
				return false
			}
			ev.offs = append(ev.offs, len(ev.scratch))
		}
		offs = ev.offs
	}
	negated := c.info.negated
	if !present {
		switch c.set {
		case setForAllValues:
			return true
		case setForAnyValue:
			return false
		}
		return negated
	}
	switch c.set {
	case setForAllValues:
		for _, rv := range reqVals {
			if c.positive(ev, rv, offs) == negated {
				return false
			}
		}
		return true
	case setForAnyValue:
		for _, rv := range reqVals {
			if c.positive(ev, rv, offs) != negated {
				return true
			}
		}
		return false
	}
	for _, rv := range reqVals {
		if c.positive(ev, rv, offs) {
			return !negated
		}
	}
	return negated
}

// positive reports whether request value rv matches any policy value under
// the non-negated form of the operator. offs, when not nil, are the end
// offsets of the expanded values in ev.scratch.
func (c *Condition) positive(ev *evaluator, rv string, offs []int) bool {
	switch c.info.kind {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArn, opBool:
		start := 0
		for i := range c.vals {
			var hit bool
			if offs != nil {
				hit = compareText(c.info.kind, ev.scratch[start:offs[i]], rv)
				start = offs[i]
			} else {
				hit = compareText(c.info.kind, c.vals[i].tmpl.text, rv)
			}
			if hit {
				return true
			}
		}
		return false
	case opNumeric:
		a, ok := parseNumber(rv)
		if !ok {
			return false
		}
		for i := range c.vals {
			if v := &c.vals[i]; v.ok && compared(c.info.cmp, cmpFloat(a, v.num)) {
				return true
			}
		}
		return false
	case opDate:
		a, ok := parseDate(rv)
		if !ok {
			return false
		}
		for i := range c.vals {
			if v := &c.vals[i]; v.ok && compared(c.info.cmp, a.Compare(v.t)) {
				return true
			}
		}
		return false
	case opIP:
		addr, err := netip.ParseAddr(strings.TrimSpace(rv))
		if err != nil || addr.Zone() != "" {
			return false
		}
		addr = addr.Unmap()
		for i := range c.vals {
			if v := &c.vals[i]; v.ok && v.pfx.Contains(addr) {
				return true
			}
		}
		return false
	case opBinary:
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rv))
		if err != nil {
			return false
		}
		for i := range c.vals {
			if v := &c.vals[i]; v.ok && bytes.Equal(b, v.bin) {
				return true
			}
		}
		return false
	}
	return false
}

// compareText compares request value rv with the final form of a policy
// value under a string, ARN or Bool operator.
func compareText[P ~string | ~[]byte](k opKind, p P, rv string) bool {
	switch k {
	case opStringEquals:
		return string(p) == rv
	case opStringEqualsIgnoreCase:
		return strings.EqualFold(string(p), rv)
	case opStringLike:
		return globMatch(p, rv, false)
	case opArn:
		return matchARN(p, rv)
	case opBool:
		return (equalFoldASCII(rv, "true") && equalFoldASCII(string(p), "true")) ||
			(equalFoldASCII(rv, "false") && equalFoldASCII(string(p), "false"))
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

// compared applies a comparison to the result of comparing the request
// value with the policy value (NotEquals compares for equality; the caller
// negates).
func compared(op cmpKind, c int) bool {
	switch op {
	case cmpEq:
		return c == 0
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	case cmpGE:
		return c >= 0
	}
	return false
}

// parseNumber parses an integer or decimal value; infinities and NaN are
// not numbers here.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// dateLayouts are the W3C profile of ISO 8601 that AWS accepts, with and
// without a time zone (no zone means UTC).
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"20060102T150405Z",
}

// parseDate parses an ISO 8601 date or date and time, or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-T:tZz") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	if strings.ContainsAny(s, "tz") {
		s = strings.ToUpper(s)
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseCIDR parses an IPv4 or IPv6 CIDR block, or a single address (as
// /32 or /128). IPv4-mapped IPv6 blocks are turned into IPv4 blocks; host
// bits are ignored.
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if pfx.Addr().Is4In6() {
		bits := pfx.Bits() - 96
		if bits < 0 {
			return netip.Prefix{}, false
		}
		pfx = netip.PrefixFrom(pfx.Addr().Unmap(), bits)
	}
	return pfx.Masked(), true
}
