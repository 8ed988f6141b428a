package ec2_test

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
)

func TestRegionAbbreviation(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "use1", "us-east-2": "use2", "us-west-2": "usw2", "eu-west-1": "euw1", "eu-central-1": "euc1",
		"eu-north-1": "eun1", "eu-south-2": "eus2", "ap-southeast-1": "apse1", "ap-southeast-5": "apse5", "ap-northeast-2": "apne2",
		"ap-south-1": "aps1", "ap-east-1": "ape1", "sa-east-1": "sae1", "ca-central-1": "cac1", "me-south-1": "mes1",
		"af-south-1": "afs1", "il-central-1": "ilc1", "us-gov-west-1": "usgw1", "cn-northwest-1": "cnnw1",
	} {
		if got := ec2.RegionAbbreviation(region); got != want {
			t.Errorf("RegionAbbreviation(%s): got %s; want %s", region, got, want)
		}
	}
}

func TestZones(t *testing.T) {
	zs := ec2.DefaultZones("eu-west-1")
	want := []ec2.Zone{{"eu-west-1a", "euw1-az1"}, {"eu-west-1b", "euw1-az2"}, {"eu-west-1c", "euw1-az3"},
		{"eu-west-1d", "euw1-az4"}, {"eu-west-1e", "euw1-az5"}, {"eu-west-1f", "euw1-az6"}}
	if !slices.Equal(zs, want) {
		t.Errorf("DefaultZones(eu-west-1): got %v; want %v", zs, want)
	}
	s, _ := newService(t)
	if z, ok := s.Zone("use1-az4"); !ok || z.Name != "us-east-1d" {
		t.Errorf("Zone(use1-az4): got %v %v; want us-east-1d", z, ok)
	}
	if z, ok := s.Zone("us-east-1f"); !ok || z.ID != "use1-az6" {
		t.Errorf("Zone(us-east-1f): got %v %v; want use1-az6", z, ok)
	}
	for _, c := range []struct {
		names, ids []string
		filters    []ec2.Filter
		want       []string
		code       string
	}{
		{want: []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}},
		{names: []string{"us-east-1b"}, ids: []string{"use1-az5"}, want: []string{"us-east-1b", "us-east-1e"}},
		{filters: []ec2.Filter{{Name: "zone-id", Values: []string{"use1-az[12]", "use1-az?"}}}, want: []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}},
		{filters: []ec2.Filter{{Name: "zone-name", Values: []string{"*c"}}, {Name: "state", Values: []string{"available"}}}, want: []string{"us-east-1c"}},
		{names: []string{"us-east-1z"}, code: ec2.CodeInvalidParameterValue},
		{ids: []string{"usw2-az1"}, code: ec2.CodeInvalidParameterValue},
		{filters: []ec2.Filter{{Name: "zone", Values: []string{"x"}}}, code: ec2.CodeInvalidParameterValue},
	} {
		zs, err := s.AvailabilityZones(c.names, c.ids, c.filters...)
		wantCode(t, fmt.Sprintf("AvailabilityZones(%v, %v, %v)", c.names, c.ids, c.filters), err, c.code)
		var got []string
		for _, z := range zs {
			got = append(got, z.Name)
		}
		if c.code == "" && !slices.Equal(got, c.want) {
			t.Errorf("AvailabilityZones(%v, %v, %v): got %v; want %v", c.names, c.ids, c.filters, got, c.want)
		}
	}
}

func TestNew(t *testing.T) {
	_, st := newService(t)
	for _, c := range []struct {
		region string
		zones  []ec2.Zone
		ok     bool
	}{
		{"us-east-1", nil, true},
		{"eu-central-1", []ec2.Zone{{"eu-central-1a", "euc1-az2"}}, true},
		{"", nil, false},
		{"US-EAST-1", nil, false},
		{"us-east-1", []ec2.Zone{}, false},
		{"us-east-1", []ec2.Zone{{"us-east-1a", ""}}, false},
		{"us-east-1", []ec2.Zone{{"us-east-1a", "use1-az1"}, {"us-east-1b", "use1-az1"}}, false},
	} {
		_, err := ec2.New(st, c.region, c.zones, nil)
		if (err == nil) != c.ok {
			t.Errorf("New(%q, %v): got %v; want ok=%v", c.region, c.zones, err, c.ok)
		}
	}
}

var idFormat = regexp.MustCompile(`^(vpc|subnet|sg)-[0-9a-f]{17}$`)

func TestCreateVPC(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for _, c := range []struct {
		cidr string
		code string
	}{
		{"10.0.0.0/16", ""},
		{"10.0.0.0/16", ""}, // CIDRs of VPCs may overlap
		{"192.168.0.0/28", ""},
		{"172.16.0.0/12", ec2.CodeVPCRange},
		{"10.1.0.0/29", ec2.CodeVPCRange},
		{"10.0.0.1/16", ec2.CodeInvalidParameterValue},
		{"10.0.0.0", ec2.CodeInvalidParameterValue},
		{"2001:db8::/56", ec2.CodeInvalidParameterValue},
		{"", ec2.CodeMissingParameter},
	} {
		v, err := s.CreateVPC(ctx, acctA, c.cidr)
		wantCode(t, "CreateVPC "+c.cidr, err, c.code)
		if err != nil {
			continue
		}
		if !idFormat.MatchString(v.ID) || v.CIDRBlock.String() != c.cidr || v.State != "available" || v.Owner != acctA ||
			!v.EnableDNSSupport || v.EnableDNSHostnames || !v.Created.Equal(epoch) {
			t.Errorf("CreateVPC %s: got %+v", c.cidr, v)
		}
		def := defaultGroup(t, s, acctA, v)
		if def.Name != "default" || def.VPCID != v.ID || !def.IsDefault() {
			t.Errorf("default group of %s: got %+v", v.ID, def)
		}
		in, out := def.Ingress(), def.Egress()
		if len(in) != 1 || in[0].IPProtocol != "-1" || len(in[0].Groups) != 1 || in[0].Groups[0].GroupID != def.ID || in[0].FromPort != nil {
			t.Errorf("default group ingress: got %+v; want all traffic from itself", in)
		}
		if len(out) != 1 || out[0].IPProtocol != "-1" || len(out[0].IPRanges) != 1 || out[0].IPRanges[0].CIDR != "0.0.0.0/0" {
			t.Errorf("default group egress: got %+v; want all traffic to 0.0.0.0/0", out)
		}
	}
	vs, err := s.VPCs(ctx, acctA, nil)
	if err != nil || len(vs) != 3 {
		t.Errorf("VPCs: got %d, %v; want 3", len(vs), err)
	}
	if !slices.IsSortedFunc(vs, func(a, b ec2.VPC) int { return compare(a.ID, b.ID) }) {
		t.Errorf("VPCs are not sorted by id: %v", vs)
	}
	_, err = s.CreateVPC(ctx, acctA, "10.9.0.0/16", ec2.TagSpecification{ResourceType: "subnet", Tags: []ec2.Tag{{Key: "a"}}})
	wantCode(t, "CreateVPC with a subnet tag specification", err, ec2.CodeInvalidParameterValue)
	if vs, _ := s.VPCs(ctx, acctA, nil); len(vs) != 3 {
		t.Errorf("a refused CreateVPC created a VPC: got %d", len(vs))
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestVPCLookupsAndAttributes(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	a := mustVPC(t, s, acctA, "10.0.0.0/16")
	b := mustVPC(t, s, acctB, "10.0.0.0/16")
	for _, c := range []struct {
		account string
		ids     []string
		want    []string
		code    string
	}{
		{acctA, nil, []string{a.ID}, ""},
		{acctA, []string{a.ID, a.ID}, []string{a.ID}, ""},
		{acctB, nil, []string{b.ID}, ""},
		{acctB, []string{a.ID}, nil, ec2.CodeVPCNotFound},
		{acctA, []string{"vpc-0123456789abcdef0"}, nil, ec2.CodeVPCNotFound},
		{acctA, []string{"vpc-12345678"}, nil, ec2.CodeVPCNotFound},
		{acctA, []string{"vpc-XYZ"}, nil, ec2.CodeVPCMalformed},
		{acctA, []string{"subnet-0123456789abcdef0"}, nil, ec2.CodeVPCMalformed},
	} {
		vs, err := s.VPCs(ctx, c.account, c.ids)
		wantCode(t, fmt.Sprintf("VPCs(%s, %v)", c.account, c.ids), err, c.code)
		var got []string
		for _, v := range vs {
			got = append(got, v.ID)
		}
		if c.code == "" && !slices.Equal(got, c.want) {
			t.Errorf("VPCs(%s, %v): got %v; want %v", c.account, c.ids, got, c.want)
		}
	}
	if _, err := s.VPC(ctx, acctB, a.ID); !ec2.IsCode(err, ec2.CodeVPCNotFound) {
		t.Errorf("VPC of another account: got %v; want %s", err, ec2.CodeVPCNotFound)
	}

	for _, c := range []struct {
		attr  string
		value bool
		code  string
	}{
		{ec2.AttrDNSHostnames, true, ""},
		{ec2.AttrDNSSupport, false, ""},
		{ec2.AttrNAUMetrics, true, ""},
		{"enableNothing", true, ec2.CodeInvalidParameterValue},
		{"", true, ec2.CodeMissingParameter},
	} {
		err := s.SetVPCAttribute(ctx, acctA, a.ID, c.attr, c.value)
		wantCode(t, "SetVPCAttribute "+c.attr, err, c.code)
		if err != nil {
			continue
		}
		if got, err := s.VPCAttribute(ctx, acctA, a.ID, c.attr); err != nil || got != c.value {
			t.Errorf("VPCAttribute %s: got %v, %v; want %v", c.attr, got, err, c.value)
		}
	}
	wantCode(t, "SetVPCAttribute of another account's VPC", s.SetVPCAttribute(ctx, acctB, a.ID, ec2.AttrDNSHostnames, true), ec2.CodeVPCNotFound)
	if v, _ := s.VPC(ctx, acctB, b.ID); !v.EnableDNSSupport || v.EnableDNSHostnames {
		t.Errorf("account B's VPC changed: %+v", v)
	}
}

func TestCreateSubnet(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	other := mustVPC(t, s, acctB, "10.0.0.0/16")
	for _, c := range []struct {
		name   string
		in     ec2.CreateSubnetInput
		code   string
		zone   string
		zoneID string
		ips    int
	}{
		{"by zone id", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.1.0/24", AvailabilityZoneID: "use1-az2"}, "", "us-east-1b", "use1-az2", 251},
		{"by zone name", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.2.0/28", AvailabilityZone: "us-east-1f"}, "", "us-east-1f", "use1-az6", 11},
		{"zone chosen", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.128.0/17"}, "", "us-east-1c", "use1-az3", 32763},
		{"overlaps", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.1.128/25"}, ec2.CodeSubnetConflict, "", "", 0},
		{"contains another", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.0.0/22"}, ec2.CodeSubnetConflict, "", "", 0},
		{"the whole VPC", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.0.0/16"}, ec2.CodeSubnetConflict, "", "", 0},
		{"outside", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.1.0.0/24"}, ec2.CodeSubnetRange, "", "", 0},
		{"larger than the VPC", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.0.0/15"}, ec2.CodeSubnetRange, "", "", 0},
		{"too small", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.3.0/29"}, ec2.CodeSubnetRange, "", "", 0},
		{"host bits", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.3.1/24"}, ec2.CodeInvalidParameterValue, "", "", 0},
		{"unknown zone", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.3.0/24", AvailabilityZone: "us-east-1g"}, ec2.CodeInvalidParameterValue, "", "", 0},
		{"unknown zone id", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.3.0/24", AvailabilityZoneID: "usw2-az1"}, ec2.CodeInvalidParameterValue, "", "", 0},
		{"zone and zone id", ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.3.0/24", AvailabilityZone: "us-east-1a", AvailabilityZoneID: "use1-az1"}, ec2.CodeInvalidParameterCombination, "", "", 0},
		{"no CIDR", ec2.CreateSubnetInput{VPCID: v.ID}, ec2.CodeMissingParameter, "", "", 0},
		{"no VPC", ec2.CreateSubnetInput{CIDRBlock: "10.0.3.0/24"}, ec2.CodeMissingParameter, "", "", 0},
		{"malformed VPC", ec2.CreateSubnetInput{VPCID: "vpc-1", CIDRBlock: "10.0.3.0/24"}, ec2.CodeVPCMalformed, "", "", 0},
		{"another account's VPC", ec2.CreateSubnetInput{VPCID: other.ID, CIDRBlock: "10.0.3.0/24"}, ec2.CodeVPCNotFound, "", "", 0},
	} {
		sn, err := s.CreateSubnet(ctx, acctA, c.in)
		wantCode(t, c.name, err, c.code)
		if err != nil {
			continue
		}
		if !idFormat.MatchString(sn.ID) || sn.VPCID != v.ID || sn.AvailabilityZone != c.zone || sn.AvailabilityZoneID != c.zoneID ||
			sn.AvailableIPAddressCount != c.ips || sn.State != "available" || sn.ARN != "arn:aws:ec2:us-east-1:"+acctA+":subnet/"+sn.ID {
			t.Errorf("%s: got %+v; want zone %s (%s), %d addresses", c.name, sn, c.zone, c.zoneID, c.ips)
		}
	}
	sns, err := s.Subnets(ctx, acctA, nil)
	if err != nil || len(sns) != 3 {
		t.Fatalf("Subnets: got %d, %v; want 3", len(sns), err)
	}
	if sns, _ := s.Subnets(ctx, acctB, nil); len(sns) != 0 {
		t.Errorf("account B sees subnets: %v", sns)
	}
}

func TestDescribeFilters(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v1, err := s.CreateVPC(ctx, acctA, "10.0.0.0/16", ec2.TagSpecification{ResourceType: "vpc", Tags: []ec2.Tag{{Key: "Name", Value: "prod-clients"}, {Key: "env", Value: "prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := mustVPC(t, s, acctA, "172.16.0.0/16")
	a := mustSubnet(t, s, acctA, ec2.CreateSubnetInput{VPCID: v1.ID, CIDRBlock: "10.0.1.0/24", AvailabilityZoneID: "use1-az1"})
	b := mustSubnet(t, s, acctA, ec2.CreateSubnetInput{VPCID: v1.ID, CIDRBlock: "10.0.2.0/24", AvailabilityZoneID: "use1-az2",
		TagSpecifications: []ec2.TagSpecification{{ResourceType: "subnet", Tags: []ec2.Tag{{Key: "tier", Value: "private"}}}}})
	c := mustSubnet(t, s, acctA, ec2.CreateSubnetInput{VPCID: v2.ID, CIDRBlock: "172.16.0.0/24", AvailabilityZoneID: "use1-az1"})

	vpcCases := []struct {
		filters []ec2.Filter
		want    []string
		code    string
	}{
		{[]ec2.Filter{{Name: "vpc-id", Values: []string{v2.ID}}}, []string{v2.ID}, ""},
		{[]ec2.Filter{{Name: "cidr", Values: []string{"10.0.0.0/16", "192.168.0.0/16"}}}, []string{v1.ID}, ""},
		{[]ec2.Filter{{Name: "cidr-block-association.cidr-block", Values: []string{"172.*"}}}, []string{v2.ID}, ""},
		{[]ec2.Filter{{Name: "tag:Name", Values: []string{"prod-*"}}}, []string{v1.ID}, ""},
		{[]ec2.Filter{{Name: "tag:Name", Values: []string{"prod"}}}, nil, ""},
		{[]ec2.Filter{{Name: "tag-key", Values: []string{"env"}}, {Name: "state", Values: []string{"available"}}}, []string{v1.ID}, ""},
		{[]ec2.Filter{{Name: "tag-key", Values: []string{"env"}}, {Name: "state", Values: []string{"pending"}}}, nil, ""},
		{[]ec2.Filter{{Name: "owner-id", Values: []string{acctA}}, {Name: "is-default", Values: []string{"false"}}}, []string{v1.ID, v2.ID}, ""},
		{[]ec2.Filter{{Name: "color", Values: []string{"red"}}}, nil, ec2.CodeInvalidParameterValue},
		{[]ec2.Filter{{Name: "vpc-id"}}, nil, ec2.CodeInvalidParameterValue},
		{[]ec2.Filter{{Name: "tag:", Values: []string{"x"}}}, nil, ec2.CodeInvalidParameterValue},
		{[]ec2.Filter{{Name: "availability-zone", Values: []string{"x"}}}, nil, ec2.CodeInvalidParameterValue},
	}
	for _, tc := range vpcCases {
		vs, err := s.VPCs(ctx, acctA, nil, tc.filters...)
		wantCode(t, fmt.Sprintf("VPCs %v", tc.filters), err, tc.code)
		var got []string
		for _, v := range vs {
			got = append(got, v.ID)
		}
		slices.Sort(tc.want)
		if tc.code == "" && !slices.Equal(got, tc.want) {
			t.Errorf("VPCs %v: got %v; want %v", tc.filters, got, tc.want)
		}
	}
	subnetCases := []struct {
		filters []ec2.Filter
		want    []string
	}{
		{[]ec2.Filter{{Name: "vpc-id", Values: []string{v1.ID}}}, []string{a.ID, b.ID}},
		{[]ec2.Filter{{Name: "availability-zone-id", Values: []string{"use1-az1"}}}, []string{a.ID, c.ID}},
		{[]ec2.Filter{{Name: "availability-zone", Values: []string{"us-east-1b"}}}, []string{b.ID}},
		{[]ec2.Filter{{Name: "tag:tier", Values: []string{"private"}}}, []string{b.ID}},
		{[]ec2.Filter{{Name: "cidr-block", Values: []string{"172.16.0.0/24"}}}, []string{c.ID}},
		{[]ec2.Filter{{Name: "available-ip-address-count", Values: []string{"251"}}, {Name: "vpc-id", Values: []string{v2.ID}}}, []string{c.ID}},
		{[]ec2.Filter{{Name: "subnet-id", Values: []string{a.ID, c.ID}}}, []string{a.ID, c.ID}},
	}
	for _, tc := range subnetCases {
		sns, err := s.Subnets(ctx, acctA, nil, tc.filters...)
		var got []string
		for _, sn := range sns {
			got = append(got, sn.ID)
		}
		slices.Sort(tc.want)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Subnets %v: got %v, %v; want %v", tc.filters, got, err, tc.want)
		}
	}
	if sns, err := s.Subnets(ctx, acctA, []string{b.ID, a.ID}, ec2.Filter{Name: "availability-zone", Values: []string{"us-east-1a"}}); err != nil || len(sns) != 1 || sns[0].ID != a.ID {
		t.Errorf("Subnets by id and filter: got %v, %v; want %s", sns, err, a.ID)
	}
}

func TestGlobFilters(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v, err := s.CreateVPC(ctx, acctA, "10.0.0.0/16", ec2.TagSpecification{ResourceType: "vpc", Tags: []ec2.Tag{{Key: "Name", Value: "a*b?c\\d"}}})
	if err != nil {
		t.Fatal(err)
	}
	for pattern, match := range map[string]bool{
		"a*b?c\\d":          false, // an escaped d
		`a\*b\?c\\d`:        true,
		`a\*b\?c\d`:         false,
		"*":                 true,
		"a*":                true,
		"*d":                true,
		"a?b?c?d":           true,
		"a*b?c?d":           true,
		"a**b*?c*d":         true,
		`a\*`:               false,
		"A*":                false, // values are case-sensitive
		"a*b?c\\d?":         false,
		"":                  false,
		"a*b*c*d*e":         false,
		"?????????????????": false,
	} {
		vs, err := s.VPCs(ctx, acctA, nil, ec2.Filter{Name: "tag:Name", Values: []string{pattern}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(vs) == 1 && vs[0].ID == v.ID; got != match {
			t.Errorf("pattern %q against %q: got %v; want %v", pattern, `a*b?c\d`, got, match)
		}
	}
}

func TestDeleteVPCAndSubnet(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	sn := mustSubnet(t, s, acctA, ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.0.0/24"})
	g := mustGroup(t, s, acctA, v.ID, "web")

	wantCode(t, "DeleteVPC with a subnet", s.DeleteVPC(ctx, acctA, v.ID), ec2.CodeDependencyViolation)
	wantCode(t, "DeleteSubnet of another account", s.DeleteSubnet(ctx, acctB, sn.ID), ec2.CodeSubnetNotFound)
	wantCode(t, "DeleteSubnet malformed", s.DeleteSubnet(ctx, acctA, "subnet-zz"), ec2.CodeSubnetMalformed)
	wantCode(t, "DeleteSubnet", s.DeleteSubnet(ctx, acctA, sn.ID), "")
	wantCode(t, "DeleteSubnet again", s.DeleteSubnet(ctx, acctA, sn.ID), ec2.CodeSubnetNotFound)
	wantCode(t, "DeleteVPC with a group", s.DeleteVPC(ctx, acctA, v.ID), ec2.CodeDependencyViolation)
	wantCode(t, "DeleteVPC of another account", s.DeleteVPC(ctx, acctB, v.ID), ec2.CodeVPCNotFound)
	wantCode(t, "DeleteSecurityGroup", s.DeleteSecurityGroup(ctx, acctA, g.ID), "")
	wantCode(t, "DeleteVPC", s.DeleteVPC(ctx, acctA, v.ID), "")
	wantCode(t, "DeleteVPC again", s.DeleteVPC(ctx, acctA, v.ID), ec2.CodeVPCNotFound)
	if gs, err := s.SecurityGroups(ctx, acctA, nil); err != nil || len(gs) != 0 {
		t.Errorf("groups after DeleteVPC: got %v, %v; want none (the default group goes with its VPC)", gs, err)
	}
	// The subnet's range is free again in a new VPC.
	v2 := mustVPC(t, s, acctA, "10.0.0.0/16")
	mustSubnet(t, s, acctA, ec2.CreateSubnetInput{VPCID: v2.ID, CIDRBlock: "10.0.0.0/24"})
}

func TestSecurityGroups(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	v2 := mustVPC(t, s, acctA, "10.1.0.0/16")
	for _, c := range []struct {
		in   ec2.CreateSecurityGroupInput
		code string
	}{
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "web", Description: "Web servers (80, 443)"}, ""},
		{ec2.CreateSecurityGroupInput{VPCID: v2.ID, Name: "web", Description: "same name, other VPC"}, ""},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "web", Description: "again"}, ec2.CodeGroupDuplicate},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "default", Description: "x"}, ec2.CodeGroupReserved},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "sg-web", Description: "x"}, ec2.CodeInvalidParameterValue},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "wëb", Description: "x"}, ec2.CodeInvalidParameterValue},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "web\"", Description: "x"}, ec2.CodeInvalidParameterValue},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: string(make([]byte, 256)), Description: "x"}, ec2.CodeInvalidParameterValue},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "x", Description: "tab\t"}, ec2.CodeInvalidParameterValue},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Description: "x"}, ec2.CodeMissingParameter},
		{ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "x"}, ec2.CodeMissingParameter},
		{ec2.CreateSecurityGroupInput{Name: "x", Description: "x"}, ec2.CodeVPCIDNotSpecified},
		{ec2.CreateSecurityGroupInput{VPCID: "vpc-0123456789abcdef0", Name: "x", Description: "x"}, ec2.CodeVPCNotFound},
	} {
		g, err := s.CreateSecurityGroup(ctx, acctA, c.in)
		wantCode(t, fmt.Sprintf("CreateSecurityGroup %+v", c.in), err, c.code)
		if err != nil {
			continue
		}
		if !idFormat.MatchString(g.ID) || g.Name != c.in.Name || g.Description != c.in.Description || g.VPCID != c.in.VPCID || len(g.Ingress()) != 0 ||
			len(g.Egress()) != 1 || g.Egress()[0].IPProtocol != "-1" || g.Egress()[0].IPRanges[0].CIDR != "0.0.0.0/0" {
			t.Errorf("CreateSecurityGroup %+v: got %+v", c.in, g)
		}
	}
	web, err := s.SecurityGroupByName(ctx, acctA, v.ID, "web")
	if err != nil || web.VPCID != v.ID {
		t.Fatalf("SecurityGroupByName(web in %s): got %+v, %v", v.ID, web, err)
	}
	if _, err := s.SecurityGroupByName(ctx, acctA, "", "web"); !ec2.IsCode(err, ec2.CodeInvalidParameterValue) {
		t.Errorf("SecurityGroupByName(web in any VPC): got %v; want ambiguous", err)
	}
	if _, err := s.SecurityGroupByName(ctx, acctB, "", "web"); !ec2.IsCode(err, ec2.CodeGroupNotFound) {
		t.Errorf("SecurityGroupByName of another account: got %v; want %s", err, ec2.CodeGroupNotFound)
	}
	if gs, err := s.SecurityGroupsNamed(ctx, acctA, []string{"web"}); err != nil || len(gs) != 2 {
		t.Errorf("SecurityGroupsNamed(web): got %d, %v; want 2", len(gs), err)
	}
	if _, err := s.SecurityGroupsNamed(ctx, acctA, []string{"web", "db"}); !ec2.IsCode(err, ec2.CodeGroupNotFound) {
		t.Errorf("SecurityGroupsNamed(db): got %v; want %s", err, ec2.CodeGroupNotFound)
	}
	if gs, err := s.SecurityGroups(ctx, acctA, nil); err != nil || len(gs) != 4 {
		t.Errorf("SecurityGroups: got %d, %v; want 4", len(gs), err)
	}
	if gs, err := s.SecurityGroups(ctx, acctB, nil); err != nil || len(gs) != 0 {
		t.Errorf("SecurityGroups of account B: got %d, %v; want 0", len(gs), err)
	}
	def := defaultGroup(t, s, acctA, v)
	for _, c := range []struct {
		name, account, id, code string
	}{
		{"default group", acctA, def.ID, ec2.CodeCannotDelete},
		{"malformed", acctA, "sg-web", ec2.CodeGroupMalformed},
		{"absent", acctA, "sg-0123456789abcdef0", ec2.CodeGroupNotFound},
		{"another account's", acctB, web.ID, ec2.CodeGroupNotFound},
	} {
		wantCode(t, "DeleteSecurityGroup "+c.name, s.DeleteSecurityGroup(ctx, c.account, c.id), c.code)
	}
	// A group other groups' rules refer to cannot go.
	db := mustGroup(t, s, acctA, v.ID, "db")
	p := tcp(5432, 5432)
	p.Groups = []ec2.GroupPair{{GroupID: web.ID}}
	if _, err := s.AuthorizeSecurityGroup(ctx, acctA, db.ID, false, []ec2.IPPermission{p}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DeleteSecurityGroup referenced", s.DeleteSecurityGroup(ctx, acctA, web.ID), ec2.CodeDependencyViolation)
	wantCode(t, "DeleteSecurityGroup referencing", s.DeleteSecurityGroup(ctx, acctA, db.ID), "")
	wantCode(t, "DeleteSecurityGroup no longer referenced", s.DeleteSecurityGroup(ctx, acctA, web.ID), "")
}

func TestSecurityGroupRules(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	other := mustVPC(t, s, acctA, "10.1.0.0/16")
	g := mustGroup(t, s, acctA, v.ID, "brokers")
	clients := mustGroup(t, s, acctA, v.ID, "clients")
	elsewhere := defaultGroup(t, s, acctA, other)
	from, to := ports(-1, -1)
	icmpAll := ec2.IPPermission{IPProtocol: "icmp", FromPort: from, ToPort: to, IPRanges: []ec2.IPRange{{CIDR: "10.0.0.0/8"}}}
	byName := tcp(9098, 9098)
	byName.Groups = []ec2.GroupPair{{GroupName: "clients", Description: "IAM clients"}}
	noPorts := ec2.IPPermission{IPProtocol: "tcp", IPRanges: []ec2.IPRange{{CIDR: "0.0.0.0/0"}}}
	crossVPC := tcp(1, 2)
	crossVPC.Groups = []ec2.GroupPair{{GroupID: elsewhere.ID}}
	crossAccount := tcp(1, 2)
	crossAccount.Groups = []ec2.GroupPair{{GroupID: clients.ID, UserID: acctB}}
	unknownGroup := tcp(1, 2)
	unknownGroup.Groups = []ec2.GroupPair{{GroupID: "sg-0123456789abcdef0"}}

	for _, c := range []struct {
		name   string
		egress bool
		perms  []ec2.IPPermission
		code   string
		added  int
	}{
		{"range of ports, two CIDRs", false, []ec2.IPPermission{tcp(14001, 14100, "10.0.0.0/16", "192.168.1.0/24")}, "", 2},
		{"by group name", false, []ec2.IPPermission{byName}, "", 1},
		{"icmp all", false, []ec2.IPPermission{icmpAll}, "", 1},
		{"protocol number", false, []ec2.IPPermission{{IPProtocol: "50", FromPort: byName.FromPort, ToPort: byName.ToPort, IPRanges: []ec2.IPRange{{CIDR: "10.0.0.0/16"}}}}, "", 1},
		{"duplicate", false, []ec2.IPPermission{tcp(14001, 14100, "10.0.0.0/16")}, ec2.CodePermissionDuplicate, 0},
		{"duplicate of -1 egress", true, []ec2.IPPermission{{IPProtocol: "all", IPRanges: []ec2.IPRange{{CIDR: "0.0.0.0/0"}}}}, ec2.CodePermissionDuplicate, 0},
		{"duplicate within the call", false, []ec2.IPPermission{tcp(22, 22, "10.0.0.0/16", "10.0.0.0/16")}, ec2.CodePermissionDuplicate, 0},
		{"one new one duplicate: all or none", false, []ec2.IPPermission{tcp(22, 22, "10.0.0.0/16"), tcp(14001, 14100, "10.0.0.0/16")}, ec2.CodePermissionDuplicate, 0},
		{"no ports", false, []ec2.IPPermission{noPorts}, ec2.CodeInvalidParameterValue, 0},
		{"port out of range", false, []ec2.IPPermission{tcp(0, 65536, "0.0.0.0/0")}, ec2.CodePermissionMalformed, 0},
		{"negative port", false, []ec2.IPPermission{tcp(-1, -1, "0.0.0.0/0")}, ec2.CodePermissionMalformed, 0},
		{"from after to", false, []ec2.IPPermission{tcp(30, 20, "0.0.0.0/0")}, ec2.CodeInvalidParameterValue, 0},
		{"unknown protocol", false, []ec2.IPPermission{{IPProtocol: "gre", IPRanges: []ec2.IPRange{{CIDR: "0.0.0.0/0"}}}}, ec2.CodeInvalidParameterValue, 0},
		{"no protocol", false, []ec2.IPPermission{{IPRanges: []ec2.IPRange{{CIDR: "0.0.0.0/0"}}}}, ec2.CodeMissingParameter, 0},
		{"no peer", false, []ec2.IPPermission{tcp(1, 2)}, ec2.CodeMissingParameter, 0},
		{"no permissions", false, nil, ec2.CodeMissingParameter, 0},
		{"bad CIDR", false, []ec2.IPPermission{tcp(1, 2, "10.0.0.1/8")}, ec2.CodeInvalidParameterValue, 0},
		{"IPv6 CIDR", false, []ec2.IPPermission{tcp(1, 2, "::/0")}, ec2.CodeInvalidParameterValue, 0},
		{"group in another VPC", false, []ec2.IPPermission{crossVPC}, ec2.CodeGroupNotFound, 0},
		{"group of another account", false, []ec2.IPPermission{crossAccount}, ec2.CodeGroupNotFound, 0},
		{"unknown group", false, []ec2.IPPermission{unknownGroup}, ec2.CodeGroupNotFound, 0},
		{"egress", true, []ec2.IPPermission{tcp(443, 443, "0.0.0.0/0")}, "", 1},
	} {
		added, err := s.AuthorizeSecurityGroup(ctx, acctA, g.ID, c.egress, c.perms)
		wantCode(t, c.name, err, c.code)
		if len(added) != c.added {
			t.Errorf("%s: added %d rules; want %d", c.name, len(added), c.added)
		}
		for _, r := range added {
			if !regexp.MustCompile(`^sgr-[0-9a-f]{17}$`).MatchString(r.ID) || r.Egress != c.egress {
				t.Errorf("%s: added %+v", c.name, r)
			}
		}
	}
	gs, err := s.SecurityGroups(ctx, acctA, []string{g.ID})
	if err != nil {
		t.Fatal(err)
	}
	in := gs[0].Ingress()
	got := fmt.Sprint(describe(in))
	want := "[tcp 14001-14100 [10.0.0.0/16 192.168.1.0/24] [] tcp 9098-9098 [] [" + clients.ID + "] icmp -1--1 [10.0.0.0/8] [] 50 - [10.0.0.0/16] []]"
	if got != want {
		t.Errorf("ingress: got %s; want %s", got, want)
	}
	if in[1].Groups[0].UserID != acctA || in[1].Groups[0].Description != "IAM clients" {
		t.Errorf("group pair: got %+v", in[1].Groups[0])
	}
	if got := fmt.Sprint(describe(gs[0].Egress())); got != "[-1 - [0.0.0.0/0] [] tcp 443-443 [0.0.0.0/0] []]" {
		t.Errorf("egress: got %s", got)
	}

	// Revoke: by permission (all or none) and by rule id.
	for _, c := range []struct {
		name    string
		egress  bool
		perms   []ec2.IPPermission
		ruleIDs []string
		code    string
		removed int
	}{
		{"absent", false, []ec2.IPPermission{tcp(22, 22, "10.0.0.0/16")}, nil, ec2.CodePermissionNotFound, 0},
		{"one present one absent", false, []ec2.IPPermission{tcp(14001, 14100, "10.0.0.0/16"), tcp(22, 22, "10.0.0.0/16")}, nil, ec2.CodePermissionNotFound, 0},
		{"wrong direction", true, []ec2.IPPermission{tcp(14001, 14100, "10.0.0.0/16")}, nil, ec2.CodePermissionNotFound, 0},
		{"unknown group name", false, []ec2.IPPermission{{IPProtocol: "tcp", FromPort: byName.FromPort, ToPort: byName.ToPort, Groups: []ec2.GroupPair{{GroupName: "nobody"}}}}, nil, ec2.CodePermissionNotFound, 0},
		{"present", false, []ec2.IPPermission{tcp(14001, 14100, "10.0.0.0/16")}, nil, "", 1},
		{"by group name", false, []ec2.IPPermission{byName}, nil, "", 1},
		{"unknown rule id", false, nil, []string{"sgr-0123456789abcdef0"}, ec2.CodeRuleNotFound, 0},
		{"malformed rule id", false, nil, []string{"sgr-x"}, ec2.CodeRuleMalformed, 0},
		{"nothing", false, nil, nil, ec2.CodeMissingParameter, 0},
		{"both", false, []ec2.IPPermission{icmpAll}, []string{"sgr-0123456789abcdef0"}, ec2.CodeInvalidParameterCombination, 0},
		{"by rule id", true, nil, []string{gs[0].Rules[0].ID}, "", 1},
	} {
		removed, err := s.RevokeSecurityGroup(ctx, acctA, g.ID, c.egress, c.perms, c.ruleIDs)
		wantCode(t, "revoke "+c.name, err, c.code)
		if len(removed) != c.removed {
			t.Errorf("revoke %s: removed %d; want %d", c.name, len(removed), c.removed)
		}
	}
	gs, _ = s.SecurityGroups(ctx, acctA, []string{g.ID})
	if got := fmt.Sprint(describe(gs[0].Ingress())); got != "[tcp 14001-14100 [192.168.1.0/24] [] icmp -1--1 [10.0.0.0/8] [] 50 - [10.0.0.0/16] []]" {
		t.Errorf("ingress after revoke: got %s", got)
	}
	if got := fmt.Sprint(describe(gs[0].Egress())); got != "[tcp 443-443 [0.0.0.0/0] []]" {
		t.Errorf("egress after revoke: got %s", got)
	}
	_, err = s.AuthorizeSecurityGroup(ctx, acctB, g.ID, false, []ec2.IPPermission{tcp(1, 1, "0.0.0.0/0")})
	wantCode(t, "authorize another account's group", err, ec2.CodeGroupNotFound)
}

// describe renders permissions compactly for comparisons.
func describe(perms []ec2.IPPermission) []string {
	var out []string
	for _, p := range perms {
		ports := "-"
		if p.FromPort != nil {
			ports = fmt.Sprintf("%d-%d", *p.FromPort, *p.ToPort)
		}
		var cidrs, groups []string
		for _, r := range p.IPRanges {
			cidrs = append(cidrs, r.CIDR)
		}
		for _, g := range p.Groups {
			groups = append(groups, g.GroupID)
		}
		out = append(out, p.IPProtocol, ports, fmt.Sprint(cidrs), fmt.Sprint(groups))
	}
	return out
}

func TestRuleLimit(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	g := mustGroup(t, s, acctA, v.ID, "many")
	var perms []ec2.IPPermission
	for i := range 60 {
		perms = append(perms, tcp(int32(i), int32(i), "10.0.0.0/16"))
	}
	if _, err := s.AuthorizeSecurityGroup(ctx, acctA, g.ID, false, perms); err != nil {
		t.Fatalf("60 rules: %v", err)
	}
	_, err := s.AuthorizeSecurityGroup(ctx, acctA, g.ID, false, []ec2.IPPermission{tcp(100, 100, "10.0.0.0/16")})
	wantCode(t, "61st rule", err, ec2.CodeRulesLimitExceeded)
}

func TestTags(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	sn := mustSubnet(t, s, acctA, ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.0.0/24"})
	g := mustGroup(t, s, acctA, v.ID, "web")
	bv := mustVPC(t, s, acctB, "10.0.0.0/16")
	str := func(s string) *string { return &s }

	for _, c := range []struct {
		name      string
		resources []string
		tags      []ec2.Tag
		code      string
	}{
		{"three kinds", []string{v.ID, sn.ID, g.ID}, []ec2.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "data"}}, ""},
		{"overwrite", []string{sn.ID}, []ec2.Tag{{Key: "env", Value: "dev"}, {Key: "empty"}}, ""},
		{"another account's VPC", []string{v.ID, bv.ID}, []ec2.Tag{{Key: "x"}}, ec2.CodeVPCNotFound},
		{"unknown kind", []string{"i-0123456789abcdef0"}, []ec2.Tag{{Key: "x"}}, ec2.CodeInvalidID},
		{"a rule", []string{"sgr-0123456789abcdef0"}, []ec2.Tag{{Key: "x"}}, ec2.CodeInvalidID},
		{"malformed", []string{"vpc-nope"}, []ec2.Tag{{Key: "x"}}, ec2.CodeVPCMalformed},
		{"absent subnet", []string{"subnet-0123456789abcdef0"}, []ec2.Tag{{Key: "x"}}, ec2.CodeSubnetNotFound},
		{"reserved prefix", []string{v.ID}, []ec2.Tag{{Key: "aws:cloudformation:stack"}}, ec2.CodeInvalidParameterValue},
		{"key too long", []string{v.ID}, []ec2.Tag{{Key: string(make([]rune, 129))}}, ec2.CodeInvalidParameterValue},
		{"empty key", []string{v.ID}, []ec2.Tag{{Value: "x"}}, ec2.CodeInvalidParameterValue},
		{"no resources", nil, []ec2.Tag{{Key: "x"}}, ec2.CodeMissingParameter},
		{"no tags", []string{v.ID}, nil, ec2.CodeMissingParameter},
	} {
		wantCode(t, "CreateTags "+c.name, s.CreateTags(ctx, acctA, c.resources, c.tags), c.code)
	}
	all, err := s.Tags(ctx, acctA)
	if err != nil || len(all) != 7 {
		t.Fatalf("Tags: got %v, %v; want 7", all, err)
	}
	for _, c := range []struct {
		filters []ec2.Filter
		want    int
	}{
		{[]ec2.Filter{{Name: "resource-id", Values: []string{sn.ID}}}, 3},
		{[]ec2.Filter{{Name: "resource-type", Values: []string{"security-group", "vpc"}}}, 4},
		{[]ec2.Filter{{Name: "key", Values: []string{"env"}}, {Name: "value", Values: []string{"prod"}}}, 2},
		{[]ec2.Filter{{Name: "value", Values: []string{""}}}, 1},
	} {
		if got, err := s.Tags(ctx, acctA, c.filters...); err != nil || len(got) != c.want {
			t.Errorf("Tags %v: got %v, %v; want %d", c.filters, got, err, c.want)
		}
	}
	if bt, _ := s.Tags(ctx, acctB); len(bt) != 0 {
		t.Errorf("account B sees tags: %v", bt)
	}
	sns, _ := s.Subnets(ctx, acctA, []string{sn.ID})
	if got := fmt.Sprint(sns[0].Tags); got != "[{empty } {env dev} {team data}]" {
		t.Errorf("subnet tags: got %s", got)
	}

	wantCode(t, "DeleteTags value mismatch", s.DeleteTags(ctx, acctA, []string{sn.ID}, []ec2.Removal{{Key: "env", Value: str("prod")}}), "")
	wantCode(t, "DeleteTags empty value", s.DeleteTags(ctx, acctA, []string{sn.ID}, []ec2.Removal{{Key: "empty", Value: str("")}}), "")
	wantCode(t, "DeleteTags key only", s.DeleteTags(ctx, acctA, []string{v.ID, g.ID}, []ec2.Removal{{Key: "team"}}), "")
	wantCode(t, "DeleteTags absent resource", s.DeleteTags(ctx, acctA, []string{"sg-0123456789abcdef0"}, nil), ec2.CodeGroupNotFound)
	sns, _ = s.Subnets(ctx, acctA, []string{sn.ID})
	if got := fmt.Sprint(sns[0].Tags); got != "[{env dev} {team data}]" {
		t.Errorf("subnet tags after DeleteTags: got %s", got)
	}
	wantCode(t, "DeleteTags all", s.DeleteTags(ctx, acctA, []string{sn.ID}, nil), "")
	if got, _ := s.Tags(ctx, acctA); len(got) != 2 {
		t.Errorf("Tags after deleting: got %v; want env on the VPC and group", got)
	}

	// At most 50 tags on a resource.
	var many []ec2.Tag
	for i := range 50 {
		many = append(many, ec2.Tag{Key: fmt.Sprint("k", i)})
	}
	wantCode(t, "50 tags", s.CreateTags(ctx, acctA, []string{sn.ID}, many), "")
	wantCode(t, "51st tag", s.CreateTags(ctx, acctA, []string{sn.ID}, []ec2.Tag{{Key: "one-more"}}), ec2.CodeTagLimitExceeded)
	wantCode(t, "overwriting at the limit", s.CreateTags(ctx, acctA, []string{sn.ID}, []ec2.Tag{{Key: "k0", Value: "v"}}), "")
}

func TestAdmitsTCP(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	endpoint := mustGroup(t, s, acctA, v.ID, "endpoint")
	clients := mustGroup(t, s, acctA, v.ID, "clients")
	ops := mustGroup(t, s, acctA, v.ID, "ops")
	fromClients := tcp(14001, 14003)
	fromClients.Groups = []ec2.GroupPair{{GroupID: clients.ID}}
	for _, step := range []struct {
		group string
		perms []ec2.IPPermission
	}{
		{endpoint.ID, []ec2.IPPermission{tcp(14001, 14100, "10.0.1.0/24"), fromClients}},
		{endpoint.ID, []ec2.IPPermission{{IPProtocol: "udp", FromPort: fromClients.FromPort, ToPort: fromClients.ToPort, IPRanges: []ec2.IPRange{{CIDR: "0.0.0.0/0"}}}}},
		{endpoint.ID, []ec2.IPPermission{tcp(9098, 9098, "192.168.0.0/16")}},
		{ops.ID, []ec2.IPPermission{{IPProtocol: "-1", IPRanges: []ec2.IPRange{{CIDR: "172.16.0.1/32"}}}}},
	} {
		if _, err := s.AuthorizeSecurityGroup(ctx, acctA, step.group, false, step.perms); err != nil {
			t.Fatal(err)
		}
	}
	// Every group allows all egress: egress rules never admit anything.
	if _, err := s.AuthorizeSecurityGroup(ctx, acctA, endpoint.ID, true, []ec2.IPPermission{tcp(1, 65535, "10.9.0.0/16")}); err != nil {
		t.Fatal(err)
	}
	gs, err := s.SecurityGroups(ctx, acctA, []string{endpoint.ID, ops.ID})
	if err != nil {
		t.Fatal(err)
	}
	endpointOnly := slices.DeleteFunc(slices.Clone(gs), func(g ec2.SecurityGroup) bool { return g.ID != endpoint.ID })
	for _, c := range []struct {
		name      string
		groups    []ec2.SecurityGroup
		src       string
		srcGroups []string
		port      uint16
		want      bool
	}{
		{"in range, first port", endpointOnly, "10.0.1.7", nil, 14001, true},
		{"in range, last port", endpointOnly, "10.0.1.7", nil, 14100, true},
		{"port after the range", endpointOnly, "10.0.1.7", nil, 14101, false},
		{"address outside", endpointOnly, "10.0.2.7", nil, 14001, false},
		{"IPv4-mapped IPv6", endpointOnly, "::ffff:10.0.1.7", nil, 14050, true},
		{"IPv6", endpointOnly, "2001:db8::1", nil, 14050, false},
		{"from the clients group", endpointOnly, "10.0.9.9", []string{"sg-0123456789abcdef0", clients.ID}, 14003, true},
		{"from the clients group, port outside its rule", endpointOnly, "10.0.9.9", []string{clients.ID}, 14004, false},
		{"udp rule does not admit tcp", endpointOnly, "10.9.9.9", nil, 14002, false},
		{"egress rule does not admit", endpointOnly, "10.9.0.1", nil, 80, false},
		{"another rule", endpointOnly, "192.168.3.4", nil, 9098, true},
		{"all traffic from ops host", gs, "172.16.0.1", nil, 22, true},
		{"ops rule is a /32", gs, "172.16.0.2", nil, 22, false},
		{"no groups", nil, "10.0.1.7", nil, 14001, false},
		{"invalid source", endpointOnly, "", nil, 14001, false},
	} {
		var src netip.Addr
		if c.src != "" {
			src = netip.MustParseAddr(c.src)
		}
		r, got := ec2.AdmitsTCP(c.groups, src, c.srcGroups, c.port)
		if got != c.want {
			t.Errorf("%s: AdmitsTCP(%s, %v, %d): got %v (%+v); want %v", c.name, c.src, c.srcGroups, c.port, got, r, c.want)
		}
		if got && (r.ID == "" || r.Egress) {
			t.Errorf("%s: admitted by %+v", c.name, r)
		}
	}
}

func TestConcurrentChanges(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	const n = 16
	run := func(f func(i int) error) []error {
		t.Helper()
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = f(i) })
		}
		wg.Wait()
		return errs
	}
	count := func(errs []error, code string) (ok, coded int) {
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case ec2.IsCode(err, code):
				coded++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		return ok, coded
	}

	// Overlapping subnets: exactly one wins.
	errs := run(func(i int) error {
		_, err := s.CreateSubnet(ctx, acctA, ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: fmt.Sprintf("10.0.0.0/%d", 20+i%8)})
		return err
	})
	if ok, conflicts := count(errs, ec2.CodeSubnetConflict); ok != 1 || conflicts != n-1 {
		t.Errorf("overlapping subnets: %d created, %d conflicts; want 1 and %d", ok, conflicts, n-1)
	}
	// Disjoint subnets: all win.
	errs = run(func(i int) error {
		_, err := s.CreateSubnet(ctx, acctA, ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: fmt.Sprintf("10.0.%d.0/24", 100+i)})
		return err
	})
	if ok, _ := count(errs, ""); ok != n {
		t.Errorf("disjoint subnets: %d created; want %d", ok, n)
	}
	if sns, _ := s.Subnets(ctx, acctA, nil); len(sns) != n+1 {
		t.Errorf("subnets: got %d; want %d", len(sns), n+1)
	}
	// Same group name: exactly one wins.
	errs = run(func(int) error {
		_, err := s.CreateSecurityGroup(ctx, acctA, ec2.CreateSecurityGroupInput{VPCID: v.ID, Name: "race", Description: "race"})
		return err
	})
	if ok, dups := count(errs, ec2.CodeGroupDuplicate); ok != 1 || dups != n-1 {
		t.Errorf("same group name: %d created, %d duplicates; want 1 and %d", ok, dups, n-1)
	}

	// A VPC is never deleted while a subnet is added to it.
	for range 8 {
		w := mustVPC(t, s, acctA, "10.1.0.0/16")
		var subnetErr, deleteErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			_, subnetErr = s.CreateSubnet(ctx, acctA, ec2.CreateSubnetInput{VPCID: w.ID, CIDRBlock: "10.1.0.0/24"})
		})
		wg.Go(func() { deleteErr = s.DeleteVPC(ctx, acctA, w.ID) })
		wg.Wait()
		switch {
		case subnetErr == nil && deleteErr == nil:
			t.Fatalf("both the subnet and the deletion of %s succeeded", w.ID)
		case subnetErr == nil:
			wantCode(t, "DeleteVPC racing CreateSubnet", deleteErr, ec2.CodeDependencyViolation)
		default:
			wantCode(t, "CreateSubnet racing DeleteVPC", subnetErr, ec2.CodeVPCNotFound)
			wantCode(t, "DeleteVPC racing CreateSubnet", deleteErr, "")
		}
	}
}

func TestStateSurvivesARestart(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	v := mustVPC(t, s, acctA, "10.0.0.0/16")
	sn := mustSubnet(t, s, acctA, ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.0.0/24", AvailabilityZone: "us-east-1d"})
	again, err := ec2.New(st, "us-east-1", nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Subnets(ctx, acctA, []string{sn.ID})
	if err != nil || len(got) != 1 || got[0].CIDRBlock != sn.CIDRBlock || got[0].AvailabilityZoneID != "use1-az4" || !got[0].Created.Equal(epoch) {
		t.Errorf("after a restart: got %+v, %v; want %+v", got, err, sn)
	}
	// Another region sharing the store sees none of it.
	west, err := ec2.New(st, "us-west-2", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vs, err := west.VPCs(ctx, acctA, nil); err != nil || len(vs) != 0 {
		t.Errorf("us-west-2 sees %v, %v; want no VPCs", vs, err)
	}
	if _, err := west.CreateSubnet(ctx, acctA, ec2.CreateSubnetInput{VPCID: v.ID, CIDRBlock: "10.0.1.0/24"}); !ec2.IsCode(err, ec2.CodeVPCNotFound) {
		t.Errorf("us-west-2 CreateSubnet in a us-east-1 VPC: got %v; want %s", err, ec2.CodeVPCNotFound)
	}
}

func TestCheckID(t *testing.T) {
	for _, c := range []struct {
		kind, id, code string
	}{
		{"vpc", "vpc-0123456789abcdef0", ""},
		{"vpc", "vpc-01234567", ""},
		{"vpc", "vpc-0123456789ABCDEF0", ec2.CodeVPCMalformed},
		{"vpc", "vpc-0123456789", ec2.CodeVPCMalformed},
		{"vpc", "sg-01234567", ec2.CodeVPCMalformed},
		{"subnet", "subnet-0123456789abcdef0", ""},
		{"subnet", "subnet-", ec2.CodeSubnetMalformed},
		{"sg", "sg-0123456789abcdef0", ""},
		{"sg", "sgr-0123456789abcdef0", ec2.CodeGroupMalformed},
		{"sgr", "sgr-0123456789abcdef0", ""},
		{"", "subnet-01234567", ""},
		{"", "sg-zz", ec2.CodeGroupMalformed},
		{"", "igw-01234567", ec2.CodeInvalidID},
		{"", "", ec2.CodeInvalidID},
	} {
		wantCode(t, fmt.Sprintf("CheckID(%q, %q)", c.kind, c.id), ec2.CheckID(c.kind, c.id), c.code)
	}
}
