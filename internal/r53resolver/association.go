package r53resolver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
)

// AssociateRule applies a rule the caller owns, or one shared with it, to
// one of its VPCs. A VPC has at most one rule per domain name: a second
// is ResourceExistsException. The association is COMPLETE at once.
func (s *Service) AssociateRule(ctx context.Context, caller iam.Caller, ruleID, vpcID, name string) (Association, error) {
	if err := checkID("VPCId", vpcID); err != nil {
		return Association{}, err
	}
	if err := checkName(name); err != nil {
		return Association{}, err
	}
	acct := caller.Principal.Account
	for range maxCASRetries {
		r, _, _, err := s.visibleRule(ctx, caller, ruleID, "AssociateResolverRule")
		if err != nil {
			return Association{}, err
		}
		if err := s.checkVPC(ctx, acct, vpcID); err != nil {
			return Association{}, err
		}
		all, _, err := listOf[Association](ctx, s, "association/")
		if err != nil {
			return Association{}, err
		}
		if lim := *s.limits.Load(); countOwned(all, acct, func(a Association) string { return a.Owner }) >= lim.AssociationsPerAccount {
			e := errf(CodeLimitExceeded, "Account '%s' has reached its limit of %d resolver rule associations in %s.", acct, lim.AssociationsPerAccount, s.region)
			e.ResourceType = kindAssociation
			return Association{}, e
		}
		a := Association{ID: newID("rslvr-rrassoc-"), Name: name, RuleID: r.ID, VPCID: vpcID, Owner: acct, Status: StatusComplete, DomainName: r.DomainName}
		key := s.associationKey(vpcID, r.DomainName)
		ok, err := s.create(ctx, key, a)
		if err != nil {
			return Association{}, err
		}
		if !ok {
			var cur Association
			if _, found, err := s.load(ctx, key, &cur); err != nil || !found {
				if err != nil {
					return Association{}, err
				}
				continue // disassociated meanwhile
			}
			if stale, err := s.stale(ctx, cur); err != nil || stale {
				if err != nil {
					return Association{}, err
				}
				s.dropAssociation(ctx, cur)
				continue
			}
			e := errf(CodeExists, "Cannot associate rules with same domain name with same VPC. Conflict with resolver rule '%s'.", cur.RuleID)
			if cur.RuleID == r.ID {
				e = errf(CodeExists, "The resolver rule '%s' is already associated with VPC '%s'.", r.ID, vpcID)
			}
			e.ResourceType = kindAssociation
			return Association{}, e
		}
		// The rule may have been deleted, or its share ended, since it
		// was looked at: the fence makes a delete that has not finished
		// look again, and access is checked once more.
		kept, err := s.fence(ctx, s.ruleKey(r.ID))
		if err == nil && kept {
			var shared map[string][]string
			if shared, err = s.access(ctx); err == nil {
				kept = canUse(r, acct, shared)
			}
		}
		if err != nil || !kept {
			s.dropAssociation(context.WithoutCancel(ctx), a)
			if err == nil {
				err = notFound(kindRule, "Resolver rule with ID '%s' does not exist.", r.ID)
			}
			return Association{}, err
		}
		return a, nil
	}
	return Association{}, fmt.Errorf("r53resolver: VPC %s changed %d times under us", vpcID, maxCASRetries)
}

// checkVPC checks that a VPC is the account's.
func (s *Service) checkVPC(ctx context.Context, account, vpcID string) error {
	if _, err := s.ec2.VPC(ctx, account, vpcID); err != nil {
		var ee *ec2.Error
		if errors.As(err, &ee) {
			return invalidParam("VPCId", "%s", ee.Message)
		}
		return fmt.Errorf("r53resolver: ec2: %w", err)
	}
	return nil
}

// DisassociateRule removes a rule's association with one of the caller's
// VPCs.
func (s *Service) DisassociateRule(ctx context.Context, caller iam.Caller, ruleID, vpcID string) (Association, error) {
	if err := checkID("VPCId", vpcID); err != nil {
		return Association{}, err
	}
	acct := caller.Principal.Account
	for range maxCASRetries {
		r, _, _, err := s.visibleRule(ctx, caller, ruleID, "DisassociateResolverRule")
		if err != nil {
			return Association{}, err
		}
		if err := ec2.CheckID("vpc", vpcID); err != nil {
			return Association{}, invalidParam("VPCId", "Malformed VPC ID: Invalid id: '%s' (expecting 'vpc-...')", vpcID)
		}
		var a Association
		rev, ok, err := s.load(ctx, s.associationKey(vpcID, r.DomainName), &a)
		if err != nil {
			return Association{}, err
		}
		if !ok || a.RuleID != r.ID || a.Owner != acct || a.VPCID != vpcID {
			return Association{}, notFound(kindAssociation, "Resolver Rule Association between Resolver Rule '%s' and VPC '%s' does not exist.", r.ID, vpcID)
		}
		if ok, err = s.removeAt(ctx, s.associationKey(vpcID, r.DomainName), rev); err != nil {
			return Association{}, err
		}
		if ok {
			a.Status = StatusDeleting
			return a, nil
		}
	}
	return Association{}, fmt.Errorf("r53resolver: association of %s with %s changed %d times under us", ruleID, vpcID, maxCASRetries)
}

// associations returns the caller's associations whose rules it may use.
func (s *Service) associations(ctx context.Context, account string) ([]Association, error) {
	all, _, err := listOf[Association](ctx, s, "association/")
	if err != nil {
		return nil, err
	}
	rules, _, err := listOf[Rule](ctx, s, "rule/")
	if err != nil {
		return nil, err
	}
	shared, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var out []Association
	for _, a := range all {
		if r, ok := byID[a.RuleID]; ok && a.Owner == account && canUse(r, account, shared) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Association) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// GetAssociation returns one of the caller's associations.
func (s *Service) GetAssociation(ctx context.Context, caller iam.Caller, id string) (Association, error) {
	if err := checkID("ResolverRuleAssociationId", id); err != nil {
		return Association{}, err
	}
	if err := s.authorize(ctx, caller, "GetResolverRuleAssociation", "*", "", nil); err != nil {
		return Association{}, err
	}
	if associationIDRe.MatchString(id) {
		all, err := s.associations(ctx, caller.Principal.Account)
		if err != nil {
			return Association{}, err
		}
		for _, a := range all {
			if a.ID == id {
				return a, nil
			}
		}
	}
	return Association{}, notFound(kindAssociation, "ResolverRuleAssociation '%s' does not exist.", id)
}

var associationFilters = map[string]bool{"NAME": true, "RESOLVERRULEID": true, "STATUS": true, "VPCID": true}

// ListAssociations returns the caller's associations that match the
// filters (Name, ResolverRuleId, Status, VPCId).
func (s *Service) ListAssociations(ctx context.Context, caller iam.Caller, filters []Filter) ([]Association, error) {
	if err := checkFilters(filters, associationFilters); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, caller, "ListResolverRuleAssociations", "*", "", nil); err != nil {
		return nil, err
	}
	all, err := s.associations(ctx, caller.Principal.Account)
	if err != nil {
		return nil, err
	}
	var out []Association
	for _, a := range all {
		if matches(filters, func(key string) []string {
			switch key {
			case "NAME":
				return []string{a.Name}
			case "RESOLVERRULEID":
				return []string{a.RuleID}
			case "STATUS":
				return []string{a.Status}
			case "VPCID":
				return []string{a.VPCID}
			}
			return nil
		}) {
			out = append(out, a)
		}
	}
	return out, nil
}

// stale reports whether an association's account may no longer use its
// rule (or the rule is gone).
func (s *Service) stale(ctx context.Context, a Association) (bool, error) {
	var r Rule
	_, ok, err := s.load(ctx, s.ruleKey(a.RuleID), &r)
	if err != nil || !ok {
		return !ok, err
	}
	shared, err := s.access(ctx)
	if err != nil {
		return false, err
	}
	return !canUse(r, a.Owner, shared), nil
}

// dropAssociation deletes an association record if it is still the one
// given.
func (s *Service) dropAssociation(ctx context.Context, a Association) error {
	key := s.associationKey(a.VPCID, a.DomainName)
	var cur Association
	rev, ok, err := s.load(ctx, key, &cur)
	if err != nil || !ok || cur.ID != a.ID {
		return err
	}
	_, err = s.removeAt(ctx, key, rev)
	return err
}

// AccessChanged is told that who may use a resource has changed (a share
// of it ended, or an account was taken out of one): the associations of
// accounts that may no longer use the rule are removed, as Route 53
// Resolver removes them. Resource shares call it after every such change.
func (s *Service) AccessChanged(ctx context.Context, arn string) error {
	id, ok := s.ruleIDOf(arn)
	if !ok {
		return nil
	}
	return s.dropStale(ctx, func(a Association) bool { return a.RuleID == id })
}

// dropStale removes the associations that which selects and whose
// accounts may no longer use their rules.
func (s *Service) dropStale(ctx context.Context, which func(Association) bool) error {
	all, _, err := listOf[Association](ctx, s, "association/")
	if err != nil {
		return err
	}
	rules, _, err := listOf[Rule](ctx, s, "rule/")
	if err != nil {
		return err
	}
	shared, err := s.access(ctx)
	if err != nil {
		return err
	}
	byID := map[string]Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var errs []error
	for _, a := range all {
		if !which(a) {
			continue
		}
		if r, ok := byID[a.RuleID]; !ok || !canUse(r, a.Owner, shared) {
			if err := s.dropAssociation(ctx, a); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("r53resolver: removing associations: %w", errs[0])
	}
	return nil
}

// claimGrace is how long a claim may exist without the resource it was
// made for (which is written right after it) before Reconcile frees it.
const claimGrace = 10 * time.Minute

// Reconcile repairs what an interruption can leave behind: associations
// whose accounts may no longer use their rules (a share ended and
// AccessChanged did not run), and address or request claims of endpoints
// and rules that were never written. Run it at start-up.
func (s *Service) Reconcile(ctx context.Context) error {
	if err := s.dropStale(ctx, func(Association) bool { return true }); err != nil {
		return err
	}
	kvs, _, err := s.st.List(ctx, s.Prefix())
	if err != nil {
		return fmt.Errorf("r53resolver: list: %w", err)
	}
	exists := map[string]bool{}
	for _, kv := range kvs {
		sub := strings.TrimPrefix(kv.Key, s.Prefix())
		if k, id, ok := strings.Cut(sub, "/"); ok && (k == "endpoint" || k == "rule") {
			exists[id] = true
		}
	}
	for _, kv := range kvs {
		sub := strings.TrimPrefix(kv.Key, s.Prefix())
		if !strings.HasPrefix(sub, "ip/") && !strings.HasPrefix(sub, "request/") {
			continue
		}
		var c claim
		if _, ok, err := s.load(ctx, kv.Key, &c); err != nil || !ok {
			continue
		}
		if !exists[c.Holder] && s.now().Sub(c.Claimed) > claimGrace {
			if _, err := s.removeAt(ctx, kv.Key, kv.ModRevision); err != nil {
				return err
			}
		}
	}
	return nil
}
