package r53resolver_test

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
	"github.com/kafkalink/kafkalink/internal/store"
)

var (
	inboundIDRe  = regexp.MustCompile(`^rslvr-in-[0-9a-f]{17}$`)
	outboundIDRe = regexp.MustCompile(`^rslvr-out-[0-9a-f]{17}$`)
	ruleIDRe     = regexp.MustCompile(`^rslvr-rr-[0-9a-f]{17}$`)
	assocIDRe    = regexp.MustCompile(`^rslvr-rrassoc-[0-9a-f]{17}$`)
	ipIDRe       = regexp.MustCompile(`^rni-[0-9a-f]{17}$`)
)

func addrs(e r53resolver.Endpoint) []string {
	var out []string
	for _, ip := range e.IPs {
		out = append(out, ip.IP.String())
	}
	return out
}

func TestCreateEndpoint(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.r.CreateEndpoint(ctx, f.a, r53resolver.CreateEndpointInput{CreatorRequestID: "first", Name: "in bound_1", Direction: "INBOUND",
		SecurityGroupIDs: []string{f.groupA, f.groupA2, f.groupA},
		IPs:              []r53resolver.IPRequest{{SubnetID: f.subnetsA[0]}, {SubnetID: f.subnetsA[1], IP: "10.0.2.53"}, {SubnetID: f.subnetsA[0]}},
		Tags:             []r53resolver.Tag{{Key: "team", Value: "dns"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !inboundIDRe.MatchString(e.ID) || e.ARN != "arn:aws:route53resolver:us-east-1:"+acctA+":resolver-endpoint/"+e.ID {
		t.Errorf("got id %s arn %s; want rslvr-in-<17 hex> and its ARN", e.ID, e.ARN)
	}
	if got, want := addrs(e), []string{"10.0.1.4", "10.0.2.53", "10.0.1.5"}; !slices.Equal(got, want) {
		t.Errorf("got addresses %v; want %v (allocated from the fifth address, in the order asked)", got, want)
	}
	for _, ip := range e.IPs {
		if !ipIDRe.MatchString(ip.ID) {
			t.Errorf("got IP id %s; want rni-<17 hex>", ip.ID)
		}
	}
	if e.VPCID != f.vpcA || e.Status != "OPERATIONAL" || e.Owner != acctA || !slices.Equal(e.SecurityGroupIDs, []string{f.groupA, f.groupA2}) {
		t.Errorf("got %+v; want OPERATIONAL in %s, owned by %s, groups %s %s", e, f.vpcA, acctA, f.groupA, f.groupA2)
	}
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	if !outboundIDRe.MatchString(out.ID) {
		t.Errorf("got id %s; want rslvr-out-<17 hex>", out.ID)
	}
	if got, want := addrs(out), []string{"10.0.1.6", "10.0.2.4"}; !slices.Equal(got, want) {
		t.Errorf("got addresses %v; want %v", got, want)
	}

	user := f.w.User(acctA, "reader", readOnly)
	sixIPs := make([]r53resolver.IPRequest, 6)
	for i := range sixIPs {
		sixIPs[i].SubnetID = f.subnetsA[i%2]
	}
	ok := func(change func(*r53resolver.CreateEndpointInput)) r53resolver.CreateEndpointInput {
		in := r53resolver.CreateEndpointInput{CreatorRequestID: "x", Direction: "OUTBOUND", SecurityGroupIDs: []string{f.groupA},
			IPs: []r53resolver.IPRequest{{SubnetID: f.subnetsA[0]}, {SubnetID: f.subnetsA[1]}}}
		change(&in)
		return in
	}
	manyTags := make([]r53resolver.Tag, 201)
	for i := range manyTags {
		manyTags[i] = r53resolver.Tag{Key: fmt.Sprint("k", i)}
	}
	before := f.state()
	for _, c := range []struct {
		name   string
		caller iam.Caller
		in     r53resolver.CreateEndpointInput
		code   string
	}{
		{"no creator request id", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.CreatorRequestID = "" }), r53resolver.CodeInvalidParameter},
		{"a creator request id used before", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.CreatorRequestID = "first" }), r53resolver.CodeExists},
		{"a name of digits", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Name = "123" }), r53resolver.CodeInvalidParameter},
		{"a name with a slash", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Name = "a/b" }), r53resolver.CodeInvalidParameter},
		{"a long name", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Name = strings.Repeat("n", 65) }), r53resolver.CodeInvalidParameter},
		{"no direction", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Direction = "" }), r53resolver.CodeInvalidParameter},
		{"an unknown direction", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Direction = "SIDEWAYS" }), r53resolver.CodeInvalidParameter},
		{"a delegation endpoint", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Direction = "INBOUND_DELEGATION" }), r53resolver.CodeInvalidRequest},
		{"no security group", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.SecurityGroupIDs = nil }), r53resolver.CodeInvalidRequest},
		{"eleven security groups", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.SecurityGroupIDs = slices.Repeat([]string{f.groupA}, 11) }), r53resolver.CodeInvalidParameter},
		{"a malformed security group", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.SecurityGroupIDs = []string{"default"} }), r53resolver.CodeInvalidParameter},
		{"an unknown security group", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.SecurityGroupIDs = []string{"sg-0123456789abcdef0"} }), r53resolver.CodeNotFound},
		{"another account's security group", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.SecurityGroupIDs = []string{f.groupB} }), r53resolver.CodeNotFound},
		{"a security group of another VPC", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.SecurityGroupIDs = []string{f.otherGroupA} }), r53resolver.CodeInvalidRequest},
		{"one address", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs = in.IPs[:1] }), r53resolver.CodeInvalidRequest},
		{"seven addresses", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs = append(slices.Clone(sixIPs), sixIPs[0]) }), r53resolver.CodeLimitExceeded},
		{"an address without a subnet", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[1].SubnetID = "" }), r53resolver.CodeInvalidParameter},
		{"a malformed subnet", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[1].SubnetID = "subnet-x" }), r53resolver.CodeInvalidParameter},
		{"an unknown subnet", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[1].SubnetID = "subnet-0123456789abcdef0" }), r53resolver.CodeInvalidParameter},
		{"another account's subnet", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[1].SubnetID = f.subnetB }), r53resolver.CodeInvalidParameter},
		{"subnets of two VPCs", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[1].SubnetID = f.otherSubnetA }), r53resolver.CodeInvalidRequest},
		{"an address outside its subnet", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[1].IP = "10.0.1.9" }), r53resolver.CodeInvalidRequest},
		{"a reserved address", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[0].IP = "10.0.1.3" }), r53resolver.CodeInvalidRequest},
		{"the broadcast address", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[0].IP = "10.0.1.255" }), r53resolver.CodeInvalidRequest},
		{"not an address", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[0].IP = "ten" }), r53resolver.CodeInvalidParameter},
		{"an IPv6 address", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[0].IP = "fd00::5" }), r53resolver.CodeInvalidParameter},
		{"an address taken", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.IPs[1].IP = "10.0.2.53" }), r53resolver.CodeExists},
		{"an address twice", f.a, ok(func(in *r53resolver.CreateEndpointInput) {
			in.IPs = []r53resolver.IPRequest{{SubnetID: f.subnetsA[0], IP: "10.0.1.77"}, {SubnetID: f.subnetsA[0], IP: "10.0.1.77"}}
		}), r53resolver.CodeExists},
		{"too many tags", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Tags = manyTags }), r53resolver.CodeInvalidParameter},
		{"a tag without a key", f.a, ok(func(in *r53resolver.CreateEndpointInput) { in.Tags = []r53resolver.Tag{{Value: "v"}} }), r53resolver.CodeInvalidParameter},
		{"a user that may only read", user, ok(func(*r53resolver.CreateEndpointInput) {}), r53resolver.CodeAccessDenied},
		{"account b in account a's network", f.b, ok(func(in *r53resolver.CreateEndpointInput) { in.SecurityGroupIDs = []string{f.groupB} }), r53resolver.CodeInvalidParameter},
	} {
		_, err := f.r.CreateEndpoint(ctx, c.caller, c.in)
		wantCode(t, c.name, err, c.code)
	}
	f.unchanged("refused CreateEndpoint calls", before)

	got, err := f.r.GetEndpoint(ctx, f.a, e.ID)
	if err != nil || got.ID != e.ID || !slices.Equal(addrs(got), addrs(e)) {
		t.Errorf("GetEndpoint: got %+v, %v; want %s", got, err, e.ID)
	}
	_, err = f.r.GetEndpoint(ctx, f.b, e.ID)
	wantCode(t, "GetEndpoint of another account's", err, r53resolver.CodeNotFound)
	_, err = f.r.GetEndpoint(ctx, f.a, "rslvr-in-0123456789abcdef0")
	wantCode(t, "GetEndpoint unknown", err, r53resolver.CodeNotFound)
	_, err = f.r.GetEndpoint(ctx, f.a, strings.Repeat("x", 65))
	wantCode(t, "GetEndpoint of a long id", err, r53resolver.CodeInvalidParameter)
	denied := f.w.User(acctA, "nobody", denyResolver)
	_, err = f.r.GetEndpoint(ctx, denied, "rslvr-in-0123456789abcdef0")
	wantCode(t, "GetEndpoint unknown, denied", err, r53resolver.CodeAccessDenied)
}

func TestEndpointAddresses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.r.SetLimits(r53resolver.Limits{EndpointsPerAccount: 50, IPsPerEndpoint: 6, RulesPerAccount: 10, AssociationsPerAccount: 10})
	// 10.0.9.0/28: .4 to .14 are free (11 addresses).
	tiny := func(n int, explicit ...string) r53resolver.CreateEndpointInput {
		in := r53resolver.CreateEndpointInput{CreatorRequestID: f.requestID(), Direction: "INBOUND", SecurityGroupIDs: []string{f.groupA}}
		for i := range n {
			ip := r53resolver.IPRequest{SubnetID: f.tinyA}
			if i < len(explicit) {
				ip.IP = explicit[i]
			}
			in.IPs = append(in.IPs, ip)
		}
		return in
	}
	first, err := f.r.CreateEndpoint(ctx, f.a, tiny(3, "10.0.9.5"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := addrs(first), []string{"10.0.9.5", "10.0.9.4", "10.0.9.6"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	second, err := f.r.CreateEndpoint(ctx, f.a, tiny(6))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := addrs(second), []string{"10.0.9.7", "10.0.9.8", "10.0.9.9", "10.0.9.10", "10.0.9.11", "10.0.9.12"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	before := f.state()
	_, err = f.r.CreateEndpoint(ctx, f.a, tiny(3)) // .13 and .14 are left
	wantCode(t, "a full subnet", err, r53resolver.CodeInvalidRequest)
	f.unchanged("a refused allocation", before)
	if _, err := f.r.DeleteEndpoint(ctx, f.a, first.ID); err != nil {
		t.Fatal(err)
	}
	third, err := f.r.CreateEndpoint(ctx, f.a, tiny(5))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := addrs(third), []string{"10.0.9.4", "10.0.9.5", "10.0.9.6", "10.0.9.13", "10.0.9.14"}; !slices.Equal(got, want) {
		t.Errorf("after a delete: got %v; want %v (the freed addresses again)", got, want)
	}

	// Endpoints created at once never share an address.
	var wg sync.WaitGroup
	ins := make([]r53resolver.CreateEndpointInput, 8)
	for i := range ins {
		ins[i] = r53resolver.CreateEndpointInput{CreatorRequestID: f.requestID(), Direction: "OUTBOUND", SecurityGroupIDs: []string{f.groupA},
			IPs: []r53resolver.IPRequest{{SubnetID: f.subnetsA[0]}, {SubnetID: f.subnetsA[0]}, {SubnetID: f.subnetsA[1]}}}
	}
	results := make([]r53resolver.Endpoint, len(ins))
	errs := make([]error, len(ins))
	for i := range ins {
		wg.Go(func() { results[i], errs[i] = f.r.CreateEndpoint(ctx, f.a, ins[i]) })
	}
	wg.Wait()
	seen := map[netip.Addr]string{}
	for i, e := range results {
		if errs[i] != nil {
			t.Fatalf("concurrent CreateEndpoint: %v", errs[i])
		}
		for _, ip := range e.IPs {
			if other, dup := seen[ip.IP]; dup {
				t.Errorf("%s is both %s's and %s's", ip.IP, other, e.ID)
			}
			seen[ip.IP] = e.ID
		}
	}
	if len(seen) != 24 {
		t.Errorf("got %d distinct addresses; want 24", len(seen))
	}
}

func TestEndpointLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.endpoint(f.a, "INBOUND", f.subnetsA...)
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	bOut := f.endpoint(f.b, "OUTBOUND", f.subnetB, f.subnetB)
	for _, c := range []struct {
		caller  iam.Caller
		filters []r53resolver.Filter
		want    []string
		code    string
	}{
		{f.a, nil, []string{in.ID, out.ID}, ""},
		{f.b, nil, []string{bOut.ID}, ""},
		{f.a, []r53resolver.Filter{{Name: "Direction", Values: []string{"OUTBOUND"}}}, []string{out.ID}, ""},
		{f.a, []r53resolver.Filter{{Name: "HOST_VPC_ID", Values: []string{f.vpcA}}, {Name: "IpAddressCount", Values: []string{"2"}}}, []string{in.ID, out.ID}, ""},
		{f.a, []r53resolver.Filter{{Name: "HostVPCId", Values: []string{f.vpcB}}}, nil, ""},
		{f.a, []r53resolver.Filter{{Name: "SecurityGroupIds", Values: []string{f.groupA}}, {Name: "Status", Values: []string{"OPERATIONAL"}}}, []string{in.ID, out.ID}, ""},
		{f.a, []r53resolver.Filter{{Name: "CreatorRequestId", Values: []string{in.CreatorRequestID}}}, []string{in.ID}, ""},
		{f.a, []r53resolver.Filter{{Name: "Colour", Values: []string{"red"}}}, nil, r53resolver.CodeInvalidParameter},
		{f.a, []r53resolver.Filter{{Name: "Direction"}}, nil, r53resolver.CodeInvalidParameter},
		{f.w.User(acctA, "denied", denyResolver), nil, nil, r53resolver.CodeAccessDenied},
	} {
		got, err := f.r.ListEndpoints(ctx, c.caller, c.filters)
		wantCode(t, fmt.Sprintf("ListEndpoints %v", c.filters), err, c.code)
		var ids []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("ListEndpoints %v: got %v; want %v", c.filters, ids, c.want)
		}
	}

	rule := f.forward(f.a, "corp.example", out.ID)
	before := f.state()
	_, err := f.r.DeleteEndpoint(ctx, f.a, out.ID)
	wantCode(t, "DeleteEndpoint of an endpoint a rule uses", err, r53resolver.CodeInvalidRequest)
	_, err = f.r.DeleteEndpoint(ctx, f.b, out.ID)
	wantCode(t, "DeleteEndpoint of another account's", err, r53resolver.CodeNotFound)
	f.unchanged("refused DeleteEndpoint calls", before)
	if _, err := f.r.DeleteRule(ctx, f.a, rule.ID); err != nil {
		t.Fatal(err)
	}
	d, err := f.r.DeleteEndpoint(ctx, f.a, out.ID)
	if err != nil || d.Status != "DELETING" {
		t.Errorf("DeleteEndpoint: got %+v, %v; want DELETING", d, err)
	}
	_, err = f.r.GetEndpoint(ctx, f.a, out.ID)
	wantCode(t, "GetEndpoint after delete", err, r53resolver.CodeNotFound)
	_, err = f.r.DeleteEndpoint(ctx, f.a, out.ID)
	wantCode(t, "DeleteEndpoint twice", err, r53resolver.CodeNotFound)
	// The creator request id and the addresses are free again.
	again, err := f.r.CreateEndpoint(ctx, f.a, r53resolver.CreateEndpointInput{CreatorRequestID: out.CreatorRequestID, Direction: "OUTBOUND",
		SecurityGroupIDs: []string{f.groupA}, IPs: []r53resolver.IPRequest{{SubnetID: f.subnetsA[0], IP: out.IPs[0].IP.String()}, {SubnetID: f.subnetsA[1]}}})
	if err != nil {
		t.Errorf("CreateEndpoint with a deleted endpoint's request id and address: %v", err)
	} else if again.IPs[0].IP != out.IPs[0].IP {
		t.Errorf("got %s; want %s", again.IPs[0].IP, out.IPs[0].IP)
	}
}

func TestRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	inbound := f.endpoint(f.a, "INBOUND", f.subnetsA...)
	bOut := f.endpoint(f.b, "OUTBOUND", f.subnetB, f.subnetB)
	port := func(p int) *int { return &p }

	r, err := f.r.CreateRule(ctx, f.a, r53resolver.CreateRuleInput{CreatorRequestID: "rule-1", Name: "corp", RuleType: "FORWARD", DomainName: "Corp.Example.COM",
		EndpointID: out.ID, Targets: []r53resolver.TargetInput{{IP: "192.0.2.10"}, {IP: "192.0.2.11", Port: port(5353), Protocol: "Do53"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []r53resolver.Target{{IP: netip.MustParseAddr("192.0.2.10"), Port: 53}, {IP: netip.MustParseAddr("192.0.2.11"), Port: 5353}}
	if !ruleIDRe.MatchString(r.ID) || r.ARN != "arn:aws:route53resolver:us-east-1:"+acctA+":resolver-rule/"+r.ID || r.DomainName != "corp.example.com." ||
		!slices.Equal(r.Targets, want) || r.Status != "COMPLETE" || r.ShareStatus != "NOT_SHARED" || r.Owner != acctA {
		t.Errorf("got %+v; want rslvr-rr-…, its ARN, corp.example.com., targets %v, COMPLETE, NOT_SHARED", r, want)
	}
	sys, err := f.r.CreateRule(ctx, f.a, r53resolver.CreateRuleInput{CreatorRequestID: "rule-2", RuleType: "SYSTEM", DomainName: "internal.corp.example.com."})
	if err != nil {
		t.Fatal(err)
	}
	root := f.forward(f.a, ".", out.ID)
	if root.DomainName != "." {
		t.Errorf("got root rule domain %q; want .", root.DomainName)
	}

	ok := func(change func(*r53resolver.CreateRuleInput)) r53resolver.CreateRuleInput {
		in := r53resolver.CreateRuleInput{CreatorRequestID: "new", RuleType: "FORWARD", DomainName: "x.example", EndpointID: out.ID,
			Targets: []r53resolver.TargetInput{{IP: "192.0.2.1"}}}
		change(&in)
		return in
	}
	before := f.state()
	for _, c := range []struct {
		name   string
		caller iam.Caller
		in     r53resolver.CreateRuleInput
		code   string
	}{
		{"no creator request id", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.CreatorRequestID = "" }), r53resolver.CodeInvalidParameter},
		{"a creator request id used before", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.CreatorRequestID = "rule-1" }), r53resolver.CodeExists},
		{"RECURSIVE", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.RuleType = "RECURSIVE"; in.Targets, in.EndpointID = nil, "" }), r53resolver.CodeInvalidRequest},
		{"DELEGATE", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.RuleType = "DELEGATE" }), r53resolver.CodeInvalidRequest},
		{"an unknown type", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.RuleType = "forward" }), r53resolver.CodeInvalidParameter},
		{"no type", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.RuleType = "" }), r53resolver.CodeInvalidParameter},
		{"no domain", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.DomainName = "" }), r53resolver.CodeInvalidParameter},
		{"an empty label", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.DomainName = "a..example" }), r53resolver.CodeInvalidParameter},
		{"a wildcard", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.DomainName = "*.example" }), r53resolver.CodeInvalidParameter},
		{"a long label", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.DomainName = strings.Repeat("l", 64) + ".example" }), r53resolver.CodeInvalidParameter},
		{"a long name", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.DomainName = strings.Repeat("abcdefghi.", 26) }), r53resolver.CodeInvalidParameter},
		{"FORWARD without targets", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets = nil }), r53resolver.CodeInvalidRequest},
		{"FORWARD without an endpoint", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.EndpointID = "" }), r53resolver.CodeInvalidRequest},
		{"FORWARD through an inbound endpoint", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.EndpointID = inbound.ID }), r53resolver.CodeInvalidRequest},
		{"FORWARD through an unknown endpoint", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.EndpointID = "rslvr-out-0123456789abcdef0" }), r53resolver.CodeNotFound},
		{"FORWARD through another account's endpoint", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.EndpointID = bOut.ID }), r53resolver.CodeNotFound},
		{"SYSTEM with targets", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.RuleType = "SYSTEM"; in.EndpointID = "" }), r53resolver.CodeInvalidRequest},
		{"SYSTEM with an endpoint", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.RuleType = "SYSTEM"; in.Targets = nil }), r53resolver.CodeInvalidRequest},
		{"an IPv6 target", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets = []r53resolver.TargetInput{{IPv6: "2001:db8::1"}} }), r53resolver.CodeInvalidRequest},
		{"a target that is not an address", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets[0].IP = "dns.example" }), r53resolver.CodeInvalidParameter},
		{"a target without an address", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets[0].IP = "" }), r53resolver.CodeInvalidParameter},
		{"port 0", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets[0].Port = port(0) }), r53resolver.CodeInvalidParameter},
		{"port 65536", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets[0].Port = port(65536) }), r53resolver.CodeInvalidParameter},
		{"DoH", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets[0].Protocol = "DoH" }), r53resolver.CodeInvalidRequest},
		{"a server name", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets[0].ServerNameIndication = "dns.example" }), r53resolver.CodeInvalidRequest},
		{"a target twice", f.a, ok(func(in *r53resolver.CreateRuleInput) { in.Targets = append(in.Targets, in.Targets[0]) }), r53resolver.CodeInvalidParameter},
		{"a user that may only read", f.w.User(acctA, "reader", readOnly), ok(func(*r53resolver.CreateRuleInput) {}), r53resolver.CodeAccessDenied},
	} {
		_, err := f.r.CreateRule(ctx, c.caller, c.in)
		wantCode(t, c.name, err, c.code)
	}
	f.unchanged("refused CreateRule calls", before)

	// Lists and filters.
	for _, c := range []struct {
		filters []r53resolver.Filter
		want    []string
		code    string
	}{
		{nil, []string{r.ID, sys.ID, root.ID}, ""},
		{[]r53resolver.Filter{{Name: "DomainName", Values: []string{"CORP.example.com"}}}, []string{r.ID}, ""},
		{[]r53resolver.Filter{{Name: "Type", Values: []string{"SYSTEM"}}}, []string{sys.ID}, ""},
		{[]r53resolver.Filter{{Name: "RuleType", Values: []string{"FORWARD"}}, {Name: "ResolverEndpointId", Values: []string{out.ID}}}, []string{r.ID, root.ID}, ""},
		{[]r53resolver.Filter{{Name: "NAME", Values: []string{"corp"}}}, []string{r.ID}, ""},
		{[]r53resolver.Filter{{Name: "VPCId", Values: []string{f.vpcA}}}, nil, r53resolver.CodeInvalidParameter},
	} {
		got, err := f.r.ListRules(ctx, f.a, c.filters)
		wantCode(t, fmt.Sprintf("ListRules %v", c.filters), err, c.code)
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("ListRules %v: got %v; want %v", c.filters, ids, c.want)
		}
	}
	if got, err := f.r.ListRules(ctx, f.b, nil); err != nil || len(got) != 0 {
		t.Errorf("ListRules of b: got %v, %v; want none", got, err)
	}

	// Updates.
	name := "corp dns"
	u, err := f.r.UpdateRule(ctx, f.a, r.ID, r53resolver.RuleUpdate{Name: &name, Targets: []r53resolver.TargetInput{{IP: "198.51.100.7", Port: port(8053)}}})
	if err != nil || u.Name != name || !slices.Equal(u.Targets, []r53resolver.Target{{IP: netip.MustParseAddr("198.51.100.7"), Port: 8053}}) || u.DomainName != r.DomainName {
		t.Errorf("UpdateRule: got %+v, %v", u, err)
	}
	out2 := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	if u, err = f.r.UpdateRule(ctx, f.a, r.ID, r53resolver.RuleUpdate{EndpointID: out2.ID}); err != nil || u.EndpointID != out2.ID {
		t.Errorf("UpdateRule endpoint: got %+v, %v", u, err)
	}
	before = f.state()
	bad := "1234"
	for _, c := range []struct {
		name   string
		caller iam.Caller
		id     string
		u      r53resolver.RuleUpdate
		code   string
	}{
		{"a SYSTEM rule's targets", f.a, sys.ID, r53resolver.RuleUpdate{Targets: []r53resolver.TargetInput{{IP: "192.0.2.1"}}}, r53resolver.CodeInvalidRequest},
		{"a SYSTEM rule's endpoint", f.a, sys.ID, r53resolver.RuleUpdate{EndpointID: out.ID}, r53resolver.CodeInvalidRequest},
		{"an inbound endpoint", f.a, r.ID, r53resolver.RuleUpdate{EndpointID: inbound.ID}, r53resolver.CodeInvalidRequest},
		{"an unknown endpoint", f.a, r.ID, r53resolver.RuleUpdate{EndpointID: "rslvr-out-0123456789abcdef0"}, r53resolver.CodeNotFound},
		{"no targets", f.a, r.ID, r53resolver.RuleUpdate{Targets: []r53resolver.TargetInput{}}, r53resolver.CodeInvalidParameter},
		{"a bad name", f.a, r.ID, r53resolver.RuleUpdate{Name: &bad}, r53resolver.CodeInvalidParameter},
		{"another account's rule", f.b, r.ID, r53resolver.RuleUpdate{Name: &name}, r53resolver.CodeNotFound},
		{"an unknown rule", f.a, "rslvr-rr-0123456789abcdef0", r53resolver.RuleUpdate{Name: &name}, r53resolver.CodeNotFound},
		{"a user that may only read", f.w.User(acctA, "reader2", readOnly), r.ID, r53resolver.RuleUpdate{Name: &name}, r53resolver.CodeAccessDenied},
	} {
		_, err := f.r.UpdateRule(ctx, c.caller, c.id, c.u)
		wantCode(t, "UpdateRule: "+c.name, err, c.code)
	}
	f.unchanged("refused UpdateRule calls", before)

	_, err = f.r.DeleteEndpoint(ctx, f.a, out.ID)
	wantCode(t, "DeleteEndpoint of the root rule's endpoint", err, r53resolver.CodeInvalidRequest)
	d, err := f.r.DeleteRule(ctx, f.a, sys.ID)
	if err != nil || d.Status != "DELETING" {
		t.Errorf("DeleteRule: got %+v, %v; want DELETING", d, err)
	}
	_, err = f.r.GetRule(ctx, f.a, sys.ID)
	wantCode(t, "GetRule after delete", err, r53resolver.CodeNotFound)
}

func TestAssociations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	corp := f.forward(f.a, "corp.example", out.ID)
	corpAgain := f.forward(f.a, "CORP.example.", out.ID)
	sub := f.forward(f.a, "db.corp.example", out.ID)

	a1, err := f.r.AssociateRule(ctx, f.a, corp.ID, f.vpcA, "main")
	if err != nil {
		t.Fatal(err)
	}
	if !assocIDRe.MatchString(a1.ID) || a1.Status != "COMPLETE" || a1.VPCID != f.vpcA || a1.RuleID != corp.ID || a1.Name != "main" || a1.Owner != acctA {
		t.Errorf("got %+v; want rslvr-rrassoc-…, COMPLETE, %s, %s", a1, f.vpcA, corp.ID)
	}
	a2, err := f.r.AssociateRule(ctx, f.a, sub.ID, f.vpcA, "")
	if err != nil {
		t.Errorf("a rule for a subdomain: %v", err)
	}
	a3, err := f.r.AssociateRule(ctx, f.a, corpAgain.ID, f.otherVpcA, "")
	if err != nil {
		t.Errorf("a rule for the same domain in another VPC: %v", err)
	}
	before := f.state()
	for _, c := range []struct {
		name      string
		caller    iam.Caller
		rule, vpc string
		code      string
	}{
		{"the same rule again", f.a, corp.ID, f.vpcA, r53resolver.CodeExists},
		{"another rule for the same domain", f.a, corpAgain.ID, f.vpcA, r53resolver.CodeExists},
		{"another account's VPC", f.a, corp.ID, f.vpcB, r53resolver.CodeInvalidParameter},
		{"an unknown VPC", f.a, corp.ID, "vpc-0123456789abcdef0", r53resolver.CodeInvalidParameter},
		{"a malformed VPC", f.a, corp.ID, "vpc-?", r53resolver.CodeInvalidParameter},
		{"no VPC", f.a, corp.ID, "", r53resolver.CodeInvalidParameter},
		{"an unknown rule", f.a, "rslvr-rr-0123456789abcdef0", f.vpcA, r53resolver.CodeNotFound},
		{"a rule that is not shared", f.b, corp.ID, f.vpcB, r53resolver.CodeNotFound},
		{"a user that may only read", f.w.User(acctA, "reader", readOnly), sub.ID, f.otherVpcA, r53resolver.CodeAccessDenied},
	} {
		_, err := f.r.AssociateRule(ctx, c.caller, c.rule, c.vpc, "")
		wantCode(t, "AssociateRule: "+c.name, err, c.code)
	}
	f.unchanged("refused AssociateRule calls", before)

	for _, c := range []struct {
		filters []r53resolver.Filter
		want    []string
	}{
		{nil, sortedIDs(a1.ID, a2.ID, a3.ID)},
		{[]r53resolver.Filter{{Name: "VPCId", Values: []string{f.vpcA}}}, sortedIDs(a1.ID, a2.ID)},
		{[]r53resolver.Filter{{Name: "ResolverRuleId", Values: []string{corpAgain.ID}}}, []string{a3.ID}},
		{[]r53resolver.Filter{{Name: "Name", Values: []string{"main"}}, {Name: "Status", Values: []string{"COMPLETE"}}}, []string{a1.ID}},
	} {
		got, err := f.r.ListAssociations(ctx, f.a, c.filters)
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if err != nil || !slices.Equal(ids, c.want) {
			t.Errorf("ListAssociations %v: got %v, %v; want %v", c.filters, ids, err, c.want)
		}
	}
	if got, err := f.r.GetAssociation(ctx, f.a, a1.ID); err != nil || got != a1 {
		t.Errorf("GetAssociation: got %+v, %v; want %+v", got, err, a1)
	}
	_, err = f.r.GetAssociation(ctx, f.b, a1.ID)
	wantCode(t, "GetAssociation of another account's", err, r53resolver.CodeNotFound)

	_, err = f.r.DeleteRule(ctx, f.a, corp.ID)
	wantCode(t, "DeleteRule of an associated rule", err, r53resolver.CodeInUse)
	_, err = f.r.DisassociateRule(ctx, f.a, corp.ID, f.otherVpcA)
	wantCode(t, "DisassociateRule of a VPC it is not associated with", err, r53resolver.CodeNotFound)
	d, err := f.r.DisassociateRule(ctx, f.a, corp.ID, f.vpcA)
	if err != nil || d.ID != a1.ID || d.Status != "DELETING" {
		t.Errorf("DisassociateRule: got %+v, %v; want %s DELETING", d, err, a1.ID)
	}
	if _, err := f.r.AssociateRule(ctx, f.a, corpAgain.ID, f.vpcA, ""); err != nil {
		t.Errorf("the other rule for the domain, once the first is gone: %v", err)
	}
	if _, err := f.r.DeleteRule(ctx, f.a, corp.ID); err != nil {
		t.Errorf("DeleteRule once disassociated: %v", err)
	}
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func TestLimits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.r.SetLimits(r53resolver.Limits{EndpointsPerAccount: 1, IPsPerEndpoint: 2, RulesPerAccount: 1, AssociationsPerAccount: 1})
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	_, err := f.r.CreateEndpoint(ctx, f.a, r53resolver.CreateEndpointInput{CreatorRequestID: "two", Direction: "INBOUND", SecurityGroupIDs: []string{f.groupA},
		IPs: []r53resolver.IPRequest{{SubnetID: f.subnetsA[0]}, {SubnetID: f.subnetsA[1]}}})
	wantCode(t, "a second endpoint", err, r53resolver.CodeLimitExceeded)
	_, err = f.r.CreateEndpoint(ctx, f.b, r53resolver.CreateEndpointInput{CreatorRequestID: "b", Direction: "INBOUND", SecurityGroupIDs: []string{f.groupB},
		IPs: []r53resolver.IPRequest{{SubnetID: f.subnetB}, {SubnetID: f.subnetB}, {SubnetID: f.subnetB}}})
	wantCode(t, "three addresses", err, r53resolver.CodeLimitExceeded)
	r := f.forward(f.a, "one.example", out.ID)
	_, err = f.r.CreateRule(ctx, f.a, r53resolver.CreateRuleInput{CreatorRequestID: "r2", RuleType: "SYSTEM", DomainName: "two.example"})
	wantCode(t, "a second rule", err, r53resolver.CodeLimitExceeded)
	if _, err := f.r.AssociateRule(ctx, f.a, r.ID, f.vpcA, ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.r.AssociateRule(ctx, f.a, r.ID, f.otherVpcA, "")
	wantCode(t, "a second association", err, r53resolver.CodeLimitExceeded)
}

// share shares a rule of a's with b through RAM; accept says whether b
// accepts the invitation.
func (f *fixture) share(rule r53resolver.Rule, accept bool) ram.Share {
	f.t.Helper()
	ctx := context.Background()
	sh, err := f.ram.CreateShare(ctx, f.a, ram.CreateShareInput{Name: "rules", ResourceARNs: []string{rule.ARN}, Principals: []string{acctB}})
	if err != nil {
		f.t.Fatal(err)
	}
	if accept {
		invs, err := f.ram.Invitations(ctx, f.b, nil, []string{sh.ARN})
		if err != nil || len(invs) != 1 {
			f.t.Fatalf("b's invitations: got %v, %v; want one", invs, err)
		}
		if _, err := f.ram.AcceptInvitation(ctx, f.b, invs[0].ARN); err != nil {
			f.t.Fatal(err)
		}
	}
	return sh
}

func TestSharedRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	rule := f.forward(f.a, "corp.example", out.ID)
	bRule, err := f.r.CreateRule(ctx, f.b, r53resolver.CreateRuleInput{CreatorRequestID: "b-own", RuleType: "SYSTEM", DomainName: "corp.example"})
	if err != nil {
		t.Fatal(err)
	}

	sh := f.share(rule, false)
	// Invited, not yet accepted: b sees nothing.
	if r, err := f.r.GetRule(ctx, f.a, rule.ID); err != nil || r.ShareStatus != "SHARED_BY_ME" {
		t.Errorf("a's view once shared: got %+v, %v; want SHARED_BY_ME", r, err)
	}
	_, err = f.r.GetRule(ctx, f.b, rule.ID)
	wantCode(t, "b's GetRule before accepting", err, r53resolver.CodeNotFound)
	_, err = f.r.AssociateRule(ctx, f.b, rule.ID, f.vpcB, "")
	wantCode(t, "b's AssociateRule before accepting", err, r53resolver.CodeNotFound)

	invs, err := f.ram.Invitations(ctx, f.b, nil, nil)
	if err != nil || len(invs) != 1 {
		t.Fatalf("b's invitations: got %v, %v", invs, err)
	}
	if _, err := f.ram.AcceptInvitation(ctx, f.b, invs[0].ARN); err != nil {
		t.Fatal(err)
	}
	r, err := f.r.GetRule(ctx, f.b, rule.ID)
	if err != nil || r.ShareStatus != "SHARED_WITH_ME" || r.Owner != acctA {
		t.Errorf("b's view once accepted: got %+v, %v; want SHARED_WITH_ME, owned by a", r, err)
	}
	list, err := f.r.ListRules(ctx, f.b, nil)
	if err != nil || len(list) != 2 || list[0].ID != rule.ID || list[1].ID != bRule.ID || list[1].ShareStatus != "NOT_SHARED" {
		t.Errorf("b's ListRules: got %+v, %v; want the shared rule and its own", list, err)
	}
	assoc, err := f.r.AssociateRule(ctx, f.b, rule.ID, f.vpcB, "from a")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.r.AssociateRule(ctx, f.b, bRule.ID, f.vpcB, "")
	wantCode(t, "b's own rule for the same domain in the same VPC", err, r53resolver.CodeExists)
	if got, err := f.r.ListAssociations(ctx, f.b, nil); err != nil || len(got) != 1 || got[0].ID != assoc.ID {
		t.Errorf("b's associations: got %v, %v; want %s", got, err, assoc.ID)
	}
	if got, err := f.r.ListAssociations(ctx, f.a, nil); err != nil || len(got) != 0 {
		t.Errorf("a's associations: got %v, %v; want none (b's VPC is b's)", got, err)
	}

	before := f.state()
	name := "mine now"
	_, err = f.r.UpdateRule(ctx, f.b, rule.ID, r53resolver.RuleUpdate{Name: &name})
	wantCode(t, "b's UpdateRule of a shared rule", err, r53resolver.CodeAccessDenied)
	_, err = f.r.DeleteRule(ctx, f.b, rule.ID)
	wantCode(t, "b's DeleteRule of a shared rule", err, r53resolver.CodeAccessDenied)
	_, err = f.r.DeleteRule(ctx, f.a, rule.ID)
	wantCode(t, "a's DeleteRule while b uses it", err, r53resolver.CodeInUse)
	f.unchanged("refused calls on a shared rule", before)
	// A user of b needs its own identity policy too.
	bUser := f.w.User(acctB, "ops", readOnly)
	if _, err := f.r.GetRule(ctx, bUser, rule.ID); err != nil {
		t.Errorf("b's read-only user's GetRule: %v", err)
	}
	_, err = f.r.AssociateRule(ctx, bUser, rule.ID, f.vpcB2, "")
	wantCode(t, "b's read-only user's AssociateRule", err, r53resolver.CodeAccessDenied)

	snap, rev, err := f.r.Snapshot(ctx)
	if err != nil || rev == 0 || len(snap.Endpoints) != 1 || len(snap.Rules) != 2 || len(snap.Associations) != 1 || snap.Associations[0].Owner != acctB ||
		snap.Associations[0].DomainName != "corp.example." {
		t.Errorf("Snapshot: got %+v rev %d, %v; want a's endpoint, two rules, b's association", snap, rev, err)
	}

	// Deleting the share takes b's access, and its association, away.
	watch, err := f.st.Watch(ctx, f.r.Prefix(), rev+1)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ram.DeleteShare(ctx, f.a, sh.ARN); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-watch:
		if ev.Type != store.EventDelete || !strings.Contains(ev.KV.Key, "/association/"+f.vpcB+"/") {
			t.Errorf("got %v %s; want the association's delete", ev.Type, ev.KV.Key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change under Prefix after the share was deleted")
	}
	_, err = f.r.GetRule(ctx, f.b, rule.ID)
	wantCode(t, "b's GetRule after the share is deleted", err, r53resolver.CodeNotFound)
	_, err = f.r.GetAssociation(ctx, f.b, assoc.ID)
	wantCode(t, "b's GetAssociation after the share is deleted", err, r53resolver.CodeNotFound)
	if r, err := f.r.GetRule(ctx, f.a, rule.ID); err != nil || r.ShareStatus != "NOT_SHARED" {
		t.Errorf("a's view once unshared: got %+v, %v; want NOT_SHARED", r, err)
	}
	if snap, _, err := f.r.Snapshot(ctx); err != nil || len(snap.Associations) != 0 {
		t.Errorf("Snapshot after the share is deleted: got %v, %v; want no association", snap.Associations, err)
	}
	if _, err := f.r.DeleteRule(ctx, f.a, rule.ID); err != nil {
		t.Errorf("a's DeleteRule once b's association is gone: %v", err)
	}
}

func TestSharingEnds(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		end  func(f *fixture, sh ram.Share, rule r53resolver.Rule) error
	}{
		{"b taken out of the share", func(f *fixture, sh ram.Share, _ r53resolver.Rule) error {
			_, err := f.ram.DisassociateShare(ctx, f.a, sh.ARN, ram.Change{Principals: []string{acctB}})
			return err
		}},
		{"the rule taken out of the share", func(f *fixture, sh ram.Share, rule r53resolver.Rule) error {
			_, err := f.ram.DisassociateShare(ctx, f.a, sh.ARN, ram.Change{ResourceARNs: []string{rule.ARN}})
			return err
		}},
		{"the share deleted", func(f *fixture, sh ram.Share, _ r53resolver.Rule) error { return f.ram.DeleteShare(ctx, f.a, sh.ARN) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
			rule := f.forward(f.a, "corp.example", out.ID)
			other := f.forward(f.a, "other.example", out.ID)
			sh := f.share(rule, true)
			if _, err := f.ram.AssociateShare(ctx, f.a, sh.ARN, ram.Change{ResourceARNs: []string{other.ARN}}); err != nil {
				t.Fatal(err)
			}
			for _, r := range []r53resolver.Rule{rule, other} {
				if _, err := f.r.AssociateRule(ctx, f.b, r.ID, f.vpcB, ""); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.end(f, sh, rule); err != nil {
				t.Fatal(err)
			}
			got, err := f.r.ListAssociations(ctx, f.b, []r53resolver.Filter{{Name: "ResolverRuleId", Values: []string{rule.ID}}})
			if err != nil || len(got) != 0 {
				t.Errorf("b's associations of the rule: got %v, %v; want none", got, err)
			}
			snap, _, err := f.r.Snapshot(ctx)
			for _, a := range snap.Associations {
				if a.RuleID == rule.ID {
					t.Errorf("Snapshot still has %+v", a)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.r.AssociateRule(ctx, f.b, rule.ID, f.vpcB2, "")
			wantCode(t, "b's AssociateRule after", err, r53resolver.CodeNotFound)
		})
	}
}

// TestReconcile covers associations left behind when the resolver was
// not told that a share ended (a process with another wiring ended it):
// every answer leaves them out, and Reconcile removes them.
func TestReconcile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	rule := f.forward(f.a, "corp.example", out.ID)
	sh := f.share(rule, true)
	assoc, err := f.r.AssociateRule(ctx, f.b, rule.ID, f.vpcB, "")
	if err != nil {
		t.Fatal(err)
	}
	// A RAM whose resolver serves another region is not the one the rule
	// is in: it is told nothing useful.
	west, err := newWest(f)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := ram.New(f.st, f.iam, "us-east-1", f.clock.Now)
	elsewhere.Register("route53resolver", "resolver-rule", r53resolver.RuleResourceType, west)
	if err := elsewhere.DeleteShare(ctx, f.a, sh.ARN); err != nil {
		t.Fatal(err)
	}
	kvs, _, err := f.st.List(ctx, f.r.Prefix()+"association/")
	if err != nil || len(kvs) != 1 {
		t.Fatalf("the association record: got %d, %v; want it left behind", len(kvs), err)
	}
	if got, err := f.r.ListAssociations(ctx, f.b, nil); err != nil || len(got) != 0 {
		t.Errorf("ListAssociations: got %v, %v; want none", got, err)
	}
	_, err = f.r.GetAssociation(ctx, f.b, assoc.ID)
	wantCode(t, "GetAssociation", err, r53resolver.CodeNotFound)
	if snap, _, err := f.r.Snapshot(ctx); err != nil || len(snap.Associations) != 0 {
		t.Errorf("Snapshot: got %v, %v; want no association", snap.Associations, err)
	}
	// A claim of an endpoint that was never written, old enough.
	if _, err := f.st.Put(ctx, f.r.Prefix()+"ip/"+f.subnetsA[0]+"/10.0.1.99", []byte(`{"holder":"rslvr-in-00000000000000000","claimed":"2026-03-04T05:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Hour)
	if err := f.r.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if kvs, _, _ := f.st.List(ctx, f.r.Prefix()+"association/"); len(kvs) != 0 {
		t.Errorf("after Reconcile: %d association records; want none", len(kvs))
	}
	if _, ok, _ := f.st.Get(ctx, f.r.Prefix()+"ip/"+f.subnetsA[0]+"/10.0.1.99"); ok {
		t.Errorf("after Reconcile: the stale address claim is still there")
	}
	for _, ip := range out.IPs {
		if _, ok, _ := f.st.Get(ctx, f.r.Prefix()+"ip/"+ip.SubnetID+"/"+ip.IP.String()); !ok {
			t.Errorf("after Reconcile: the claim of %s (a live endpoint's) is gone", ip.IP)
		}
	}
}

func TestResourceOwner(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out := f.endpoint(f.a, "OUTBOUND", f.subnetsA...)
	rule := f.forward(f.a, "corp.example", out.ID)
	for _, c := range []struct {
		arn   string
		owner string
		ok    bool
	}{
		{rule.ARN, acctA, true},
		{strings.Replace(rule.ARN, acctA, acctB, 1), "", false},
		{strings.Replace(rule.ARN, "us-east-1", "us-west-2", 1), "", false},
		{"arn:aws:route53resolver:us-east-1:" + acctA + ":resolver-rule/rslvr-rr-0123456789abcdef0", "", false},
		{out.ARN, "", false},
		{"not an arn", "", false},
	} {
		owner, ok, err := f.r.ResourceOwner(ctx, c.arn)
		if err != nil || owner != c.owner || ok != c.ok {
			t.Errorf("ResourceOwner(%s): got %q %v %v; want %q %v", c.arn, owner, ok, err, c.owner, c.ok)
		}
	}
}

func TestCanonicalDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM": "example.com.", "example.com.": "example.com.", ".": ".", "_srv.x-y.example": "_srv.x-y.example.",
		"a..b": "", "*.example": "", "exa mple.com": "", "": ".", strings.Repeat("a.", 127) + "a": "",
	} {
		got, ok := r53resolver.CanonicalDomain(in)
		if (want == "") == ok || got != want {
			t.Errorf("CanonicalDomain(%q): got %q %v; want %q", in, got, ok, want)
		}
	}
}
