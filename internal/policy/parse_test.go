package policy

import (
	"encoding/json"
	"errors"
	"testing"
)

// stmt wraps statement objects into a 2012-10-17 document.
func stmt(s ...string) string { return doc(s...) }

const (
	okAction = `"Action":"kafka-cluster:Connect"`
	okRes    = `"Resource":"*"`
)

// mustParse parses doc as kind and fails the test on error.
func mustParse(t *testing.T, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%s): got %v; want nil", doc, err)
	}
	return p
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		rule string
		kind Kind
		doc  string
		want string // AWS's message
	}{
		// Syntax: the document is not a policy document.
		{"bad JSON", Identity, `{"Version":"2012-10-17",`, msgSyntax},
		{"empty document", Identity, ``, msgSyntax},
		{"data after the document", Identity, stmt(`{"Effect":"Allow",`+okAction+`,`+okRes+`}`) + `}`, msgSyntax},
		{"two documents", Identity, `{} {}`, msgSyntax},
		{"top level is a list", Identity, `[]`, msgSyntax},
		{"top level is a string", Identity, `"policy"`, msgSyntax},
		{"unknown top-level element", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` + okAction + `,` + okRes + `},"Comment":"x"}`, msgSyntax},
		{"top-level element names are case-sensitive", Identity, `{"version":"2012-10-17","Statement":{"Effect":"Allow",` + okAction + `,` + okRes + `}}`, msgSyntax},
		{"Version is not a string", Identity, `{"Version":20121017,"Statement":{"Effect":"Allow",` + okAction + `,` + okRes + `}}`, msgSyntax},
		{"Version is not a known version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow",` + okAction + `,` + okRes + `}}`, msgSyntax},
		{"Version is empty", Identity, `{"Version":"","Statement":{"Effect":"Allow",` + okAction + `,` + okRes + `}}`, msgSyntax},
		{"Id is not a string", Identity, `{"Version":"2012-10-17","Id":1,"Statement":{"Effect":"Allow",` + okAction + `,` + okRes + `}}`, msgSyntax},
		{"Statement is missing", Identity, `{"Version":"2012-10-17"}`, msgSyntax},
		{"Statement is a string", Identity, `{"Version":"2012-10-17","Statement":"Allow"}`, msgSyntax},
		{"Statement is an empty list", Identity, `{"Version":"2012-10-17","Statement":[]}`, msgSyntax},
		{"Statement entry is not an object", Identity, `{"Version":"2012-10-17","Statement":[1]}`, msgSyntax},
		{"unknown statement element", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Comment":"x"}`), msgSyntax},
		{"statement element names are case-sensitive", Identity, stmt(`{"effect":"Allow",` + okAction + `,` + okRes + `}`), msgSyntax},
		{"Effect is missing", Identity, stmt(`{` + okAction + `,` + okRes + `}`), msgSyntax},
		{"Effect is not a string", Identity, stmt(`{"Effect":true,` + okAction + `,` + okRes + `}`), msgSyntax},
		{"Effect is neither Allow nor Deny", Identity, stmt(`{"Effect":"Permit",` + okAction + `,` + okRes + `}`), msgSyntax},
		{"Action and NotAction together", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"NotAction":"iam:*",` + okRes + `}`), msgSyntax},
		{"Resource and NotResource together", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"NotResource":"*"}`), msgSyntax},
		{"Principal and NotPrincipal together", Resource, stmt(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*",` + okAction + `}`), msgSyntax},
		{"Action is a number", Identity, stmt(`{"Effect":"Allow","Action":1,` + okRes + `}`), msgSyntax},
		{"Action list holds a non-string", Identity, stmt(`{"Effect":"Allow","Action":["kafka:Get",1],` + okRes + `}`), msgSyntax},
		{"Resource is an object", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":{"Ref":"Cluster"}}`), msgSyntax},
		{"Sid is not a string", Identity, stmt(`{"Sid":1,"Effect":"Allow",` + okAction + `,` + okRes + `}`), msgSyntax},
		{"Condition is not an object", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":[]}`), msgSyntax},
		{"Condition operator body is not an object", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"StringEquals":"x"}}`), msgSyntax},
		{"Condition value is an object", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"StringEquals":{"k:v":{"a":1}}}}`), msgSyntax},
		{"Condition value is null", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"StringEquals":{"k:v":null}}}`), msgSyntax},
		{"Condition value list holds an object", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"StringEquals":{"k:v":["a",{}]}}}`), msgSyntax},
		{"Condition key is empty", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"StringEquals":{"":"a"}}}`), msgSyntax},
		{"unknown condition operator", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"StringEqualz":{"k:v":"a"}}}`), msgSyntax},
		{"condition operator names are case-sensitive", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"stringequals":{"k:v":"a"}}}`), msgSyntax},
		{"Null cannot take IfExists", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"NullIfExists":{"k:v":"true"}}}`), msgSyntax},
		{"Null cannot take a set qualifier", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"ForAnyValue:Null":{"k:v":"true"}}}`), msgSyntax},
		{"unknown set qualifier", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"ForSomeValues:StringEquals":{"k:v":"a"}}}`), msgSyntax},
		{"Principal is a number", Resource, stmt(`{"Effect":"Allow","Principal":1,` + okAction + `}`), msgSyntax},
		{"Principal is an empty object", Resource, stmt(`{"Effect":"Allow","Principal":{},` + okAction + `}`), msgSyntax},
		{"Principal value is a number", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":111111111111},` + okAction + `}`), msgSyntax},
		{"Principal value is an empty list", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":[]},` + okAction + `}`), msgSyntax},

		// Legacy parsing.
		{"Effect is case-sensitive", Identity, stmt(`{"Effect":"allow",` + okAction + `,` + okRes + `}`), msgLegacy},
		{"Date condition value is not a date", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"DateLessThan":{"aws:CurrentTime":"yesterday"}}}`), msgLegacy},
		{"Date condition value has month 13", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"DateGreaterThanIfExists":{"aws:CurrentTime":"2026-13-01T00:00:00Z"}}}`), msgLegacy},
		{"Date condition value cannot be a policy variable", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"ForAnyValue:DateEquals":{"k:d":"${aws:CurrentTime}"}}}`), msgLegacy},
		{"Date epoch value is an integer", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"DateEquals":{"aws:EpochTime":"1.5"}}}`), msgLegacy},
		{"resource cut short after an empty component", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws:s3::bucket"}`), msgLegacy},
		{"resource without a service", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws::us-east-1:111111111111:x"}`), msgLegacy},

		// Principals.
		{"identity policy names a principal", Identity, stmt(`{"Effect":"Allow","Principal":"*",` + okAction + `,` + okRes + `}`), msgHasPrincipal},
		{"identity policy names a NotPrincipal", Identity, stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"111111111111"},` + okAction + `,` + okRes + `}`), msgHasPrincipal},
		{"resource policy statement without Principal", Resource, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `}`), msgNoPrincipal},
		{"trust policy statement without Principal", Trust, stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), msgNoPrincipal},
		{"AWS principal is not an account or ARN", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},` + okAction + `}`), `Invalid principal in policy: "AWS":"alice"`},
		{"AWS principal account id has 11 digits", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"11111111111"},` + okAction + `}`), `Invalid principal in policy: "AWS":"11111111111"`},
		{"AWS principal ARN cannot hold a wildcard", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},` + okAction + `}`),
			`Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:user/*"`},
		{"assumed-role principal must name a session", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/r"},` + okAction + `}`),
			`Invalid principal in policy: "AWS":"arn:aws:sts::111111111111:assumed-role/r"`},
		{"group ARN is not a principal", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:group/devs"},` + okAction + `}`),
			`Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:group/devs"`},
		{"unknown principal type", Resource, stmt(`{"Effect":"Allow","Principal":{"Group":"devs"},` + okAction + `}`), `Invalid principal in policy: "Group":"devs"`},
		{"string principal other than *", Resource, stmt(`{"Effect":"Allow","Principal":"arn:aws:iam::111111111111:root",` + okAction + `}`), `Invalid principal in policy: "arn:aws:iam::111111111111:root"`},
		{"Service principal with a wildcard", Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.*"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "Service":"ec2.*"`},

		// Statement ids.
		{"duplicate Sid", Identity, stmt(`{"Sid":"A","Effect":"Allow",`+okAction+`,`+okRes+`}`, `{"Sid":"A","Effect":"Deny",`+okAction+`,`+okRes+`}`), msgSidUnique},
		{"Sid with a hyphen in an identity policy", Identity, stmt(`{"Sid":"read-only","Effect":"Allow",` + okAction + `,` + okRes + `}`), msgSidAlnum},
		{"Sid with a space in a trust policy", Trust, stmt(`{"Sid":"Let EC2","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), msgSidAlnum},
		{"duplicate Sid is reported before a missing Action", Identity, stmt(`{"Sid":"A","Effect":"Allow",`+okRes+`}`, `{"Sid":"A","Effect":"Deny",`+okAction+`,`+okRes+`}`), msgSidUnique},

		// Actions.
		{"Action is missing", Identity, stmt(`{"Effect":"Allow",` + okRes + `}`), msgNoActions},
		{"Action is an empty list", Identity, stmt(`{"Effect":"Allow","Action":[],` + okRes + `}`), msgNoActions},
		{"NotAction is an empty list", Resource, stmt(`{"Effect":"Allow","Principal":"*","NotAction":[]}`), msgNoActions},
		{"action without a vendor", Identity, stmt(`{"Effect":"Allow","Action":"Connect",` + okRes + `}`), msgVendor},
		{"empty action", Identity, stmt(`{"Effect":"Allow","Action":"",` + okRes + `}`), msgVendor},
		{"action with an empty vendor", Identity, stmt(`{"Effect":"Allow","Action":":Connect",` + okRes + `}`), msgVendor},
		{"action with two colons", Identity, stmt(`{"Effect":"Allow","Action":"kafka-cluster:Connect:All",` + okRes + `}`), msgOneColon},
		{"action vendor with a wildcard", Identity, stmt(`{"Effect":"Allow","Action":"kafka*:Connect",` + okRes + `}`), "Vendor kafka* is not valid"},
		{"action vendor with a space", Identity, stmt(`{"Effect":"Allow","NotAction":["iam:*","kafka cluster:Connect"],` + okRes + `}`), "Vendor kafka cluster is not valid"},
		{"trust policy allows *", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"*"}`), msgAssumeRoleOnly},
		{"trust policy allows a non-STS action", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["sts:AssumeRole","kafka:DescribeCluster"]}`), msgAssumeRoleOnly},

		// Resources.
		{"Resource is missing in an identity policy", Identity, stmt(`{"Effect":"Allow",` + okAction + `}`), msgNoResources},
		{"Resource is an empty list", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":[]}`), msgNoResources},
		{"Resource is an empty list in a resource policy", Resource, stmt(`{"Effect":"Allow","Principal":"*",` + okAction + `,"Resource":[]}`), msgNoResources},
		{"missing Resource is reported before a malformed one", Identity, stmt(`{"Effect":"Allow",`+okAction+`,"Resource":"vpc-1"}`, `{"Effect":"Allow",`+okAction+`}`), msgNoResources},
		{"trust policy with Resource", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole",` + okRes + `}`), "Has prohibited field Resource"},
		{"trust policy with NotResource", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","NotResource":"*"}`), "Has prohibited field NotResource"},
		{"resource is not an ARN", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"vpc-123"}`), `Resource vpc-123 must be in ARN format or "*".`},
		{"resource does not start with arn", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"urn:aws:kafka:us-east-1:111111111111:cluster/c"}`),
			`Resource urn:aws:kafka:us-east-1:111111111111:cluster/c must be in ARN format or "*".`},
		{"resource partition is not valid", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws-x:kafka:us-east-1:111111111111:cluster/c"}`),
			`Partition "aws-x" is not valid for resource "arn:aws-x:kafka:us-east-1:111111111111:cluster/c".`},
		{"resource partition is not valid in a short ARN", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:x"}`),
			`Partition "x" is not valid for resource "arn:x:*:*:*:*".`},
		{"resource without a vendor", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws"}`), msgResourceVendor},
		{"IAM resource with a region", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws:iam:us-east-1:111111111111:user/alice"}`),
			"IAM resource arn:aws:iam:us-east-1:111111111111:user/alice cannot contain region information."},
		{"S3 resource with a region", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws:s3:us-east-1::bucket"}`),
			"Resource arn:aws:s3:us-east-1::bucket can not contain region information."},
		{"IAM resource path of an unknown type", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws:iam::111111111111:bogus/x"}`),
			`IAM resource path must either be "*" or start with ` + iamResourcePrefixes + "."},
		{"resource with fewer than six components", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:aws:kafka:us-east-1:cluster"}`),
			`Resource arn:aws:kafka:us-east-1:cluster must be in ARN format or "*".`},
		{"malformed NotResource", Identity, stmt(`{"Effect":"Deny",` + okAction + `,"NotResource":["*","cluster"]}`), `Resource cluster must be in ARN format or "*".`},
		{"first malformed resource in reverse order", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":["apple","zebra"]}`), `Resource zebra must be in ARN format or "*".`},
		{"resource errors come before action errors", Identity, stmt(`{"Effect":"Allow","Action":"Connect","Resource":"vpc-1"}`), `Resource vpc-1 must be in ARN format or "*".`},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.rule] {
			t.Errorf("duplicate rule name %q", tc.rule)
		}
		seen[tc.rule] = true
		t.Run(tc.rule, func(t *testing.T) {
			p, err := Parse(tc.doc, tc.kind)
			if err == nil {
				t.Fatalf("Parse: got policy %s; want error %q", p, tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse: got error %T %v; want *Error", err, err)
			}
			if pe.Code != ErrCodeMalformed {
				t.Errorf("Code: got %q; want %q", pe.Code, ErrCodeMalformed)
			}
			if pe.Message != tc.want {
				t.Errorf("Message: got %q; want %q", pe.Message, tc.want)
			}
			if got, want := err.Error(), ErrCodeMalformed+": "+tc.want; got != want {
				t.Errorf("Error(): got %q; want %q", got, want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		rule string
		kind Kind
		doc  string
	}{
		{"minimal identity policy", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `}`)},
		{"Version 2008-10-17", Identity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow",` + okAction + `,` + okRes + `}}`},
		{"Version absent", Identity, `{"Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"*"}]}`},
		{"Statement as a single object with Id", Identity, `{"Version":"2012-10-17","Id":"p-1","Statement":{"Sid":"S1","Effect":"Allow",` + okAction + `,` + okRes + `}}`},
		{"empty Sids are not duplicates", Identity, stmt(`{"Sid":"","Effect":"Allow",`+okAction+`,`+okRes+`}`, `{"Sid":"","Effect":"Deny",`+okAction+`,`+okRes+`}`)},
		{"resource policy Sid may hold any character", Resource, stmt(`{"Sid":"Allow account B - read","Effect":"Allow","Principal":{"AWS":"222222222222"},` + okAction + `}`)},
		{"unknown condition operator with an empty body", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"Whatever":{}}}`)},
		{"trust policy with Service, Federated and AWS principals", Trust, stmt(`{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"],` +
			`"Federated":"arn:aws:iam::111111111111:saml-provider/corp","AWS":["111111111111","arn:aws:iam::111111111111:role/r","arn:aws:sts::111111111111:assumed-role/r/s"]},` +
			`"Action":["sts:AssumeRole","sts:AssumeRoleWithSAML","sts:TagSession"]}`)},
		{"NotPrincipal in a resource policy", Resource, stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:user/alice","111111111111"]},"Action":"*","Resource":"*"}`)},
		{"IAM resource with a wildcard path", Identity, stmt(`{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111111111111:*"}`)},
		{"resource with a wildcard partition", Identity, stmt(`{"Effect":"Allow",` + okAction + `,"Resource":"arn:*:kafka:*:*:*"}`)},
		{"condition values as numbers and booleans", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":[true]}}}`)},
		{"Date values in every accepted format", Identity, stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":` +
			`["2026","2026-05","2026-05-01","2026-05-01T12:00Z","2026-05-01T12:00:00+02:00","2026-05-01T12:00:00.123Z","2026-05-01t12:00:00z","1777636800"]}}}`)},
		{"action with a dot and a hyphen in the vendor", Identity, stmt(`{"Effect":"Allow","Action":["kafka-cluster:*","execute-api:Invoke","a.b:C"],` + okRes + `}`)},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			mustParse(t, tc.doc, tc.kind)
		})
	}
}

// Every documented condition operator is accepted with IfExists and with
// both set qualifiers (Null alone takes neither).
func TestParseConditionOperators(t *testing.T) {
	value := map[opKind]string{opNumeric: "1", opDate: "2026-01-01T00:00:00Z", opBool: "true", opBinary: "QQ==", opIP: "10.0.0.0/8",
		opArn: "arn:aws:sns:*:*:*", opNull: "true"}
	for base, info := range baseOperators {
		v, ok := value[info.kind]
		if !ok {
			v = "x"
		}
		ops := []string{base}
		if info.kind != opNull {
			ops = append(ops, base+"IfExists", "ForAnyValue:"+base, "ForAllValues:"+base+"IfExists")
		}
		for _, op := range ops {
			d := stmt(`{"Effect":"Allow",` + okAction + `,` + okRes + `,"Condition":{"` + op + `":{"k:v":"` + v + `"}}}`)
			p := mustParse(t, d, Identity)
			if got := p.Statements[0].Conditions[0].Operator; got != op {
				t.Errorf("%s: Operator: got %q; want %q", op, got, op)
			}
		}
	}
}

func TestParseErrorWrapsJSONError(t *testing.T) {
	_, err := Parse(`{"Version":,}`, Identity)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("Parse: got %v; want it to wrap a *json.SyntaxError", err)
	}
}

func TestParseUnknownKind(t *testing.T) {
	_, err := Parse(stmt(`{"Effect":"Allow",`+okAction+`,`+okRes+`}`), Kind(9))
	var pe *Error
	if err == nil || errors.As(err, &pe) {
		t.Errorf("Parse(Kind(9)): got %v; want a non-policy error", err)
	}
}

// The canonical form is a fixed point: it parses to a policy with the same
// canonical form.
func TestMarshalRoundTrip(t *testing.T) {
	docs := []struct {
		kind Kind
		doc  string
	}{
		{Identity, allowAll},
		{Identity, `{"Statement":{"Sid":"A","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/${aws:username}",` +
			`"Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","b"]},"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":false}}}}`},
		{Resource, `{"Version":"2012-10-17","Id":"cluster","Statement":[{"Effect":"Allow","Principal":{"AWS":["111111111111"],"Service":"ec2.amazonaws.com"},"Action":"kafka:*"},` +
			`{"Effect":"Deny","NotPrincipal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"k:v":[]}}}]}`},
		{Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`},
	}
	for _, d := range docs {
		p := mustParse(t, d.doc, d.kind)
		first := p.String()
		q := mustParse(t, first, d.kind)
		if second := q.String(); second != first {
			t.Errorf("round trip of %s: got %s; want %s", d.doc, second, first)
		}
	}
}

// A policy assembled by hand (not by Parse) is compiled on the fly.
func TestEvaluateHandBuiltPolicy(t *testing.T) {
	p := &Policy{Kind: Identity, Version: Version2012, Statements: []Statement{{
		Effect: "Allow", Actions: []string{"kafka-cluster:*"}, Resources: []string{"arn:aws:kafka:*:111111111111:cluster/${aws:username}/*"}, HasResource: true,
		Conditions: []Condition{{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}}},
	}}}
	req := rq(alice, "kafka-cluster:Connect", "arn:aws:kafka:us-east-1:111111111111:cluster/alice/x", "aws:SecureTransport", "true")
	if d := Evaluate(req, []Named{{Name: "hand", Policy: p}}, nil); !d.Allowed {
		t.Errorf("Evaluate: got %s (%s); want Allow", d.Effect, d.Reason)
	}
	if p.compiled || p.Statements[0].actions != nil {
		t.Errorf("Evaluate changed a hand-built policy; want it left untouched")
	}
}
