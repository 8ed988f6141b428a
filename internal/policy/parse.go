package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Policy versions accepted by Parse.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed and validated policy document. It is immutable after
// Parse and safe for concurrent use.
type Policy struct {
	// Kind is the kind the document was parsed as.
	Kind Kind
	// Version is the Version element as written ("" when absent, which
	// means 2008-10-17).
	Version string
	// ID is the optional Id element.
	ID string
	// Statements are the statements in document order.
	Statements []Statement
	// single records that Statement was written as an object, not a list.
	single bool
}

// EffectiveVersion returns the policy language version in force:
// Version, or "2008-10-17" when absent.
func (p *Policy) EffectiveVersion() string {
	if p.Version == "" {
		return Version2008
	}
	return p.Version
}

// variables reports whether policy variables are expanded (2012-10-17 only).
func (p *Policy) variables() bool { return p.EffectiveVersion() == Version2012 }

// Statement is one statement of a policy.
type Statement struct {
	// Sid is the optional statement id.
	Sid string
	// Effect is "Allow" or "Deny".
	Effect string
	// Principal is the Principal or NotPrincipal element (nil in identity policies).
	Principal *PrincipalSet
	// NotPrincipal reports that Principal came from a NotPrincipal element.
	NotPrincipal bool
	// Actions are the Action or NotAction patterns.
	Actions []string
	// NotAction reports that Actions came from a NotAction element.
	NotAction bool
	// Resources are the Resource or NotResource patterns (empty when omitted).
	Resources []string
	// NotResource reports that Resources came from a NotResource element.
	NotResource bool
	// HasResource reports whether a Resource or NotResource element was given.
	HasResource bool
	// Conditions are the entries of the Condition element, sorted by
	// operator and then key.
	Conditions []Condition
}

// PrincipalSet is the value of a Principal or NotPrincipal element.
type PrincipalSet struct {
	// Any is true for "Principal": "*".
	Any bool
	// AWS lists "AWS" principals: "*", account ids, root/user/role/session ARNs.
	AWS []string
	// Service lists "Service" principals such as "ec2.amazonaws.com".
	Service []string
	// Federated lists "Federated" principals.
	Federated []string
	// CanonicalUser lists "CanonicalUser" principals.
	CanonicalUser []string
}

// Condition is one operator/key entry of a Condition element.
type Condition struct {
	// Operator is the operator as written, e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key is the condition key as written, e.g. "aws:SourceIp".
	Key string
	// Values are the condition values (numbers and booleans as their JSON text).
	Values []string

	base     string // operator without set prefix and IfExists suffix
	set      string // "", "ForAnyValue", "ForAllValues"
	ifExists bool
}

var sidRE = regexp.MustCompile(`^[0-9A-Za-z]*$`)

// Parse parses and validates a policy document of the given kind. Errors are
// *Error with Code "MalformedPolicyDocument" and AWS's messages.
func Parse(doc string, kind Kind) (*Policy, error) {
	if kind != Identity && kind != Resource && kind != Trust {
		return nil, fmt.Errorf("policy: unknown kind %v", kind)
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		e := malformed("Syntax errors in policy.")
		e.Err = fmt.Errorf("decoding policy JSON: %w", err)
		return nil, e
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, malformed("Syntax errors in policy.")
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	p := &Policy{Kind: kind}
	for k, v := range obj {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok {
				return nil, malformed("Syntax errors in policy.")
			}
			if s != Version2012 && s != Version2008 {
				return nil, malformed("The policy failed legacy parsing")
			}
			p.Version = s
		case "Id":
			s, ok := v.(string)
			if !ok {
				return nil, malformed("Syntax errors in policy.")
			}
			p.ID = s
		case "Statement":
		default:
			return nil, malformed("Unknown field " + k)
		}
	}
	raw, ok := obj["Statement"]
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	var list []any
	switch r := raw.(type) {
	case map[string]any:
		list = []any{r}
		p.single = true
	case []any:
		list = r
	default:
		return nil, malformed("Syntax errors in policy.")
	}
	if len(list) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	sids := map[string]bool{}
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		st, err := parseStatement(m, kind)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, malformed("Statement IDs (SID) in a single policy must be unique.")
			}
			sids[st.Sid] = true
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(m map[string]any, kind Kind) (Statement, error) {
	var st Statement
	for k := range m {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
			"Resource", "NotResource", "Condition":
		default:
			return st, malformed("Unknown field " + k)
		}
	}
	if v, ok := m["Sid"]; ok {
		s, ok := v.(string)
		if !ok {
			return st, malformed("Syntax errors in policy.")
		}
		if kind != Resource && !sidRE.MatchString(s) {
			return st, malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
		}
		st.Sid = s
	}
	ev, ok := m["Effect"]
	if !ok {
		return st, malformed("Missing required field Effect")
	}
	es, ok := ev.(string)
	if !ok {
		return st, malformed("Syntax errors in policy.")
	}
	if es != "Allow" && es != "Deny" {
		return st, malformed("Invalid effect: " + es)
	}
	st.Effect = es

	// Principal / NotPrincipal.
	pv, hasP := m["Principal"]
	npv, hasNP := m["NotPrincipal"]
	if hasP && hasNP {
		return st, malformed("Syntax errors in policy.")
	}
	if kind == Identity {
		if hasP || hasNP {
			return st, malformed("Policy document should not specify a principal.")
		}
	} else {
		if !hasP && !hasNP {
			return st, malformed("Missing required field Principal")
		}
		if hasNP {
			pv = npv
			st.NotPrincipal = true
		}
		ps, err := parsePrincipal(pv)
		if err != nil {
			return st, err
		}
		st.Principal = ps
	}

	// Action / NotAction.
	av, hasA := m["Action"]
	nav, hasNA := m["NotAction"]
	if hasA && hasNA {
		return st, malformed("Syntax errors in policy.")
	}
	if !hasA && !hasNA {
		return st, malformed("Policy statement must contain actions.")
	}
	if hasNA {
		av = nav
		st.NotAction = true
	}
	acts, ok := stringList(av)
	if !ok {
		return st, malformed("Syntax errors in policy.")
	}
	if len(acts) == 0 {
		return st, malformed("Policy statement must contain actions.")
	}
	for _, a := range acts {
		if a == "*" {
			if kind == Trust {
				return st, malformed("AssumeRole policy may only specify STS AssumeRole actions.")
			}
			continue
		}
		i := strings.IndexByte(a, ':')
		if i <= 0 {
			return st, malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
		if kind == Trust && !strings.EqualFold(a[:i], "sts") {
			return st, malformed("AssumeRole policy may only specify STS AssumeRole actions.")
		}
	}
	st.Actions = acts

	// Resource / NotResource.
	rv, hasR := m["Resource"]
	nrv, hasNR := m["NotResource"]
	if hasR && hasNR {
		return st, malformed("Syntax errors in policy.")
	}
	if kind == Trust && (hasR || hasNR) {
		f := "Resource"
		if hasNR {
			f = "NotResource"
		}
		return st, malformed("Has prohibited field " + f)
	}
	if !hasR && !hasNR {
		if kind == Identity {
			return st, malformed("Policy statement must contain resources.")
		}
	} else {
		if hasNR {
			rv = nrv
			st.NotResource = true
		}
		res, ok := stringList(rv)
		if !ok {
			return st, malformed("Syntax errors in policy.")
		}
		if len(res) == 0 {
			return st, malformed("Policy statement must contain resources.")
		}
		for _, r := range res {
			if r != "*" && !validARN(r) {
				return st, malformed("Resource " + r + " must be in ARN format or \"*\".")
			}
		}
		st.Resources = res
		st.HasResource = true
	}

	if cv, ok := m["Condition"]; ok {
		conds, err := parseConditions(cv)
		if err != nil {
			return st, err
		}
		st.Conditions = conds
	}
	return st, nil
}

// validARN reports whether s has the six colon-separated ARN components.
func validARN(s string) bool {
	return strings.HasPrefix(s, "arn:") && len(strings.SplitN(s, ":", 6)) == 6
}

// stringList accepts a JSON string or a list of strings.
func stringList(v any) ([]string, bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// scalarList accepts a string, number or boolean, or a list of them.
func scalarList(v any) ([]string, bool) {
	one := func(e any) (string, bool) {
		switch t := e.(type) {
		case string:
			return t, true
		case json.Number:
			return t.String(), true
		case bool:
			if t {
				return "true", true
			}
			return "false", true
		}
		return "", false
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := one(e)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := one(v)
	if !ok {
		return nil, false
	}
	return []string{s}, true
}

var (
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	principalRE = regexp.MustCompile(`^arn:aws[a-z-]*:(iam::[0-9]{12}:(root|user/[^*?]+|role/[^*?]+|federated-user/[^*?]+)|sts::[0-9]{12}:(assumed-role/[^*?/]+(/[^*?/]+)?|federated-user/[^*?]+))$`)
)

func invalidPrincipal(typ, val string) *Error {
	return malformed(fmt.Sprintf("Invalid principal in policy: %q:%q", typ, val))
}

func parsePrincipal(v any) (*PrincipalSet, error) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, malformed("Invalid principal in policy: " + fmt.Sprintf("%q", s))
		}
		return &PrincipalSet{Any: true}, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	ps := &PrincipalSet{}
	for typ, raw := range m {
		vals, ok := stringList(raw)
		if !ok || len(vals) == 0 {
			return nil, malformed("Syntax errors in policy.")
		}
		switch typ {
		case "AWS":
			for _, s := range vals {
				if s != "*" && !accountRE.MatchString(s) && !principalRE.MatchString(s) {
					return nil, invalidPrincipal(typ, s)
				}
			}
			ps.AWS = vals
		case "Service":
			for _, s := range vals {
				if s == "" || (s != "*" && strings.ContainsAny(s, "*?")) {
					return nil, invalidPrincipal(typ, s)
				}
			}
			ps.Service = vals
		case "Federated":
			ps.Federated = vals
		case "CanonicalUser":
			ps.CanonicalUser = vals
		default:
			return nil, invalidPrincipal(typ, vals[0])
		}
	}
	return ps, nil
}

// baseOperators maps each condition operator (without IfExists and set
// prefixes) to whether it is negated.
var baseOperators = map[string]bool{
	"StringEquals": false, "StringNotEquals": true,
	"StringEqualsIgnoreCase": false, "StringNotEqualsIgnoreCase": true,
	"StringLike": false, "StringNotLike": true,
	"NumericEquals": false, "NumericNotEquals": true,
	"NumericLessThan": false, "NumericLessThanEquals": false,
	"NumericGreaterThan": false, "NumericGreaterThanEquals": false,
	"DateEquals": false, "DateNotEquals": true,
	"DateLessThan": false, "DateLessThanEquals": false,
	"DateGreaterThan": false, "DateGreaterThanEquals": false,
	"Bool": false, "BinaryEquals": false,
	"IpAddress": false, "NotIpAddress": true,
	"ArnEquals": false, "ArnNotEquals": true,
	"ArnLike": false, "ArnNotLike": true,
	"Null": false,
}

// splitOperator splits an operator into set prefix, base and IfExists.
func splitOperator(op string) (set, base string, ifExists, ok bool) {
	base = op
	if i := strings.IndexByte(base, ':'); i >= 0 {
		set = base[:i]
		if set != "ForAnyValue" && set != "ForAllValues" {
			return "", "", false, false
		}
		base = base[i+1:]
	}
	if b, found := strings.CutSuffix(base, "IfExists"); found {
		base, ifExists = b, true
	}
	if _, known := baseOperators[base]; !known {
		return "", "", false, false
	}
	if base == "Null" && (ifExists || set != "") {
		return "", "", false, false
	}
	return set, base, ifExists, true
}

func parseConditions(v any) ([]Condition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	var out []Condition
	for op, raw := range m {
		set, base, ifExists, ok := splitOperator(op)
		if !ok {
			return nil, malformed("Invalid Condition type : " + op)
		}
		keys, ok := raw.(map[string]any)
		if !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		for key, kv := range keys {
			if key == "" {
				return nil, malformed("Syntax errors in policy.")
			}
			vals, ok := scalarList(kv)
			if !ok {
				return nil, malformed("Syntax errors in policy.")
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals, base: base, set: set, ifExists: ifExists})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// MarshalJSON renders the policy as a canonical JSON document that Parse
// accepts and that has the same meaning.
func (p *Policy) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(name string, v any) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		enc, _ := json.Marshal(v)
		b.Write(enc)
	}
	if p.Version != "" {
		field("Version", p.Version)
	}
	if p.ID != "" {
		field("Id", p.ID)
	}
	stmts := make([]map[string]any, 0, len(p.Statements))
	for _, s := range p.Statements {
		stmts = append(stmts, s.jsonValue())
	}
	if p.single && len(stmts) == 1 {
		field("Statement", stmts[0])
	} else {
		field("Statement", stmts)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// String returns the canonical JSON form of the policy.
func (p *Policy) String() string {
	b, _ := p.MarshalJSON()
	return string(b)
}

func (s Statement) jsonValue() map[string]any {
	m := map[string]any{"Effect": s.Effect}
	if s.Sid != "" {
		m["Sid"] = s.Sid
	}
	if s.Principal != nil {
		var pv any
		if s.Principal.Any {
			pv = "*"
		} else {
			pm := map[string]any{}
			for typ, l := range map[string][]string{"AWS": s.Principal.AWS, "Service": s.Principal.Service,
				"Federated": s.Principal.Federated, "CanonicalUser": s.Principal.CanonicalUser} {
				if len(l) > 0 {
					pm[typ] = l
				}
			}
			pv = pm
		}
		if s.NotPrincipal {
			m["NotPrincipal"] = pv
		} else {
			m["Principal"] = pv
		}
	}
	if s.NotAction {
		m["NotAction"] = s.Actions
	} else {
		m["Action"] = s.Actions
	}
	if s.HasResource {
		if s.NotResource {
			m["NotResource"] = s.Resources
		} else {
			m["Resource"] = s.Resources
		}
	}
	if len(s.Conditions) > 0 {
		cm := map[string]map[string][]string{}
		for _, c := range s.Conditions {
			if cm[c.Operator] == nil {
				cm[c.Operator] = map[string][]string{}
			}
			cm[c.Operator][c.Key] = c.Values
		}
		m["Condition"] = cm
	}
	return m
}
