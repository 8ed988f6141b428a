package controlplane_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/controlplane"
	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
)

const (
	resolverA = "111111111111" // profile a: owns the outbound endpoint and the shared rule
	resolverB = "222222222222" // profile b: the account the rule is shared with
)

// resolverEnv is a front door serving iam, sts, ec2, route53resolver and
// ram over one store, with two accounts and their networks.
type resolverEnv struct {
	ts       testServices
	r53r     *r53resolver.Service
	ram      *ram.Service
	handler  http.Handler
	url      string
	accounts map[string]iam.Credentials

	// Account a: vpcA (10.0.0.0/16) with subnetsA in use1-az1 and az2
	// (10.0.1.0/24, 10.0.2.0/24) and a tiny one (10.0.9.0/28), groupA
	// its default group; otherVpcA (10.9.0.0/16) with otherSubnetA and
	// otherGroupA.
	vpcA, groupA, tinySubnetA            string
	subnetsA                             []string
	otherVpcA, otherSubnetA, otherGroupA string
	// Account b: vpcB (10.1.0.0/16) with subnetsB, groupB; vpcB2
	// (10.2.0.0/16).
	vpcB, groupB, vpcB2 string
	subnetsB            []string
}

// newResolverEnv wires Route 53 Resolver and RAM as the daemon does:
// RAM shares resolver rules, and asks the resolver who owns them; the
// resolver asks RAM which rules are shared with whom.
func newResolverEnv(tb testing.TB) *resolverEnv {
	tb.Helper()
	ts := newTestServices(tb)
	resolver := r53resolver.New(ts.st, ts.iam, ts.ec2, nil)
	shares := ram.New(ts.st, ts.iam, "us-east-1", nil)
	shares.Register("route53resolver", "resolver-rule", r53resolver.RuleResourceType, resolver)
	resolver.SetSharing(shares)
	e := &resolverEnv{ts: ts, r53r: resolver, ram: shares,
		accounts: ts.createAccounts(map[string]string{"a": resolverA, "b": resolverB})}
	ctx := context.Background()
	vpc := func(account, cidr string) ec2.VPC {
		v, err := ts.ec2.CreateVPC(ctx, account, cidr)
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
	subnet := func(account, vpc, cidr, zone string) string {
		sn, err := ts.ec2.CreateSubnet(ctx, account, ec2.CreateSubnetInput{VPCID: vpc, CIDRBlock: cidr, AvailabilityZoneID: zone})
		if err != nil {
			tb.Fatal(err)
		}
		return sn.ID
	}
	a := vpc(resolverA, "10.0.0.0/16")
	e.vpcA, e.groupA = a.ID, a.DefaultSecurityGroupID
	e.subnetsA = []string{subnet(resolverA, a.ID, "10.0.1.0/24", "use1-az1"), subnet(resolverA, a.ID, "10.0.2.0/24", "use1-az2")}
	e.tinySubnetA = subnet(resolverA, a.ID, "10.0.9.0/28", "use1-az3")
	o := vpc(resolverA, "10.9.0.0/16")
	e.otherVpcA, e.otherGroupA = o.ID, o.DefaultSecurityGroupID
	e.otherSubnetA = subnet(resolverA, o.ID, "10.9.1.0/24", "use1-az1")
	b := vpc(resolverB, "10.1.0.0/16")
	e.vpcB, e.groupB = b.ID, b.DefaultSecurityGroupID
	e.subnetsB = []string{subnet(resolverB, b.ID, "10.1.1.0/24", "use1-az1"), subnet(resolverB, b.ID, "10.1.2.0/24", "use1-az2")}
	e.vpcB2 = vpc(resolverB, "10.2.0.0/16").ID

	e.handler = controlplane.New(ts.iam, "us-east-1", slog.New(slog.DiscardHandler),
		controlplane.WithEC2(ts.ec2), controlplane.WithRoute53Resolver(resolver), controlplane.WithRAM(shares))
	srv := httptest.NewServer(e.handler)
	tb.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// cli returns the aws CLI driver, with profiles a and b (the accounts'
// root users).
func (e *resolverEnv) cli(t *testing.T) *env {
	t.Helper()
	return cliFor(t, e.ts.iam, e.url, e.ts.dir, e.accounts)
}

// user creates an IAM user of account with an inline identity policy and
// a CLI profile named after it.
func (e *resolverEnv) user(c *env, account, name, doc string) {
	c.t.Helper()
	c.profile(name, createUser(c.t, e.ts.iam, account, name, doc))
}

var (
	inboundIDRe  = regexp.MustCompile(`^rslvr-in-[0-9a-f]{17}$`)
	outboundIDRe = regexp.MustCompile(`^rslvr-out-[0-9a-f]{17}$`)
	ruleIDRe     = regexp.MustCompile(`^rslvr-rr-[0-9a-f]{17}$`)
	assocIDRe    = regexp.MustCompile(`^rslvr-rrassoc-[0-9a-f]{17}$`)
)

func ids(list []map[string]any, key string) []string {
	var out []string
	for _, m := range list {
		out = append(out, str(m, key))
	}
	return out
}

func TestRoute53ResolverWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	c := e.cli(t)
	rr := func(profile string, args ...string) map[string]any {
		return c.ok(profile, append([]string{"route53resolver"}, args...)...)
	}
	fails := func(code, profile string, args ...string) {
		c.fails(code, profile, append([]string{"route53resolver"}, args...)...)
	}
	ip := func(subnet, addr string) string {
		if addr == "" {
			return "SubnetId=" + subnet
		}
		return "SubnetId=" + subnet + ",Ip=" + addr
	}

	// Endpoints.
	out := get(rr("a", "create-resolver-endpoint", "--creator-request-id", "out-1", "--name", "to corp", "--direction", "OUTBOUND",
		"--security-group-ids", e.groupA, "--ip-addresses", ip(e.subnetsA[0], ""), ip(e.subnetsA[1], "10.0.2.53"),
		"--tags", "Key=team,Value=dns"), "ResolverEndpoint").(map[string]any)
	outID := str(out, "Id")
	if !outboundIDRe.MatchString(outID) || str(out, "HostVPCId") != e.vpcA || str(out, "Status") != "OPERATIONAL" || get(out, "IpAddressCount") != 2.0 ||
		str(out, "Name") != "to corp" || str(out, "Arn") != "arn:aws:route53resolver:us-east-1:"+resolverA+":resolver-endpoint/"+outID {
		t.Errorf("create-resolver-endpoint: got %v", out)
	}
	in := get(rr("a", "create-resolver-endpoint", "--creator-request-id", "in-1", "--direction", "INBOUND",
		"--security-group-ids", e.groupA, "--ip-addresses", ip(e.subnetsA[0], ""), ip(e.subnetsA[1], "")), "ResolverEndpoint").(map[string]any)
	inID := str(in, "Id")
	if !inboundIDRe.MatchString(inID) {
		t.Errorf("create-resolver-endpoint INBOUND: got id %s", inID)
	}
	fails("ResourceExistsException", "a", "create-resolver-endpoint", "--creator-request-id", "out-1", "--direction", "OUTBOUND",
		"--security-group-ids", e.groupA, "--ip-addresses", ip(e.subnetsA[0], ""), ip(e.subnetsA[1], ""))
	fails("ResourceExistsException", "a", "create-resolver-endpoint", "--creator-request-id", "taken", "--direction", "INBOUND",
		"--security-group-ids", e.groupA, "--ip-addresses", ip(e.subnetsA[0], ""), ip(e.subnetsA[1], "10.0.2.53"))
	if got := get(rr("a", "get-resolver-endpoint", "--resolver-endpoint-id", outID), "ResolverEndpoint", "Id"); got != outID {
		t.Errorf("get-resolver-endpoint: got %v; want %s", got, outID)
	}
	fails("ResourceNotFoundException", "b", "get-resolver-endpoint", "--resolver-endpoint-id", outID)
	if got := ids(items(rr("a", "list-resolver-endpoints", "--page-size", "1"), "ResolverEndpoints"), "Id"); !slices.Equal(got, []string{outID, inID}) {
		t.Errorf("list-resolver-endpoints (pages of 1): got %v; want %s %s", got, outID, inID)
	}
	if got := ids(items(rr("a", "list-resolver-endpoints", "--filters", "Name=Direction,Values=INBOUND"), "ResolverEndpoints"), "Id"); !slices.Equal(got, []string{inID}) {
		t.Errorf("list-resolver-endpoints INBOUND: got %v; want %s", got, inID)
	}
	addrs := items(rr("a", "list-resolver-endpoint-ip-addresses", "--resolver-endpoint-id", outID, "--page-size", "1"), "IpAddresses")
	if got := ids(addrs, "Ip"); !slices.Equal(got, []string{"10.0.1.4", "10.0.2.53"}) {
		t.Errorf("list-resolver-endpoint-ip-addresses: got %v; want 10.0.1.4 10.0.2.53", got)
	}

	// Rules.
	rule := get(rr("a", "create-resolver-rule", "--creator-request-id", "rule-1", "--name", "corp", "--rule-type", "FORWARD",
		"--domain-name", "Corp.Example.com", "--resolver-endpoint-id", outID, "--target-ips", "Ip=192.0.2.10", "Ip=192.0.2.11,Port=5353"), "ResolverRule").(map[string]any)
	ruleID := str(rule, "Id")
	if !ruleIDRe.MatchString(ruleID) || str(rule, "DomainName") != "corp.example.com." || str(rule, "ShareStatus") != "NOT_SHARED" ||
		str(rule, "OwnerId") != resolverA || str(rule, "Status") != "COMPLETE" || str(rule, "Arn") != "arn:aws:route53resolver:us-east-1:"+resolverA+":resolver-rule/"+ruleID ||
		get(rule, "TargetIps") == nil || get(items(rule, "TargetIps")[0], "Port") != 53.0 || get(items(rule, "TargetIps")[1], "Port") != 5353.0 {
		t.Errorf("create-resolver-rule: got %v", rule)
	}
	fails("InvalidRequestException", "a", "create-resolver-rule", "--creator-request-id", "recursive", "--rule-type", "RECURSIVE", "--domain-name", "x.example")
	fails("InvalidRequestException", "a", "create-resolver-rule", "--creator-request-id", "via-inbound", "--rule-type", "FORWARD", "--domain-name", "x.example",
		"--resolver-endpoint-id", inID, "--target-ips", "Ip=192.0.2.10")
	sysID := str(rr("a", "create-resolver-rule", "--creator-request-id", "rule-2", "--rule-type", "SYSTEM", "--domain-name", "db.corp.example.com"), "ResolverRule", "Id")
	twinID := str(rr("a", "create-resolver-rule", "--creator-request-id", "rule-3", "--rule-type", "FORWARD", "--domain-name", "corp.example.com.",
		"--resolver-endpoint-id", outID, "--target-ips", "Ip=192.0.2.12"), "ResolverRule", "Id")
	if got := str(rr("a", "get-resolver-rule", "--resolver-rule-id", ruleID), "ResolverRule", "Name"); got != "corp" {
		t.Errorf("get-resolver-rule: got name %q; want corp", got)
	}
	fails("ResourceNotFoundException", "b", "get-resolver-rule", "--resolver-rule-id", ruleID)
	if got := ids(items(rr("a", "list-resolver-rules", "--page-size", "2"), "ResolverRules"), "Id"); !slices.Equal(got, []string{ruleID, sysID, twinID}) {
		t.Errorf("list-resolver-rules (pages of 2): got %v", got)
	}
	if got := ids(items(rr("a", "list-resolver-rules", "--filters", "Name=Type,Values=SYSTEM"), "ResolverRules"), "Id"); !slices.Equal(got, []string{sysID}) {
		t.Errorf("list-resolver-rules SYSTEM: got %v; want %s", got, sysID)
	}
	upd := get(rr("a", "update-resolver-rule", "--resolver-rule-id", ruleID, "--config", `{"Name":"corp dns","TargetIps":[{"Ip":"198.51.100.7","Port":8053}]}`), "ResolverRule").(map[string]any)
	if str(upd, "Name") != "corp dns" || len(items(upd, "TargetIps")) != 1 || str(items(upd, "TargetIps")[0], "Ip") != "198.51.100.7" {
		t.Errorf("update-resolver-rule: got %v", upd)
	}
	fails("InvalidRequestException", "a", "update-resolver-rule", "--resolver-rule-id", sysID, "--config", `{"TargetIps":[{"Ip":"192.0.2.1"}]}`)

	// Associations.
	assoc := get(rr("a", "associate-resolver-rule", "--resolver-rule-id", ruleID, "--vpc-id", e.vpcA, "--name", "main"), "ResolverRuleAssociation").(map[string]any)
	assocID := str(assoc, "Id")
	if !assocIDRe.MatchString(assocID) || str(assoc, "Status") != "COMPLETE" || str(assoc, "VPCId") != e.vpcA {
		t.Errorf("associate-resolver-rule: got %v", assoc)
	}
	sysAssoc := str(rr("a", "associate-resolver-rule", "--resolver-rule-id", sysID, "--vpc-id", e.vpcA), "ResolverRuleAssociation", "Id")
	fails("ResourceExistsException", "a", "associate-resolver-rule", "--resolver-rule-id", twinID, "--vpc-id", e.vpcA)
	if got := str(rr("a", "get-resolver-rule-association", "--resolver-rule-association-id", assocID), "ResolverRuleAssociation", "Name"); got != "main" {
		t.Errorf("get-resolver-rule-association: got name %q; want main", got)
	}
	fails("ResourceNotFoundException", "b", "get-resolver-rule-association", "--resolver-rule-association-id", assocID)
	if got := ids(items(rr("a", "list-resolver-rule-associations", "--page-size", "1", "--filters", "Name=VPCId,Values="+e.vpcA), "ResolverRuleAssociations"), "Id"); !slices.Equal(got, sortedStrings(assocID, sysAssoc)) {
		t.Errorf("list-resolver-rule-associations: got %v; want %s %s", got, assocID, sysAssoc)
	}
	fails("ResourceInUseException", "a", "delete-resolver-rule", "--resolver-rule-id", ruleID)
	fails("InvalidRequestException", "a", "delete-resolver-endpoint", "--resolver-endpoint-id", outID)
	if got := str(rr("a", "disassociate-resolver-rule", "--resolver-rule-id", ruleID, "--vpc-id", e.vpcA), "ResolverRuleAssociation", "Status"); got != "DELETING" {
		t.Errorf("disassociate-resolver-rule: got %s; want DELETING", got)
	}
	fails("ResourceNotFoundException", "a", "disassociate-resolver-rule", "--resolver-rule-id", ruleID, "--vpc-id", e.vpcA)

	// Denials.
	e.user(c, resolverA, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["route53resolver:Get*","route53resolver:List*"],"Resource":"*"}]}`)
	rr("reader", "get-resolver-rule", "--resolver-rule-id", ruleID)
	if stderr := c.fails("AccessDeniedException", "reader", "route53resolver", "delete-resolver-rule", "--resolver-rule-id", ruleID); !strings.Contains(stderr, "route53resolver:DeleteResolverRule") {
		t.Errorf("the denial does not name the action: %s", stderr)
	}

	// Deletes.
	for _, id := range []string{ruleID, twinID} {
		if got := str(rr("a", "delete-resolver-rule", "--resolver-rule-id", id), "ResolverRule", "Status"); got != "DELETING" {
			t.Errorf("delete-resolver-rule %s: got %s; want DELETING", id, got)
		}
	}
	if got := str(rr("a", "delete-resolver-endpoint", "--resolver-endpoint-id", outID), "ResolverEndpoint", "Status"); got != "DELETING" {
		t.Errorf("delete-resolver-endpoint: got %s; want DELETING", got)
	}
	fails("ResourceNotFoundException", "a", "get-resolver-endpoint", "--resolver-endpoint-id", outID)
}

func sortedStrings(s ...string) []string {
	slices.Sort(s)
	return s
}

// boto3 runs a script of testdata with the fixture (and the accounts'
// keys) and returns what it printed, having checked that every response
// conformed to its model.
func (e *resolverEnv) boto3(t *testing.T, script string, fixture map[string]any, env ...string) boto3Out {
	t.Helper()
	return runBoto3(t, script, e.url, e.ts.dir, e.accounts, fixture, env...)
}

// strings of a JSON list the script recorded.
func recorded(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, s := range l {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func TestRoute53ResolverWithBoto3(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	out := e.boto3(t, "route53resolver_boto3.py", map[string]any{
		"vpcA": e.vpcA, "subnetsA": e.subnetsA, "groupA": e.groupA, "otherSubnetA": e.otherSubnetA, "otherGroupA": e.otherGroupA, "vpcB": e.vpcB,
	})
	if out.Calls < 85 {
		t.Errorf("the model check saw %d calls; want every one (over 85)", out.Calls)
	}
	out.sawOperations(t, "CreateResolverEndpoint", "GetResolverEndpoint", "ListResolverEndpoints", "DeleteResolverEndpoint",
		"ListResolverEndpointIpAddresses", "CreateResolverRule", "GetResolverRule", "ListResolverRules", "UpdateResolverRule",
		"DeleteResolverRule", "AssociateResolverRule", "DisassociateResolverRule", "GetResolverRuleAssociation", "ListResolverRuleAssociations")
	endpoints, rules, assocs := recorded(out.Values["endpoint_ids"]), recorded(out.Values["rule_ids"]), recorded(out.Values["association_ids"])
	if len(endpoints) != 3 || len(rules) != 4 || len(assocs) != 3 {
		t.Fatalf("got endpoints %v, rules %v, associations %v; want 3, 4, 3", endpoints, rules, assocs)
	}
	const (
		exists   = "ResourceExistsException"
		request  = "InvalidRequestException"
		param    = "InvalidParameterException"
		notFound = "ResourceNotFoundException"
		inUse    = "ResourceInUseException"
		limit    = "LimitExceededException"
	)
	out.check(t, map[string]string{
		"endpoint_request_again": exists, "endpoint_two_vpcs": request, "endpoint_group_elsewhere": request, "endpoint_group_unknown": notFound,
		"endpoint_subnet_malformed": param, "endpoint_ip_taken": exists, "endpoint_ip_reserved": request, "endpoint_seven_ips": limit,
		"endpoint_ipv6": request, "endpoint_outpost": request, "endpoint_doh": request, "endpoint_delegation": request, "endpoint_limit": limit,
		"endpoint_one_ip": request, "endpoint_no_groups": param, "endpoint_wrong_type": "SerializationException",
		"get_endpoint_unknown": notFound, "get_endpoint_b": notFound, "list_endpoints_bad_filter": param,
		"list_endpoints_bad_token": "InvalidNextTokenException", "list_endpoints_max_0": param, "list_ips_unknown": notFound,
		"rule_request_again": exists, "rule_recursive": request, "rule_delegate": request, "rule_system_targets": request,
		"rule_forward_no_targets": request, "rule_forward_inbound": request, "rule_forward_unknown_endpoint": notFound, "rule_bad_domain": param,
		"rule_ipv6_target": request, "rule_doh_target": request, "rule_port_0": param, "rule_bad_ip": param, "rule_bad_type": param,
		"get_rule_b": notFound, "get_rule_unknown": notFound, "update_system_targets": request, "update_inbound": request, "update_b": notFound,
		"update_no_config": param, "associate_twin": exists, "associate_again": exists, "associate_b_vpc": param, "associate_b": notFound,
		"get_association_b": notFound, "delete_rule_in_use": inUse, "delete_endpoint_in_use": request, "disassociate_again": notFound,
		"get_deleted_endpoint": notFound, "delete_rule_b": notFound,
	}, map[string]any{
		"endpoint":     map[string]any{"Direction": "OUTBOUND", "HostVPCId": e.vpcA, "IpAddressCount": 2, "Name": "out one", "SecurityGroupIds": []string{e.groupA}, "Status": "OPERATIONAL"},
		"get_endpoint": map[string]any{"count": 2, "id": endpoints[0], "name": "out one"},
		"rule": map[string]any{"DomainName": "corp.example.com.", "Name": "corp", "OwnerId": resolverA, "ResolverEndpointId": endpoints[0], "RuleType": "FORWARD",
			"ShareStatus": "NOT_SHARED", "Status": "COMPLETE", "TargetIps": []any{map[string]any{"Ip": "192.0.2.10", "Port": 53, "Protocol": "Do53"},
				map[string]any{"Ip": "192.0.2.11", "Port": 5353, "Protocol": "Do53"}}},
		"root_domain": ".",
		"get_rule":    map[string]any{"arn": "arn:aws:route53resolver:us-east-1:" + resolverA + ":resolver-rule/" + rules[0], "id": rules[0], "share": "NOT_SHARED"},
		"update_rule": map[string]any{"DomainName": "corp.example.com.", "Name": "corp dns", "ResolverEndpointId": endpoints[2],
			"TargetIps": []any{map[string]any{"Ip": "198.51.100.7", "Port": 8053, "Protocol": "Do53"}}},
		"association":      map[string]any{"Name": "main", "ResolverRuleId": rules[0], "Status": "COMPLETE", "VPCId": e.vpcA},
		"deleted_rules":    []string{"DELETING", "DELETING"},
		"deleted_endpoint": "DELETING",
	}, map[string][]int{
		"list_resolver_endpoints": {1, 1, 1}, "list_resolver_endpoint_ip_addresses": {1, 1}, "list_resolver_rules": {3, 1},
		"list_resolver_rule_associations": {2, 1},
	}, map[string][]string{
		"list_resolver_endpoints": endpoints, "list_resolver_endpoints_outbound": {endpoints[0], endpoints[2]}, "list_resolver_endpoints_b": nil,
		"list_resolver_endpoint_ip_addresses": {"10.0.1.4", "10.0.2.53"}, "list_resolver_rules": rules,
		"list_resolver_rules_domain": {rules[0], rules[2]}, "list_resolver_rules_system": {rules[1]}, "list_resolver_rules_b": nil,
		"list_resolver_rule_associations": assocs,
	})
	if got := get(out.Values, "disassociated", "status"); got != "DELETING" {
		t.Errorf("disassociated: got %v; want DELETING", got)
	}
	if got := out.Listed["list_resolver_rule_associations_rule"]; len(got) != 1 || !slices.Contains(assocs, got[0]) {
		t.Errorf("associations of the SYSTEM rule: got %v; want one of %v", got, assocs)
	}
}

// state is what the resolver and RAM keep in the store, with revisions.
func (e *resolverEnv) state(tb testing.TB) map[string]string {
	tb.Helper()
	return storeState(tb, e.ts.st, e.r53r.Prefix(), e.ram.Prefix())
}

func TestRoute53ResolverBadRequests(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	ctx := context.Background()
	a := e.ts.caller(e.accounts["a"])
	out, err := e.r53r.CreateEndpoint(ctx, a, r53resolver.CreateEndpointInput{CreatorRequestID: "out", Direction: "OUTBOUND", SecurityGroupIDs: []string{e.groupA},
		IPs: []r53resolver.IPRequest{{SubnetID: e.subnetsA[0]}, {SubnetID: e.subnetsA[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	rule, err := e.r53r.CreateRule(ctx, a, r53resolver.CreateRuleInput{CreatorRequestID: "r", RuleType: "FORWARD", DomainName: "corp.example",
		EndpointID: out.ID, Targets: []r53resolver.TargetInput{{IP: "192.0.2.10"}}})
	if err != nil {
		t.Fatal(err)
	}
	before := e.state(t)
	endpoint := func(change func(m map[string]any)) string {
		m := map[string]any{"CreatorRequestId": "new", "Direction": "INBOUND", "SecurityGroupIds": []string{e.groupA},
			"IpAddresses": []any{map[string]any{"SubnetId": e.subnetsA[0]}, map[string]any{"SubnetId": e.subnetsA[1]}}}
		change(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	const (
		ser   = "SerializationException"
		param = "InvalidParameterException"
		unop  = "UnknownOperationException"
	)
	for _, c := range []struct {
		name, method, uri, op, body string
		status                      int
		code, message               string
	}{
		{"malformed JSON", "POST", "/", "GetResolverRule", `{"ResolverRuleId":`, 400, ser, "not valid"},
		{"not an object", "POST", "/", "GetResolverRule", `["x"]`, 400, ser, "not valid"},
		{"a JSON string", "POST", "/", "GetResolverRule", `"x"`, 400, ser, "not valid"},
		{"data after the object", "POST", "/", "GetResolverRule", `{"ResolverRuleId":"x"} {}`, 400, ser, "data after"},
		{"deep nesting", "POST", "/", "GetResolverRule", `{"ResolverRuleId":` + deep + `}`, 400, ser, "not valid"},
		{"an unknown member", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) { m["Colour"] = "red" }), 400, ser, "Colour"},
		{"a member in the wrong case", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) { m["direction"] = m["Direction"]; delete(m, "Direction") }), 400, ser, "direction"},
		{"a nested member in the wrong case", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) {
			m["IpAddresses"] = []any{map[string]any{"subnetId": e.subnetsA[0]}, map[string]any{"SubnetId": e.subnetsA[1]}}
		}), 400, ser, "subnetId"},
		{"a number for a string", "POST", "/", "GetResolverRule", `{"ResolverRuleId":5}`, 400, ser, "ResolverRuleId"},
		{"a string for a list", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) { m["SecurityGroupIds"] = e.groupA }), 400, ser, "SecurityGroupIds"},
		{"a fractional port", "POST", "/", "UpdateResolverRule", `{"ResolverRuleId":"` + rule.ID + `","Config":{"TargetIps":[{"Ip":"192.0.2.1","Port":53.5}]}}`, 400, ser, "Port"},
		{"a huge port", "POST", "/", "UpdateResolverRule", `{"ResolverRuleId":"` + rule.ID + `","Config":{"TargetIps":[{"Ip":"192.0.2.1","Port":1e400}]}}`, 400, ser, "not valid"},
		{"a map for tags", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) { m["Tags"] = map[string]string{"k": "v"} }), 400, ser, "Tags"},
		{"null", "POST", "/", "GetResolverRule", `null`, 400, param, "ResolverRuleId is required"},
		{"no body", "POST", "/", "GetResolverRule", ``, 400, param, "ResolverRuleId is required"},
		{"no security groups", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) { delete(m, "SecurityGroupIds") }), 400, param, "SecurityGroupIds"},
		{"no addresses", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) { delete(m, "IpAddresses") }), 400, param, "IpAddresses"},
		{"no config", "POST", "/", "UpdateResolverRule", `{"ResolverRuleId":"` + rule.ID + `"}`, 400, param, "Config"},
		{"an IPv6 address", "POST", "/", "CreateResolverEndpoint", endpoint(func(m map[string]any) {
			m["IpAddresses"] = []any{map[string]any{"SubnetId": e.subnetsA[0], "Ipv6": "fd00::5"}, map[string]any{"SubnetId": e.subnetsA[1]}}
		}), 400, "InvalidRequestException", "IPV4"},
		{"a long id", "POST", "/", "GetResolverRule", `{"ResolverRuleId":"` + strings.Repeat("r", 65) + `"}`, 400, param, "64"},
		{"MaxResults 101", "POST", "/", "ListResolverRules", `{"MaxResults":101}`, 400, param, "MaxResults"},
		{"a token that is not base64", "POST", "/", "ListResolverRules", `{"NextToken":"!!!"}`, 400, "InvalidNextTokenException", "NextToken"},
		{"a token past the end", "POST", "/", "ListResolverRules", `{"NextToken":"` + base64.RawURLEncoding.EncodeToString([]byte("99")) + `"}`, 400, "InvalidNextTokenException", "NextToken"},
		{"no target", "POST", "/", "", `{}`, 400, unop, "no operation"},
		{"an operation kafkalink lacks", "POST", "/", "CreateFirewallRule", `{}`, 400, unop, "CreateFirewallRule"},
		{"another service's prefix", "POST", "/", "Route53.GetResolverRule", `{}`, 400, unop, "Route53.GetResolverRule"},
		{"GET", "GET", "/", "GetResolverRule", `{}`, 400, unop, "GET"},
		{"another path", "POST", "/rules", "GetResolverRule", `{}`, 400, unop, "/rules"},
		{"a body over 1 MB", "POST", "/", "GetResolverRule", strings.Repeat(" ", 1<<20+1), 413, "RequestEntityTooLarge", "too large"},
	} {
		target := c.op
		if target != "" && !strings.Contains(target, ".") {
			target = "Route53Resolver." + target
		}
		status, h, body := serveHTTP(e.handler, resolverSigned(t, e.accounts["a"], "route53resolver", c.method, c.uri, target, []byte(c.body)))
		if p := resolverProblem(status, h, body); p != "" {
			t.Errorf("%s: not a JSON 1.1 answer: %s (got %d %s)", c.name, p, status, body)
		}
		var msg struct{ Message string }
		json.Unmarshal(body, &msg)
		if status != c.status || h.Get("x-amzn-ErrorType") != c.code || !strings.Contains(msg.Message, c.message) {
			t.Errorf("%s: got %d %s %q; want %d %s %q", c.name, status, h.Get("x-amzn-ErrorType"), msg.Message, c.status, c.code, c.message)
		}
	}
	if after := e.state(t); !maps.Equal(after, before) {
		t.Errorf("refused requests changed the store:\n got %v\nwant %v", after, before)
	}
}
