package ec2

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// VPC is a virtual network of an account: one IPv4 CIDR block, its DNS
// attributes, and the default security group created with it.
type VPC struct {
	ID                     string       `json:"id"`
	Owner                  string       `json:"owner"`
	CIDRBlock              netip.Prefix `json:"cidr"`
	CIDRAssociationID      string       `json:"cidr_assoc"`
	State                  string       `json:"state"` // available
	DefaultSecurityGroupID string       `json:"default_sg"`
	EnableDNSSupport       bool         `json:"dns_support"`
	EnableDNSHostnames     bool         `json:"dns_hostnames"`
	EnableNAUMetrics       bool         `json:"nau_metrics,omitempty"` // enableNetworkAddressUsageMetrics
	Tags                   []Tag        `json:"tags,omitempty"`
	Created                time.Time    `json:"created"`
}

// VPC attribute names, as DescribeVpcAttribute and ModifyVpcAttribute
// name them.
const (
	AttrDNSSupport   = "enableDnsSupport"
	AttrDNSHostnames = "enableDnsHostnames"
	AttrNAUMetrics   = "enableNetworkAddressUsageMetrics"
)

// DefaultGroupName is the name of every VPC's default security group.
const DefaultGroupName = "default"

// parseCIDR parses an IPv4 CIDR block with no host bits set, answering
// InvalidParameterValue for anything else (param names the parameter).
func parseCIDR(param, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return netip.Prefix{}, errf(CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.", s, param)
	}
	return p, nil
}

// CreateVPC creates a VPC with an IPv4 CIDR block (/16 to /28) and its
// default security group, tagged as the specifications say.
func (s *Service) CreateVPC(ctx context.Context, account, cidr string, specs ...TagSpecification) (VPC, error) {
	if cidr == "" {
		return VPC{}, errf(CodeMissingParameter, "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
	}
	p, err := parseCIDR("cidrBlock", cidr)
	if err != nil {
		return VPC{}, err
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return VPC{}, errf(CodeVPCRange, "The CIDR '%s' is invalid.", cidr)
	}
	tags, err := tagsOnCreate("vpc", specs)
	if err != nil {
		return VPC{}, err
	}
	now := s.now().UTC()
	v := VPC{
		ID: newID("vpc-"), Owner: account, CIDRBlock: p, CIDRAssociationID: newID("vpc-cidr-assoc-"),
		State: "available", EnableDNSSupport: true, Tags: tags, Created: now,
	}
	def := SecurityGroup{
		ID: newID("sg-"), Name: DefaultGroupName, Description: "default VPC security group", VPCID: v.ID, Owner: account, Created: now,
	}
	def.ARN = s.ARN(account, def.ID)
	def.Rules = []Rule{
		{ID: newID("sgr-"), Protocol: "-1", FromPort: -1, ToPort: -1, GroupID: def.ID, UserID: account},
		{ID: newID("sgr-"), Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0")},
	}
	v.DefaultSecurityGroupID = def.ID
	b, err := json.Marshal(record{VPC: v, Groups: []SecurityGroup{def}})
	if err != nil {
		return VPC{}, fmt.Errorf("ec2: encode %s: %w", v.ID, err)
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, s.vpcKey(account, v.ID), b, 0)
	if err != nil {
		return VPC{}, fmt.Errorf("ec2: create %s: %w", v.ID, err)
	}
	if !ok {
		return VPC{}, fmt.Errorf("ec2: vpc id %s is taken", v.ID)
	}
	return v, nil
}

// VPC returns one VPC of an account.
func (s *Service) VPC(ctx context.Context, account, id string) (VPC, error) {
	if err := vpcKind.check(id); err != nil {
		return VPC{}, err
	}
	r, _, ok, err := s.load(ctx, account, id)
	if err != nil {
		return VPC{}, err
	}
	if !ok {
		return VPC{}, vpcNotFound(id)
	}
	return r.VPC, nil
}

// VPCs returns an account's VPCs with the ids (all if none) that match the
// filters, by id. An id that does not exist is InvalidVpcID.NotFound.
func (s *Service) VPCs(ctx context.Context, account string, ids []string, filters ...Filter) ([]VPC, error) {
	ids, err := checkIDs(vpcKind, ids)
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, vpcFilters); err != nil {
		return nil, err
	}
	recs, err := s.records(ctx, account)
	if err != nil {
		return nil, err
	}
	var out []VPC
	for _, id := range ids {
		if !slices.ContainsFunc(recs, func(r record) bool { return r.VPC.ID == id }) {
			return nil, vpcNotFound(id)
		}
	}
	for _, r := range recs {
		if len(ids) > 0 && !slices.Contains(ids, r.VPC.ID) {
			continue
		}
		if matchAll(filters, func(name string) []string { return vpcFilterValues(r.VPC, name) }) {
			out = append(out, r.VPC)
		}
	}
	slices.SortFunc(out, func(a, b VPC) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func vpcFilterValues(v VPC, name string) []string {
	if vals, ok := tagValues(v.Tags, name); ok {
		return vals
	}
	switch name {
	case "vpc-id":
		return []string{v.ID}
	case "cidr", "cidr-block", "cidr-block-association.cidr-block":
		return []string{v.CIDRBlock.String()}
	case "cidr-block-association.association-id":
		return []string{v.CIDRAssociationID}
	case "cidr-block-association.state":
		return []string{"associated"}
	case "state":
		return []string{v.State}
	case "owner-id":
		return []string{v.Owner}
	case "is-default":
		return []string{"false"}
	case "dhcp-options-id":
		return []string{"default"}
	}
	return nil
}

// DeleteVPC deletes a VPC that holds no subnets and no security groups but
// its default one.
func (s *Service) DeleteVPC(ctx context.Context, account, id string) error {
	if err := vpcKind.check(id); err != nil {
		return err
	}
	key := s.vpcKey(account, id)
	for range maxCASRetries {
		r, rev, ok, err := s.load(ctx, account, id)
		if err != nil {
			return err
		}
		if !ok {
			return vpcNotFound(id)
		}
		if len(r.Subnets) > 0 || slices.ContainsFunc(r.Groups, func(g SecurityGroup) bool { return g.Name != DefaultGroupName }) {
			return errf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
		}
		_, deleted, err := s.st.CompareAndDelete(ctx, key, rev)
		if err != nil {
			return fmt.Errorf("ec2: delete %s: %w", id, err)
		}
		if deleted {
			return nil
		}
	}
	return fmt.Errorf("ec2: %s changed %d times under us", id, maxCASRetries)
}

func checkAttr(attr string) error {
	switch attr {
	case AttrDNSSupport, AttrDNSHostnames, AttrNAUMetrics:
		return nil
	case "":
		return missing("Attribute")
	}
	return errf(CodeInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
}

// VPCAttribute returns a boolean attribute of a VPC (AttrDNSSupport,
// AttrDNSHostnames, AttrNAUMetrics).
func (s *Service) VPCAttribute(ctx context.Context, account, id, attr string) (bool, error) {
	if err := checkAttr(attr); err != nil {
		return false, err
	}
	v, err := s.VPC(ctx, account, id)
	if err != nil {
		return false, err
	}
	switch attr {
	case AttrDNSSupport:
		return v.EnableDNSSupport, nil
	case AttrDNSHostnames:
		return v.EnableDNSHostnames, nil
	}
	return v.EnableNAUMetrics, nil
}

// SetVPCAttribute sets a boolean attribute of a VPC.
func (s *Service) SetVPCAttribute(ctx context.Context, account, id, attr string, value bool) error {
	if err := checkAttr(attr); err != nil {
		return err
	}
	if err := vpcKind.check(id); err != nil {
		return err
	}
	return s.update(ctx, account, id, func(r *record) error {
		switch attr {
		case AttrDNSSupport:
			r.VPC.EnableDNSSupport = value
		case AttrDNSHostnames:
			r.VPC.EnableDNSHostnames = value
		default:
			r.VPC.EnableNAUMetrics = value
		}
		return nil
	})
}
