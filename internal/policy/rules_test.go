package policy

import "time"

// Evaluation cases beyond the core table of evaluate_test.go; each is named
// after the documented rule it checks.

var (
	clock      = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	connectAll = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kafka-cluster:Connect","Resource":"*"}}`
	assumeAll  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`
	targetRole = "arn:aws:iam::111111111111:role/target"
)

// doc builds a 2012-10-17 policy from statement objects.
func doc(stmts ...string) string {
	out := `{"Version":"2012-10-17","Statement":[`
	for i, s := range stmts {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out + `]}`
}

// grantTo is a resource policy that allows kafka-cluster:* to the AWS
// principal(s) given as JSON.
func grantTo(aws string) string {
	return doc(`{"Sid":"Grant","Effect":"Allow","Principal":{"AWS":` + aws + `},"Action":"kafka-cluster:*","Resource":"*"}`)
}

// trustTo is a trust policy that lets the Principal element value assume
// the role.
func trustTo(principal string) string {
	return doc(`{"Sid":"Trust","Effect":"Allow","Principal":` + principal + `,"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity","sts:AssumeRoleWithSAML"]}`)
}

// denyWhen is an identity policy denying everything under a Condition.
func denyWhen(cond string) string {
	return doc(`{"Sid":"Guard","Effect":"Deny","Action":"*","Resource":"*","Condition":` + cond + `}`)
}

// allowWhen is an identity policy allowing everything under a Condition.
func allowWhen(cond string) string {
	return doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + cond + `}`)
}

func assume(p Principal, action string) Request { return rq(p, action, targetRole) }

func logicCases() []evalCase {
	xreq := func(p Principal) Request { return rq(p, "kafka-cluster:Connect", cluster) }
	return []evalCase{
		{rule: "same-account resource policy naming the account delegates to identity policies", resource: grantTo(`"111111111111"`),
			req: ctxReq(), want: EffectImplicitDeny, reason: "which delegates to its identity policies, and no identity policy allows"},
		{rule: "same-account resource policy naming the root ARN delegates to identity policies", resource: grantTo(`"arn:aws:iam::111111111111:root"`),
			req: ctxReq(), want: EffectImplicitDeny, reason: `statement "Grant" (#1) of cluster policy allows account 111111111111`},
		{rule: "same-account account principal with identity allow is allowed", identity: []string{connectAll}, resource: grantTo(`"111111111111"`),
			req: ctxReq(), want: EffectAllow, reason: "allowed by statement #1 of user/alice inline policy p1"},
		{rule: "same-account resource policy naming the user ARN allows by itself", resource: grantTo(`"arn:aws:iam::111111111111:user/alice"`),
			req: ctxReq(), want: EffectAllow, reason: `allowed by statement "Grant" (#1) of cluster policy`},
		{rule: "same-account resource policy naming a role ARN allows its sessions by itself", resource: grantTo(`"arn:aws:iam::111111111111:role/r"`),
			req: xreq(sessA), want: EffectAllow, reason: "cluster policy"},
		{rule: "same-account resource policy naming the session ARN allows by itself", resource: grantTo(`"arn:aws:sts::111111111111:assumed-role/r/sess"`),
			req: xreq(sessA), want: EffectAllow},
		{rule: "same-account resource policy naming * allows IAM users by itself",
			resource: doc(`{"Effect":"Allow","Principal":"*","Action":"kafka-cluster:Connect","Resource":"*"}`), req: ctxReq(), want: EffectAllow},
		{rule: "same-account resource policy naming the account allows its root user by itself", resource: grantTo(`"111111111111"`),
			req: xreq(rootA), want: EffectAllow},
		{rule: "same-account resource policy naming a federated-user ARN allows it by itself", resource: grantTo(`"arn:aws:sts::111111111111:federated-user/fred"`),
			req: xreq(fedUser), want: EffectAllow},
		{rule: "same-account resource policy naming a role ARN allows the role itself", resource: grantTo(`"arn:aws:iam::111111111111:role/r"`),
			req: xreq(roleA), want: EffectAllow},
		{rule: "same-account delegated grant does not hide a direct grant", resource: doc(
			`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"kafka-cluster:*","Resource":"*"}`,
			`{"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"kafka-cluster:*","Resource":"*"}`),
			req: ctxReq(), want: EffectAllow, reason: `"Alice" (#2) of cluster policy`},
		{rule: "cross-account resource policy naming the user ARN still needs an identity allow", resource: grantTo(`"arn:aws:iam::222222222222:user/bob"`),
			req: xreq(bob), want: EffectImplicitDeny, reason: "cross-account: allowed by the resource policy but no identity policy of account 222222222222 allows it"},
		{rule: "cross-account identity allow and account grant together allow", identity: []string{connectAll}, resource: grantTo(`"arn:aws:iam::222222222222:root"`),
			req: xreq(bob), want: EffectAllow, reason: `cross-account: allowed by statement #1 of user/alice inline policy p1 and by statement "Grant" (#1) of cluster policy`},

		{rule: "trust policy must allow the caller even within the account", kind: Trust, identity: []string{allowAll},
			resource: trustTo(`{"AWS":"arn:aws:iam::111111111111:user/carol"}`), req: assume(alice, "sts:AssumeRole"), want: EffectImplicitDeny,
			reason: "a role trust policy must itself allow the principal and no statement of cluster policy does"},
		{rule: "trust policy naming the user allows without an identity policy", kind: Trust,
			resource: trustTo(`{"AWS":"arn:aws:iam::111111111111:user/alice"}`), req: assume(alice, "sts:AssumeRole"), want: EffectAllow,
			reason: `allowed by statement "Trust" (#1) of cluster policy`},
		{rule: "trust policy naming the account needs an identity allow", kind: Trust,
			resource: trustTo(`{"AWS":"111111111111"}`), req: assume(alice, "sts:AssumeRole"), want: EffectImplicitDeny, reason: "delegates to its identity policies"},
		{rule: "trust policy naming the account with an identity allow", kind: Trust, identity: []string{assumeAll},
			resource: trustTo(`{"AWS":"111111111111"}`), req: assume(alice, "sts:AssumeRole"), want: EffectAllow, reason: "which trusts account 111111111111"},
		{rule: "trust policy without any allow", kind: Trust, resource: trustTo(`{"AWS":"arn:aws:iam::111111111111:user/carol"}`),
			req: assume(alice, "sts:AssumeRole"), want: EffectImplicitDeny, reason: "no statement in the identity policies or the trust policy allows"},
		{rule: "trust policy naming a role allows the role's sessions", kind: Trust,
			resource: trustTo(`{"AWS":"arn:aws:iam::111111111111:role/r"}`), req: assume(sessA, "sts:AssumeRole"), want: EffectAllow},
		{rule: "trust policy naming a service allows the service", kind: Trust,
			resource: trustTo(`{"Service":"ec2.amazonaws.com"}`), req: assume(ec2Svc, "sts:AssumeRole"), want: EffectAllow, reason: "(service principal ec2.amazonaws.com)"},
		{rule: "trust policy naming a web identity provider allows it", kind: Trust,
			resource: trustTo(`{"Federated":"cognito-identity.amazonaws.com"}`), req: assume(cognito, "sts:AssumeRoleWithWebIdentity"), want: EffectAllow,
			reason: "(federated principal cognito-identity.amazonaws.com)"},
		{rule: "trust policy naming a SAML provider does not allow another provider", kind: Trust,
			resource: trustTo(`{"Federated":"arn:aws:iam::111111111111:saml-provider/other"}`), req: assume(samlIdP, "sts:AssumeRoleWithSAML"),
			want: EffectImplicitDeny, reason: "no statement in the resource policy allows federated principal"},
		{rule: "trust policy explicit deny wins over a direct allow", kind: Trust, identity: []string{assumeAll},
			resource: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}`,
				`{"Sid":"NoAlice","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:*"}`),
			req: assume(alice, "sts:AssumeRole"), want: EffectExplicitDeny, reason: `"NoAlice" (#2) of cluster policy`},
		{rule: "cross-account trust policy needs the caller's identity allow", kind: Trust,
			resource: trustTo(`{"AWS":"222222222222"}`), req: assume(bob, "sts:AssumeRole"), want: EffectImplicitDeny, reason: "cross-account"},
		{rule: "cross-account trust policy with the caller's identity allow", kind: Trust, identity: []string{assumeAll},
			resource: trustTo(`{"AWS":"222222222222"}`), req: assume(bob, "sts:AssumeRole"), want: EffectAllow},

		{rule: "service principal is not allowed by identity policies", identity: []string{allowAll}, req: xreq(ec2Svc),
			want: EffectImplicitDeny, reason: "no statement in the resource policy allows service principal ec2.amazonaws.com"},
		{rule: "service principal allowed by a Service principal in the resource policy",
			resource: doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"kafka-cluster:Connect","Resource":"*"}`),
			req:      xreq(ec2Svc), want: EffectAllow},
		{rule: "anonymous caller denied without a resource policy", req: xreq(anon), want: EffectImplicitDeny,
			reason: "no statement in the resource policy allows anonymous access to kafka-cluster:Connect on " + cluster},
		{rule: "anonymous caller is not named by an account principal", resource: grantTo(`"111111111111"`), req: xreq(anon), want: EffectImplicitDeny},

		{rule: "explicit deny reports the first matching deny", identity: []string{allowAll,
			doc(`{"Sid":"First","Effect":"Deny","Action":"kafka-cluster:*","Resource":"*"}`, `{"Sid":"Second","Effect":"Deny","Action":"*","Resource":"*"}`)},
			req: ctxReq(), want: EffectExplicitDeny, reason: `explicitly denied by statement "First" (#1) of user/alice inline policy p2`},
		{rule: "explicit deny in the resource policy applies cross-account", identity: []string{allowAll},
			resource: doc(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"*","Resource":"*"}`, `{"Effect":"Deny","Principal":"*","Action":"kafka-cluster:Connect","Resource":"*"}`),
			req:      xreq(bob), want: EffectExplicitDeny, reason: "statement #2 of cluster policy"},
		{rule: "explicit deny overrides a direct resource policy grant", identity: []string{denyAll}, resource: grantTo(`"arn:aws:iam::111111111111:user/alice"`),
			req: ctxReq(), want: EffectExplicitDeny},
		{rule: "deny statements alone leave an implicit deny", identity: []string{doc(`{"Effect":"Deny","Action":"kafka-cluster:DeleteTopic","Resource":"*"}`)},
			req: ctxReq(), want: EffectImplicitDeny},
	}
}

func actionResourceCases() []evalCase {
	notActionDeny := doc(`{"Effect":"Deny","NotAction":"KAFKA-CLUSTER:*data","Resource":"*"}`)
	return []evalCase{
		actCase("action * glob matches an empty remainder", "kafka-cluster:Connect*", "kafka-cluster:Connect", true),
		actCase("action glob is case-insensitive", "KAFKA-CLUSTER:describe*", "kafka-cluster:DescribeTopic", true),
		actCase("action * vendor matches any service", "*:Connect", "kafka-cluster:Connect", true),
		actCase("action without glob is not a prefix match", "kafka-cluster:Describe", "kafka-cluster:DescribeCluster", false),
		actCase("action ? and * together", "kafka-cluster:Describe?luster*", "kafka-cluster:DescribeClusterDynamicConfiguration", true),
		actCase("action of another service with the same name", "kafka:Connect", "kafka-cluster:Connect", false),
		actCase("action with several * globs", "kafka-cluster:*Topic*", "kafka-cluster:DescribeTopicDynamicConfiguration", true),
		actCase("action glob case-insensitive in the middle", "kafka-cluster:*TOPIC", "kafka-cluster:AlterTopic", true),
		actCase("action ? does not match an empty string", "kafka-cluster:Connect?", "kafka-cluster:Connect", false),
		{rule: "NotAction list excludes each listed action",
			identity: []string{doc(`{"Effect":"Allow","NotAction":["kafka-cluster:ReadData","kafka-cluster:WriteData"],"Resource":"*"}`)},
			req:      rq(alice, "kafka-cluster:WriteData", topicT), want: EffectImplicitDeny},
		{rule: "NotAction patterns are case-insensitive globs", identity: []string{allowAll, notActionDeny},
			req: rq(alice, "kafka-cluster:WriteData", topicT), want: EffectAllow},
		{rule: "NotAction Deny applies to unlisted actions", identity: []string{allowAll, notActionDeny},
			req: rq(alice, "kafka-cluster:DescribeTopic", topicT), want: EffectExplicitDeny},

		resCase("resource * in the account component", "2012-10-17", "arn:aws:kafka:us-east-1:*:cluster/c1/*", alice, cluster, true),
		resCase("resource ? in the resource component", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:topic/c1/abcd-1234/order?", alice, topicT, true),
		resCase("resource * at the end matches empty", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:topic/c1/abcd-1234/orders*", alice, topicT, true),
		resCase("resource id is case-sensitive", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:topic/c1/abcd-1234/ORDERS", alice, topicT, false),
		resCase("resource region is case-sensitive", "2012-10-17", "arn:aws:kafka:US-EAST-1:111111111111:cluster/c1/abcd-1234", alice, cluster, false),
		resCase("resource all-wildcard components", "2012-10-17", "arn:aws:kafka:*:*:*", alice, cluster, true),
		resCase("resource wildcard partition", "2012-10-17", "arn:*:kafka:us-east-1:111111111111:cluster/*", alice, cluster, true),
		resCase("resource pattern does not match an ARN with fewer components", "2012-10-17", "arn:aws:kafka:*:*:*", alice, "arn:aws:kafka:us-east-1:cluster", false),
		resCase("resource literal pattern needs a full match", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:cluster/c1", alice, cluster, false),
		resCase("resource * in the middle of the resource component", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:topic/*/orders", alice, topicT, true),
		resCase("resource backslash is literal", "2012-10-17", `arn:aws:s3:::b/a\*`, alice, `arn:aws:s3:::b/a\x`, true),
		resCase("resource backslash does not escape a wildcard", "2012-10-17", `arn:aws:s3:::b/a\*`, alice, "arn:aws:s3:::b/ax", false),
		{rule: "NotResource list excludes each listed resource",
			identity: []string{doc(`{"Effect":"Allow","Action":"*","NotResource":["` + cluster + `","` + topicT + `"]}`)},
			req:      rq(alice, "kafka-cluster:ReadData", topicT), want: EffectImplicitDeny},
		{rule: "NotResource applies to a request for *",
			identity: []string{doc(`{"Effect":"Allow","Action":"*","NotResource":"arn:aws:kafka:*:*:topic/*"}`)},
			req:      rq(alice, "kafka:ListClustersV2", "*"), want: EffectAllow},
	}
}

func variableCases() []evalCase {
	clockReq := func(kv ...string) evalCase {
		return evalCase{req: ctxReq(kv...), now: clock}
	}
	withRule := func(c evalCase, rule, policy, want string) evalCase {
		c.rule, c.identity, c.want = rule, []string{policy}, want
		return c
	}
	return []evalCase{
		resCase("policy variable aws:userid of a role session", "2012-10-17", "arn:aws:s3:::home/${aws:userid}/*", sessA, "arn:aws:s3:::home/AROAR:sess/x", true),
		resCase("policy variable aws:PrincipalType", "2012-10-17", "arn:aws:s3:::t/${aws:PrincipalType}/*", sessA, "arn:aws:s3:::t/AssumedRole/x", true),
		resCase("policy variable aws:username is absent for the root user", "2012-10-17", "arn:aws:s3:::home/${aws:username}", rootA, "arn:aws:s3:::home/", false),
		resCase("policy variable aws:userid of the root user is the account", "2012-10-17", "arn:aws:s3:::home/${aws:userid}", rootA, "arn:aws:s3:::home/111111111111", true),
		resCase("policy variable key with spaces", "2012-10-17", "arn:aws:s3:::b/${ aws:username }", alice, "arn:aws:s3:::b/alice", true),
		resCase("policy variable default may be empty", "2012-10-17", "arn:aws:s3:::b/x${aws:SourceVpc, ''}", alice, "arn:aws:s3:::b/x", true),
		resCase("policy variable default is literal not glob", "2012-10-17", "arn:aws:s3:::b/${aws:SourceVpc, '*'}", alice, "arn:aws:s3:::b/abc", false),
		resCase("two policy variables in one resource", "2012-10-17", "arn:aws:s3:::b/${aws:PrincipalAccount}/${aws:username}", alice, "arn:aws:s3:::b/111111111111/alice", true),
		resCase("policy variable names are case-insensitive against the request context", "2012-10-17", "arn:aws:s3:::b/${aws:SOURCEVPC}", alice, "arn:aws:s3:::b/vpc-1", true, "aws:SourceVpc", "vpc-1"),
		resCase("policy variable value with a colon stays in the resource component", "2012-10-17", "arn:aws:s3:::b/${aws:userid}", sessA, "arn:aws:s3:::b/AROAR:sess", true),
		{rule: "unresolvable variable in NotResource makes the statement not match",
			identity: []string{allowAll, doc(`{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::b/${aws:SourceVpc}"}`)},
			req:      ctxReq(), want: EffectAllow},
		{rule: "unresolvable variable in one Resource entry invalidates the statement",
			identity: []string{doc(`{"Effect":"Allow","Action":"*","Resource":["` + cluster + `","arn:aws:s3:::b/${aws:SourceVpc}"]}`)},
			req:      ctxReq(), want: EffectImplicitDeny},
		condCase("policy variable default in a condition value", `{"StringEquals":{"aws:ResourceTag/owner":"${aws:SourceVpc, 'none'}"}}`, true, "aws:ResourceTag/owner", "none"),
		condCase("policy variable is not expanded in Numeric operators", `{"NumericEquals":{"s3:max-keys":"${aws:SourceVpc}"}}`, false, "s3:max-keys", "10", "aws:SourceVpc", "10"),
		condCase("policy variable is not expanded in IpAddress", `{"IpAddress":{"aws:SourceIp":"${aws:SourceVpc}"}}`, false, "aws:SourceIp", "10.0.0.1", "aws:SourceVpc", "10.0.0.1"),
		condCase("policy variable in ArnEquals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::111111111111:user/${aws:username}"}}`, true, "aws:SourceArn", "arn:aws:iam::111111111111:user/alice"),
		condCase("policy variable in Bool", `{"Bool":{"aws:SecureTransport":"${k:flag}"}}`, true, "aws:SecureTransport", "true", "k:flag", "true"),
		condCase("policy variable in StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/owner":"${aws:username}"}}`, true, "aws:ResourceTag/owner", "ALICE"),
		condCase("${*} in StringLike is a literal asterisk", `{"StringLike":{"k:v":"a${*}"}}`, false, "k:v", "abc"),
		condCase("${*} in StringLike matches an asterisk", `{"StringLike":{"k:v":"a${*}"}}`, true, "k:v", "a*"),
		condCase("${?} in StringEquals", `{"StringEquals":{"k:v":"a${?}"}}`, true, "k:v", "a?"),
		condCase("${$} in StringEquals", `{"StringEquals":{"k:v":"${$}{x}"}}`, true, "k:v", "${x}"),
		condCase("IfExists with a missing key ignores an unresolvable variable", `{"StringEqualsIfExists":{"k:v":"${aws:SourceVpc}"}}`, true),
		condCase("unresolvable variable with a present key makes IfExists false", `{"StringEqualsIfExists":{"k:v":"${aws:SourceVpc}"}}`, false, "k:v", "x"),
		condCase("unresolvable variable makes a negated operator false", `{"StringNotEquals":{"k:v":"${aws:SourceVpc}"}}`, false),
		condCase("multivalued key cannot be a variable in a condition", `{"StringEquals":{"k:v":"${aws:TagKeys}"}}`, false, "k:v", "a", "aws:TagKeys", "a|b"),
		{rule: "2008-10-17 does not expand variables in conditions",
			identity: []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}}}`},
			req:      ctxReq("aws:ResourceTag/owner", "${aws:username}"), want: EffectAllow},
		withRule(clockReq(), "aws:CurrentTime comes from the clock", allowWhen(`{"DateLessThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"}}`), EffectAllow),
		withRule(clockReq(), "aws:CurrentTime from the clock fails a later bound", allowWhen(`{"DateGreaterThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"}}`), EffectImplicitDeny),
		withRule(clockReq(), "aws:EpochTime comes from the clock", allowWhen(`{"DateEquals":{"aws:EpochTime":"2026-05-01T12:00:00Z"}}`), EffectAllow),
		withRule(clockReq(), "aws:EpochTime from the clock compares as a number", allowWhen(`{"NumericLessThan":{"aws:EpochTime":"1777636801"}}`), EffectAllow),
		withRule(clockReq("aws:CurrentTime", "2031-01-01T00:00:00Z"), "aws:CurrentTime in the request context overrides the clock",
			allowWhen(`{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`), EffectAllow),
		withRule(evalCase{req: rq(alice, "s3:GetObject", "arn:aws:s3:::b/2026-05-01T12:00:00Z"), now: clock}, "policy variable aws:CurrentTime",
			doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:CurrentTime}"}`), EffectAllow),
	}
}

func principalCases() []evalCase {
	deny := func(notPrincipal string) string {
		return doc(`{"Effect":"Deny","NotPrincipal":` + notPrincipal + `,"Action":"kafka-cluster:*","Resource":"*"}`)
	}
	allowExcept := func(notPrincipal string) string {
		return doc(`{"Effect":"Allow","NotPrincipal":` + notPrincipal + `,"Action":"kafka-cluster:*","Resource":"*"}`)
	}
	const sessionChain = `{"AWS":["arn:aws:sts::111111111111:assumed-role/r/sess","arn:aws:iam::111111111111:role/r","arn:aws:iam::111111111111:root"]}`
	req := func(p Principal) Request { return rq(p, "kafka-cluster:Connect", cluster) }
	return []evalCase{
		prinCase("Principal Federated names its provider", `{"Federated":"cognito-identity.amazonaws.com"}`, cognito, true),
		prinCase("Principal Federated does not name another provider", `{"Federated":"accounts.google.com"}`, cognito, false),
		prinCase("Principal Federated SAML provider ARN", `{"Federated":"arn:aws:iam::111111111111:saml-provider/corp"}`, samlIdP, true),
		prinCase("Principal Federated * does not name IAM users", `{"Federated":"*"}`, alice, false),
		prinCase("Principal Federated * names federated callers", `{"Federated":"*"}`, samlIdP, true),
		prinCase("Principal Service * does not name IAM users", `{"Service":"*"}`, alice, false),
		prinCase("Principal Service * names a service", `{"Service":"*"}`, ec2Svc, true),
		prinCase("Principal Service does not name another service", `{"Service":"lambda.amazonaws.com"}`, ec2Svc, false),
		prinCase("Principal * names service principals", `"*"`, ec2Svc, true),
		prinCase("Principal AWS * names IAM users", `{"AWS":"*"}`, alice, true),
		prinCase("Principal CanonicalUser does not name IAM principals", `{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, alice, false),
		prinCase("Principal federated-user session ARN", `{"AWS":"arn:aws:sts::111111111111:federated-user/fred"}`, fedUser, true),
		prinCase("Principal account names its federated user sessions", `{"AWS":"111111111111"}`, fedUser, true),
		prinCase("Principal role ARN of another account does not name the session", `{"AWS":"arn:aws:iam::222222222222:role/r"}`, sessA, false),
		prinCase("Principal role ARN names the role itself", `{"AWS":"arn:aws:iam::111111111111:role/r"}`, roleA, true),
		prinCase("Principal session ARN does not name the role itself", `{"AWS":"arn:aws:sts::111111111111:assumed-role/r/sess"}`, roleA, false),
		prinCase("Principal user ARN is case-sensitive", `{"AWS":"arn:aws:iam::111111111111:user/Alice"}`, alice, false),
		prinCase("Principal account id does not name another account's root", `{"AWS":"222222222222"}`, rootA, false),
		prinCase("Principal account names a cross-account caller of that account", `{"AWS":"222222222222"}`, bob, true),
		prinCase("Principal types in one element are ORed", `{"AWS":"arn:aws:iam::111111111111:user/carol","Service":"ec2.amazonaws.com"}`, ec2Svc, true),
		prinCase("Principal root ARN does not name anonymous callers", `{"AWS":"arn:aws:iam::111111111111:root"}`, anon, false),
		prinCase("Principal role path is part of the role ARN", `{"AWS":"arn:aws:iam::111111111111:role/app"}`, sessPath, false),

		{rule: "NotPrincipal with Deny listing only the user still denies it", identity: []string{allowAll},
			resource: deny(`{"AWS":"arn:aws:iam::111111111111:user/alice"}`), req: ctxReq(), want: EffectExplicitDeny},
		{rule: "NotPrincipal with Deny denies other users of the listed account", identity: []string{allowAll},
			resource: deny(`{"AWS":["arn:aws:iam::111111111111:user/alice","arn:aws:iam::111111111111:root"]}`), req: req(carol), want: EffectExplicitDeny},
		{rule: "NotPrincipal with Deny spares a session listed with its role and account", identity: []string{allowAll},
			resource: deny(sessionChain), req: req(sessA), want: EffectAllow},
		{rule: "NotPrincipal with Deny denies a session whose role is not listed", identity: []string{allowAll},
			resource: deny(`{"AWS":["arn:aws:sts::111111111111:assumed-role/r/sess","arn:aws:iam::111111111111:root"]}`), req: req(sessA), want: EffectExplicitDeny},
		{rule: "NotPrincipal with Deny denies other sessions of the listed role", identity: []string{allowAll},
			resource: deny(sessionChain), req: req(sessA2), want: EffectExplicitDeny},
		{rule: "NotPrincipal with Allow excludes sessions of a listed role",
			resource: allowExcept(`{"AWS":"arn:aws:iam::111111111111:role/r"}`), req: req(sessA), want: EffectImplicitDeny},
		{rule: "NotPrincipal with Allow excludes every principal of a listed account",
			resource: allowExcept(`{"AWS":"arn:aws:iam::111111111111:root"}`), req: req(carol), want: EffectImplicitDeny},
		{rule: "NotPrincipal with Allow grants other accounts on the resource side", identity: []string{connectAll},
			resource: allowExcept(`{"AWS":"arn:aws:iam::111111111111:root"}`), req: req(bob), want: EffectAllow},
		{rule: "NotPrincipal * never applies", identity: []string{allowAll},
			resource: deny(`{"AWS":"*"}`), req: ctxReq(), want: EffectAllow},
		{rule: "NotPrincipal with Deny applies to anonymous callers", resource: doc(
			`{"Effect":"Allow","Principal":"*","Action":"kafka-cluster:*","Resource":"*"}`,
			`{"Sid":"OnlyAlice","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:user/alice","arn:aws:iam::111111111111:root"]},"Action":"*","Resource":"*"}`),
			req: req(anon), want: EffectExplicitDeny, reason: `"OnlyAlice"`},
		{rule: "NotPrincipal Service with Deny spares the service", resource: doc(
			`{"Effect":"Allow","Principal":"*","Action":"kafka-cluster:*","Resource":"*"}`,
			`{"Effect":"Deny","NotPrincipal":{"Service":"ec2.amazonaws.com"},"Action":"*","Resource":"*"}`),
			req: req(ec2Svc), want: EffectAllow},
	}
}

func operatorCases() []evalCase {
	return []evalCase{
		condCase("StringNotEqualsIgnoreCase different value", `{"StringNotEqualsIgnoreCase":{"aws:ResourceTag/team":"BLUE"}}`, true, "aws:ResourceTag/team", "red"),
		condCase("StringEqualsIgnoreCase mismatch", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"BLUE"}}`, false, "aws:ResourceTag/team", "green"),
		condCase("StringEqualsIgnoreCase non-ASCII letters", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"ÉQUIPE"}}`, true, "aws:ResourceTag/team", "équipe"),
		condCase("StringLike * matches empty", `{"StringLike":{"s3:prefix":"home/*"}}`, true, "s3:prefix", "home/"),
		condCase("StringLike empty value matches an empty request value", `{"StringLike":{"s3:prefix":""}}`, true, "s3:prefix", ""),
		condCase("StringLike * crosses slashes and colons", `{"StringLike":{"k:v":"a*z"}}`, true, "k:v", "a/b:c/z"),
		condCase("StringLike ? matches one multibyte character", `{"StringLike":{"k:v":"caf?"}}`, true, "k:v", "café"),
		condCase("StringNotLike missing key is true", `{"StringNotLike":{"k:v":"a*"}}`, true),
		condCase("StringNotEquals with several request values needs none equal", `{"StringNotEquals":{"k:v":"a"}}`, false, "k:v", "a|b"),
		condCase("StringEquals number value compares its text", `{"StringEquals":{"k:v":10}}`, true, "k:v", "10"),
		condCase("StringEqualsIgnoreCase missing key is false", `{"StringEqualsIgnoreCase":{"k:v":"a"}}`, false),
		condCase("StringNotEqualsIgnoreCase missing key is true", `{"StringNotEqualsIgnoreCase":{"k:v":"a"}}`, true),

		condCase("NumericNotEquals equal is false", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "10"),
		condCase("NumericNotEquals missing key is true", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, true),
		condCase("NumericEquals missing key is false", `{"NumericEquals":{"s3:max-keys":"10"}}`, false),
		condCase("NumericLessThanEquals decimal", `{"NumericLessThanEquals":{"k:n":"2.5"}}`, true, "k:n", "2.49"),
		condCase("NumericGreaterThanEquals below is false", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "9"),
		condCase("NumericLessThan negative values", `{"NumericLessThan":{"k:n":"-1"}}`, true, "k:n", "-2"),
		condCase("Numeric NaN is not a number", `{"NumericEquals":{"k:n":"1"}}`, false, "k:n", "NaN"),
		condCase("Numeric infinity is not a number", `{"NumericGreaterThan":{"k:n":"1"}}`, false, "k:n", "Inf"),
		condCase("Numeric values are ORed", `{"NumericEquals":{"k:n":["1","2"]}}`, true, "k:n", "2"),
		condCase("Numeric non-number policy value never matches", `{"NumericEquals":{"k:n":"ten"}}`, false, "k:n", "10"),
		condCase("NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, true),

		condCase("DateNotEquals equal is false", `{"DateNotEquals":{"aws:TokenIssueTime":"2026-05-01T12:00:00Z"}}`, false, "aws:TokenIssueTime", "2026-05-01T12:00:00Z"),
		condCase("DateNotEquals missing key is true", `{"DateNotEquals":{"aws:TokenIssueTime":"2026-05-01T12:00:00Z"}}`, true),
		condCase("DateGreaterThan missing key is false", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, false),
		condCase("DateLessThanEquals earlier", `{"DateLessThanEquals":{"aws:TokenIssueTime":"2026-05-01T12:00:00Z"}}`, true, "aws:TokenIssueTime", "2026-05-01T11:00:00Z"),
		condCase("DateGreaterThanEquals earlier is false", `{"DateGreaterThanEquals":{"aws:TokenIssueTime":"2026-05-01T12:00:00Z"}}`, false, "aws:TokenIssueTime", "2026-05-01T11:59:59Z"),
		condCase("Date fractional seconds", `{"DateLessThan":{"aws:TokenIssueTime":"2026-05-01T12:00:00.500Z"}}`, true, "aws:TokenIssueTime", "2026-05-01T12:00:00.250Z"),
		condCase("Date without a time zone is UTC", `{"DateEquals":{"aws:TokenIssueTime":"2026-05-01T12:00:00"}}`, true, "aws:TokenIssueTime", "2026-05-01T12:00:00Z"),
		condCase("Date year and month", `{"DateGreaterThanEquals":{"aws:TokenIssueTime":"2026-05"}}`, true, "aws:TokenIssueTime", "2026-05-01T00:00:00Z"),
		condCase("Date hours and minutes", `{"DateEquals":{"aws:TokenIssueTime":"2026-05-01T12:00Z"}}`, true, "aws:TokenIssueTime", "2026-05-01T12:00:00Z"),
		condCase("Date epoch request value against an ISO policy value", `{"DateLessThan":{"aws:EpochTime":"2020-01-01T00:00:01Z"}}`, true, "aws:EpochTime", "1577836800"),
		condCase("Date values are ORed", `{"DateEquals":{"aws:TokenIssueTime":["2020-01-01","2026-05-01"]}}`, true, "aws:TokenIssueTime", "2026-05-01T00:00:00Z"),

		condCase("Bool is case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, true, "aws:SecureTransport", "true"),
		condCase("Bool non-boolean request value is false", `{"Bool":{"aws:SecureTransport":"true"}}`, false, "aws:SecureTransport", "yes"),
		condCase("BoolIfExists present and false", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, false, "aws:MultiFactorAuthPresent", "false"),
		condCase("BinaryEquals missing key is false", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, false),
		condCase("BinaryEquals invalid base64 request value is false", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, false, "k:bin", "***"),
		condCase("BinaryEqualsIfExists missing", `{"BinaryEqualsIfExists":{"k:bin":"QmluYXJ5VmFsdWU="}}`, true),

		condCase("IpAddress IPv6 single address", `{"IpAddress":{"aws:SourceIp":"2001:db8::1"}}`, true, "aws:SourceIp", "2001:db8::1"),
		condCase("IpAddress IPv6 upper-case CIDR", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, true, "aws:SourceIp", "2001:db8:1234:5678::abcd"),
		condCase("IpAddress IPv4 request does not match an IPv6 CIDR", `{"IpAddress":{"aws:SourceIp":"::/0"}}`, false, "aws:SourceIp", "10.0.0.1"),
		condCase("IpAddress IPv4-mapped IPv6 CIDR", `{"IpAddress":{"aws:SourceIp":"::ffff:10.0.0.0/104"}}`, true, "aws:SourceIp", "10.1.2.3"),
		condCase("IpAddress mixed IPv4 and IPv6 list", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, true, "aws:SourceIp", "2001:db8:1234:5678::1"),
		condCase("IpAddress missing key is false", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false),
		condCase("IpAddress 0.0.0.0/0 matches every IPv4 address", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, true, "aws:SourceIp", "198.51.100.7"),
		condCase("NotIpAddress missing key is true", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true),
		condCase("NotIpAddress IPv6 outside", `{"NotIpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, true, "aws:SourceIp", "2001:db9::1"),

		condCase("ArnLike ? glob in a component", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-?:111111111111:t"}}`, true, "aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:t"),
		condCase("ArnLike is case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:T"}}`, false, "aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:t"),
		condCase("StringLike matches where ArnLike does not", `{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, true,
			"aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
		condCase("ArnLike matches component by component", `{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, false,
			"aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
		condCase("ArnNotEquals missing key is true", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, true),
		condCase("ArnNotLike different ARN is true", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}`, true, "aws:SourceArn", "arn:aws:sns:us-east-1:222222222222:t"),
		condCase("ArnEquals resource component may contain colons", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::b/a:*"}}`, true, "aws:SourceArn", "arn:aws:s3:::b/a:c"),

		condCase("Null true with an empty string value is false", `{"Null":{"k:v":"true"}}`, false, "k:v", ""),
		condCase("Null values are ORed", `{"Null":{"k:v":["true","false"]}}`, true),
		condCase("Null keys are ANDed", `{"Null":{"k:a":"true","k:b":"false"}}`, true, "k:b", "x"),
		condCase("Null keys are ANDed and one fails", `{"Null":{"k:a":"true","k:b":"false"}}`, false),
		condCase("Null on aws:username for a user is false", `{"Null":{"aws:username":"true"}}`, false),
		condCase("Null aws:TokenIssueTime is missing for long-term keys", `{"Null":{"aws:TokenIssueTime":"true"}}`, true),

		condCase("derived aws:username cannot be replaced by the request context", `{"StringEquals":{"aws:username":"bob"}}`, false, "aws:username", "bob"),
		condCase("derived aws:PrincipalAccount", `{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}`, true),
		condCase("derived aws:userid", `{"StringEquals":{"aws:userid":"AIDAALICE"}}`, true),
		condCase("derived aws:PrincipalIsAWSService is false for users", `{"Bool":{"aws:PrincipalIsAWSService":"false"}}`, true),
		{rule: "derived aws:PrincipalType of a role session", identity: []string{allowWhen(`{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}`)},
			req: rq(sessA, "kafka-cluster:Connect", cluster), want: EffectAllow},
		{rule: "derived aws:PrincipalType of the root user is Account", identity: []string{allowWhen(`{"StringEquals":{"aws:PrincipalType":"Account"}}`)},
			req: rq(rootA, "kafka-cluster:Connect", cluster), want: EffectAllow},
		{rule: "derived aws:PrincipalType of a federated user", identity: []string{allowWhen(`{"StringEquals":{"aws:PrincipalType":"FederatedUser"}}`)},
			req: rq(fedUser, "kafka-cluster:Connect", cluster), want: EffectAllow},
		{rule: "derived aws:username is absent for role sessions", identity: []string{allowWhen(`{"Null":{"aws:username":"true"}}`)},
			req: rq(sessA, "kafka-cluster:Connect", cluster), want: EffectAllow},
		{rule: "derived aws:PrincipalServiceName of a service principal",
			resource: doc(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalServiceName":"ec2.amazonaws.com"},"Bool":{"aws:PrincipalIsAWSService":"true"}}}`),
			req:      rq(ec2Svc, "kafka-cluster:Connect", cluster), want: EffectAllow},
		condCase("request context key names are case-insensitive", `{"StringEquals":{"aws:SourceVpc":"vpc-1"}}`, true, "AWS:SOURCEVPC", "vpc-1"),
		condCase("request context keys differing only in case are merged", `{"ForAllValues:StringEquals":{"k:v":["a","b"]},"ForAnyValue:StringEquals":{"k:v":"b"}}`, true, "k:v", "a", "K:V", "b"),
	}
}

func setCases() []evalCase {
	tagGuard := denyWhen(`{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}`)
	putGuard := denyWhen(`{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}`)
	getOnly := allowWhen(`{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}`)
	return []evalCase{
		{rule: "ForAllValues:StringNotLike deny does not apply when every value is like", identity: []string{allowAll, tagGuard},
			req: ctxReq("aws:TagKeys", "key1:legal"), want: EffectAllow},
		{rule: "ForAllValues:StringNotLike deny does not apply when all of several values are like", identity: []string{allowAll, tagGuard},
			req: ctxReq("aws:TagKeys", "key1:hr|key1:personnel"), want: EffectAllow},
		{rule: "ForAllValues:StringNotLike deny applies when a value is not like", identity: []string{allowAll, tagGuard},
			req: ctxReq("aws:TagKeys", "key2:audit"), want: EffectExplicitDeny, reason: `"Guard"`},
		{rule: "ForAllValues:StringNotLike deny applies when the key is missing", identity: []string{allowAll, tagGuard},
			req: ctxReq(), want: EffectExplicitDeny},
		{rule: "ForAnyValue deny applies when any requested value is forbidden", identity: []string{allowAll, putGuard},
			req: ctxReq("dynamodb:requestedAttributes", "UserName|Message|PostDateTime"), want: EffectExplicitDeny},
		{rule: "ForAnyValue deny does not apply when no requested value is forbidden", identity: []string{allowAll, putGuard},
			req: ctxReq("dynamodb:requestedAttributes", "UserName"), want: EffectAllow},
		{rule: "ForAllValues allow needs every requested value listed", identity: []string{getOnly},
			req: ctxReq("dynamodb:requestedAttributes", "PostDateTime|UserName"), want: EffectImplicitDeny},
		{rule: "ForAllValues allow with every requested value listed", identity: []string{getOnly},
			req: ctxReq("dynamodb:requestedAttributes", "PostDateTime|Message"), want: EffectAllow},
		condCase("ForAnyValue:StringNotEquals missing key is false", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, false),
		condCase("ForAllValues:StringNotEquals missing key is true", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a"]}}`, true),
		condCase("ForAllValues empty string is an empty data set", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, true, "aws:TagKeys", ""),
		condCase("ForAnyValue:StringLike", `{"ForAnyValue:StringLike":{"aws:TagKeys":["team-*"]}}`, true, "aws:TagKeys", "env|team-x"),
		condCase("ForAllValues:StringLike one value unlike", `{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}`, false, "aws:TagKeys", "team-a|env"),
		condCase("ForAnyValue:ArnLike", `{"ForAnyValue:ArnLike":{"k:arns":"arn:aws:sns:*:111111111111:*"}}`, true, "k:arns", "x|arn:aws:sns:us-east-1:111111111111:t"),
		condCase("ForAllValues:ArnLike one value unlike", `{"ForAllValues:ArnLike":{"k:arns":"arn:aws:sns:*:111111111111:*"}}`, false,
			"k:arns", "arn:aws:sns:us-east-1:222222222222:t|arn:aws:sns:us-east-1:111111111111:t"),
		condCase("ForAllValues:NumericLessThan all less", `{"ForAllValues:NumericLessThan":{"k:n":"5"}}`, true, "k:n", "1|4"),
		condCase("ForAnyValue:DateGreaterThan", `{"ForAnyValue:DateGreaterThan":{"k:d":"2025-01-01"}}`, true, "k:d", "2024-01-01|2026-01-01"),
		condCase("ForAllValues:IpAddress one outside", `{"ForAllValues:IpAddress":{"k:ips":"10.0.0.0/8"}}`, false, "k:ips", "10.0.0.1|192.0.2.1"),
		condCase("ForAnyValue:Bool", `{"ForAnyValue:Bool":{"k:b":"true"}}`, true, "k:b", "false|true"),
		condCase("ForAllValues:StringEqualsIfExists missing key", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, true),
		condCase("ForAllValues:StringEqualsIfExists present mismatch", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, false, "aws:TagKeys", "z"),
		condCase("ForAnyValue:StringEqualsIfExists present match", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, true, "aws:TagKeys", "x|a"),
		condCase("ForAnyValue with an empty policy value list is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":[]}}`, false, "aws:TagKeys", "a"),
		condCase("ForAllValues with an empty policy value list and values is false", `{"ForAllValues:StringEquals":{"aws:TagKeys":[]}}`, false, "aws:TagKeys", "a"),
		condCase("ForAnyValue:StringNotLike", `{"ForAnyValue:StringNotLike":{"aws:TagKeys":"key1*"}}`, true, "aws:TagKeys", "key1:a|key2:b"),
		condCase("ForAnyValue:StringNotLike all like is false", `{"ForAnyValue:StringNotLike":{"aws:TagKeys":"key1*"}}`, false, "aws:TagKeys", "key1:a|key1:b"),
		condCase("ForAnyValue empty string is an empty data set", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, false, "aws:TagKeys", ""),
	}
}
