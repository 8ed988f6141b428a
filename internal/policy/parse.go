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
	// compiled records that every statement carries its compiled form.
	compiled bool
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

	actions   []actionPattern
	resources []template
	prin      *principals
	deny      bool
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

	lkey     string // Key in lower case
	set      setKind
	info     opInfo
	ifExists bool
	vars     bool // some value holds a policy variable
	vals     []condValue
}

var (
	sidRE       = regexp.MustCompile(`^[0-9A-Za-z]*$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	principalRE = regexp.MustCompile(`^arn:aws[a-z-]*:(iam::[0-9]{12}:(root|user/[^*?]+|role/[^*?]+|federated-user/[^*?]+)|sts::[0-9]{12}:(assumed-role/[^*?/]+/[^*?/]+|federated-user/[^*?]+))$`)
	vendorRE    = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)
)

// AWS's messages for malformed documents.
const (
	msgSyntax           = "Syntax errors in policy."
	msgLegacy           = "The policy failed legacy parsing"
	msgSidUnique        = "Statement IDs (SID) in a single policy must be unique."
	msgSidAlnum         = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgNoActions        = "Policy statement must contain actions."
	msgNoResources      = "Policy statement must contain resources."
	msgNoPrincipal      = "Missing required field Principal"
	msgHasPrincipal     = "Policy document should not specify a principal."
	msgVendor           = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon         = "Actions/Condition can contain only one colon."
	msgAssumeRoleOnly   = "AssumeRole policy may only specify STS AssumeRole actions."
	msgResourceVendor   = "Resource vendor must be fully qualified and cannot contain regexes."
	iamResourcePrefixes = "user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/"
)

// rawStatement is a statement that passed the syntax checks.
type rawStatement struct {
	sid                       string
	effect                    string
	principal                 any
	hasPrincipal, notPrin     bool
	actions                   []string
	hasAction, notAction      bool
	resources                 []string
	hasResource, notResource  bool
	conditions                []Condition
	resourceKey, principalKey string
}

// Parse parses and validates a policy document of the given kind. Errors are
// *Error with Code "MalformedPolicyDocument" and AWS's messages; the checks
// run in the order IAM runs them, so a document with several problems
// reports the one AWS would.
func Parse(doc string, kind Kind) (*Policy, error) {
	if kind != Identity && kind != Resource && kind != Trust {
		return nil, fmt.Errorf("policy: unknown kind %v", kind)
	}
	p, stmts, err := parseSyntax(doc, kind)
	if err != nil {
		return nil, err
	}
	if err := checkLegacy(stmts); err != nil {
		return nil, err
	}
	for i := range stmts {
		st := &stmts[i]
		switch {
		case kind == Identity && st.hasPrincipal:
			return nil, malformed(msgHasPrincipal)
		case kind != Identity && !st.hasPrincipal:
			return nil, malformed(msgNoPrincipal)
		}
	}
	sids := make(map[string]bool, len(stmts))
	for i := range stmts {
		if s := stmts[i].sid; s != "" {
			if sids[s] {
				return nil, malformed(msgSidUnique)
			}
			sids[s] = true
		}
	}
	if kind != Resource {
		for i := range stmts {
			if !sidRE.MatchString(stmts[i].sid) {
				return nil, malformed(msgSidAlnum)
			}
		}
	}
	for i := range stmts {
		if !stmts[i].hasAction || len(stmts[i].actions) == 0 {
			return nil, malformed(msgNoActions)
		}
	}
	for i := range stmts {
		st := &stmts[i]
		switch {
		case kind == Trust && st.hasResource:
			return nil, malformed("Has prohibited field " + st.resourceKey)
		case kind == Identity && !st.hasResource:
			return nil, malformed(msgNoResources)
		case st.hasResource && len(st.resources) == 0:
			return nil, malformed(msgNoResources)
		}
	}
	if msg := firstResourceError(stmts); msg != "" {
		return nil, malformed(msg)
	}
	for i := range stmts {
		for _, a := range stmts[i].actions {
			if msg := actionError(a); msg != "" {
				return nil, malformed(msg)
			}
			if kind == Trust && (a == "*" || !strings.EqualFold(a[:strings.IndexByte(a, ':')], "sts")) {
				return nil, malformed(msgAssumeRoleOnly)
			}
		}
	}
	for i := range stmts {
		st := &stmts[i]
		s := Statement{
			Sid: st.sid, Effect: st.effect,
			Actions: st.actions, NotAction: st.notAction,
			Resources: st.resources, NotResource: st.notResource, HasResource: st.hasResource,
			Conditions: st.conditions,
		}
		if st.hasPrincipal {
			ps, err := parsePrincipal(st.principal)
			if err != nil {
				return nil, err
			}
			s.Principal, s.NotPrincipal = ps, st.notPrin
		}
		p.Statements = append(p.Statements, s)
	}
	p.compile()
	return p, nil
}

// parseSyntax decodes the document and checks the shape of every element.
func parseSyntax(doc string, kind Kind) (*Policy, []rawStatement, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		e := malformed(msgSyntax)
		e.Err = fmt.Errorf("decoding policy JSON: %w", err)
		return nil, nil, e
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		e := malformed(msgSyntax)
		e.Err = errors.New("decoding policy JSON: data after the document")
		return nil, nil, e
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return nil, nil, malformed(msgSyntax)
	}
	p := &Policy{Kind: kind}
	for k, v := range obj {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok || (s != Version2012 && s != Version2008) {
				return nil, nil, malformed(msgSyntax)
			}
			p.Version = s
		case "Id":
			s, ok := v.(string)
			if !ok {
				return nil, nil, malformed(msgSyntax)
			}
			p.ID = s
		case "Statement":
		default:
			return nil, nil, malformed(msgSyntax)
		}
	}
	var list []any
	switch r := obj["Statement"].(type) {
	case map[string]any:
		list = []any{r}
		p.single = true
	case []any:
		list = r
	default:
		return nil, nil, malformed(msgSyntax)
	}
	if len(list) == 0 {
		return nil, nil, malformed(msgSyntax)
	}
	stmts := make([]rawStatement, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, nil, malformed(msgSyntax)
		}
		st, ok := statementSyntax(m)
		if !ok {
			return nil, nil, malformed(msgSyntax)
		}
		stmts = append(stmts, st)
	}
	return p, stmts, nil
}

// statementSyntax checks the shape of one statement.
func statementSyntax(m map[string]any) (rawStatement, bool) {
	var st rawStatement
	for k := range m {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
			"Resource", "NotResource", "Condition":
		default:
			return st, false
		}
	}
	pair := func(a, b string) (string, any, bool, bool) {
		va, hasA := m[a]
		vb, hasB := m[b]
		if hasB {
			return b, vb, true, true
		}
		return a, va, hasA, false
	}
	if _, hasA := m["Action"]; hasA {
		if _, hasNA := m["NotAction"]; hasNA {
			return st, false
		}
	}
	if _, hasR := m["Resource"]; hasR {
		if _, hasNR := m["NotResource"]; hasNR {
			return st, false
		}
	}
	if _, hasP := m["Principal"]; hasP {
		if _, hasNP := m["NotPrincipal"]; hasNP {
			return st, false
		}
	}
	if v, ok := m["Sid"]; ok {
		s, ok := v.(string)
		if !ok {
			return st, false
		}
		st.sid = s
	}
	e, ok := m["Effect"].(string)
	if !ok || (!strings.EqualFold(e, "Allow") && !strings.EqualFold(e, "Deny")) {
		return st, false
	}
	st.effect = e

	var v any
	st.principalKey, v, st.hasPrincipal, st.notPrin = pair("Principal", "NotPrincipal")
	if st.hasPrincipal {
		if !principalSyntax(v) {
			return st, false
		}
		st.principal = v
	}
	_, v, st.hasAction, st.notAction = pair("Action", "NotAction")
	if st.hasAction {
		if st.actions, ok = stringList(v); !ok {
			return st, false
		}
	}
	st.resourceKey, v, st.hasResource, st.notResource = pair("Resource", "NotResource")
	if st.hasResource {
		if st.resources, ok = stringList(v); !ok {
			return st, false
		}
	}
	if cv, has := m["Condition"]; has {
		if st.conditions, ok = conditionSyntax(cv); !ok {
			return st, false
		}
	}
	return st, true
}

// principalSyntax checks the shape of a Principal or NotPrincipal value: a
// string, or an object of strings or lists of strings.
func principalSyntax(v any) bool {
	switch t := v.(type) {
	case string:
		return true
	case map[string]any:
		if len(t) == 0 {
			return false
		}
		for _, raw := range t {
			if vals, ok := stringList(raw); !ok || len(vals) == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// conditionSyntax checks and collects a Condition element. An operator AWS
// does not know is accepted only with an empty body, and then ignored.
func conditionSyntax(v any) ([]Condition, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	var out []Condition
	for op, raw := range m {
		keys, ok := raw.(map[string]any)
		if !ok {
			return nil, false
		}
		if _, _, _, known := splitOperator(op); !known {
			if len(keys) != 0 {
				return nil, false
			}
			continue
		}
		for key, kv := range keys {
			if key == "" {
				return nil, false
			}
			vals, ok := scalarList(kv)
			if !ok {
				return nil, false
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, true
}

// checkLegacy applies the checks IAM's legacy parser makes: Effect is
// case-sensitive, Date condition values are ISO 8601 dates or epoch
// seconds, and resources are not cut short.
func checkLegacy(stmts []rawStatement) error {
	for i := range stmts {
		st := &stmts[i]
		if st.effect != "Allow" && st.effect != "Deny" {
			return malformed(msgLegacy)
		}
		for _, c := range st.conditions {
			if _, info, _, _ := splitOperator(c.Operator); info.kind != opDate {
				continue
			}
			for _, v := range c.Values {
				if _, ok := parseDate(v); !ok {
					return malformed(msgLegacy)
				}
			}
		}
	}
	clean := true
	for _, not := range []bool{false, true} {
		for i := range stmts {
			st := &stmts[i]
			if !st.hasResource || st.notResource != not {
				continue
			}
			if clean && resourceErrorOf(st.resources) != "" {
				clean = false
			}
			if !clean {
				continue
			}
			for _, r := range st.resources {
				if r != "*" && legacyBadResource(r) {
					return malformed(msgLegacy)
				}
			}
		}
	}
	return nil
}

// legacyBadResource reports a resource the legacy parser rejects: one with
// an empty component pair but fewer than six components, or no service.
func legacyBadResource(r string) bool {
	if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
		return true
	}
	parts := strings.SplitN(r, ":", 4)
	return len(parts) < 3 || parts[2] == ""
}

// resourceErrorOf returns the message for the first malformed resource of
// a Resource or NotResource list, taking them in reverse lexical order as
// IAM does, or "".
func resourceErrorOf(res []string) string {
	sorted := append([]string(nil), res...)
	sort.Sort(sort.Reverse(sort.StringSlice(sorted)))
	for _, r := range sorted {
		if msg := resourceError(r); msg != "" {
			return msg
		}
	}
	return ""
}

// firstResourceError returns the message for the first malformed resource
// of the document, Resource elements before NotResource elements.
func firstResourceError(stmts []rawStatement) string {
	for _, not := range []bool{false, true} {
		for i := range stmts {
			if st := &stmts[i]; st.hasResource && st.notResource == not {
				if msg := resourceErrorOf(st.resources); msg != "" {
					return msg
				}
			}
		}
	}
	for i := range stmts {
		for _, r := range stmts[i].resources {
			if r != "*" && len(strings.SplitN(r, ":", 6)) < 6 {
				return `Resource ` + r + ` must be in ARN format or "*".`
			}
		}
	}
	return ""
}

// resourceError checks the format of one Resource entry the way IAM does.
func resourceError(r string) string {
	if r == "*" {
		return ""
	}
	head, rest, found := strings.Cut(r, ":")
	if !found || head != "arn" {
		return `Resource ` + r + ` must be in ARN format or "*".`
	}
	partition, rest, found := strings.Cut(rest, ":")
	if partition != "aws" && partition != "*" {
		parts := strings.Split(rest, ":")
		comp := func(i int) string {
			switch {
			case i == 0 && parts[0] == "" && len(parts) == 1:
				return "*"
			case i == 3 && len(parts) > 3:
				return strings.Join(parts[3:], ":")
			case i < len(parts):
				return parts[i]
			}
			return "*"
		}
		return fmt.Sprintf("Partition %q is not valid for resource \"arn:%s:%s:%s:%s:%s\".", partition, partition, comp(0), comp(1), comp(2), comp(3))
	}
	if !found {
		return msgResourceVendor
	}
	service, rest, _ := strings.Cut(rest, ":")
	switch {
	case service == "iam" && !strings.HasPrefix(rest, ":"):
		return "IAM resource " + r + " cannot contain region information."
	case service == "s3" && !strings.HasPrefix(rest, ":"):
		return "Resource " + r + " can not contain region information."
	case service == "iam":
		_, rest, _ = strings.Cut(rest, ":")
		_, path, _ := strings.Cut(rest, ":")
		if path == "*" {
			return ""
		}
		for _, pre := range strings.Split(iamResourcePrefixes, ", ") {
			if strings.HasPrefix(path, pre) {
				return ""
			}
		}
		return `IAM resource path must either be "*" or start with ` + iamResourcePrefixes + "."
	}
	return ""
}

// actionError checks the format of one Action or NotAction entry.
func actionError(a string) string {
	if a == "*" {
		return ""
	}
	parts := strings.Split(a, ":")
	switch {
	case len(parts) == 1 || parts[0] == "":
		return msgVendor
	case len(parts) > 2:
		return msgOneColon
	case parts[0] != "*" && !vendorRE.MatchString(parts[0]):
		return "Vendor " + parts[0] + " is not valid"
	}
	return ""
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

func invalidPrincipal(typ, val string) *Error {
	return malformed(fmt.Sprintf("Invalid principal in policy: %q:%q", typ, val))
}

// parsePrincipal validates a Principal or NotPrincipal value whose shape
// principalSyntax accepted.
func parsePrincipal(v any) (*PrincipalSet, error) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, malformed(fmt.Sprintf("Invalid principal in policy: %q", s))
		}
		return &PrincipalSet{Any: true}, nil
	}
	m := v.(map[string]any)
	types := make([]string, 0, len(m))
	for typ := range m {
		types = append(types, typ)
	}
	sort.Strings(types)
	ps := &PrincipalSet{}
	for _, typ := range types {
		vals, _ := stringList(m[typ])
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
			for _, s := range vals {
				if s == "" {
					return nil, invalidPrincipal(typ, s)
				}
			}
			ps.Federated = vals
		case "CanonicalUser":
			ps.CanonicalUser = vals
		default:
			return nil, invalidPrincipal(typ, vals[0])
		}
	}
	return ps, nil
}

// compile fills in the compiled form of every statement.
func (p *Policy) compile() {
	vars := p.variables()
	for i := range p.Statements {
		p.Statements[i].compile(vars)
	}
	p.compiled = true
}

// compiledCopy returns a compiled copy of a policy that was not built by
// Parse, leaving p untouched.
func (p *Policy) compiledCopy() *Policy {
	c := *p
	c.Statements = make([]Statement, len(p.Statements))
	copy(c.Statements, p.Statements)
	for i := range c.Statements {
		c.Statements[i].Conditions = append([]Condition(nil), c.Statements[i].Conditions...)
	}
	c.compile()
	return &c
}

// compile fills in the statement's compiled form from its exported fields.
func (s *Statement) compile(vars bool) {
	s.deny = s.Effect == "Deny"
	s.actions = make([]actionPattern, len(s.Actions))
	for i, a := range s.Actions {
		s.actions[i] = compileAction(a)
	}
	s.resources = make([]template, len(s.Resources))
	for i, r := range s.Resources {
		s.resources[i] = compileTemplate(r, true, vars)
	}
	s.prin = nil
	if s.Principal != nil {
		s.prin = compilePrincipals(s.Principal)
	}
	for i := range s.Conditions {
		s.Conditions[i].compile(vars)
	}
}

// MarshalJSON renders the policy as a canonical JSON document that Parse
// accepts and that has the same meaning.
func (p *Policy) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(name string, v any) error {
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, err := json.Marshal(name)
		if err != nil {
			return fmt.Errorf("policy: encoding %s: %w", name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		enc, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("policy: encoding %s: %w", name, err)
		}
		b.Write(enc)
		return nil
	}
	if p.Version != "" {
		if err := field("Version", p.Version); err != nil {
			return nil, err
		}
	}
	if p.ID != "" {
		if err := field("Id", p.ID); err != nil {
			return nil, err
		}
	}
	stmts := make([]map[string]any, 0, len(p.Statements))
	for _, s := range p.Statements {
		stmts = append(stmts, s.jsonValue())
	}
	var err error
	if p.single && len(stmts) == 1 {
		err = field("Statement", stmts[0])
	} else {
		err = field("Statement", stmts)
	}
	if err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// String returns the canonical JSON form of the policy.
func (p *Policy) String() string {
	b, err := p.MarshalJSON()
	if err != nil {
		return err.Error()
	}
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
			vals := c.Values
			if vals == nil {
				vals = []string{}
			}
			cm[c.Operator][c.Key] = vals
		}
		m["Condition"] = cm
	}
	return m
}
