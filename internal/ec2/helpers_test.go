package ec2_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/store"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newService returns an ec2 service for us-east-1 over a fresh bolt store,
// and the store.
func newService(t *testing.T) (*ec2.Service, store.Store) {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := ec2.New(st, "us-east-1", nil, func() time.Time { return epoch })
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func mustVPC(t *testing.T, s *ec2.Service, account, cidr string) ec2.VPC {
	t.Helper()
	v, err := s.CreateVPC(context.Background(), account, cidr)
	if err != nil {
		t.Fatalf("CreateVPC %s: %v", cidr, err)
	}
	return v
}

func mustSubnet(t *testing.T, s *ec2.Service, account string, in ec2.CreateSubnetInput) ec2.Subnet {
	t.Helper()
	sn, err := s.CreateSubnet(context.Background(), account, in)
	if err != nil {
		t.Fatalf("CreateSubnet %+v: %v", in, err)
	}
	return sn
}

func mustGroup(t *testing.T, s *ec2.Service, account, vpcID, name string) ec2.SecurityGroup {
	t.Helper()
	g, err := s.CreateSecurityGroup(context.Background(), account, ec2.CreateSecurityGroupInput{VPCID: vpcID, Name: name, Description: name + " group"})
	if err != nil {
		t.Fatalf("CreateSecurityGroup %s: %v", name, err)
	}
	return g
}

// defaultGroup returns a VPC's default security group.
func defaultGroup(t *testing.T, s *ec2.Service, account string, v ec2.VPC) ec2.SecurityGroup {
	t.Helper()
	gs, err := s.SecurityGroups(context.Background(), account, []string{v.DefaultSecurityGroupID})
	if err != nil || len(gs) != 1 {
		t.Fatalf("default group of %s: got %v, %v", v.ID, gs, err)
	}
	return gs[0]
}

// wantCode fails unless err is an EC2 error with code ("" meaning no
// error).
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s: got error %v; want none", what, err)
		}
		return
	}
	var e *ec2.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s: got error %v; want %s", what, err, code)
	}
}

func ports(from, to int32) (*int32, *int32) { return &from, &to }

func tcp(from, to int32, cidrs ...string) ec2.IPPermission {
	p := ec2.IPPermission{IPProtocol: "tcp"}
	p.FromPort, p.ToPort = ports(from, to)
	for _, c := range cidrs {
		p.IPRanges = append(p.IPRanges, ec2.IPRange{CIDR: c})
	}
	return p
}
