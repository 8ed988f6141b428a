package r53resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
)

// IPRequest is one address a new endpoint asks for: in a subnet, a given
// address or (IP empty) the subnet's next free one.
type IPRequest struct {
	SubnetID string
	IP       string
}

// CreateEndpointInput is what CreateResolverEndpoint needs.
type CreateEndpointInput struct {
	CreatorRequestID string
	Name             string
	Direction        string
	SecurityGroupIDs []string
	IPs              []IPRequest
	Tags             []Tag
}

// maxSecurityGroups bounds an endpoint's security groups.
const maxSecurityGroups = 10

// reservedHead is how many addresses at the start of a subnet AWS keeps
// (network, router, DNS, future use); the last (broadcast) is kept too.
const reservedHead = 4

// CreateEndpoint creates a resolver endpoint in the caller's account: its
// addresses in subnets of one VPC (the endpoint's), its security groups
// in that VPC. It is OPERATIONAL at once.
func (s *Service) CreateEndpoint(ctx context.Context, caller iam.Caller, in CreateEndpointInput) (Endpoint, error) {
	acct := caller.Principal.Account
	lim := *s.limits.Load()
	if err := checkCreatorRequestID(in.CreatorRequestID); err != nil {
		return Endpoint{}, err
	}
	if err := checkName(in.Name); err != nil {
		return Endpoint{}, err
	}
	prefix := ""
	switch in.Direction {
	case DirectionInbound:
		prefix = "rslvr-in-"
	case DirectionOutbound:
		prefix = "rslvr-out-"
	case "INBOUND_DELEGATION":
		return Endpoint{}, errf(CodeInvalidRequest, "kafkalink does not support INBOUND_DELEGATION endpoints: use INBOUND or OUTBOUND.")
	case "":
		return Endpoint{}, invalidParam("Direction", "Direction is required: INBOUND or OUTBOUND.")
	default:
		return Endpoint{}, invalidParam("Direction", "The direction %q is not valid: INBOUND or OUTBOUND.", in.Direction)
	}
	switch {
	case len(in.SecurityGroupIDs) == 0:
		return Endpoint{}, errf(CodeInvalidRequest, "A resolver endpoint needs at least one security group.")
	case len(in.SecurityGroupIDs) > maxSecurityGroups:
		return Endpoint{}, invalidParam("SecurityGroupIds", "Maximum of %d security groups are allowed.", maxSecurityGroups)
	case len(in.IPs) < 2:
		return Endpoint{}, errf(CodeInvalidRequest, "Resolver endpoint needs to have at least 2 IP addresses.")
	case len(in.IPs) > lim.IPsPerEndpoint:
		e := errf(CodeLimitExceeded, "A resolver endpoint can have at most %d IP addresses.", lim.IPsPerEndpoint)
		e.ResourceType = kindEndpoint
		return Endpoint{}, e
	}
	var groups, subnets []string
	for _, g := range in.SecurityGroupIDs {
		if err := ec2.CheckID("sg", g); err != nil {
			return Endpoint{}, invalidParam("SecurityGroupIds", "Malformed security group ID: Invalid id: '%s' (expecting 'sg-...')", g)
		}
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	wanted := make([]netip.Addr, len(in.IPs))
	for i, r := range in.IPs {
		if r.SubnetID == "" {
			return Endpoint{}, invalidParam("SubnetId", "Every IP address needs a SubnetId.")
		}
		if err := ec2.CheckID("subnet", r.SubnetID); err != nil {
			return Endpoint{}, invalidParam("SubnetId", "Malformed subnet ID: Invalid id: '%s' (expecting 'subnet-...')", r.SubnetID)
		}
		if !slices.Contains(subnets, r.SubnetID) {
			subnets = append(subnets, r.SubnetID)
		}
		if r.IP != "" {
			a, err := netip.ParseAddr(r.IP)
			if err != nil || !a.Is4() {
				return Endpoint{}, invalidParam("Ip", "The IP address '%s' is not a valid IPv4 address.", r.IP)
			}
			if slices.Contains(wanted, a) {
				return Endpoint{}, errf(CodeExists, "The IP address '%s' in subnet '%s' is already in use.", a, r.SubnetID)
			}
			wanted[i] = a
		}
	}
	if err := checkTags(in.Tags); err != nil {
		return Endpoint{}, err
	}

	id := newID(prefix)
	arn := s.arn(acct, "resolver-endpoint", id)
	if err := s.authorize(ctx, caller, "CreateResolverEndpoint", arn, "", nil); err != nil {
		return Endpoint{}, err
	}

	// The network: subnets of one VPC, groups of that VPC.
	sns, err := s.ec2.Subnets(ctx, acct, subnets)
	if err != nil {
		return Endpoint{}, s.ec2Problem(err, "SubnetId")
	}
	cidr := map[string]netip.Prefix{}
	vpc := sns[0].VPCID
	for _, sn := range sns {
		if sn.VPCID != vpc {
			return Endpoint{}, errf(CodeInvalidRequest, "The subnets of a resolver endpoint must be in one VPC: '%s' is in '%s', '%s' in '%s'.", sns[0].ID, vpc, sn.ID, sn.VPCID)
		}
		cidr[sn.ID] = sn.CIDRBlock
	}
	gs, err := s.ec2.SecurityGroups(ctx, acct, groups)
	if err != nil {
		return Endpoint{}, s.ec2Problem(err, "SecurityGroupIds")
	}
	for _, g := range gs {
		if g.VPCID != vpc {
			return Endpoint{}, errf(CodeInvalidRequest, "The security group '%s' is not in the endpoint's VPC '%s'.", g.ID, vpc)
		}
	}
	for i, a := range wanted {
		if a.IsValid() && !usableIn(cidr[in.IPs[i].SubnetID], a) {
			return Endpoint{}, errf(CodeInvalidRequest, "IP address '%s' is either not in subnet '%s' CIDR range or is reserved.", a, in.IPs[i].SubnetID)
		}
	}

	// Quota, then the claims: the creator request id and the addresses.
	all, _, err := listOf[Endpoint](ctx, s, "endpoint/")
	if err != nil {
		return Endpoint{}, err
	}
	if n := countOwned(all, acct, func(e Endpoint) string { return e.Owner }); n >= lim.EndpointsPerAccount {
		e := errf(CodeLimitExceeded, "Account '%s' has reached its limit of %d resolver endpoints in %s.", acct, lim.EndpointsPerAccount, s.region)
		e.ResourceType = kindEndpoint
		return Endpoint{}, e
	}
	if err := s.claimRequest(ctx, acct, "endpoint", in.CreatorRequestID, id, "Resolver endpoint"); err != nil {
		return Endpoint{}, err
	}
	ips := make([]EndpointIP, len(in.IPs)) // in the order asked for
	release := func() {
		ctx := context.WithoutCancel(ctx)
		for _, ip := range ips {
			if ip.IP.IsValid() {
				s.remove(ctx, s.ipKey(ip.SubnetID, ip.IP))
			}
		}
		s.remove(ctx, s.requestKey(acct, "endpoint", in.CreatorRequestID))
	}
	for i, r := range in.IPs { // the addresses asked for first, then the free ones
		if !wanted[i].IsValid() {
			continue
		}
		ok, err := s.create(ctx, s.ipKey(r.SubnetID, wanted[i]), claim{Holder: id, Claimed: s.now().UTC()})
		if err != nil || !ok {
			release()
			if err == nil {
				err = errf(CodeExists, "The IP address '%s' in subnet '%s' is already in use.", wanted[i], r.SubnetID)
			}
			return Endpoint{}, err
		}
		ips[i] = EndpointIP{ID: newID("rni-"), SubnetID: r.SubnetID, IP: wanted[i]}
	}
	for i, r := range in.IPs {
		if wanted[i].IsValid() {
			continue
		}
		a, err := s.allocate(ctx, r.SubnetID, cidr[r.SubnetID], id)
		if err != nil {
			release()
			return Endpoint{}, err
		}
		ips[i] = EndpointIP{ID: newID("rni-"), SubnetID: r.SubnetID, IP: a}
	}

	now := s.now().UTC()
	e := Endpoint{
		ID: id, ARN: arn, Name: in.Name, Owner: acct, Direction: in.Direction, VPCID: vpc, Status: StatusOperational,
		SecurityGroupIDs: groups, IPs: ips, Created: now, Modified: now, CreatorRequestID: in.CreatorRequestID, Tags: in.Tags,
	}
	ok, err := s.create(ctx, s.endpointKey(id), e)
	if err != nil || !ok {
		release()
		if err == nil {
			err = fmt.Errorf("r53resolver: endpoint id %s is taken", id)
		}
		return Endpoint{}, err
	}
	return e, nil
}

// ec2Problem turns an ec2 lookup's error into Route 53 Resolver's: an
// unknown subnet is an invalid parameter, an unknown group not found.
func (s *Service) ec2Problem(err error, field string) error {
	var ee *ec2.Error
	if !errors.As(err, &ee) {
		return fmt.Errorf("r53resolver: ec2: %w", err)
	}
	if strings.HasSuffix(ee.Code, ".NotFound") && field == "SecurityGroupIds" {
		return notFound("SecurityGroup", "%s", ee.Message)
	}
	return invalidParam(field, "%s", ee.Message)
}

func countOwned[T any](items []T, account string, owner func(T) string) int {
	n := 0
	for _, it := range items {
		if owner(it) == account {
			n++
		}
	}
	return n
}

// bounds returns the first and last address of an IPv4 prefix.
func bounds(p netip.Prefix) (uint32, uint32) {
	b := p.Masked().Addr().As4()
	first := binary.BigEndian.Uint32(b[:])
	size := uint32(1) << (32 - p.Bits())
	return first, first + size - 1
}

func addr(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// usableIn reports whether an address of a subnet may be an endpoint's:
// inside it, and neither one of the four first nor the last.
func usableIn(p netip.Prefix, a netip.Addr) bool {
	if !p.IsValid() || !a.Is4() || !p.Contains(a) || p.Bits() > 30 {
		return false
	}
	first, last := bounds(p)
	b := a.As4()
	v := binary.BigEndian.Uint32(b[:])
	return v >= first+reservedHead && v < last
}

// allocate claims the subnet's first free address from its fifth on.
func (s *Service) allocate(ctx context.Context, subnet string, p netip.Prefix, holder string) (netip.Addr, error) {
	if !p.IsValid() || p.Bits() > 30 {
		return netip.Addr{}, errf(CodeInvalidRequest, "The subnet '%s' has no free IP addresses.", subnet)
	}
	kvs, _, err := s.st.List(ctx, s.Prefix()+"ip/"+subnet+"/")
	if err != nil {
		return netip.Addr{}, fmt.Errorf("r53resolver: list addresses of %s: %w", subnet, err)
	}
	taken := map[netip.Addr]bool{}
	for _, kv := range kvs {
		if a, err := netip.ParseAddr(kv.Key[strings.LastIndexByte(kv.Key, '/')+1:]); err == nil {
			taken[a] = true
		}
	}
	first, last := bounds(p)
	for v := first + reservedHead; v < last; v++ {
		a := addr(v)
		if taken[a] {
			continue
		}
		ok, err := s.create(ctx, s.ipKey(subnet, a), claim{Holder: holder, Claimed: s.now().UTC()})
		if err != nil {
			return netip.Addr{}, err
		}
		if ok {
			return a, nil
		}
	}
	return netip.Addr{}, errf(CodeInvalidRequest, "The subnet '%s' has no free IP addresses.", subnet)
}

// ownEndpoint returns an endpoint of the caller's account, authorized for
// action; a missing one is ResourceNotFoundException (once the caller is
// allowed to ask).
func (s *Service) ownEndpoint(ctx context.Context, caller iam.Caller, id, action string) (Endpoint, int64, error) {
	if err := checkID("ResolverEndpointId", id); err != nil {
		return Endpoint{}, 0, err
	}
	acct := caller.Principal.Account
	var e Endpoint
	var rev int64
	ok := false
	if endpointIDRe.MatchString(id) {
		var err error
		if rev, ok, err = s.load(ctx, s.endpointKey(id), &e); err != nil {
			return Endpoint{}, 0, err
		}
	}
	if !ok || e.Owner != acct {
		if err := s.authorize(ctx, caller, action, s.arn(acct, "resolver-endpoint", id), "", nil); err != nil {
			return Endpoint{}, 0, err
		}
		return Endpoint{}, 0, notFound(kindEndpoint, "Resolver endpoint with ID '%s' does not exist.", id)
	}
	return e, rev, s.authorize(ctx, caller, action, e.ARN, "", nil)
}

// GetEndpoint returns one of the caller's endpoints.
func (s *Service) GetEndpoint(ctx context.Context, caller iam.Caller, id string) (Endpoint, error) {
	e, _, err := s.ownEndpoint(ctx, caller, id, "GetResolverEndpoint")
	return e, err
}

// EndpointIPs returns one of the caller's endpoints, for its addresses
// (ListResolverEndpointIpAddresses).
func (s *Service) EndpointIPs(ctx context.Context, caller iam.Caller, id string) (Endpoint, error) {
	e, _, err := s.ownEndpoint(ctx, caller, id, "ListResolverEndpointIpAddresses")
	return e, err
}

var endpointFilters = map[string]bool{"CREATORREQUESTID": true, "DIRECTION": true, "HOSTVPCID": true, "IPADDRESSCOUNT": true,
	"NAME": true, "SECURITYGROUPIDS": true, "STATUS": true}

// ListEndpoints returns the caller's endpoints that match the filters
// (CreatorRequestId, Direction, HostVPCId, IpAddressCount, Name,
// SecurityGroupIds, Status), oldest first.
func (s *Service) ListEndpoints(ctx context.Context, caller iam.Caller, filters []Filter) ([]Endpoint, error) {
	if err := checkFilters(filters, endpointFilters); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, caller, "ListResolverEndpoints", "*", "", nil); err != nil {
		return nil, err
	}
	all, _, err := listOf[Endpoint](ctx, s, "endpoint/")
	if err != nil {
		return nil, err
	}
	var out []Endpoint
	for _, e := range all {
		if e.Owner != caller.Principal.Account {
			continue
		}
		if matches(filters, func(key string) []string {
			switch key {
			case "CREATORREQUESTID":
				return []string{e.CreatorRequestID}
			case "DIRECTION":
				return []string{e.Direction}
			case "HOSTVPCID":
				return []string{e.VPCID}
			case "IPADDRESSCOUNT":
				return []string{strconv.Itoa(len(e.IPs))}
			case "NAME":
				return []string{e.Name}
			case "SECURITYGROUPIDS":
				return e.SecurityGroupIDs
			case "STATUS":
				return []string{e.Status}
			}
			return nil
		}) {
			out = append(out, e)
		}
	}
	sortByCreation(out, func(e Endpoint) (time.Time, string) { return e.Created, e.ID })
	return out, nil
}

// DeleteEndpoint deletes one of the caller's endpoints and frees its
// addresses. An endpoint that rules forward through is
// InvalidRequestException, as Route 53 Resolver answers.
func (s *Service) DeleteEndpoint(ctx context.Context, caller iam.Caller, id string) (Endpoint, error) {
	for range maxCASRetries {
		e, rev, err := s.ownEndpoint(ctx, caller, id, "DeleteResolverEndpoint")
		if err != nil {
			return Endpoint{}, err
		}
		rules, _, err := listOf[Rule](ctx, s, "rule/")
		if err != nil {
			return Endpoint{}, err
		}
		var using []string
		for _, r := range rules {
			if r.EndpointID == e.ID {
				using = append(using, r.ID)
			}
		}
		if len(using) > 0 {
			// Route 53 Resolver answers InvalidRequestException here (its
			// model has no ResourceInUseException for this operation).
			return Endpoint{}, errf(CodeInvalidRequest, "Cannot delete resolver endpoint unless its related resolver rules are deleted. The following rules still exist for this resolver endpoint: %s", strings.Join(using, ","))
		}
		ok, err := s.removeAt(ctx, s.endpointKey(e.ID), rev)
		if err != nil {
			return Endpoint{}, err
		}
		if !ok {
			continue // a rule started to use it: look again
		}
		for _, ip := range e.IPs {
			s.releaseClaim(ctx, s.ipKey(ip.SubnetID, ip.IP), e.ID)
		}
		s.releaseClaim(ctx, s.requestKey(e.Owner, "endpoint", e.CreatorRequestID), e.ID)
		e.Status, e.Modified = StatusDeleting, s.now().UTC()
		return e, nil
	}
	return Endpoint{}, fmt.Errorf("r53resolver: endpoint %s changed %d times under us", id, maxCASRetries)
}

// releaseClaim deletes a claim key if holder holds it.
func (s *Service) releaseClaim(ctx context.Context, key, holder string) error {
	var c claim
	rev, ok, err := s.load(ctx, key, &c)
	if err != nil || !ok || c.Holder != holder {
		return err
	}
	_, err = s.removeAt(ctx, key, rev)
	return err
}
