package ram

import (
	"context"
	"fmt"
	"slices"

	"github.com/kafkalink/kafkalink/internal/iam"
)

// Invitations returns the invitations the caller received, oldest first:
// all of them, or those with the ARNs or of the shares given. An
// invitation ARN given that the caller did not receive is
// ResourceShareInvitationArnNotFoundException.
func (s *Service) Invitations(ctx context.Context, caller iam.Caller, invitationARNs, shareARNs []string) ([]InvitationView, error) {
	for _, a := range invitationARNs {
		if _, _, _, err := s.ramARN("resource share invitation ARN", a, "resource-share-invitation"); err != nil {
			return nil, err
		}
	}
	for _, a := range shareARNs {
		if _, _, _, err := s.ramARN("resource share ARN", a, "resource-share"); err != nil {
			return nil, err
		}
	}
	if err := s.authorize(ctx, caller, "GetResourceShareInvitations", "*"); err != nil {
		return nil, err
	}
	all, _, err := s.shares(ctx, "")
	if err != nil {
		return nil, err
	}
	acct := caller.Principal.Account
	var out []InvitationView
	for _, sh := range all {
		for _, inv := range sh.Invitations {
			switch {
			case inv.Receiver != acct:
			case len(invitationARNs) > 0 && !slices.Contains(invitationARNs, inv.ARN):
			case len(shareARNs) > 0 && !slices.Contains(shareARNs, sh.ARN):
			default:
				out = append(out, InvitationView{Invitation: inv, ShareARN: sh.ARN, ShareName: sh.Name, Sender: sh.Owner})
			}
		}
	}
	for _, a := range invitationARNs {
		if !slices.ContainsFunc(out, func(v InvitationView) bool { return v.ARN == a }) {
			return nil, errf(CodeInvitationNotFound, "ResourceShareInvitation %s could not be found.", a)
		}
	}
	slices.SortFunc(out, func(a, b InvitationView) int { return a.Sent.Compare(b.Sent) })
	return out, nil
}

// AcceptInvitation accepts an invitation the caller received: the share's
// resources are shared with it.
func (s *Service) AcceptInvitation(ctx context.Context, caller iam.Caller, invitationARN string) (InvitationView, error) {
	return s.answer(ctx, caller, invitationARN, "AcceptResourceShareInvitation", InvitationAccepted)
}

// RejectInvitation rejects an invitation the caller received.
func (s *Service) RejectInvitation(ctx context.Context, caller iam.Caller, invitationARN string) (InvitationView, error) {
	return s.answer(ctx, caller, invitationARN, "RejectResourceShareInvitation", InvitationRejected)
}

// answer accepts or rejects a pending invitation.
func (s *Service) answer(ctx context.Context, caller iam.Caller, invitationARN, action, status string) (InvitationView, error) {
	sender, _, here, err := s.ramARN("resource share invitation ARN", invitationARN, "resource-share-invitation")
	if err != nil {
		return InvitationView{}, err
	}
	if err := s.authorize(ctx, caller, action, invitationARN); err != nil {
		return InvitationView{}, err
	}
	notFound := errf(CodeInvitationNotFound, "ResourceShareInvitation %s could not be found.", invitationARN)
	if !here {
		return InvitationView{}, notFound
	}
	acct := caller.Principal.Account
	for range maxCASRetries {
		shares, revs, err := s.shares(ctx, sender)
		if err != nil {
			return InvitationView{}, err
		}
		si, ii := -1, -1
		for i, sh := range shares {
			if j := slices.IndexFunc(sh.Invitations, func(inv Invitation) bool { return inv.ARN == invitationARN }); j >= 0 {
				si, ii = i, j
				break
			}
		}
		if si < 0 || shares[si].Invitations[ii].Receiver != acct {
			return InvitationView{}, notFound
		}
		sh := shares[si]
		inv := &sh.Invitations[ii]
		switch inv.Status {
		case InvitationAccepted:
			return InvitationView{}, errf(CodeAlreadyAccepted, "The invitation %s has already been accepted.", invitationARN)
		case InvitationRejected:
			return InvitationView{}, errf(CodeAlreadyRejected, "The invitation %s has already been rejected.", invitationARN)
		case InvitationExpired:
			return InvitationView{}, errf(CodeInvitationExpired, "The invitation %s has expired.", invitationARN)
		}
		now := s.now().UTC()
		inv.Status = status
		for i := range sh.Principals {
			if p := &sh.Principals[i]; p.Invitation == invitationARN {
				if status == InvitationAccepted {
					p.Status, p.Message = AssociationAssociated, ""
				} else {
					p.Status, p.Message = AssociationFailed, "The invitation was rejected."
				}
				p.Updated = now
			}
		}
		sh.Updated = now
		ok, err := s.put(ctx, sh, revs[si])
		if err != nil {
			return InvitationView{}, err
		}
		if ok {
			return InvitationView{Invitation: *inv, ShareARN: sh.ARN, ShareName: sh.Name, Sender: sh.Owner}, nil
		}
	}
	return InvitationView{}, fmt.Errorf("ram: the share of invitation %s changed %d times under us", invitationARN, maxCASRetries)
}
