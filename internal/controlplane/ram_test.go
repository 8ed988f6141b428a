package controlplane_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
)

// TestRAMInvitationFlowWithTheAWSCLI shares a rule of account a with
// account b: b sees nothing until it accepts the invitation, then reads
// and associates the rule but may not change it; when a deletes the
// share, b loses the rule and its association.
func TestRAMInvitationFlowWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	c := e.cli(t)
	outID := str(c.ok("a", "route53resolver", "create-resolver-endpoint", "--creator-request-id", "out", "--direction", "OUTBOUND",
		"--security-group-ids", e.groupA, "--ip-addresses", "SubnetId="+e.subnetsA[0], "SubnetId="+e.subnetsA[1]), "ResolverEndpoint", "Id")
	rule := get(c.ok("a", "route53resolver", "create-resolver-rule", "--creator-request-id", "corp", "--rule-type", "FORWARD", "--domain-name", "corp.example",
		"--resolver-endpoint-id", outID, "--target-ips", "Ip=192.0.2.10"), "ResolverRule").(map[string]any)
	ruleID, ruleARN := str(rule, "Id"), str(rule, "Arn")

	c.fails("MalformedArnException", "a", "ram", "create-resource-share", "--name", "bucket", "--resource-arns", "arn:aws:s3:::bucket", "--principals", resolverB)
	sh := get(c.ok("a", "ram", "create-resource-share", "--name", "dns", "--resource-arns", ruleARN, "--principals", resolverB), "resourceShare").(map[string]any)
	shareARN := str(sh, "resourceShareArn")
	if str(sh, "status") != "ACTIVE" || str(sh, "owningAccountId") != resolverA || get(sh, "allowExternalPrincipals") != true {
		t.Errorf("create-resource-share: got %v", sh)
	}

	// Before b accepts, the rule is a's alone.
	c.fails("ResourceNotFoundException", "b", "route53resolver", "get-resolver-rule", "--resolver-rule-id", ruleID)
	c.fails("ResourceNotFoundException", "b", "route53resolver", "associate-resolver-rule", "--resolver-rule-id", ruleID, "--vpc-id", e.vpcB)
	if got := items(c.ok("b", "ram", "get-resource-shares", "--resource-owner", "OTHER-ACCOUNTS"), "resourceShares"); len(got) != 0 {
		t.Errorf("b's shares before accepting: got %v; want none", got)
	}
	invs := items(c.ok("b", "ram", "get-resource-share-invitations"), "resourceShareInvitations")
	if len(invs) != 1 || str(invs[0], "status") != "PENDING" || str(invs[0], "senderAccountId") != resolverA || str(invs[0], "resourceShareArn") != shareARN {
		t.Fatalf("b's invitations: got %v; want one PENDING from a", invs)
	}
	invARN := str(invs[0], "resourceShareInvitationArn")
	if got := str(c.ok("b", "ram", "accept-resource-share-invitation", "--resource-share-invitation-arn", invARN), "resourceShareInvitation", "status"); got != "ACCEPTED" {
		t.Errorf("accept-resource-share-invitation: got %s; want ACCEPTED", got)
	}
	c.fails("ResourceShareInvitationAlreadyAcceptedException", "b", "ram", "accept-resource-share-invitation", "--resource-share-invitation-arn", invARN)

	// Accepted: b reads and associates the rule, and may not change it.
	got := get(c.ok("b", "route53resolver", "get-resolver-rule", "--resolver-rule-id", ruleID), "ResolverRule").(map[string]any)
	if str(got, "ShareStatus") != "SHARED_WITH_ME" || str(got, "OwnerId") != resolverA {
		t.Errorf("b's get-resolver-rule: got %v; want SHARED_WITH_ME, owned by a", got)
	}
	if got := str(c.ok("a", "route53resolver", "get-resolver-rule", "--resolver-rule-id", ruleID), "ResolverRule", "ShareStatus"); got != "SHARED_BY_ME" {
		t.Errorf("a's get-resolver-rule: got %s; want SHARED_BY_ME", got)
	}
	if got := items(c.ok("b", "ram", "get-resource-shares", "--resource-owner", "OTHER-ACCOUNTS"), "resourceShares"); len(got) != 1 || str(got[0], "resourceShareArn") != shareARN {
		t.Errorf("b's shares once accepted: got %v; want %s", got, shareARN)
	}
	if got := items(c.ok("b", "ram", "list-resources", "--resource-owner", "OTHER-ACCOUNTS"), "resources"); len(got) != 1 || str(got[0], "arn") != ruleARN ||
		str(got[0], "type") != "route53resolver:ResolverRule" {
		t.Errorf("b's list-resources: got %v; want the rule", got)
	}
	principals := items(c.ok("a", "ram", "get-resource-share-associations", "--association-type", "PRINCIPAL"), "resourceShareAssociations")
	if len(principals) != 1 || str(principals[0], "associatedEntity") != resolverB || str(principals[0], "status") != "ASSOCIATED" {
		t.Errorf("a's principal associations: got %v; want b ASSOCIATED", principals)
	}
	assoc := get(c.ok("b", "route53resolver", "associate-resolver-rule", "--resolver-rule-id", ruleID, "--vpc-id", e.vpcB), "ResolverRuleAssociation").(map[string]any)
	if str(assoc, "Status") != "COMPLETE" || str(assoc, "VPCId") != e.vpcB {
		t.Errorf("b's associate-resolver-rule: got %v", assoc)
	}
	c.fails("AccessDeniedException", "b", "route53resolver", "update-resolver-rule", "--resolver-rule-id", ruleID, "--config", "Name=mine")
	c.fails("AccessDeniedException", "b", "route53resolver", "delete-resolver-rule", "--resolver-rule-id", ruleID)
	c.fails("ResourceInUseException", "a", "route53resolver", "delete-resolver-rule", "--resolver-rule-id", ruleID)
	snap, _, err := e.r53r.Snapshot(context.Background())
	if err != nil || len(snap.Associations) != 1 || snap.Associations[0].VPCID != e.vpcB {
		t.Errorf("Snapshot: got %+v, %v; want b's association", snap.Associations, err)
	}

	// a deletes the share: b loses the rule and its association.
	if got := get(c.ok("a", "ram", "delete-resource-share", "--resource-share-arn", shareARN), "returnValue"); got != true {
		t.Errorf("delete-resource-share: got %v; want true", got)
	}
	if got := items(c.ok("b", "route53resolver", "list-resolver-rule-associations"), "ResolverRuleAssociations"); len(got) != 0 {
		t.Errorf("b's associations after the share is deleted: got %v; want none", got)
	}
	c.fails("ResourceNotFoundException", "b", "route53resolver", "get-resolver-rule", "--resolver-rule-id", ruleID)
	c.fails("ResourceNotFoundException", "b", "route53resolver", "associate-resolver-rule", "--resolver-rule-id", ruleID, "--vpc-id", e.vpcB2)
	if got := items(c.ok("a", "ram", "get-resource-shares", "--resource-owner", "SELF"), "resourceShares"); len(got) != 1 || str(got[0], "status") != "DELETED" {
		t.Errorf("a's shares: got %v; want the share DELETED", got)
	}

	// A rejected invitation shares nothing; inviting again does.
	sh2 := str(c.ok("a", "ram", "create-resource-share", "--name", "again", "--resource-arns", ruleARN, "--principals", resolverB), "resourceShare", "resourceShareArn")
	inv2 := str(items(c.ok("b", "ram", "get-resource-share-invitations", "--resource-share-arns", sh2), "resourceShareInvitations")[0], "resourceShareInvitationArn")
	if got := str(c.ok("b", "ram", "reject-resource-share-invitation", "--resource-share-invitation-arn", inv2), "resourceShareInvitation", "status"); got != "REJECTED" {
		t.Errorf("reject-resource-share-invitation: got %s; want REJECTED", got)
	}
	c.fails("ResourceShareInvitationAlreadyRejectedException", "b", "ram", "accept-resource-share-invitation", "--resource-share-invitation-arn", inv2)
	added := items(c.ok("a", "ram", "associate-resource-share", "--resource-share-arn", sh2, "--principals", resolverB), "resourceShareAssociations")
	if len(added) != 1 || str(added[0], "status") != "ASSOCIATING" {
		t.Errorf("associate-resource-share: got %v; want b ASSOCIATING", added)
	}
	invs = items(c.ok("b", "ram", "get-resource-share-invitations", "--resource-share-arns", sh2), "resourceShareInvitations")
	if len(invs) != 2 || str(invs[1], "status") != "PENDING" {
		t.Fatalf("b's invitations to the second share: got %v; want the rejected one and a PENDING one", invs)
	}
	c.ok("b", "ram", "accept-resource-share-invitation", "--resource-share-invitation-arn", str(invs[1], "resourceShareInvitationArn"))
	c.ok("b", "route53resolver", "associate-resolver-rule", "--resolver-rule-id", ruleID, "--vpc-id", e.vpcB)
	removed := items(c.ok("a", "ram", "disassociate-resource-share", "--resource-share-arn", sh2, "--resource-arns", ruleARN), "resourceShareAssociations")
	if len(removed) != 1 || str(removed[0], "status") != "DISASSOCIATED" {
		t.Errorf("disassociate-resource-share: got %v; want the rule DISASSOCIATED", removed)
	}
	if got := items(c.ok("b", "route53resolver", "list-resolver-rule-associations"), "ResolverRuleAssociations"); len(got) != 0 {
		t.Errorf("b's associations once the rule is out of the share: got %v; want none", got)
	}
}

func TestRAMWithBoto3(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	reader := createUser(t, e.ts.iam, resolverA, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"*"}]}`)
	out := e.boto3(t, "ram_boto3.py", map[string]any{"subnetsA": e.subnetsA, "groupA": e.groupA, "vpcB": e.vpcB},
		"READER_KEY="+reader.AccessKeyID, "READER_SECRET="+reader.SecretAccessKey)
	if out.Calls < 70 {
		t.Errorf("the model check saw %d calls; want every one (over 70)", out.Calls)
	}
	out.sawOperations(t, "CreateResourceShare", "GetResourceShares", "GetResourceShareInvitations", "AcceptResourceShareInvitation",
		"RejectResourceShareInvitation", "AssociateResourceShare", "DisassociateResourceShare", "DeleteResourceShare", "ListResources",
		"GetResourceShareAssociations")
	shares := recorded(out.Values["shares"])
	if len(shares) != 3 {
		t.Fatalf("got shares %v; want 3", shares)
	}
	invs := out.Listed["get_resource_share_invitations"]
	if len(invs) != 2 {
		t.Fatalf("got b's invitations %v; want 2", invs)
	}
	rules := out.Listed["list_resources"]
	if len(rules) != 3 {
		t.Fatalf("got a's shared resources %v; want 3 rules", rules)
	}
	const (
		param     = "InvalidParameterException"
		malformed = "MalformedArnException"
		unknown   = "UnknownResourceException"
		invNF     = "ResourceShareInvitationArnNotFoundException"
		accepted  = "ResourceShareInvitationAlreadyAcceptedException"
		forbidden = "OperationNotPermittedException"
	)
	out.check(t, map[string]string{
		"create_malformed": malformed, "create_unshareable": malformed, "create_unknown_rule": unknown, "create_b_rule": unknown,
		"create_bad_principal": param, "create_own_account": param, "create_no_external": forbidden, "create_many_tags": "TagLimitExceededException",
		"create_token_mismatch": "IdempotentParameterMismatchException", "create_permission": param, "create_no_name": param,
		"create_reader": "AccessDeniedException", "create_wrong_type": param,
		"get_shares_bad_owner": param, "get_shares_no_owner": param, "get_shares_malformed": malformed,
		"get_shares_bad_token": "InvalidNextTokenException",
		"invitations_unknown":  invNF, "invitations_malformed": malformed, "invitations_max_0": "InvalidMaxResultsException",
		"accept_by_a": invNF, "accept_malformed": malformed, "accept_again": accepted, "reject_accepted": accepted,
		"accept_rejected":     "ResourceShareInvitationAlreadyRejectedException",
		"b_get_rejected_rule": "ResourceNotFoundException", "b_update": "AccessDeniedException", "b_delete": "AccessDeniedException",
		"list_resources_bad_type": "InvalidResourceTypeException", "list_resources_bad_scope": param,
		"associations_bad_type": param, "associations_principal_resource": param,
		"associate_b": unknown, "associate_nothing": param, "associate_unknown": unknown, "disassociate_again": unknown,
		"delete_again": forbidden, "delete_by_b": unknown, "delete_malformed": malformed,
	}, map[string]any{
		"share": map[string]any{"allowExternalPrincipals": true, "featureSet": "STANDARD", "name": "dns", "owningAccountId": resolverA, "status": "ACTIVE",
			"tags": []any{map[string]any{"key": "team", "value": "dns"}}},
		"share_time_type":    "datetime",
		"client_token":       map[string]any{"same": true, "token": "token-3"},
		"invitation":         map[string]any{"receiverAccountId": resolverB, "resourceShareName": "dns", "senderAccountId": resolverA, "status": "PENDING"},
		"accepted":           map[string]any{"status": "ACCEPTED", "token": "t"},
		"rejected":           "REJECTED",
		"b_rule_view":        map[string]any{"owner": resolverA, "share": "SHARED_WITH_ME"},
		"a_rule_view":        "SHARED_BY_ME",
		"b_association":      "COMPLETE",
		"principal_statuses": []string{resolverB + " ASSOCIATED", resolverB + " FAILED"},
		"associated":         []string{"PRINCIPAL ASSOCIATING", "RESOURCE ASSOCIATED"},
		"disassociated":      []string{"DISASSOCIATED"},
		"deleted":            map[string]any{"clientToken": "d", "returnValue": true},
	}, map[string][]int{
		"get_resource_shares": {1, 1, 1}, "get_resource_share_invitations": {1, 1}, "list_resources": {2, 1}, "associations_resource": {2, 1},
	}, map[string][]string{
		"get_resource_shares": shares, "get_resource_shares_tagged": shares[:1], "get_resource_shares_reader": shares, "get_resource_shares_b_before": nil,
		"get_resource_share_invitations_a": nil, "get_resource_shares_b": shares[:1], "list_resources_b": rules[:1], "list_resources_principal": rules[:1],
		"associations_resource": rules, "b_associations_after": nil, "get_resource_shares_deleted": shares[1:2],
	})
	if got := out.Listed["list_resolver_rules_b"]; len(got) != 2 || got[0] != rules[0] {
		t.Errorf("b's rules: got %v; want the shared one, then its own", got)
	}
}

func TestRAMBadRequests(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	ctx := context.Background()
	a := e.ts.caller(e.accounts["a"])
	rule, err := e.r53r.CreateRule(ctx, a, r53resolver.CreateRuleInput{CreatorRequestID: "r", RuleType: "SYSTEM", DomainName: "corp.example"})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := e.ram.CreateShare(ctx, a, ram.CreateShareInput{Name: "dns", ResourceARNs: []string{rule.ARN}, Principals: []string{resolverB}})
	if err != nil {
		t.Fatal(err)
	}
	before := e.state(t)
	share := func(change func(m map[string]any)) string {
		m := map[string]any{"name": "new", "resourceArns": []string{rule.ARN}}
		change(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const param = "InvalidParameterException"
	for _, c := range []struct {
		name, profile, method, uri, body string
		status                           int
		code, message                    string
	}{
		{"malformed JSON", "a", "POST", "/createresourceshare", `{"name":`, 400, param, "not valid"},
		{"not an object", "a", "POST", "/createresourceshare", `[1]`, 400, param, "not valid"},
		{"data after the object", "a", "POST", "/createresourceshare", share(func(map[string]any) {}) + "{}", 400, param, "data after"},
		{"an unknown member", "a", "POST", "/createresourceshare", share(func(m map[string]any) { m["colour"] = "red" }), 400, param, "colour"},
		{"a member in the wrong case", "a", "POST", "/createresourceshare", share(func(m map[string]any) { m["Name"] = m["name"]; delete(m, "name") }), 400, param, "Name"},
		{"a nested member in the wrong case", "a", "POST", "/createresourceshare", share(func(m map[string]any) { m["tags"] = []any{map[string]string{"Key": "k"}} }), 400, param, "Key"},
		{"a number for a string", "a", "POST", "/createresourceshare", share(func(m map[string]any) { m["name"] = 5 }), 400, param, "name"},
		{"a string for a list", "a", "POST", "/createresourceshare", share(func(m map[string]any) { m["principals"] = resolverB }), 400, param, "principals"},
		{"null name", "a", "POST", "/createresourceshare", share(func(m map[string]any) { m["name"] = nil }), 400, param, "parameter name"},
		{"permissions", "a", "POST", "/createresourceshare", share(func(m map[string]any) { m["permissionArns"] = []string{"arn:aws:ram::aws:permission/x"} }), 400, param, "permissionArns"},
		{"sources", "a", "POST", "/associateresourceshare", `{"resourceShareArn":"` + sh.ARN + `","sources":["111111111111"]}`, 400, param, "sources"},
		{"no resource owner", "a", "POST", "/getresourceshares", `{}`, 400, param, "resourceOwner"},
		{"maxResults 0", "a", "POST", "/getresourceshares", `{"resourceOwner":"SELF","maxResults":0}`, 400, param, "maxResults"},
		{"maxResults 501", "a", "POST", "/listresources", `{"resourceOwner":"SELF","maxResults":501}`, 400, param, "maxResults"},
		{"invitations maxResults 0", "b", "POST", "/getresourceshareinvitations", `{"maxResults":0}`, 400, "InvalidMaxResultsException", "maxResults"},
		{"a bad token", "a", "POST", "/getresourceshareassociations", `{"associationType":"RESOURCE","nextToken":"!!!"}`, 400, "InvalidNextTokenException", "nextToken"},
		{"no invitation", "b", "POST", "/acceptresourceshareinvitation", `{}`, 400, "MalformedArnException", "not valid"},
		{"delete without a share", "a", "DELETE", "/deleteresourceshare", ``, 400, param, "resourceShareArn"},
		{"delete with an unknown parameter", "a", "DELETE", "/deleteresourceshare?resourceShareArn=" + url.QueryEscape(sh.ARN) + "&force=true", ``, 400, param, "force"},
		{"delete with a body", "a", "DELETE", "/deleteresourceshare?resourceShareArn=" + url.QueryEscape(sh.ARN), `{}`, 400, param, "body"},
		{"delete of a malformed share", "a", "DELETE", "/deleteresourceshare?resourceShareArn=share", ``, 400, "MalformedArnException", "share"},
		{"delete by b", "b", "DELETE", "/deleteresourceshare?resourceShareArn=" + url.QueryEscape(sh.ARN), ``, 400, "UnknownResourceException", "could not be found"},
		{"GET", "a", "GET", "/getresourceshares", ``, 404, "UnknownOperationException", "GET /getresourceshares"},
		{"POST to delete", "a", "POST", "/deleteresourceshare", `{}`, 404, "UnknownOperationException", "POST /deleteresourceshare"},
		{"a trailing slash", "a", "POST", "/createresourceshare/", share(func(map[string]any) {}), 404, "UnknownOperationException", "No operation"},
		{"an operation kafkalink lacks", "a", "POST", "/createpermission", `{}`, 404, "UnknownOperationException", "/createpermission"},
		{"the root", "a", "POST", "/", `{}`, 404, "UnknownOperationException", "No operation"},
		{"a body over 1 MB", "a", "POST", "/getresourceshares", strings.Repeat(" ", 1<<20+1), 413, "RequestEntityTooLarge", "too large"},
	} {
		status, h, body := serveHTTP(e.handler, resolverSigned(t, e.accounts[c.profile], "ram", c.method, c.uri, "", []byte(c.body)))
		if p := ramProblem(c.method, status, h, body); p != "" {
			t.Errorf("%s: not a rest-json answer: %s (got %d %s)", c.name, p, status, body)
		}
		var msg struct {
			Message string `json:"message"`
		}
		json.Unmarshal(body, &msg)
		if status != c.status || h.Get("x-amzn-ErrorType") != c.code || !strings.Contains(msg.Message, c.message) {
			t.Errorf("%s: got %d %s %q; want %d %s %q", c.name, status, h.Get("x-amzn-ErrorType"), msg.Message, c.status, c.code, c.message)
		}
	}
	if after := e.state(t); !maps.Equal(after, before) {
		t.Errorf("refused requests changed the store:\n got %v\nwant %v", after, before)
	}
}
