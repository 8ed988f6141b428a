package ec2

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Subnet is an address range of a VPC in one availability zone.
type Subnet struct {
	ID                      string       `json:"id"`
	ARN                     string       `json:"arn"`
	VPCID                   string       `json:"vpc"`
	Owner                   string       `json:"owner"`
	CIDRBlock               netip.Prefix `json:"cidr"`
	AvailabilityZone        string       `json:"az"`
	AvailabilityZoneID      string       `json:"az_id"`
	AvailableIPAddressCount int          `json:"available_ips"` // the block's size less the 5 addresses AWS reserves
	State                   string       `json:"state"`         // available
	Tags                    []Tag        `json:"tags,omitempty"`
	Created                 time.Time    `json:"created"`
}

// CreateSubnetInput is what CreateSubnet needs: the VPC, a CIDR block
// inside the VPC's that overlaps none of its other subnets, and at most
// one of the zone's name or id (neither: kafkalink picks one).
type CreateSubnetInput struct {
	VPCID              string
	CIDRBlock          string
	AvailabilityZone   string
	AvailabilityZoneID string
	TagSpecifications  []TagSpecification
}

// reservedPerSubnet is how many addresses of a subnet AWS keeps: the
// network address, the router, DNS, one for future use, and broadcast.
const reservedPerSubnet = 5

// CreateSubnet creates a subnet in one of an account's VPCs.
func (s *Service) CreateSubnet(ctx context.Context, account string, in CreateSubnetInput) (Subnet, error) {
	if in.VPCID == "" {
		return Subnet{}, missing("VpcId")
	}
	if err := vpcKind.check(in.VPCID); err != nil {
		return Subnet{}, err
	}
	if in.CIDRBlock == "" {
		return Subnet{}, missing("CidrBlock")
	}
	p, err := parseCIDR("cidrBlock", in.CIDRBlock)
	if err != nil {
		return Subnet{}, err
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return Subnet{}, errf(CodeSubnetRange, "The CIDR '%s' is invalid.", in.CIDRBlock)
	}
	var zone *Zone
	switch {
	case in.AvailabilityZone != "" && in.AvailabilityZoneID != "":
		return Subnet{}, errf(CodeInvalidParameterCombination, "Only one of availabilityZone or availabilityZoneId may be specified.")
	case in.AvailabilityZone != "":
		z, ok := s.zoneNamed(in.AvailabilityZone)
		if !ok {
			return Subnet{}, errf(CodeInvalidParameterValue, "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", in.AvailabilityZone, s.zoneList(func(z Zone) string { return z.Name }))
		}
		zone = &z
	case in.AvailabilityZoneID != "":
		z, ok := s.zoneWithID(in.AvailabilityZoneID)
		if !ok {
			return Subnet{}, errf(CodeInvalidParameterValue, "Value (%s) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: %s.", in.AvailabilityZoneID, s.zoneList(func(z Zone) string { return z.ID }))
		}
		zone = &z
	}
	tags, err := tagsOnCreate("subnet", in.TagSpecifications)
	if err != nil {
		return Subnet{}, err
	}
	sn := Subnet{
		ID: newID("subnet-"), VPCID: in.VPCID, Owner: account, CIDRBlock: p,
		AvailableIPAddressCount: 1<<(32-p.Bits()) - reservedPerSubnet, State: "available", Tags: tags, Created: s.now().UTC(),
	}
	sn.ARN = s.ARN(account, sn.ID)
	err = s.update(ctx, account, in.VPCID, func(r *record) error {
		if !r.VPC.CIDRBlock.Contains(p.Addr()) || r.VPC.CIDRBlock.Bits() > p.Bits() {
			return errf(CodeSubnetRange, "The CIDR '%s' is invalid.", in.CIDRBlock)
		}
		for _, o := range r.Subnets {
			if o.CIDRBlock.Overlaps(p) {
				return errf(CodeSubnetConflict, "The CIDR '%s' conflicts with another subnet", in.CIDRBlock)
			}
		}
		if len(r.Subnets) >= maxSubnetsPerVPC {
			return errf(CodeSubnetLimitExceeded, "The maximum number of subnets has been reached.")
		}
		z := zone
		if z == nil {
			z = &s.zones[len(r.Subnets)%len(s.zones)]
		}
		sn.AvailabilityZone, sn.AvailabilityZoneID = z.Name, z.ID
		r.Subnets = append(r.Subnets, sn)
		return nil
	})
	if err != nil {
		return Subnet{}, err
	}
	return sn, nil
}

func (s *Service) zoneNamed(name string) (Zone, bool) {
	i := slices.IndexFunc(s.zones, func(z Zone) bool { return z.Name == name })
	if i < 0 {
		return Zone{}, false
	}
	return s.zones[i], true
}

func (s *Service) zoneWithID(id string) (Zone, bool) {
	i := slices.IndexFunc(s.zones, func(z Zone) bool { return z.ID == id })
	if i < 0 {
		return Zone{}, false
	}
	return s.zones[i], true
}

func (s *Service) zoneList(f func(Zone) string) string {
	names := make([]string, len(s.zones))
	for i, z := range s.zones {
		names[i] = f(z)
	}
	return strings.Join(names, ", ")
}

// Subnets returns an account's subnets with the ids (all if none) that
// match the filters, by id. An id that does not exist is
// InvalidSubnetID.NotFound.
func (s *Service) Subnets(ctx context.Context, account string, ids []string, filters ...Filter) ([]Subnet, error) {
	ids, err := checkIDs(subnetKind, ids)
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, subnetFilters); err != nil {
		return nil, err
	}
	recs, err := s.records(ctx, account)
	if err != nil {
		return nil, err
	}
	var all []Subnet
	for _, r := range recs {
		all = append(all, r.Subnets...)
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(sn Subnet) bool { return sn.ID == id }) {
			return nil, subnetNotFound(id)
		}
	}
	var out []Subnet
	for _, sn := range all {
		if len(ids) > 0 && !slices.Contains(ids, sn.ID) {
			continue
		}
		if matchAll(filters, func(name string) []string { return subnetFilterValues(sn, name) }) {
			out = append(out, sn)
		}
	}
	slices.SortFunc(out, func(a, b Subnet) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func subnetFilterValues(sn Subnet, name string) []string {
	if vals, ok := tagValues(sn.Tags, name); ok {
		return vals
	}
	switch name {
	case "subnet-id":
		return []string{sn.ID}
	case "subnet-arn":
		return []string{sn.ARN}
	case "vpc-id":
		return []string{sn.VPCID}
	case "cidr", "cidr-block", "cidrBlock":
		return []string{sn.CIDRBlock.String()}
	case "availability-zone", "availabilityZone":
		return []string{sn.AvailabilityZone}
	case "availability-zone-id", "availabilityZoneId":
		return []string{sn.AvailabilityZoneID}
	case "state":
		return []string{sn.State}
	case "owner-id":
		return []string{sn.Owner}
	case "available-ip-address-count":
		return []string{strconv.Itoa(sn.AvailableIPAddressCount)}
	case "default-for-az", "defaultForAz", "map-public-ip-on-launch", "ipv6-native":
		return []string{"false"}
	}
	return nil
}

// DeleteSubnet deletes a subnet of an account.
func (s *Service) DeleteSubnet(ctx context.Context, account, id string) error {
	if err := subnetKind.check(id); err != nil {
		return err
	}
	vpcID, err := s.locate(ctx, account, id)
	if err != nil {
		return err
	}
	err = s.update(ctx, account, vpcID, func(r *record) error {
		i := r.subnet(id)
		if i < 0 {
			return subnetNotFound(id)
		}
		r.Subnets = slices.Delete(r.Subnets, i, i+1)
		return nil
	})
	if IsCode(err, CodeVPCNotFound) {
		return subnetNotFound(id)
	}
	return err
}
