package route53

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
)

// checkVPC answers InvalidInput for a VPC without id or region, and
// InvalidVPCId for a malformed id or a region kafkalink does not serve.
func (s *Service) checkVPC(v VPC) error {
	switch {
	case v.ID == "":
		return invalidInput("1 validation error detected: Value null at 'vPC.vPCId' failed to satisfy constraint: Member must not be null")
	case v.Region == "":
		return invalidInput("1 validation error detected: Value null at 'vPC.vPCRegion' failed to satisfy constraint: Member must not be null (the region of VPC %s)", v.ID)
	case v.Region != s.Region():
		return errf(http.StatusBadRequest, CodeInvalidVPCID, "kafkalink's Route 53 serves the VPCs of region %s: VPC %s in region %s is not one of them.", s.Region(), v.ID, v.Region)
	case ec2.CheckID("vpc", v.ID) != nil:
		return errf(http.StatusBadRequest, CodeInvalidVPCID, "The VPC ID '%s' is not valid.", v.ID)
	}
	return nil
}

// ownsVPC reports whether an account has a VPC of this region.
func (s *Service) ownsVPC(ctx context.Context, account, id string) (bool, error) {
	_, err := s.ec2.VPC(ctx, account, id)
	switch {
	case err == nil:
		return true, nil
	case ec2.IsCode(err, ec2.CodeVPCNotFound), ec2.IsCode(err, ec2.CodeVPCMalformed):
		return false, nil
	}
	return false, err
}

// vpcExists reports whether a VPC of this region exists, whoever owns it.
func (s *Service) vpcExists(ctx context.Context, id string) (bool, error) {
	_, err := s.ec2.FindVPC(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case ec2.IsCode(err, ec2.CodeVPCNotFound), ec2.IsCode(err, ec2.CodeVPCMalformed):
		return false, nil
	}
	return false, err
}

func unknownVPC(v VPC) *Error {
	return errf(http.StatusBadRequest, CodeInvalidVPCID, "The VPC %s does not exist in region %s.", v.ID, v.Region)
}

func vpcKey(v VPC) string { return v.Region + "/" + v.ID }

func compareVPCs(a, b VPC) int { return cmp.Compare(vpcKey(a), vpcKey(b)) }

// CreateVPCAssociationAuthorization lets the owner of a VPC (of another
// account) associate it with one of the caller's account's zones.
// Authorizing a VPC twice is not an error.
func (s *Service) CreateVPCAssociationAuthorization(ctx context.Context, caller iam.Caller, id string, v VPC) error {
	if err := s.checkVPC(v); err != nil {
		return err
	}
	z, _, err := s.owned(ctx, caller, "CreateVPCAssociationAuthorization", id)
	if err != nil {
		return err
	}
	exists, err := s.vpcExists(ctx, v.ID)
	if err != nil {
		return err
	}
	if !exists {
		return unknownVPC(v)
	}
	_, err = s.update(ctx, z.ID, func(z *HostedZone) error {
		if slices.Contains(z.Authorizations, v) {
			return errUnchanged
		}
		if len(z.Authorizations) >= maxAuthorizations {
			return errf(http.StatusBadRequest, CodeTooManyAuthorizations, "You've created the maximum number of authorizations (%d) that can be created for the specified hosted zone.", maxAuthorizations)
		}
		z.Authorizations = append(z.Authorizations, v)
		slices.SortFunc(z.Authorizations, compareVPCs)
		return nil
	})
	return err
}

// ListVPCAssociationAuthorizations lists the VPCs authorized to be
// associated with one of the caller's account's zones, by region and id,
// from a token (of an earlier page) on; next is "" on the last page. max
// is capped at 50.
func (s *Service) ListVPCAssociationAuthorizations(ctx context.Context, caller iam.Caller, id, token string, max int) (vpcs []VPC, next string, err error) {
	from := ""
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.Contains(string(b), "/") {
			return nil, "", errf(http.StatusBadRequest, CodeInvalidPaginationToken, "The value that you specified for NextToken in a List request isn't valid.")
		}
		from = string(b)
	}
	z, _, err := s.owned(ctx, caller, "ListVPCAssociationAuthorizations", id)
	if err != nil {
		return nil, "", err
	}
	auths := slices.Clone(z.Authorizations)
	slices.SortFunc(auths, compareVPCs)
	i, _ := slices.BinarySearchFunc(auths, from, func(v VPC, key string) int { return cmp.Compare(vpcKey(v), key) })
	auths = auths[i:]
	if n := pageSize(max, MaxAuthorizationPage); len(auths) > n {
		return auths[:n], base64.RawURLEncoding.EncodeToString([]byte(vpcKey(auths[n]))), nil
	}
	return auths, "", nil
}

// DeleteVPCAssociationAuthorization withdraws an authorization. A VPC
// associated with it stays associated; it cannot be associated again.
func (s *Service) DeleteVPCAssociationAuthorization(ctx context.Context, caller iam.Caller, id string, v VPC) error {
	if err := s.checkVPC(v); err != nil {
		return err
	}
	z, _, err := s.owned(ctx, caller, "DeleteVPCAssociationAuthorization", id)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, z.ID, func(z *HostedZone) error {
		i := slices.Index(z.Authorizations, v)
		if i < 0 {
			return errf(http.StatusNotFound, CodeVPCAssociationAuthorizationNotFound,
				"The VPC %s in region %s has not been authorized to be associated with the hosted zone %s.", v.ID, v.Region, z.ID)
		}
		z.Authorizations = slices.Delete(z.Authorizations, i, i+1)
		return nil
	})
	return err
}

// vpcChangeZone checks a request to associate VPC v with the zone id, or
// to disassociate it (op), authorizes op on the zone for the caller and
// returns the zone.
func (s *Service) vpcChangeZone(ctx context.Context, caller iam.Caller, op, id string, v VPC, comment string) (HostedZone, error) {
	id, err := checkZoneID(id)
	if err != nil {
		return HostedZone{}, err
	}
	if err := checkComment(comment); err != nil {
		return HostedZone{}, err
	}
	if err := s.checkVPC(v); err != nil {
		return HostedZone{}, err
	}
	if err := s.authorize(ctx, caller, op, ZoneARN(id)); err != nil {
		return HostedZone{}, err
	}
	z, _, found, err := s.load(ctx, id)
	if err != nil {
		return HostedZone{}, err
	}
	if !found {
		return HostedZone{}, noSuchZone(id)
	}
	return z, nil
}

// AssociateVPCWithHostedZone associates one of the caller's account's
// VPCs with a zone: the caller's account's own zone, or another
// account's that has authorized the VPC.
func (s *Service) AssociateVPCWithHostedZone(ctx context.Context, caller iam.Caller, id string, v VPC, comment string) (ChangeInfo, error) {
	acct := caller.Principal.Account
	z, err := s.vpcChangeZone(ctx, caller, "AssociateVPCWithHostedZone", id, v, comment)
	if err != nil {
		return ChangeInfo{}, err
	}
	owns, err := s.ownsVPC(ctx, acct, v.ID)
	if err != nil {
		return ChangeInfo{}, err
	}
	if !owns {
		exists, err := s.vpcExists(ctx, v.ID)
		if err != nil {
			return ChangeInfo{}, err
		}
		if !exists {
			return ChangeInfo{}, unknownVPC(v)
		}
		return ChangeInfo{}, errf(http.StatusUnauthorized, CodeNotAuthorized,
			"User: %s is not authorized to access this resource: VPC %s belongs to another account, whose owner must associate it.", caller.Principal.ARN, v.ID)
	}
	change := func(z *HostedZone) error {
		switch {
		case z.Owner != acct && !slices.Contains(z.Authorizations, v):
			return errf(http.StatusUnauthorized, CodeNotAuthorized,
				"User: %s is not authorized to access this resource: the owner of hosted zone %s has not authorized VPC %s to be associated with it.", caller.Principal.ARN, z.ID, v.ID)
		case slices.Contains(z.VPCs, v):
			return errf(http.StatusBadRequest, CodeConflictingDomainExists,
				"The VPC %s in %s region has already been associated with the hosted zone %s with the same domain name.", v.ID, v.Region, z.ID)
		case len(z.VPCs) >= maxAssociations:
			return errf(http.StatusBadRequest, CodeLimitsExceeded, "The hosted zone %s is associated with the maximum number of VPCs (%d).", z.ID, maxAssociations)
		}
		z.VPCs = append(z.VPCs, v)
		return nil
	}
	if err := change(new(cloneZone(z))); err != nil {
		return ChangeInfo{}, err
	}
	if err := s.claimName(ctx, v, z.Name, z.ID); err != nil {
		return ChangeInfo{}, err
	}
	ci, err := s.commit(ctx, z, acct, comment, change)
	if err != nil {
		s.releaseName(ctx, v, z.Name, z.ID)
		return ChangeInfo{}, err
	}
	// A disassociation of the VPC that ran alongside may have released
	// the claim: it is the zone's again.
	if err := s.claimName(ctx, v, z.Name, z.ID); err != nil {
		return ChangeInfo{}, fmt.Errorf("route53: %s is associated with %s, but its name could not be claimed: %w", v.ID, z.ID, err)
	}
	return ci, nil
}

// DisassociateVPCFromHostedZone disassociates a VPC from a zone; the
// zone's owner and the VPC's owner may. A zone keeps its last VPC.
func (s *Service) DisassociateVPCFromHostedZone(ctx context.Context, caller iam.Caller, id string, v VPC, comment string) (ChangeInfo, error) {
	acct := caller.Principal.Account
	z, err := s.vpcChangeZone(ctx, caller, "DisassociateVPCFromHostedZone", id, v, comment)
	if err != nil {
		return ChangeInfo{}, err
	}
	if z.Owner != acct {
		owns, err := s.ownsVPC(ctx, acct, v.ID)
		if err != nil {
			return ChangeInfo{}, err
		}
		if !owns {
			return ChangeInfo{}, notOwner(caller)
		}
	}
	ci, err := s.commit(ctx, z, acct, comment, func(z *HostedZone) error {
		i := slices.Index(z.VPCs, v)
		switch {
		case i < 0:
			return errf(http.StatusNotFound, CodeVPCAssociationNotFound, "The specified VPC and hosted zone are not currently associated.")
		case len(z.VPCs) == 1:
			return errf(http.StatusBadRequest, CodeLastVPCAssociation,
				"The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone. Route 53 doesn't support disassociating the last VPC from a hosted zone.")
		}
		z.VPCs = slices.Delete(z.VPCs, i, i+1)
		return nil
	})
	if err != nil {
		return ChangeInfo{}, err
	}
	s.releaseName(ctx, v, z.Name, z.ID)
	return ci, nil
}
