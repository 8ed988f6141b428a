package r53resolver_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
	"github.com/kafkalink/kafkalink/internal/ram/ramtest"
	"github.com/kafkalink/kafkalink/internal/store"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

// fixture is Route 53 Resolver and RAM wired together over one store,
// with accounts a and b and their networks.
type fixture struct {
	w     *ramtest.World
	t     *testing.T
	st    store.Store
	iam   *iam.Service
	ec2   *ec2.Service
	r     *r53resolver.Service
	ram   *ram.Service
	clock *ramtest.Clock
	a, b  iam.Caller // the accounts' roots

	requests int // creator request ids handed out

	// Account a: vpcA 10.0.0.0/16 with subnetsA (10.0.1.0/24 in az1,
	// 10.0.2.0/24 in az2) and tinyA (10.0.9.0/28), groupA (default) and
	// groupA2; otherVpcA 10.9.0.0/16 with otherSubnetA and otherGroupA.
	vpcA, groupA, groupA2, tinyA         string
	subnetsA                             []string
	otherVpcA, otherSubnetA, otherGroupA string
	// Account b: vpcB 10.1.0.0/16 with subnetB and groupB; vpcB2.
	vpcB, subnetB, groupB, vpcB2 string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	w := ramtest.New(t)
	f := &fixture{w: w, t: t, st: w.Store, iam: w.IAM, ec2: w.EC2, r: w.Resolver, ram: w.RAM, clock: w.Clock}
	f.a, f.b = w.Root(acctA), w.Root(acctB)

	va := f.vpc(acctA, "10.0.0.0/16")
	f.vpcA, f.groupA = va.ID, va.DefaultSecurityGroupID
	f.subnetsA = []string{f.subnet(acctA, f.vpcA, "10.0.1.0/24", "use1-az1"), f.subnet(acctA, f.vpcA, "10.0.2.0/24", "use1-az2")}
	f.tinyA = f.subnet(acctA, f.vpcA, "10.0.9.0/28", "use1-az3")
	g, err := f.ec2.CreateSecurityGroup(ctx, acctA, ec2.CreateSecurityGroupInput{VPCID: f.vpcA, Name: "dns", Description: "dns"})
	if err != nil {
		t.Fatal(err)
	}
	f.groupA2 = g.ID
	vo := f.vpc(acctA, "10.9.0.0/16")
	f.otherVpcA, f.otherGroupA = vo.ID, vo.DefaultSecurityGroupID
	f.otherSubnetA = f.subnet(acctA, f.otherVpcA, "10.9.1.0/24", "use1-az1")
	vb := f.vpc(acctB, "10.1.0.0/16")
	f.vpcB, f.groupB = vb.ID, vb.DefaultSecurityGroupID
	f.subnetB = f.subnet(acctB, f.vpcB, "10.1.1.0/24", "use1-az1")
	f.vpcB2 = f.vpc(acctB, "10.2.0.0/16").ID
	return f
}

func (f *fixture) vpc(account, cidr string) ec2.VPC {
	f.t.Helper()
	v, err := f.ec2.CreateVPC(context.Background(), account, cidr)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) subnet(account, vpc, cidr, zone string) string {
	f.t.Helper()
	sn, err := f.ec2.CreateSubnet(context.Background(), account, ec2.CreateSubnetInput{VPCID: vpc, CIDRBlock: cidr, AvailabilityZoneID: zone})
	if err != nil {
		f.t.Fatal(err)
	}
	return sn.ID
}

// endpoint creates an endpoint of the caller's in its subnets (allocated
// addresses).
func (f *fixture) endpoint(caller iam.Caller, direction string, subnets ...string) r53resolver.Endpoint {
	f.t.Helper()
	in := r53resolver.CreateEndpointInput{CreatorRequestID: f.requestID(), Direction: direction, SecurityGroupIDs: []string{f.groupA}}
	if caller.Principal.Account == acctB {
		in.SecurityGroupIDs = []string{f.groupB}
	}
	for _, sn := range subnets {
		in.IPs = append(in.IPs, r53resolver.IPRequest{SubnetID: sn})
	}
	e, err := f.r.CreateEndpoint(context.Background(), caller, in)
	if err != nil {
		f.t.Fatalf("CreateEndpoint %+v: %v", in, err)
	}
	return e
}

// forward creates a FORWARD rule of the caller's through an outbound
// endpoint to 192.0.2.10:53.
func (f *fixture) forward(caller iam.Caller, domain, endpointID string) r53resolver.Rule {
	f.t.Helper()
	r, err := f.r.CreateRule(context.Background(), caller, r53resolver.CreateRuleInput{CreatorRequestID: f.requestID(), RuleType: r53resolver.RuleForward,
		DomainName: domain, EndpointID: endpointID, Targets: []r53resolver.TargetInput{{IP: "192.0.2.10"}}})
	if err != nil {
		f.t.Fatalf("CreateRule %s: %v", domain, err)
	}
	return r.Rule
}

// requestID returns a new creator request id.
func (f *fixture) requestID() string {
	f.requests++
	return fmt.Sprintf("request-%d", f.requests)
}

// state is everything the store holds under the resolver's and RAM's
// prefixes, with revisions.
func (f *fixture) state() map[string]string {
	f.t.Helper()
	return f.w.State(f.r.Prefix(), f.ram.Prefix())
}

// unchanged fails if the state differs from before.
func (f *fixture) unchanged(what string, before map[string]string) {
	f.t.Helper()
	f.w.Unchanged(what, before, f.r.Prefix(), f.ram.Prefix())
}

// wantCode fails unless err is a Route 53 Resolver error with code (""
// meaning no error).
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s: got error %v; want none", what, err)
		}
		return
	}
	var e *r53resolver.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s: got error %v; want %s", what, err, code)
	}
}

const (
	denyResolver  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"route53resolver:*","Resource":"*"}]}`
	readOnly      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["route53resolver:Get*","route53resolver:List*"],"Resource":"*"}]}`
	allowResolver = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"route53resolver:*","Resource":"*"}]}`
)

// newWest returns a Route 53 Resolver of us-west-2 over the fixture's
// store.
func newWest(f *fixture) (*r53resolver.Service, error) {
	e, err := ec2.New(f.st, "us-west-2", nil, f.clock.Now)
	if err != nil {
		return nil, err
	}
	return r53resolver.New(f.st, f.iam, e, f.clock.Now), nil
}
