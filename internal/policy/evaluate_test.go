package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	acctA   = "111111111111"
	acctB   = "222222222222"
	cluster = "arn:aws:kafka:us-east-1:111111111111:cluster/c1/abcd-1234"
	topicT  = "arn:aws:kafka:us-east-1:111111111111:topic/c1/abcd-1234/orders"
	groupG  = "arn:aws:kafka:us-east-1:111111111111:group/c1/abcd-1234/g1"
)

var (
	alice = Principal{Account: acctA, ARN: "arn:aws:iam::111111111111:user/alice", Kind: User, UserName: "alice", UserID: "AIDAALICE"}
	carol = Principal{Account: acctA, ARN: "arn:aws:iam::111111111111:user/dev/carol", Kind: User, UserName: "carol", UserID: "AIDACAROL"}
	rootA = Principal{Account: acctA, ARN: "arn:aws:iam::111111111111:root", Kind: Root, UserID: acctA}
	sessA = Principal{Account: acctA, ARN: "arn:aws:sts::111111111111:assumed-role/r/sess", Kind: AssumedRole,
		RoleARN: "arn:aws:iam::111111111111:role/r", UserID: "AROAR:sess"}
	sessA2 = Principal{Account: acctA, ARN: "arn:aws:sts::111111111111:assumed-role/r/other", Kind: AssumedRole,
		RoleARN: "arn:aws:iam::111111111111:role/r", UserID: "AROAR:other"}
	sessPath = Principal{Account: acctA, ARN: "arn:aws:sts::111111111111:assumed-role/app/s1", Kind: AssumedRole,
		RoleARN: "arn:aws:iam::111111111111:role/team/app", UserID: "AROAAPP:s1"}
	bob      = Principal{Account: acctB, ARN: "arn:aws:iam::222222222222:user/bob", Kind: User, UserName: "bob", UserID: "AIDABOB"}
	sessB    = Principal{Account: acctB, ARN: "arn:aws:sts::222222222222:assumed-role/r/sess", Kind: AssumedRole, RoleARN: "arn:aws:iam::222222222222:role/r"}
	anon     = Principal{}
	ec2Svc   = Principal{Kind: Service, Service: "ec2.amazonaws.com"}
	roleA    = Principal{Account: acctA, ARN: "arn:aws:iam::111111111111:role/r", Kind: Role, UserID: "AROAR"}
	fedUser  = Principal{Account: acctA, ARN: "arn:aws:sts::111111111111:federated-user/fred", Kind: FederatedUser, UserID: "111111111111:fred"}
	cognito  = Principal{Kind: Federated, Provider: "cognito-identity.amazonaws.com"}
	samlIdP  = Principal{Kind: Federated, Provider: "arn:aws:iam::111111111111:saml-provider/corp"}
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	denyAll  = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAll","Effect":"Deny","Action":"*","Resource":"*"}]}`
)

type evalCase struct {
	rule     string
	identity []string // identity policies, named "user/alice inline policy pN"
	resource string   // resource policy ("" = none), named "cluster policy"
	kind     Kind     // kind of the resource policy (zero: Resource)
	req      Request
	want     string    // Effect
	reason   string    // substring of Reason, optional
	now      time.Time // the clock, when set
}

func rq(p Principal, action, resource string, kv ...string) Request {
	r := Request{Principal: p, Action: action, Resource: resource, ResourceAccount: acctA, Context: map[string][]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Context[kv[i]] = append(r.Context[kv[i]], strings.Split(kv[i+1], "|")...)
	}
	return r
}

func ctxReq(kv ...string) Request { return rq(alice, "kafka-cluster:Connect", cluster, kv...) }

func allowed(b bool) string {
	if b {
		return EffectAllow
	}
	return EffectImplicitDeny
}

// condCase builds a case whose single identity policy allows everything
// under the given Condition element.
func condCase(rule, cond string, want bool, kv ...string) evalCase {
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + cond + `}}`
	return evalCase{rule: rule, identity: []string{doc}, req: ctxReq(kv...), want: allowed(want)}
}

// actCase: identity policy allowing Action pattern on everything.
func actCase(rule, pattern, action string, want bool) evalCase {
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":%q,"Resource":"*"}}`, pattern)
	return evalCase{rule: rule, identity: []string{doc}, req: rq(alice, action, cluster), want: allowed(want)}
}

// resCase: identity policy allowing everything on the Resource pattern.
func resCase(rule, version, pattern string, p Principal, resource string, want bool, kv ...string) evalCase {
	doc := fmt.Sprintf(`{"Version":%q,"Statement":{"Effect":"Allow","Action":"*","Resource":%q}}`, version, pattern)
	if version == "" {
		doc = fmt.Sprintf(`{"Statement":{"Effect":"Allow","Action":"*","Resource":%q}}`, pattern)
	}
	return evalCase{rule: rule, identity: []string{doc}, req: rq(p, "kafka-cluster:Connect", resource, kv...), want: allowed(want)}
}

// prinCase checks whether a Principal element names p: the resource policy
// of account A denies kafka-cluster:* to that Principal, and p's identity
// policy (for IAM principals) allows everything. The Principal names p
// exactly when the request is explicitly denied; otherwise an IAM principal
// of account A is allowed by its identity policy and anyone else is
// implicitly denied.
func prinCase(rule, principal string, p Principal, match bool) evalCase {
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":` + principal + `,"Action":"kafka-cluster:*","Resource":"*"}}`
	c := evalCase{rule: rule, resource: doc, req: rq(p, "kafka-cluster:Connect", cluster), want: EffectImplicitDeny}
	iamPrincipal := p.Kind != Anonymous && p.Kind != Service && p.Kind != Federated
	if iamPrincipal {
		c.identity = []string{allowAll}
	}
	switch {
	case match:
		c.want = EffectExplicitDeny
	case iamPrincipal && p.Account == acctA:
		c.want = EffectAllow
	}
	return c
}

func evalCases() []evalCase {
	xreq := func(p Principal, action, res string) Request {
		r := rq(p, action, res)
		r.ResourceAccount = acctA
		return r
	}
	clusterPolicyFor := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + principal +
			`},"Action":["kafka-cluster:Connect","kafka-cluster:DescribeCluster"],"Resource":"` + cluster + `"}]}`
	}
	bobConnect := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kafka-cluster:Connect","Resource":"*"}]}`
	cases := []evalCase{
		// ---- core evaluation logic ----
		{rule: "default deny with no policies", req: ctxReq(), want: EffectImplicitDeny,
			reason: "no statement in the identity policies or the resource policy allows kafka-cluster:Connect on " + cluster},
		{rule: "identity allow suffices within account", identity: []string{allowAll}, req: ctxReq(), want: EffectAllow,
			reason: "allowed by statement #1 of user/alice inline policy p1"},
		{rule: "explicit deny overrides allow", identity: []string{allowAll, denyAll}, req: ctxReq(), want: EffectExplicitDeny,
			reason: `explicitly denied by statement "DenyAll" (#1) of user/alice inline policy p2`},
		{rule: "explicit deny overrides allow in same policy",
			identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"DenyAll","Effect":"Deny","Action":"*","Resource":"*"}]}`},
			req:      ctxReq(), want: EffectExplicitDeny, reason: `explicitly denied by statement "DenyAll" (#2) of user/alice inline policy p1`},
		{rule: "explicit deny in resource policy overrides identity allow", identity: []string{allowAll},
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`,
			req:      ctxReq(), want: EffectExplicitDeny, reason: "explicitly denied by statement #1 of cluster policy"},
		{rule: "explicit deny in identity overrides resource allow", identity: []string{denyAll},
			resource: clusterPolicyFor(`"111111111111"`), req: ctxReq(), want: EffectExplicitDeny},
		{rule: "same-account resource policy allow suffices", resource: clusterPolicyFor(`"arn:aws:iam::111111111111:user/alice"`),
			req: ctxReq(), want: EffectAllow, reason: "allowed by statement #1 of cluster policy"},
		{rule: "same-account union of identity and resource", identity: []string{bobConnect},
			resource: clusterPolicyFor(`"arn:aws:iam::111111111111:user/alice"`), req: rq(alice, "kafka-cluster:DescribeCluster", cluster), want: EffectAllow,
			reason: "cluster policy"},
		{rule: "empty resource account means same account", resource: clusterPolicyFor(`"arn:aws:iam::111111111111:user/alice"`),
			req: Request{Principal: alice, Action: "kafka-cluster:Connect", Resource: cluster}, want: EffectAllow},
		{rule: "cross-account requires both", identity: []string{bobConnect}, resource: clusterPolicyFor(`"222222222222"`),
			req: xreq(bob, "kafka-cluster:Connect", cluster), want: EffectAllow, reason: "cross-account: allowed by statement #1 of user/alice inline policy p1 and by statement #1 of cluster policy"},
		{rule: "cross-account requires both: resource only", resource: clusterPolicyFor(`"222222222222"`),
			req: xreq(bob, "kafka-cluster:Connect", cluster), want: EffectImplicitDeny,
			reason: "cross-account: allowed by the resource policy but no identity policy of account 222222222222 allows it"},
		{rule: "cross-account requires both: identity only", identity: []string{bobConnect}, resource: clusterPolicyFor(`"333333333333"`),
			req: xreq(bob, "kafka-cluster:Connect", cluster), want: EffectImplicitDeny,
			reason: "but the resource policy of account 111111111111 does not allow it"},
		{rule: "cross-account requires both: no resource policy", identity: []string{allowAll},
			req: xreq(bob, "kafka-cluster:Connect", cluster), want: EffectImplicitDeny, reason: "has no resource policy"},
		{rule: "cross-account requires both: identity action mismatch", identity: []string{bobConnect}, resource: clusterPolicyFor(`"222222222222"`),
			req: xreq(bob, "kafka-cluster:DescribeCluster", cluster), want: EffectImplicitDeny},
		{rule: "cross-account neither allows", req: xreq(bob, "kafka-cluster:Connect", cluster), want: EffectImplicitDeny,
			reason: "cross-account: no statement"},
		{rule: "cross-account explicit deny in resource policy", identity: []string{bobConnect},
			resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"*","Resource":"*"},{"Sid":"NoBob","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"*","Resource":"*"}]}`,
			req:      xreq(bob, "kafka-cluster:Connect", cluster), want: EffectExplicitDeny, reason: `"NoBob" (#2) of cluster policy`},
		{rule: "cross-account role session via account principal", identity: []string{bobConnect}, resource: clusterPolicyFor(`"arn:aws:iam::222222222222:root"`),
			req: xreq(sessB, "kafka-cluster:Connect", cluster), want: EffectAllow},
		{rule: "cross-account role ARN principal matches its sessions", identity: []string{bobConnect}, resource: clusterPolicyFor(`"arn:aws:iam::222222222222:role/r"`),
			req: xreq(sessB, "kafka-cluster:Connect", cluster), want: EffectAllow},
		{rule: "resource policy of other account does not grant same-named account", resource: clusterPolicyFor(`"111111111111"`),
			req: xreq(bob, "kafka-cluster:Connect", cluster), want: EffectImplicitDeny},
		{rule: "anonymous allowed only by resource policy", identity: []string{allowAll},
			req: xreq(anon, "s3:GetObject", "arn:aws:s3:::b/k"), want: EffectImplicitDeny, reason: "anonymous"},
		{rule: "anonymous allowed by Principal *",
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			req:      xreq(anon, "s3:GetObject", "arn:aws:s3:::b/k"), want: EffectAllow},
		{rule: "all matching statements are reported", identity: []string{allowAll, bobConnect}, req: ctxReq(), want: EffectAllow},
		{rule: "nil policy is ignored", identity: nil, resource: "", req: ctxReq(), want: EffectImplicitDeny},
		{rule: "statement without Resource in resource policy applies to the resource",
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"kafka-cluster:Connect"}}`,
			req:      ctxReq(), want: EffectAllow},
		{rule: "deny reports Sid and index", identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"kafka-cluster:Connect","Resource":"*"}]}`},
			req: ctxReq(), want: EffectExplicitDeny, reason: "explicitly denied by statement #2 of user/alice inline policy p1"},
		{rule: "deny not matching leaves allow", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"kafka-cluster:DeleteTopic","Resource":"*"}}`},
			req: ctxReq(), want: EffectAllow},

		// ---- actions ----
		actCase("action exact match", "kafka-cluster:Connect", "kafka-cluster:Connect", true),
		actCase("action name case-insensitive", "kafka-cluster:connect", "kafka-cluster:Connect", true),
		actCase("action prefix case-insensitive", "KAFKA-CLUSTER:Connect", "kafka-cluster:Connect", true),
		actCase("action mismatch", "kafka-cluster:Connect", "kafka-cluster:DescribeCluster", false),
		actCase("action * glob", "kafka-cluster:Describe*", "kafka-cluster:DescribeTopic", true),
		actCase("action * glob mismatch", "kafka-cluster:Describe*", "kafka-cluster:AlterTopic", false),
		actCase("action ? glob", "kafka-cluster:?lterGroup", "kafka-cluster:AlterGroup", true),
		actCase("action ? glob needs one character", "kafka-cluster:?AlterGroup", "kafka-cluster:AlterGroup", false),
		actCase("action * alone matches everything", "*", "iam:CreateUser", true),
		actCase("action service:* matches service only", "kafka-cluster:*", "kafka:DescribeCluster", false),
		actCase("action service:* matches service", "kafka:*", "kafka:DescribeClusterV2", true),
		actCase("action glob in middle", "kafka-cluster:*Data", "kafka-cluster:WriteData", true),
		actCase("action does not imply another", "kafka-cluster:WriteData", "kafka-cluster:WriteDataIdempotently", false),
		actCase("action * glob at start of name", "kafka-cluster:*Topic", "kafka-cluster:DescribeTopic", true),
		{rule: "NotAction with Allow", identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`},
			req: ctxReq(), want: EffectAllow},
		{rule: "NotAction with Allow excludes listed", identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`},
			req: rq(alice, "iam:CreateUser", "*"), want: EffectImplicitDeny},
		{rule: "NotAction with Deny", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["kafka-cluster:Connect","kafka-cluster:Describe*"],"Resource":"*"}}`},
			req: rq(alice, "kafka-cluster:AlterTopic", topicT), want: EffectExplicitDeny},
		{rule: "NotAction with Deny spares listed", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["kafka-cluster:Connect","kafka-cluster:Describe*"],"Resource":"*"}}`},
			req: rq(alice, "kafka-cluster:DescribeTopic", topicT), want: EffectAllow},
		{rule: "action list OR", identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kafka-cluster:ReadData","kafka-cluster:Connect"],"Resource":"*"}}`},
			req: ctxReq(), want: EffectAllow},

		// ---- resources ----
		resCase("resource exact ARN", "2012-10-17", cluster, alice, cluster, true),
		resCase("resource * matches any ARN", "2012-10-17", "*", alice, topicT, true),
		resCase("resource * matches request *", "2012-10-17", "*", alice, "*", true),
		resCase("resource ARN does not match request *", "2012-10-17", "arn:aws:kafka:*:*:*", alice, "*", false),
		resCase("resource mismatch", "2012-10-17", cluster, alice, topicT, false),
		resCase("resource * in resource part crosses /", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:topic/c1/*", alice, topicT, true),
		resCase("resource * in resource part crosses :", "2012-10-17", "arn:aws:s3:::b/*", alice, "arn:aws:s3:::b/a:b/c", true),
		resCase("resource glob per component region", "2012-10-17", "arn:aws:kafka:*:111111111111:cluster/c1/*", alice, cluster, true),
		resCase("resource glob does not cross components", "2012-10-17", "arn:aws:kafka:*:b/a:b", alice, "arn:aws:kafka:::b/a:b", false),
		resCase("resource ? glob in account", "2012-10-17", "arn:aws:kafka:us-east-1:11111111111?:cluster/c1/*", alice, cluster, true),
		resCase("resource ? glob needs one character", "2012-10-17", "arn:aws:kafka:us-east-1:1111111111111?:cluster/c1/*", alice, cluster, false),
		resCase("resource matching is case-sensitive", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:TOPIC/c1/*", alice, topicT, false),
		resCase("resource wrong service", "2012-10-17", "arn:aws:kafka-cluster:us-east-1:111111111111:cluster/c1/*", alice, cluster, false),
		resCase("resource wrong account", "2012-10-17", "arn:aws:kafka:us-east-1:222222222222:cluster/c1/*", alice, cluster, false),
		resCase("resource empty region component", "2012-10-17", "arn:aws:iam::111111111111:user/*", alice, "arn:aws:iam::111111111111:user/alice", true),
		resCase("resource * in region matches empty", "2012-10-17", "arn:aws:sts:*:111111111111:assumed-role/*", alice, "arn:aws:sts::111111111111:assumed-role/r/s", true),
		resCase("resource group type", "2012-10-17", "arn:aws:kafka:us-east-1:111111111111:group/c1/*/g?", alice, groupG, true),
		{rule: "NotResource with Allow", identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:kafka:*:*:topic/*"}}`},
			req: ctxReq(), want: EffectAllow},
		{rule: "NotResource with Allow excludes listed", identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:kafka:*:*:topic/*"}}`},
			req: rq(alice, "kafka-cluster:ReadData", topicT), want: EffectImplicitDeny},
		{rule: "NotResource with Deny", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":["` + cluster + `"]}}`},
			req: rq(alice, "kafka-cluster:ReadData", topicT), want: EffectExplicitDeny},
		{rule: "NotResource with Deny spares listed", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":["` + cluster + `"]}}`},
			req: ctxReq(), want: EffectAllow},
		{rule: "resource list OR", identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":["` + topicT + `","` + cluster + `"]}}`},
			req: ctxReq(), want: EffectAllow},

		// ---- policy variables ----
		resCase("policy variable aws:username", "2012-10-17", "arn:aws:iam::111111111111:user/${aws:username}", alice, "arn:aws:iam::111111111111:user/alice", true),
		resCase("policy variable aws:username other user", "2012-10-17", "arn:aws:iam::111111111111:user/${aws:username}", alice, "arn:aws:iam::111111111111:user/bob", false),
		resCase("policy variable key case-insensitive", "2012-10-17", "arn:aws:iam::111111111111:user/${AWS:UserName}", alice, "arn:aws:iam::111111111111:user/alice", true),
		resCase("policy variable aws:userid", "2012-10-17", "arn:aws:s3:::home/${aws:userid}/*", alice, "arn:aws:s3:::home/AIDAALICE/x", true),
		resCase("policy variable aws:PrincipalAccount", "2012-10-17", "arn:aws:kafka:us-east-1:${aws:PrincipalAccount}:cluster/*", alice, cluster, true),
		resCase("policy variable aws:PrincipalAccount other account", "2012-10-17", "arn:aws:kafka:us-east-1:${aws:PrincipalAccount}:cluster/*", bob, cluster, false),
		resCase("policy variable from context key", "2012-10-17", "arn:aws:ec2:us-east-1:111111111111:vpc/${aws:SourceVpc}", alice, "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-1", true, "aws:SourceVpc", "vpc-1"),
		resCase("policy variable missing key makes statement not match", "2012-10-17", "arn:aws:ec2:us-east-1:111111111111:vpc/${aws:SourceVpc}", alice, "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-1", false),
		resCase("policy variable aws:username missing for role session", "2012-10-17", "arn:aws:iam::111111111111:user/${aws:username}", sessA, "arn:aws:iam::111111111111:user/", false),
		resCase("policy variable default", "2012-10-17", "arn:aws:s3:::b/${aws:username, 'anon'}/*", sessA, "arn:aws:s3:::b/anon/x", true),
		resCase("policy variable default not used when present", "2012-10-17", "arn:aws:s3:::b/${aws:username, 'anon'}/*", alice, "arn:aws:s3:::b/anon/x", false),
		resCase("policy variable default without spaces", "2012-10-17", "arn:aws:s3:::b/${aws:SourceVpc,'none'}", alice, "arn:aws:s3:::b/none", true),
		resCase("${*} escape", "2012-10-17", "arn:aws:s3:::b/${*}", alice, "arn:aws:s3:::b/*", true),
		resCase("${*} escape is literal not glob", "2012-10-17", "arn:aws:s3:::b/${*}", alice, "arn:aws:s3:::b/x", false),
		resCase("${?} escape", "2012-10-17", "arn:aws:s3:::b/a${?}", alice, "arn:aws:s3:::b/a?", true),
		resCase("${?} escape is literal not glob", "2012-10-17", "arn:aws:s3:::b/a${?}", alice, "arn:aws:s3:::b/ab", false),
		resCase("${$} escape", "2012-10-17", "arn:aws:s3:::b/${$}x", alice, "arn:aws:s3:::b/$x", true),
		resCase("variable value is literal not glob", "2012-10-17", "arn:aws:s3:::b/${aws:SourceVpc}", alice, "arn:aws:s3:::b/abc", false, "aws:SourceVpc", "*"),
		resCase("multivalued key cannot be a variable", "2012-10-17", "arn:aws:s3:::b/${aws:TagKeys}", alice, "arn:aws:s3:::b/a", false, "aws:TagKeys", "a|b"),
		resCase("2008-10-17 does not expand variables", "2008-10-17", "arn:aws:iam::111111111111:user/${aws:username}", alice, "arn:aws:iam::111111111111:user/alice", false),
		resCase("2008-10-17 matches variable text literally", "2008-10-17", "arn:aws:iam::111111111111:user/${aws:username}", alice, "arn:aws:iam::111111111111:user/${aws:username}", true),
		resCase("absent Version means 2008-10-17", "", "arn:aws:iam::111111111111:user/${aws:username}", alice, "arn:aws:iam::111111111111:user/alice", false),
		resCase("unterminated variable is literal", "2012-10-17", "arn:aws:s3:::b/${aws:username", alice, "arn:aws:s3:::b/${aws:username", true),
		condCase("policy variable in condition value", `{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}`, true, "aws:ResourceTag/owner", "alice"),
		condCase("policy variable in condition value mismatch", `{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}`, false, "aws:ResourceTag/owner", "bob"),
		condCase("policy variable missing in condition makes it false", `{"StringNotEquals":{"aws:ResourceTag/owner":"${aws:SourceVpc}"}}`, false, "aws:ResourceTag/owner", "bob"),
		condCase("policy variable in StringLike stays literal", `{"StringLike":{"aws:ResourceTag/p":"${aws:SourceVpc}/*"}}`, false, "aws:SourceVpc", "*", "aws:ResourceTag/p", "x/y"),
		condCase("policy variable in StringLike prefix", `{"StringLike":{"aws:ResourceTag/p":"${aws:username}/*"}}`, true, "aws:ResourceTag/p", "alice/y"),

		// ---- principals ----
		prinCase("Principal * matches everyone", `"*"`, alice, true),
		prinCase("Principal * matches anonymous", `"*"`, anon, true),
		prinCase("Principal AWS * matches anonymous", `{"AWS":"*"}`, anon, true),
		prinCase("Principal account id matches users of account", `{"AWS":"111111111111"}`, alice, true),
		prinCase("Principal account id matches role sessions", `{"AWS":"111111111111"}`, sessA, true),
		prinCase("Principal account id matches root", `{"AWS":"111111111111"}`, rootA, true),
		prinCase("Principal account id does not match anonymous", `{"AWS":"111111111111"}`, anon, false),
		prinCase("Principal account root ARN means whole account", `{"AWS":"arn:aws:iam::111111111111:root"}`, alice, true),
		prinCase("Principal account root ARN other account", `{"AWS":"arn:aws:iam::111111111111:root"}`, bob, false),
		prinCase("Principal user ARN", `{"AWS":"arn:aws:iam::111111111111:user/alice"}`, alice, true),
		prinCase("Principal user ARN other user", `{"AWS":"arn:aws:iam::111111111111:user/alice"}`, carol, false),
		prinCase("Principal user ARN with path", `{"AWS":"arn:aws:iam::111111111111:user/dev/carol"}`, carol, true),
		prinCase("Principal user ARN does not match root", `{"AWS":"arn:aws:iam::111111111111:user/alice"}`, rootA, false),
		prinCase("role ARN principal matches its sessions", `{"AWS":"arn:aws:iam::111111111111:role/r"}`, sessA, true),
		prinCase("role ARN principal matches every session", `{"AWS":"arn:aws:iam::111111111111:role/r"}`, sessA2, true),
		prinCase("role ARN principal with path matches sessions", `{"AWS":"arn:aws:iam::111111111111:role/team/app"}`, sessPath, true),
		prinCase("role ARN principal other role", `{"AWS":"arn:aws:iam::111111111111:role/x"}`, sessA, false),
		prinCase("role ARN principal does not match user", `{"AWS":"arn:aws:iam::111111111111:role/r"}`, alice, false),
		prinCase("assumed-role session ARN exact", `{"AWS":"arn:aws:sts::111111111111:assumed-role/r/sess"}`, sessA, true),
		prinCase("assumed-role session ARN other session", `{"AWS":"arn:aws:sts::111111111111:assumed-role/r/sess"}`, sessA2, false),
		prinCase("Principal AWS list OR", `{"AWS":["arn:aws:iam::111111111111:user/bob","arn:aws:iam::111111111111:user/alice"]}`, alice, true),
		prinCase("Principal Service", `{"Service":"ec2.amazonaws.com"}`, ec2Svc, true),
		prinCase("Principal Service does not match users", `{"Service":"ec2.amazonaws.com"}`, alice, false),
		prinCase("Principal account does not match service", `{"AWS":"111111111111"}`, ec2Svc, false),
		prinCase("Principal other account", `{"AWS":"222222222222"}`, alice, false),
		{rule: "NotPrincipal matches everyone except the listed",
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/carol"},"Action":"*","Resource":"*"}}`,
			req:      ctxReq(), want: EffectAllow},
		{rule: "NotPrincipal excludes the listed",
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"*","Resource":"*"}}`,
			req:      ctxReq(), want: EffectImplicitDeny},
		{rule: "NotPrincipal with Deny denies everyone else", identity: []string{allowAll},
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/carol"},"Action":"*","Resource":"*"}}`,
			req:      ctxReq(), want: EffectExplicitDeny},
		{rule: "NotPrincipal with Deny spares the listed user and account", identity: []string{allowAll},
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:user/alice","arn:aws:iam::111111111111:root"]},"Action":"*","Resource":"*"}}`,
			req:      ctxReq(), want: EffectAllow},
		{rule: "trust policy allows sts:AssumeRole to account",
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}}`,
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/*"}}`},
			req:      xreq(bob, "sts:AssumeRole", "arn:aws:iam::111111111111:role/r"), want: EffectAllow},

		// ---- condition operators: strings ----
		condCase("StringEquals match", `{"StringEquals":{"aws:ResourceTag/team":"blue"}}`, true, "aws:ResourceTag/team", "blue"),
		condCase("StringEquals mismatch", `{"StringEquals":{"aws:ResourceTag/team":"blue"}}`, false, "aws:ResourceTag/team", "red"),
		condCase("StringEquals is case-sensitive", `{"StringEquals":{"aws:ResourceTag/team":"blue"}}`, false, "aws:ResourceTag/team", "Blue"),
		condCase("condition key names case-insensitive", `{"StringEquals":{"AWS:RESOURCETAG/TEAM":"blue"}}`, true, "aws:ResourceTag/team", "blue"),
		condCase("StringEquals values are OR", `{"StringEquals":{"aws:ResourceTag/team":["red","blue"]}}`, true, "aws:ResourceTag/team", "blue"),
		condCase("StringEquals missing key is false", `{"StringEquals":{"aws:ResourceTag/team":"blue"}}`, false),
		condCase("StringEquals empty value list never matches", `{"StringEquals":{"aws:ResourceTag/team":[]}}`, false, "aws:ResourceTag/team", "blue"),
		condCase("StringNotEquals match", `{"StringNotEquals":{"aws:ResourceTag/team":"blue"}}`, true, "aws:ResourceTag/team", "red"),
		condCase("StringNotEquals mismatch", `{"StringNotEquals":{"aws:ResourceTag/team":["red","blue"]}}`, false, "aws:ResourceTag/team", "blue"),
		condCase("negated operator with missing key is true", `{"StringNotEquals":{"aws:ResourceTag/team":"blue"}}`, true),
		condCase("StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"BLUE"}}`, true, "aws:ResourceTag/team", "blue"),
		condCase("StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:ResourceTag/team":"BLUE"}}`, false, "aws:ResourceTag/team", "blue"),
		condCase("StringLike glob *", `{"StringLike":{"aws:ResourceTag/team":"bl*"}}`, true, "aws:ResourceTag/team", "blue"),
		condCase("StringLike glob ?", `{"StringLike":{"aws:ResourceTag/team":"bl?e"}}`, true, "aws:ResourceTag/team", "blue"),
		condCase("StringLike glob ? exactly one", `{"StringLike":{"aws:ResourceTag/team":"b?e"}}`, false, "aws:ResourceTag/team", "blue"),
		condCase("StringLike is case-sensitive", `{"StringLike":{"aws:ResourceTag/team":"BL*"}}`, false, "aws:ResourceTag/team", "blue"),
		condCase("StringNotLike", `{"StringNotLike":{"aws:ResourceTag/team":"re*"}}`, true, "aws:ResourceTag/team", "blue"),
		condCase("StringNotLike mismatch", `{"StringNotLike":{"aws:ResourceTag/team":"bl*"}}`, false, "aws:ResourceTag/team", "blue"),
		condCase("StringEquals * is not a glob", `{"StringEquals":{"aws:ResourceTag/team":"*"}}`, false, "aws:ResourceTag/team", "blue"),
		condCase("conditions AND across keys", `{"StringEquals":{"aws:ResourceTag/team":"blue","aws:ResourceTag/env":"prod"}}`, false, "aws:ResourceTag/team", "blue", "aws:ResourceTag/env", "dev"),
		condCase("conditions AND across keys all true", `{"StringEquals":{"aws:ResourceTag/team":"blue","aws:ResourceTag/env":"prod"}}`, true, "aws:ResourceTag/team", "blue", "aws:ResourceTag/env", "prod"),
		condCase("conditions AND across operators", `{"StringEquals":{"aws:ResourceTag/team":"blue"},"Bool":{"aws:SecureTransport":"true"}}`, false, "aws:ResourceTag/team", "blue", "aws:SecureTransport", "false"),
		condCase("conditions AND across operators all true", `{"StringEquals":{"aws:ResourceTag/team":"blue"},"Bool":{"aws:SecureTransport":"true"}}`, true, "aws:ResourceTag/team", "blue", "aws:SecureTransport", "true"),
		condCase("condition derived key aws:username", `{"StringEquals":{"aws:username":"alice"}}`, true),
		condCase("condition derived key aws:PrincipalArn", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/alice"}}`, true),
		condCase("condition derived key aws:PrincipalType", `{"StringEquals":{"aws:PrincipalType":"User"}}`, true),
		{rule: "aws:PrincipalArn of a session is the role ARN",
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/r"}}}}`},
			req:      rq(sessA, "kafka-cluster:Connect", cluster), want: EffectAllow},

		// ---- numeric ----
		condCase("NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "10"),
		condCase("NumericEquals compares numbers", `{"NumericEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "10.0"),
		condCase("NumericEquals JSON number value", `{"NumericEquals":{"s3:max-keys":10}}`, true, "s3:max-keys", "10"),
		condCase("NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "11"),
		condCase("NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "9"),
		condCase("NumericLessThan equal is false", `{"NumericLessThan":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "10"),
		condCase("NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "10"),
		condCase("NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "11"),
		condCase("NumericGreaterThan false", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "2"),
		condCase("NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "10"),
		condCase("Numeric with non-number request value is false", `{"NumericEquals":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "ten"),

		// ---- dates ----
		condCase("DateLessThan ISO 8601", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("DateLessThan false after", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, false, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("DateGreaterThanEquals equal", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-05-01T12:00:00Z"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-05-01T12:00:00Z"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("DateEquals across time zones", `{"DateEquals":{"aws:CurrentTime":"2026-05-01T14:00:00+02:00"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2026-05-01T12:00:00Z"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:01Z"),
		condCase("Date epoch seconds in policy", `{"DateGreaterThan":{"aws:CurrentTime":"1577836800"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("Date epoch seconds as JSON number", `{"DateLessThan":{"aws:CurrentTime":1577836800}}`, false, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("Date date-only ISO 8601", `{"DateGreaterThan":{"aws:CurrentTime":"2026-04-30"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("Date epoch request value", `{"DateEquals":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}`, true, "aws:EpochTime", "1577836800"),
		condCase("aws:CurrentTime is filled when absent", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, true),
		condCase("Date unparsable request value is false", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, false, "aws:CurrentTime", "yesterday"),

		// ---- Bool, Binary ----
		condCase("Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, true, "aws:SecureTransport", "true"),
		condCase("Bool false mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, false, "aws:SecureTransport", "false"),
		condCase("Bool JSON boolean value", `{"Bool":{"aws:SecureTransport":false}}`, true, "aws:SecureTransport", "false"),
		condCase("Bool missing key is false", `{"Bool":{"aws:SecureTransport":"true"}}`, false),
		{rule: "Bool deny insecure transport", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Sid":"TLSOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`},
			req: ctxReq("aws:SecureTransport", "false"), want: EffectExplicitDeny, reason: `"TLSOnly"`},
		condCase("BinaryEquals base64", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, true, "k:bin", "QmluYXJ5VmFsdWU="),
		condCase("BinaryEquals mismatch", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, false, "k:bin", "b3RoZXI="),

		// ---- IP ----
		condCase("IpAddress IPv4 CIDR", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true, "aws:SourceIp", "10.1.2.3"),
		condCase("IpAddress IPv4 outside", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false, "aws:SourceIp", "192.168.1.1"),
		condCase("IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}`, true, "aws:SourceIp", "203.0.113.5"),
		condCase("IpAddress /32", `{"IpAddress":{"aws:SourceIp":"203.0.113.5/32"}}`, true, "aws:SourceIp", "203.0.113.5"),
		condCase("IpAddress list OR", `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","10.0.0.0/8"]}}`, true, "aws:SourceIp", "10.9.9.9"),
		condCase("IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, true, "aws:SourceIp", "2001:db8:1::5"),
		condCase("IpAddress IPv6 outside", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, false, "aws:SourceIp", "2001:db9::5"),
		condCase("IpAddress IPv4-mapped IPv6 request", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true, "aws:SourceIp", "::ffff:10.0.0.1"),
		condCase("IpAddress non-canonical CIDR", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, true, "aws:SourceIp", "10.200.0.1"),
		condCase("NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true, "aws:SourceIp", "192.168.1.1"),
		condCase("NotIpAddress inside is false", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false, "aws:SourceIp", "10.0.0.1"),
		condCase("IpAddress invalid request value is false", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false, "aws:SourceIp", "vpce-1"),

		// ---- ARN operators ----
		condCase("ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:t"}}`, true, "aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:t"),
		condCase("ArnEquals allows wildcards like ArnLike", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}`, true, "aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:t"),
		condCase("ArnLike per component", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}`, true, "aws:SourceArn", "arn:aws:sns:eu-west-1:111111111111:t"),
		condCase("ArnLike wildcard does not cross components", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:t"}}`, false, "aws:SourceArn", "arn:aws:sns:eu-west-1:111111111111:t"),
		condCase("ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:t"}}`, true, "aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:u"),
		condCase("ArnNotLike mismatch", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}`, false, "aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:u"),
		condCase("ArnLike non-ARN value is false", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}`, false, "aws:SourceArn", "not-an-arn"),

		// ---- Null ----
		condCase("Null true with missing key", `{"Null":{"aws:SourceVpc":"true"}}`, true),
		condCase("Null true with present key", `{"Null":{"aws:SourceVpc":"true"}}`, false, "aws:SourceVpc", "vpc-1"),
		condCase("Null false with present key", `{"Null":{"aws:SourceVpc":"false"}}`, true, "aws:SourceVpc", "vpc-1"),
		condCase("Null false with missing key", `{"Null":{"aws:SourceVpc":"false"}}`, false),
		condCase("Null JSON boolean value", `{"Null":{"aws:SourceVpc":true}}`, true),

		// ---- IfExists ----
		condCase("IfExists with missing key", `{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}`, true),
		condCase("IfExists with present key matching", `{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}`, true, "aws:SourceVpc", "vpc-1"),
		condCase("IfExists with present key not matching", `{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}`, false, "aws:SourceVpc", "vpc-2"),
		condCase("IpAddressIfExists with missing key", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, true),
		condCase("NumericLessThanIfExists present", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "20"),
		condCase("BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, true),
		condCase("StringNotEqualsIfExists present equal", `{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}`, false, "aws:SourceVpc", "vpc-1"),
		condCase("ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, true),
		condCase("DateLessThanIfExists present", `{"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, false, "aws:TokenIssueTime", "2026-01-01T00:00:00Z"),
		{rule: "IfExists deny applies when key missing", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}}`},
			req: ctxReq(), want: EffectExplicitDeny},
		{rule: "IfExists deny does not apply when key present and equal", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}}`},
			req: ctxReq("aws:SourceVpc", "vpc-1"), want: EffectAllow},
		{rule: "negated deny applies when key missing", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}}`},
			req: ctxReq(), want: EffectExplicitDeny},

		// ---- set operators ----
		condCase("ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, true, "aws:TagKeys", "x|b"),
		condCase("ForAnyValue none matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, false, "aws:TagKeys", "x|y"),
		condCase("ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, false),
		condCase("ForAnyValue empty set is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, false, "aws:TagKeys", ""),
		condCase("ForAllValues all match", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}`, true, "aws:TagKeys", "a|b"),
		condCase("ForAllValues one does not match", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, false, "aws:TagKeys", "a|x"),
		condCase("ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, true),
		condCase("ForAllValues with StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}`, true, "aws:TagKeys", "team-a|team-b"),
		condCase("ForAnyValue:StringNotEquals any value not listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, true, "aws:TagKeys", "a|z"),
		condCase("ForAnyValue:StringNotEquals all listed is false", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, false, "aws:TagKeys", "a|b"),
		condCase("ForAllValues:StringNotEquals none listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, true, "aws:TagKeys", "x|y"),
		condCase("ForAllValues:StringNotEquals one listed is false", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, false, "aws:TagKeys", "x|a"),
		condCase("ForAnyValue with IfExists missing key", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, true),
		condCase("ForAllValues:StringEqualsIgnoreCase", `{"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["A","B"]}}`, true, "aws:TagKeys", "a|b"),
		condCase("single-valued operator on multivalued key matches any", `{"StringEquals":{"aws:TagKeys":"b"}}`, true, "aws:TagKeys", "a|b"),
		condCase("ForAnyValue:IpAddress", `{"ForAnyValue:IpAddress":{"k:ips":"10.0.0.0/8"}}`, true, "k:ips", "192.0.2.1|10.0.0.1"),
		condCase("ForAllValues:NumericLessThan", `{"ForAllValues:NumericLessThan":{"k:n":"5"}}`, false, "k:n", "1|9"),
		{rule: "ForAllValues deny with empty set applies", identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}}}`},
			req: ctxReq(), want: EffectExplicitDeny},
	}
	cases = append(cases, logicCases()...)
	cases = append(cases, actionResourceCases()...)
	cases = append(cases, variableCases()...)
	cases = append(cases, principalCases()...)
	cases = append(cases, operatorCases()...)
	cases = append(cases, setCases()...)
	return cases
}

func TestEvaluate(t *testing.T) {
	cases := evalCases()
	if len(cases) < 150 {
		t.Fatalf("got %d evaluation cases; want at least 150", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if tc.rule == "" {
			t.Fatalf("case without rule: %+v", tc)
		}
		if seen[tc.rule] {
			t.Errorf("duplicate rule name %q", tc.rule)
		}
		seen[tc.rule] = true
		t.Run(tc.rule, func(t *testing.T) {
			var ids []Named
			for i, doc := range tc.identity {
				p, err := Parse(doc, Identity)
				if err != nil {
					t.Fatalf("Parse(identity %d): got %v; want nil", i+1, err)
				}
				ids = append(ids, Named{Name: fmt.Sprintf("user/alice inline policy p%d", i+1), Policy: p})
			}
			var res *Named
			if tc.resource != "" {
				kind := tc.kind
				if kind == 0 {
					kind = Resource
				}
				p, err := Parse(tc.resource, kind)
				if err != nil {
					t.Fatalf("Parse(resource): got %v; want nil", err)
				}
				res = &Named{Name: "cluster policy", Policy: p}
			}
			var d Decision
			if tc.now.IsZero() {
				d = Evaluate(tc.req, ids, res)
			} else {
				d = evaluate(&tc.req, ids, res, func() time.Time { return tc.now })
			}
			if d.Effect != tc.want {
				t.Fatalf("Evaluate: got %s (%s); want %s", d.Effect, d.Reason, tc.want)
			}
			if d.Allowed != (tc.want == EffectAllow) {
				t.Errorf("Allowed: got %v; want %v", d.Allowed, tc.want == EffectAllow)
			}
			if d.Reason == "" {
				t.Errorf("Reason: got empty; want an explanation")
			}
			if tc.reason != "" && !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("Reason: got %q; want it to contain %q", d.Reason, tc.reason)
			}
			if tc.want != EffectImplicitDeny && len(d.Matches) == 0 {
				t.Errorf("Matches: got none; want the deciding statement")
			}
		})
	}
	t.Logf("%d evaluation cases", len(cases))
}

func TestEvaluateMatchesListed(t *testing.T) {
	a, _ := Parse(allowAll, Identity)
	b, _ := Parse(`{"Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Action":"kafka-cluster:*","Resource":"*"},{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`, Identity)
	d := Evaluate(ctxReq(), []Named{{Name: "p1", Policy: a}, {Name: "p2", Policy: b}}, nil)
	want := []Match{{Policy: "p1", Index: 1, Effect: "Allow"}, {Policy: "p2", Index: 1, Sid: "One", Effect: "Allow"}}
	if fmt.Sprint(d.Matches) != fmt.Sprint(want) {
		t.Errorf("Matches: got %v; want %v", d.Matches, want)
	}
	if got, w := d.Matches[1].String(), `statement "One" (#1) of p2`; got != w {
		t.Errorf("Match.String: got %q; want %q", got, w)
	}
}

func TestEvaluateTrustPolicy(t *testing.T) {
	trust, err := Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::111111111111:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"]}}`, Trust)
	if err != nil {
		t.Fatalf("Parse: got %v; want nil", err)
	}
	n := &Named{Name: "role/r trust policy", Policy: trust}
	for _, tc := range []struct {
		p    Principal
		want bool
	}{{alice, true}, {ec2Svc, true}, {carol, false}, {anon, false}} {
		r := rq(tc.p, "sts:AssumeRole", "arn:aws:iam::111111111111:role/r")
		if d := Evaluate(r, nil, n); d.Allowed != tc.want {
			t.Errorf("Evaluate(%s): got %v (%s); want %v", tc.p.ARN+tc.p.Service, d.Allowed, d.Reason, tc.want)
		}
	}
}
