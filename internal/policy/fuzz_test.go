package policy

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// seedDocuments are the policy documents of the evaluation and parse
// tables, with the kind each is meant for.
func seedDocuments() (docs []string, kinds []Kind) {
	for _, c := range evalCases() {
		for _, d := range c.identity {
			docs, kinds = append(docs, d), append(kinds, Identity)
		}
		if c.resource != "" {
			k := c.kind
			if k == 0 {
				k = Resource
			}
			docs, kinds = append(docs, c.resource), append(kinds, k)
		}
	}
	malformedDocs := []string{
		`{"Version":"2012-10-17",`, `[]`, `{"Statement":[]}`, `{"Version":"2012-10-18","Statement":{}}`,
		stmt(`{"Effect":"allow","Action":"a:b","Resource":"*"}`),
		stmt(`{"Effect":"Allow","Action":"a:b:c","Resource":"arn:aws:s3::x"}`),
		stmt(`{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"DateLessThan":{"k":"x"}}}`),
		stmt(`{"Sid":"a-b","Effect":"Deny","NotAction":"*","NotResource":"arn:aws:iam:us-east-1:1:user/x"}`),
		stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"sts:AssumeRole"}`),
	}
	for _, d := range malformedDocs {
		docs, kinds = append(docs, d), append(kinds, Identity)
	}
	return docs, kinds
}

func kindOf(k uint8) Kind { return Kind(k%3) + Identity }

// FuzzParse checks that Parse never panics, fails only with AWS's error
// shape, and that the canonical form of a parsed policy parses again to
// the same canonical form.
func FuzzParse(f *testing.F) {
	docs, kinds := seedDocuments()
	for i, d := range docs {
		f.Add(d, uint8(kinds[i]-Identity))
	}
	f.Fuzz(func(t *testing.T, doc string, k uint8) {
		kind := kindOf(k)
		p, err := Parse(doc, kind)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse: got error %T %v; want *Error", err, err)
			}
			if pe.Code != ErrCodeMalformed || pe.Message == "" {
				t.Fatalf("Parse: got %+v; want code %s and a message", pe, ErrCodeMalformed)
			}
			return
		}
		if len(p.Statements) == 0 {
			t.Fatalf("Parse: got a policy without statements from %q", doc)
		}
		canon := p.String()
		q, err := Parse(canon, kind)
		if err != nil {
			t.Fatalf("Parse(canonical form %s of %q): got %v; want nil", canon, doc, err)
		}
		if again := q.String(); again != canon {
			t.Fatalf("canonical form not stable for %q:\n got %s\nwant %s", doc, again, canon)
		}
	})
}

var fuzzPrincipals = []Principal{alice, carol, rootA, sessA, sessPath, bob, sessB, anon, ec2Svc, roleA, fedUser, cognito}

// FuzzEvaluate checks that Evaluate never panics, that a Decision is
// consistent with its matches, and that a policy evaluates the same as its
// canonical form re-parsed and as a copy built by hand from its exported
// fields.
func FuzzEvaluate(f *testing.F) {
	docs, kinds := seedDocuments()
	for i, d := range docs {
		f.Add(d, uint8(kinds[i]-Identity), "kafka-cluster:Connect", cluster, "aws:SourceIp", "10.1.2.3", uint8(i))
	}
	f.Add(allowAll, uint8(0), "kafka-cluster:ReadData", topicT, "aws:TagKeys", "a", uint8(3))
	f.Fuzz(func(t *testing.T, doc string, k uint8, action, resource, key, value string, who uint8) {
		kind := kindOf(k)
		p, err := Parse(doc, kind)
		if err != nil {
			return
		}
		q, err := Parse(p.String(), kind)
		if err != nil {
			t.Fatalf("Parse(canonical form): got %v; want nil", err)
		}
		hand := *p
		hand.compiled = false
		hand.Statements = nil
		for _, s := range p.Statements {
			hand.Statements = append(hand.Statements, Statement{Sid: s.Sid, Effect: s.Effect, Principal: s.Principal, NotPrincipal: s.NotPrincipal,
				Actions: s.Actions, NotAction: s.NotAction, Resources: s.Resources, NotResource: s.NotResource, HasResource: s.HasResource,
				Conditions: exported(s.Conditions)})
		}
		pr := fuzzPrincipals[int(who)%len(fuzzPrincipals)]
		req := Request{Principal: pr, Action: action, Resource: resource, ResourceAccount: acctA,
			Context: map[string][]string{key: strings.Split(value, "|"), "aws:SecureTransport": {"true"}}}
		if who&0x80 != 0 {
			req.ResourceAccount = ""
		}
		now := func() time.Time { return clock }
		eval := func(pol *Policy) Decision {
			n := Named{Name: "p", Policy: pol}
			if kind == Identity {
				return evaluate(&req, []Named{n}, nil, now)
			}
			return evaluate(&req, []Named{{Name: "id", Policy: fuzzIdentity}}, &n, now)
		}
		d := eval(p)
		checkDecision(t, d)
		for name, other := range map[string]*Policy{"canonical form": q, "hand-built copy": &hand} {
			if e := eval(other); fmt.Sprint(e) != fmt.Sprint(d) {
				t.Fatalf("%s of %s decides differently:\n got %+v\nwant %+v", name, doc, e, d)
			}
		}
	})
}

// fuzzIdentity is the identity policy used beside fuzzed resource policies.
var fuzzIdentity, _ = Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kafka-cluster:*","Resource":"*"}}`, Identity)

// exported copies conditions keeping only their exported fields.
func exported(cs []Condition) []Condition {
	var out []Condition
	for _, c := range cs {
		out = append(out, Condition{Operator: c.Operator, Key: c.Key, Values: c.Values})
	}
	return out
}

// checkDecision checks that a decision agrees with its own matches.
func checkDecision(t *testing.T, d Decision) {
	t.Helper()
	if d.Reason == "" {
		t.Fatalf("Decision %+v: got an empty Reason; want an explanation", d)
	}
	if d.Allowed != (d.Effect == EffectAllow) {
		t.Fatalf("Decision %+v: Allowed and Effect disagree", d)
	}
	deny := false
	for _, m := range d.Matches {
		deny = deny || m.Effect == "Deny"
		if m.Index < 1 {
			t.Fatalf("Decision %+v: match index %d; want 1 or more", d, m.Index)
		}
	}
	if deny != (d.Effect == EffectExplicitDeny) {
		t.Fatalf("Decision %+v: a Deny matched %v but Effect is %s", d, deny, d.Effect)
	}
	if d.Allowed && len(d.Matches) == 0 {
		t.Fatalf("Decision %+v: allowed without a matching statement", d)
	}
}

// globRegexp translates policy glob text into an anchored regular
// expression: '*' any run, '?' one character, everything else literal.
func globRegexp(pattern string, fold bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^(?s)")
	if fold {
		b.WriteString("(?i)")
	}
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FuzzGlobMatch compares the glob matcher with regular expressions.
func FuzzGlobMatch(f *testing.F) {
	for _, s := range [][2]string{{"kafka-cluster:Describe*", "kafka-cluster:DescribeTopic"}, {"a*b?c", "axxbyc"}, {"*", ""},
		{"a\\*", "a\\b"}, {"caf?", "café"}, {"**a*?", "bbbab"}, {"?", ""}, {"*x*y*z*", "xxyyzzxyz"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		if got, want := globMatch(globText(pattern), s, false), globRegexp(pattern, false).MatchString(s); got != want {
			t.Fatalf("globMatch(%q, %q): got %v; want %v", pattern, s, got, want)
		}
		if isASCII(pattern) && isASCII(s) {
			if got, want := globMatch(globText(pattern), s, true), globRegexp(pattern, true).MatchString(s); got != want {
				t.Fatalf("globMatch(%q, %q, fold): got %v; want %v", pattern, s, got, want)
			}
		}
		// Escaped text matches itself only.
		if got := globMatch(globEscape(nil, pattern), pattern, false); !got {
			t.Fatalf("escaped %q does not match itself", pattern)
		}
	})
}

// normalized renders every field of a request that a cache key covers.
func normalized(r *Request) string {
	keys := make([]string, 0, len(r.Context))
	for k := range r.Context {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%#v|%q|%q|%q|", r.Principal, r.Action, r.Resource, r.ResourceAccount)
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q;", k, r.Context[k])
	}
	return b.String()
}

// FuzzRequestKey checks that two requests share a cache key only when
// they are the same request.
func FuzzRequestKey(f *testing.F) {
	f.Add("kafka-cluster:Connect", cluster, "aws:SourceIp", "10.0.0.1", uint8(0), "KAFKA-CLUSTER:connect", cluster, "AWS:SOURCEIP", "10.0.0.1", uint8(0))
	f.Add("a:b", "x", "k", "v|w", uint8(1), "a:b", "xk", "", "v|w", uint8(1))
	f.Fuzz(func(t *testing.T, a1, r1, k1, v1 string, p1 uint8, a2, r2, k2, v2 string, p2 uint8) {
		mk := func(a, r, k, v string, p uint8) Request {
			req := Request{Principal: fuzzPrincipals[int(p)%len(fuzzPrincipals)], Action: a, Resource: r,
				Context: map[string][]string{"aws:SecureTransport": {"true"}}}
			if k != "" {
				req.Context[k] = strings.Split(v, "|")
			}
			return req
		}
		x, y := mk(a1, r1, k1, v1, p1), mk(a2, r2, k2, v2, p2)
		if RequestKey(&x) == RequestKey(&y) && normalized(&x) != normalized(&y) {
			t.Fatalf("requests share a key but differ:\n%s\n%s", normalized(&x), normalized(&y))
		}
	})
}
