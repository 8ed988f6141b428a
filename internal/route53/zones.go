package route53

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/kafkalink/kafkalink/internal/iam"
)

// The name servers and SOA Route 53 gives every private hosted zone.
const (
	apexSOA    = "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
	apexSOATTL = 900
	apexNSTTL  = 172800
)

// NameServers are the name servers of every private hosted zone, as its
// apex NS record set and delegation set list them.
func NameServers() []string {
	return []string{"ns-0.awsdns-00.com.", "ns-512.awsdns-00.net.", "ns-1024.awsdns-00.org.", "ns-1536.awsdns-00.co.uk."}
}

// Page sizes: a list answers as many items as asked for, at most (and
// by default) these, as Route 53 does.
const (
	MaxZonePage          = 100
	MaxRecordPage        = 300
	MaxAuthorizationPage = 50
)

// CreateZoneInput is what CreateHostedZone takes.
type CreateZoneInput struct {
	Name            string
	CallerReference string
	Comment         string // HostedZoneConfig.Comment
	VPC             *VPC   // required: kafkalink serves private hosted zones only
	DelegationSetID string
}

func cloneZone(z HostedZone) HostedZone {
	z.VPCs, z.Authorizations, z.Records = slices.Clone(z.VPCs), slices.Clone(z.Authorizations), slices.Clone(z.Records)
	return z
}

func checkComment(c string) error {
	if len(c) > 256 {
		return invalidInput("1 validation error detected: Value at 'comment' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	return nil
}

// ParseZoneName returns the canonical name of a zone, or InvalidDomainName.
func ParseZoneName(raw string) (string, error) {
	if len(raw) > 1024 {
		return "", errf(http.StatusBadRequest, CodeInvalidDomainName, "The domain name is too long.")
	}
	name, p := parseName(raw, false)
	if p != problemNone {
		return "", errf(http.StatusBadRequest, CodeInvalidDomainName, "%s is not a valid domain name: %s", raw, p)
	}
	return name, nil
}

// CreateHostedZone creates a private hosted zone associated with one of
// the caller's account's VPCs, with Route 53's apex SOA and NS records.
func (s *Service) CreateHostedZone(ctx context.Context, caller iam.Caller, in CreateZoneInput) (HostedZone, ChangeInfo, error) {
	acct := caller.Principal.Account
	if in.Name == "" {
		return HostedZone{}, ChangeInfo{}, invalidInput("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	name, err := ParseZoneName(in.Name)
	if err != nil {
		return HostedZone{}, ChangeInfo{}, err
	}
	switch n := len(in.CallerReference); {
	case n == 0:
		return HostedZone{}, ChangeInfo{}, invalidInput("1 validation error detected: Value null at 'callerReference' failed to satisfy constraint: Member must not be null")
	case n > 128:
		return HostedZone{}, ChangeInfo{}, invalidInput("1 validation error detected: Value at 'callerReference' failed to satisfy constraint: Member must have length less than or equal to 128")
	}
	if err := checkComment(in.Comment); err != nil {
		return HostedZone{}, ChangeInfo{}, err
	}
	if in.DelegationSetID != "" {
		return HostedZone{}, ChangeInfo{}, invalidInput("kafkalink serves private hosted zones only, and a private hosted zone does not use a reusable delegation set")
	}
	if in.VPC == nil {
		return HostedZone{}, ChangeInfo{}, invalidInput("kafkalink serves private hosted zones only: CreateHostedZone needs a VPC (VPCId and VPCRegion)")
	}
	vpc := *in.VPC
	if err := s.checkVPC(vpc); err != nil {
		return HostedZone{}, ChangeInfo{}, err
	}
	if err := s.authorize(ctx, caller, "CreateHostedZone", ZoneARN("*")); err != nil {
		return HostedZone{}, ChangeInfo{}, err
	}
	owns, err := s.ownsVPC(ctx, acct, vpc.ID)
	if err != nil {
		return HostedZone{}, ChangeInfo{}, err
	}
	if !owns {
		return HostedZone{}, ChangeInfo{}, errf(http.StatusBadRequest, CodeInvalidVPCID, "The VPC %s does not exist in region %s or does not belong to account %s.", vpc.ID, vpc.Region, acct)
	}

	z := HostedZone{
		ID: newID("Z"), Name: name, Owner: acct, CallerReference: in.CallerReference, Comment: in.Comment,
		VPCs: []VPC{vpc}, Created: s.now().UTC(),
		Records: []RecordSet{
			{Name: name, Type: "NS", TTL: apexNSTTL, Values: NameServers()},
			{Name: name, Type: "SOA", TTL: apexSOATTL, Values: []string{apexSOA}},
		},
	}
	sum := sha256.Sum256([]byte(in.CallerReference))
	refKey := callerRefPrefix + acct + "/" + hex.EncodeToString(sum[:])
	_, ok, _, err := s.st.CompareAndSwap(ctx, refKey, []byte(z.ID), 0)
	if err != nil {
		return HostedZone{}, ChangeInfo{}, fmt.Errorf("route53: claim caller reference: %w", err)
	}
	if !ok {
		return HostedZone{}, ChangeInfo{}, errf(http.StatusConflict, CodeHostedZoneAlreadyExists, "A hosted zone has already been created with the specified caller reference.")
	}
	undo := func() { s.release(ctx, refKey, z.ID) }
	if err := s.claimName(ctx, vpc, z.Name, z.ID); err != nil {
		undo()
		return HostedZone{}, ChangeInfo{}, err
	}
	undo = func() {
		s.release(ctx, refKey, z.ID)
		s.releaseName(ctx, vpc, z.Name, z.ID)
	}
	ci, err := s.begin(ctx, acct, "")
	if err != nil {
		undo()
		return HostedZone{}, ChangeInfo{}, err
	}
	b, err := json.Marshal(z)
	if err != nil {
		undo()
		s.abort(ctx, ci)
		return HostedZone{}, ChangeInfo{}, fmt.Errorf("route53: encode zone %s: %w", z.ID, err)
	}
	_, ok, _, err = s.st.CompareAndSwap(ctx, zonesPrefix+z.ID, b, 0)
	if err == nil && !ok {
		err = errors.New("the id is taken")
	}
	if err != nil {
		undo()
		s.abort(ctx, ci)
		return HostedZone{}, ChangeInfo{}, fmt.Errorf("route53: create zone %s: %w", z.ID, err)
	}
	return z, ci, nil
}

// GetHostedZone returns one of the caller's account's zones.
func (s *Service) GetHostedZone(ctx context.Context, caller iam.Caller, id string) (HostedZone, error) {
	z, _, err := s.owned(ctx, caller, "GetHostedZone", id)
	return z, err
}

// accountZones lists an account's zones.
func (s *Service) accountZones(ctx context.Context, account string) ([]HostedZone, error) {
	all, _, err := s.Zones(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(z HostedZone) bool { return z.Owner != account }), nil
}

// pageSize is max if it is a page size in 1..limit, limit otherwise.
func pageSize(max, limit int) int {
	if max <= 0 || max > limit {
		return limit
	}
	return max
}

// ListHostedZones lists the caller's account's zones by id, from the
// first whose id is marker (or after it) on; next is the id to continue
// from ("" on the last page). max is capped at 100.
func (s *Service) ListHostedZones(ctx context.Context, caller iam.Caller, marker string, max int) (zones []HostedZone, next string, err error) {
	if len(marker) > 64 {
		return nil, "", invalidInput("1 validation error detected: Value at 'marker' failed to satisfy constraint: Member must have length less than or equal to 64")
	}
	if err := s.authorize(ctx, caller, "ListHostedZones", ZoneARN("*")); err != nil {
		return nil, "", err
	}
	all, err := s.accountZones(ctx, caller.Principal.Account)
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(all, func(a, b HostedZone) int { return cmp.Compare(a.ID, b.ID) })
	i, _ := slices.BinarySearchFunc(all, marker, func(z HostedZone, m string) int { return cmp.Compare(z.ID, m) })
	all = all[i:]
	if n := pageSize(max, MaxZonePage); len(all) > n {
		return all[:n], all[n].ID, nil
	}
	return all, "", nil
}

// ListHostedZonesByName lists the caller's account's zones ordered by
// name (labels reversed) and id, from dnsName (and zoneID, which needs
// dnsName) on; nextName and nextID are where the next page starts ("" on
// the last page). max is capped at 100.
func (s *Service) ListHostedZonesByName(ctx context.Context, caller iam.Caller, dnsName, zoneID string, max int) (zones []HostedZone, nextName, nextID string, err error) {
	if zoneID != "" && dnsName == "" {
		return nil, "", "", invalidInput("The DNS name must be specified when a hosted zone ID is specified.")
	}
	if len(zoneID) > 32 {
		return nil, "", "", invalidInput("1 validation error detected: Value at 'hostedZoneId' failed to satisfy constraint: Member must have length less than or equal to 32")
	}
	start := HostedZone{ID: zoneID}
	if dnsName != "" {
		if start.Name, err = ParseZoneName(dnsName); err != nil {
			return nil, "", "", err
		}
	}
	if err := s.authorize(ctx, caller, "ListHostedZonesByName", ZoneARN("*")); err != nil {
		return nil, "", "", err
	}
	all, err := s.accountZones(ctx, caller.Principal.Account)
	if err != nil {
		return nil, "", "", err
	}
	slices.SortFunc(all, compareZonesByName)
	if dnsName != "" {
		i, _ := slices.BinarySearchFunc(all, start, compareZonesByName)
		all = all[i:]
	}
	if n := pageSize(max, MaxZonePage); len(all) > n {
		return all[:n], all[n].Name, all[n].ID, nil
	}
	return all, "", "", nil
}

// onlyApex reports whether a zone holds no record sets but its apex SOA
// and NS.
func onlyApex(z HostedZone) bool {
	for _, r := range z.Records {
		if r.Name != z.Name || (r.Type != "SOA" && r.Type != "NS") {
			return false
		}
	}
	return true
}

// DeleteHostedZone deletes one of the caller's account's zones that
// holds nothing but its apex SOA and NS record sets, with its VPC
// associations and authorizations.
func (s *Service) DeleteHostedZone(ctx context.Context, caller iam.Caller, id string) (ChangeInfo, error) {
	z, _, err := s.owned(ctx, caller, "DeleteHostedZone", id)
	if err != nil {
		return ChangeInfo{}, err
	}
	notEmpty := errf(http.StatusBadRequest, CodeHostedZoneNotEmpty, "The specified hosted zone contains non-required resource record sets and so cannot be deleted.")
	if !onlyApex(z) {
		return ChangeInfo{}, notEmpty
	}
	ci, err := s.begin(ctx, caller.Principal.Account, "")
	if err != nil {
		return ChangeInfo{}, err
	}
	for range maxCASRetries {
		z, rev, ok, err := s.load(ctx, z.ID)
		switch {
		case err != nil:
			s.abort(ctx, ci)
			return ChangeInfo{}, err
		case !ok:
			s.abort(ctx, ci)
			return ChangeInfo{}, noSuchZone(z.ID)
		case !onlyApex(z):
			s.abort(ctx, ci)
			return ChangeInfo{}, notEmpty
		}
		_, deleted, err := s.st.CompareAndDelete(ctx, zonesPrefix+z.ID, rev)
		if err != nil {
			s.abort(ctx, ci)
			return ChangeInfo{}, fmt.Errorf("route53: delete zone %s: %w", z.ID, err)
		}
		if deleted {
			for _, v := range z.VPCs {
				s.releaseName(ctx, v, z.Name, z.ID)
			}
			return ci, nil
		}
	}
	s.abort(ctx, ci)
	return ChangeInfo{}, fmt.Errorf("route53: zone %s changed %d times under us", z.ID, maxCASRetries)
}

// commit makes one recorded change to a zone: change is tried on the
// zone as loaded (so that a refused change records nothing), the change
// is recorded, and then applied to the current zone with
// compare-and-swap (change runs again, and may still refuse).
func (s *Service) commit(ctx context.Context, z HostedZone, account, comment string, change func(*HostedZone) error) (ChangeInfo, error) {
	probe := cloneZone(z)
	if err := change(&probe); err != nil {
		return ChangeInfo{}, err
	}
	ci, err := s.begin(ctx, account, comment)
	if err != nil {
		return ChangeInfo{}, err
	}
	if _, err := s.update(ctx, z.ID, change); err != nil {
		s.abort(ctx, ci)
		return ChangeInfo{}, err
	}
	return ci, nil
}

// ChangeResourceRecordSets applies a change batch to one of the caller's
// account's zones, all or nothing.
func (s *Service) ChangeResourceRecordSets(ctx context.Context, caller iam.Caller, id, comment string, changes []Change) (ChangeInfo, error) {
	if err := checkComment(comment); err != nil {
		return ChangeInfo{}, err
	}
	z, _, err := s.owned(ctx, caller, "ChangeResourceRecordSets", id)
	if err != nil {
		return ChangeInfo{}, err
	}
	return s.commit(ctx, z, caller.Principal.Account, comment, func(z *HostedZone) error { return applyBatch(z, changes, s.endpointNames()) })
}

// RecordPage is a page of ListResourceRecordSets: the record sets, and
// the name and type of the first record set of the next page ("" on the
// last page).
type RecordPage struct {
	Records            []RecordSet
	NextName, NextType string
}

// ListResourceRecordSets lists a zone's record sets in Route 53's order
// (name with the labels reversed, then type) from startName and
// startType (which needs startName) on. max is capped at 300.
func (s *Service) ListResourceRecordSets(ctx context.Context, caller iam.Caller, id, startName, startType string, max int) (RecordPage, error) {
	if startType != "" {
		if startName == "" {
			return RecordPage{}, invalidInput("The input is not valid: a start record type needs a start record name.")
		}
		if err := checkEnum("type", startType); err != nil {
			return RecordPage{}, err
		}
	}
	start := RecordSet{Type: startType}
	if startName != "" {
		var p nameProblem
		if start.Name, p = parseName(startName, true); p != problemNone {
			return RecordPage{}, invalidInput("%s is not a valid DNS name: %s", startName, p)
		}
	}
	z, _, err := s.owned(ctx, caller, "ListResourceRecordSets", id)
	if err != nil {
		return RecordPage{}, err
	}
	recs := slices.Clone(z.Records)
	slices.SortFunc(recs, compareRecords)
	if startName != "" {
		i, _ := slices.BinarySearchFunc(recs, start, compareRecords)
		recs = recs[i:]
	}
	if n := pageSize(max, MaxRecordPage); len(recs) > n {
		return RecordPage{Records: recs[:n], NextName: recs[n].Name, NextType: recs[n].Type}, nil
	}
	return RecordPage{Records: recs}, nil
}
