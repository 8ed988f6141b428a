package ram

import (
	"context"
	"slices"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
)

// CreateShareInput is what CreateResourceShare needs. AllowExternal nil
// means true.
type CreateShareInput struct {
	Name          string
	ResourceARNs  []string
	Principals    []string
	AllowExternal *bool
	Tags          []Tag
	ClientToken   string
}

// CreateShare creates a resource share of the caller's resources with
// other accounts, each of which is invited.
func (s *Service) CreateShare(ctx context.Context, caller iam.Caller, in CreateShareInput) (Share, error) {
	acct := caller.Principal.Account
	if in.Name == "" {
		return Share{}, errf(CodeInvalidParameter, "The request must contain the parameter name.")
	}
	if len(in.Name) > maxName {
		return Share{}, errf(CodeInvalidParameter, "The name must be at most %d characters long.", maxName)
	}
	external := in.AllowExternal == nil || *in.AllowExternal
	resources, principals := dedupe(in.ResourceARNs), dedupe(in.Principals)
	if err := s.checkResourceARNs(resources); err != nil {
		return Share{}, err
	}
	if err := checkPrincipals(acct, principals); err != nil {
		return Share{}, err
	}
	if len(resources) > maxResourcesPerShare || len(principals) > maxPrincipalsPerShare {
		return Share{}, errf(CodeShareLimitExceeded, "A resource share can have at most %d resources and %d principals.", maxResourcesPerShare, maxPrincipalsPerShare)
	}
	if err := checkTags(in.Tags); err != nil {
		return Share{}, err
	}
	if len(in.ClientToken) > 64 {
		return Share{}, errf(CodeInvalidParameter, "The client token must be at most 64 characters long.")
	}
	shareARN, _ := s.newARN(acct, "resource-share")
	if err := s.authorize(ctx, caller, "CreateResourceShare", shareARN); err != nil {
		return Share{}, err
	}
	if !external && len(principals) > 0 {
		return Share{}, errf(CodeNotPermitted, "The resource share does not allow external principals, and %s is not in your organization.", principals[0])
	}
	mine, _, err := s.shares(ctx, acct)
	if err != nil {
		return Share{}, err
	}
	if in.ClientToken != "" {
		for _, sh := range mine {
			if sh.ClientToken != in.ClientToken {
				continue
			}
			if sh.Name != in.Name || !sameSet(resourceARNs(sh), resources) || !sameSet(principalIDs(sh), principals) {
				return Share{}, errf(CodeIdempotencyMismatch, "The client token %s was used with other parameters.", in.ClientToken)
			}
			return sh, nil
		}
	}
	if len(mine) >= maxSharesPerAccount {
		return Share{}, errf(CodeShareLimitExceeded, "Account %s has reached its limit of %d resource shares.", acct, maxSharesPerAccount)
	}
	types, err := s.ownedResources(ctx, acct, resources)
	if err != nil {
		return Share{}, err
	}
	now := s.now().UTC()
	sh := Share{ARN: shareARN, Name: in.Name, Owner: acct, AllowExternalPrincipals: external, Status: StatusActive,
		Tags: in.Tags, Created: now, Updated: now, ClientToken: in.ClientToken}
	for _, r := range resources {
		sh.Resources = append(sh.Resources, ResourceAssociation{ARN: r, Type: types[r], Status: AssociationAssociated, Created: now, Updated: now})
	}
	for _, p := range principals {
		s.invite(&sh, p, now)
	}
	if _, err := s.put(ctx, sh, 0); err != nil {
		return Share{}, err
	}
	return sh, nil
}

// invite adds (or renews) a principal with a new pending invitation.
func (s *Service) invite(sh *Share, account string, now time.Time) {
	invARN, _ := s.newARN(sh.Owner, "resource-share-invitation")
	sh.Invitations = append(sh.Invitations, Invitation{ARN: invARN, Receiver: account, Status: InvitationPending, Sent: now})
	for i := range sh.Principals {
		if p := &sh.Principals[i]; p.Account == account {
			p.Status, p.Message, p.Invitation, p.Updated = AssociationAssociating, "", invARN, now
			return
		}
	}
	sh.Principals = append(sh.Principals, PrincipalAssociation{Account: account, Status: AssociationAssociating, Invitation: invARN, Created: now, Updated: now})
}

func dedupe(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func resourceARNs(sh Share) []string {
	var out []string
	for _, r := range sh.Resources {
		if r.Status == AssociationAssociated {
			out = append(out, r.ARN)
		}
	}
	return out
}

func principalIDs(sh Share) []string {
	var out []string
	for _, p := range sh.Principals {
		if p.Status != AssociationDisassociated {
			out = append(out, p.Account)
		}
	}
	return out
}

// SharesFilter selects the shares GetResourceShares lists.
type SharesFilter struct {
	Owner         string // SELF or OTHER-ACCOUNTS (required)
	ARNs          []string
	Status        string
	Name          string
	TagFilters    []TagFilter
	PermissionARN string
}

// TagFilter selects shares with a tag key and one of the values (any
// value when none).
type TagFilter struct {
	Key    string
	Values []string
}

var shareStatuses = []string{"PENDING", StatusActive, "FAILED", "DELETING", StatusDeleted}

// checkOwner checks a resourceOwner parameter.
func checkOwner(owner string) error {
	switch owner {
	case OwnerSelf, OwnerOtherAccounts:
		return nil
	case "":
		return errf(CodeInvalidParameter, "The request must contain the parameter resourceOwner.")
	}
	return errf(CodeInvalidParameter, "%s is not a valid resource owner. Specify either SELF or OTHER-ACCOUNTS and try again.", owner)
}

// ownerShares authorizes op (on every share) for the caller and returns
// the shares a resourceOwner filter can select: the caller's account's
// own (SELF) or every account's (OTHER-ACCOUNTS).
func (s *Service) ownerShares(ctx context.Context, caller iam.Caller, op, resourceOwner string) ([]Share, error) {
	if err := s.authorize(ctx, caller, op, "*"); err != nil {
		return nil, err
	}
	owner := caller.Principal.Account
	if resourceOwner == OwnerOtherAccounts {
		owner = ""
	}
	all, _, err := s.shares(ctx, owner)
	return all, err
}

// GetShares returns the caller's shares (SELF) or those shared with it
// that it accepted (OTHER-ACCOUNTS), oldest first.
func (s *Service) GetShares(ctx context.Context, caller iam.Caller, f SharesFilter) ([]Share, error) {
	if err := checkOwner(f.Owner); err != nil {
		return nil, err
	}
	for _, a := range f.ARNs {
		if _, _, _, err := s.ramARN("resource share ARN", a, "resource-share"); err != nil {
			return nil, err
		}
	}
	if f.Status != "" && !slices.Contains(shareStatuses, f.Status) {
		return nil, errf(CodeInvalidParameter, "%s is not a valid resource share status.", f.Status)
	}
	all, err := s.ownerShares(ctx, caller, "GetResourceShares", f.Owner)
	if err != nil {
		return nil, err
	}
	acct := caller.Principal.Account
	var out []Share
	for _, sh := range all {
		switch {
		case f.Owner == OwnerOtherAccounts && (sh.Owner == acct || sh.Status != StatusActive || !accepted(sh, acct)):
		case len(f.ARNs) > 0 && !slices.Contains(f.ARNs, sh.ARN):
		case f.Status != "" && sh.Status != f.Status:
		case f.Name != "" && sh.Name != f.Name:
		case f.PermissionARN != "": // kafkalink's shares have no managed permissions
		case !tagsMatch(sh.Tags, f.TagFilters):
		default:
			out = append(out, sh)
		}
	}
	sortShares(out)
	return out, nil
}

// invited reports whether an account is invited to a share or accepted.
func invited(sh Share, account string) bool {
	return slices.ContainsFunc(sh.Principals, func(p PrincipalAssociation) bool {
		return p.Account == account && (p.Status == AssociationAssociated || p.Status == AssociationAssociating)
	})
}

// accepted reports whether an account accepted an invitation to a share.
func accepted(sh Share, account string) bool {
	return slices.ContainsFunc(sh.Principals, func(p PrincipalAssociation) bool {
		return p.Account == account && p.Status == AssociationAssociated
	})
}

func tagsMatch(tags []Tag, filters []TagFilter) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(tags, func(t Tag) bool {
			return t.Key == f.Key && (len(f.Values) == 0 || slices.Contains(f.Values, t.Value))
		}) {
			return false
		}
	}
	return true
}

// Change is what AssociateShare and DisassociateShare change: resources
// and principals.
type Change struct {
	ResourceARNs []string
	Principals   []string
}

func (s *Service) checkChange(caller iam.Caller, shareARN string, c Change) error {
	if shareARN == "" {
		return errf(CodeInvalidParameter, "The request must contain the parameter resourceShareArn.")
	}
	if _, _, _, err := s.ramARN("resource share ARN", shareARN, "resource-share"); err != nil {
		return err
	}
	if len(c.ResourceARNs) == 0 && len(c.Principals) == 0 {
		return errf(CodeInvalidParameter, "Specify resourceArns or principals.")
	}
	if err := s.checkResourceARNs(c.ResourceARNs); err != nil {
		return err
	}
	return checkPrincipals(caller.Principal.Account, c.Principals)
}

// AssociateShare adds resources and principals to one of the caller's
// shares; each new principal is invited.
func (s *Service) AssociateShare(ctx context.Context, caller iam.Caller, shareARN string, c Change) ([]AssociationView, error) {
	if err := s.checkChange(caller, shareARN, c); err != nil {
		return nil, err
	}
	resources, principals := dedupe(c.ResourceARNs), dedupe(c.Principals)
	if err := s.authorize(ctx, caller, "AssociateResourceShare", shareARN); err != nil {
		return nil, err
	}
	types, err := s.ownedResources(ctx, caller.Principal.Account, resources)
	if err != nil {
		return nil, err
	}
	_, sh, err := s.update(ctx, caller, shareARN, func(sh *Share) error {
		if sh.Status != StatusActive {
			return errf(CodeNotPermitted, "The resource share %s is %s.", sh.ARN, sh.Status)
		}
		if !sh.AllowExternalPrincipals && len(principals) > 0 {
			return errf(CodeNotPermitted, "The resource share does not allow external principals, and %s is not in your organization.", principals[0])
		}
		now := s.now().UTC()
		for _, r := range resources {
			i := slices.IndexFunc(sh.Resources, func(a ResourceAssociation) bool { return a.ARN == r })
			switch {
			case i < 0:
				sh.Resources = append(sh.Resources, ResourceAssociation{ARN: r, Type: types[r], Status: AssociationAssociated, Created: now, Updated: now})
			case sh.Resources[i].Status != AssociationAssociated:
				sh.Resources[i].Status, sh.Resources[i].Updated = AssociationAssociated, now
			}
		}
		for _, p := range principals {
			i := slices.IndexFunc(sh.Principals, func(a PrincipalAssociation) bool { return a.Account == p })
			if i < 0 || (sh.Principals[i].Status != AssociationAssociated && sh.Principals[i].Status != AssociationAssociating) {
				s.invite(sh, p, now)
			}
		}
		if len(resourceARNs(*sh)) > maxResourcesPerShare || len(principalIDs(*sh)) > maxPrincipalsPerShare {
			return errf(CodeShareLimitExceeded, "A resource share can have at most %d resources and %d principals.", maxResourcesPerShare, maxPrincipalsPerShare)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return selected(sh, resources, principals), nil
}

// selected returns the associations of the given resources and
// principals of a share.
func selected(sh Share, resources, principals []string) []AssociationView {
	var out []AssociationView
	for _, v := range associationViews(sh) {
		if (v.Type == TypeResource && slices.Contains(resources, v.Entity)) || (v.Type == TypePrincipal && slices.Contains(principals, v.Entity)) {
			out = append(out, v)
		}
	}
	return out
}

func associationViews(sh Share) []AssociationView {
	var out []AssociationView
	for _, r := range sh.Resources {
		out = append(out, AssociationView{ShareARN: sh.ARN, ShareName: sh.Name, Entity: r.ARN, Type: TypeResource,
			Status: r.Status, Created: r.Created, Updated: r.Updated})
	}
	for _, p := range sh.Principals {
		out = append(out, AssociationView{ShareARN: sh.ARN, ShareName: sh.Name, Entity: p.Account, Type: TypePrincipal,
			Status: p.Status, Message: p.Message, Created: p.Created, Updated: p.Updated, External: true})
	}
	return out
}

// DisassociateShare takes resources and principals out of one of the
// caller's shares: the principals lose the resources, and the resources'
// services are told.
func (s *Service) DisassociateShare(ctx context.Context, caller iam.Caller, shareARN string, c Change) ([]AssociationView, error) {
	if err := s.checkChange(caller, shareARN, c); err != nil {
		return nil, err
	}
	resources, principals := dedupe(c.ResourceARNs), dedupe(c.Principals)
	if err := s.authorize(ctx, caller, "DisassociateResourceShare", shareARN); err != nil {
		return nil, err
	}
	_, sh, err := s.update(ctx, caller, shareARN, func(sh *Share) error {
		if sh.Status != StatusActive {
			return errf(CodeNotPermitted, "The resource share %s is %s.", sh.ARN, sh.Status)
		}
		now := s.now().UTC()
		for _, r := range resources {
			i := slices.IndexFunc(sh.Resources, func(a ResourceAssociation) bool { return a.ARN == r })
			if i < 0 || sh.Resources[i].Status == AssociationDisassociated {
				return errf(CodeUnknownResource, "The resource %s is not associated with the resource share %s.", r, sh.ARN)
			}
			sh.Resources[i].Status, sh.Resources[i].Updated = AssociationDisassociated, now
		}
		for _, p := range principals {
			i := slices.IndexFunc(sh.Principals, func(a PrincipalAssociation) bool { return a.Account == p })
			if i < 0 || sh.Principals[i].Status == AssociationDisassociated {
				return errf(CodeUnknownResource, "The principal %s is not associated with the resource share %s.", p, sh.ARN)
			}
			disassociate(sh, i, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	affected := resources
	if len(principals) > 0 {
		affected = dedupe(append(slices.Clone(resources), resourceARNs(sh)...))
	}
	s.notify(ctx, affected)
	return selected(sh, resources, principals), nil
}

// disassociate takes principal i out of a share: its pending invitation
// can no longer be accepted.
func disassociate(sh *Share, i int, now time.Time) {
	p := &sh.Principals[i]
	p.Status, p.Message, p.Updated = AssociationDisassociated, "", now
	for j := range sh.Invitations {
		if inv := &sh.Invitations[j]; inv.ARN == p.Invitation && inv.Status == InvitationPending {
			inv.Status = InvitationExpired
		}
	}
}

// DeleteShare deletes one of the caller's shares: everyone it was shared
// with loses its resources, and the resources' services are told.
func (s *Service) DeleteShare(ctx context.Context, caller iam.Caller, shareARN string) error {
	if shareARN == "" {
		return errf(CodeInvalidParameter, "The request must contain the parameter resourceShareArn.")
	}
	if _, _, _, err := s.ramARN("resource share ARN", shareARN, "resource-share"); err != nil {
		return err
	}
	if err := s.authorize(ctx, caller, "DeleteResourceShare", shareARN); err != nil {
		return err
	}
	before, _, err := s.update(ctx, caller, shareARN, func(sh *Share) error {
		if sh.Status != StatusActive {
			return errf(CodeNotPermitted, "The resource share %s is %s.", sh.ARN, sh.Status)
		}
		now := s.now().UTC()
		sh.Status = StatusDeleted
		for i := range sh.Resources {
			sh.Resources[i].Status, sh.Resources[i].Updated = AssociationDisassociated, now
		}
		for i := range sh.Principals {
			disassociate(sh, i, now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.notify(ctx, resourceARNs(before))
	return nil
}

// Associations is what GetResourceShareAssociations selects.
type Associations struct {
	Type        string // PRINCIPAL or RESOURCE (required)
	ShareARNs   []string
	ResourceARN string
	Principal   string
	Status      string
}

var associationStatuses = []string{AssociationAssociating, AssociationAssociated, AssociationFailed, "DISASSOCIATING", AssociationDisassociated,
	"SUSPENDED", "SUSPENDING", "RESTORING"}

// ShareAssociations returns the resources or principals of the caller's
// shares.
func (s *Service) ShareAssociations(ctx context.Context, caller iam.Caller, f Associations) ([]AssociationView, error) {
	switch f.Type {
	case TypePrincipal, TypeResource, TypeSource:
	case "":
		return nil, errf(CodeInvalidParameter, "The request must contain the parameter associationType.")
	default:
		return nil, errf(CodeInvalidParameter, "%s is not a valid association type. Specify either PRINCIPAL or RESOURCE and try again.", f.Type)
	}
	switch {
	case f.Type == TypePrincipal && f.ResourceARN != "":
		return nil, errf(CodeInvalidParameter, "You cannot specify a resource ARN when the association type is PRINCIPAL.")
	case f.Type == TypeResource && f.Principal != "":
		return nil, errf(CodeInvalidParameter, "You cannot specify a principal when the association type is RESOURCE.")
	case f.Status != "" && !slices.Contains(associationStatuses, f.Status):
		return nil, errf(CodeInvalidParameter, "%s is not a valid association status.", f.Status)
	}
	for _, a := range f.ShareARNs {
		if _, _, _, err := s.ramARN("resource share ARN", a, "resource-share"); err != nil {
			return nil, err
		}
	}
	if f.ResourceARN != "" {
		if _, ok := parseARN(f.ResourceARN); !ok {
			return nil, errf(CodeMalformedArn, "The specified resource ARN %s is not valid. Verify the ARN and try again.", f.ResourceARN)
		}
	}
	if err := s.authorize(ctx, caller, "GetResourceShareAssociations", "*"); err != nil {
		return nil, err
	}
	mine, _, err := s.shares(ctx, caller.Principal.Account)
	if err != nil {
		return nil, err
	}
	sortShares(mine)
	var out []AssociationView
	for _, sh := range mine {
		if len(f.ShareARNs) > 0 && !slices.Contains(f.ShareARNs, sh.ARN) {
			continue
		}
		for _, v := range associationViews(sh) {
			switch {
			case v.Type != f.Type:
			case f.ResourceARN != "" && v.Entity != f.ResourceARN:
			case f.Principal != "" && v.Entity != f.Principal:
			case f.Status != "" && v.Status != f.Status:
			default:
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// ResourcesFilter is what ListResources selects.
type ResourcesFilter struct {
	Owner        string // SELF or OTHER-ACCOUNTS (required)
	Principal    string
	ResourceType string
	ResourceARNs []string
	ShareARNs    []string
	RegionScope  string // ALL (default), REGIONAL or GLOBAL
}

// ListResources returns the resources the caller shares (SELF) or that
// are shared with it (OTHER-ACCOUNTS), one per share they are in.
func (s *Service) ListResources(ctx context.Context, caller iam.Caller, f ResourcesFilter) ([]ResourceView, error) {
	if err := checkOwner(f.Owner); err != nil {
		return nil, err
	}
	if f.ResourceType != "" {
		if _, ok := s.kindNamed(f.ResourceType); !ok {
			return nil, errf(CodeInvalidResourceType, "The specified resource type %s is not valid.", f.ResourceType)
		}
	}
	switch f.RegionScope {
	case "", "ALL", "REGIONAL", "GLOBAL":
	default:
		return nil, errf(CodeInvalidParameter, "%s is not a valid resource region scope: ALL, REGIONAL or GLOBAL.", f.RegionScope)
	}
	for _, a := range f.ShareARNs {
		if _, _, _, err := s.ramARN("resource share ARN", a, "resource-share"); err != nil {
			return nil, err
		}
	}
	for _, r := range f.ResourceARNs {
		if _, ok := parseARN(r); !ok {
			return nil, errf(CodeMalformedArn, "The specified resource ARN %s is not valid. Verify the ARN and try again.", r)
		}
	}
	if f.Principal != "" && !accountRe.MatchString(f.Principal) {
		return nil, errf(CodeInvalidParameter, "Principal ID %s is malformed. Verify the ID and try again.", f.Principal)
	}
	all, err := s.ownerShares(ctx, caller, "ListResources", f.Owner)
	if err != nil {
		return nil, err
	}
	acct := caller.Principal.Account
	sortShares(all)
	var out []ResourceView
	for _, sh := range all {
		switch {
		case sh.Status != StatusActive:
			continue
		case f.Owner == OwnerOtherAccounts && (sh.Owner == acct || !accepted(sh, acct) || (f.Principal != "" && sh.Owner != f.Principal)):
			continue
		case f.Owner == OwnerSelf && f.Principal != "" && !invited(sh, f.Principal):
			continue
		case len(f.ShareARNs) > 0 && !slices.Contains(f.ShareARNs, sh.ARN):
			continue
		case f.RegionScope == "GLOBAL":
			continue
		}
		for _, r := range sh.Resources {
			switch {
			case r.Status != AssociationAssociated:
			case f.ResourceType != "" && r.Type != f.ResourceType:
			case len(f.ResourceARNs) > 0 && !slices.Contains(f.ResourceARNs, r.ARN):
			default:
				status := "AVAILABLE"
				a, _ := parseARN(r.ARN)
				if k, ok := s.kindOf(a); ok {
					if owner, ok, err := k.res.ResourceOwner(ctx, r.ARN); err != nil {
						return nil, err
					} else if !ok || owner != sh.Owner {
						status = "UNAVAILABLE"
					}
				}
				out = append(out, ResourceView{ARN: r.ARN, Type: r.Type, ShareARN: sh.ARN, Status: status, Created: r.Created, Updated: r.Updated})
			}
		}
	}
	return out, nil
}
