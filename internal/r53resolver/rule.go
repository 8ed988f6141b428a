package r53resolver

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
)

// TargetInput is a target address of a FORWARD rule as a request gives
// it. Port nil means 53.
type TargetInput struct {
	IP                   string
	IPv6                 string
	Port                 *int
	Protocol             string
	ServerNameIndication string
}

// CreateRuleInput is what CreateResolverRule needs.
type CreateRuleInput struct {
	CreatorRequestID string
	Name             string
	RuleType         string
	DomainName       string
	EndpointID       string
	Targets          []TargetInput
	Tags             []Tag
}

// RuleUpdate is what UpdateResolverRule changes: what is nil (or empty)
// stays as it is.
type RuleUpdate struct {
	Name       *string
	Targets    []TargetInput // nil: unchanged
	EndpointID string        // "": unchanged
}

// maxTargets bounds a rule's target addresses.
const maxTargets = 20

// DefaultPort is where a target listens unless a rule says otherwise.
const DefaultPort = 53

// CanonicalDomain returns a domain name as rules keep it: lowercase, with
// its trailing dot ("." for the root); ok false if it is not a domain
// name (labels of 1 to 63 letters, digits, hyphens and underscores, 253
// characters in all).
func CanonicalDomain(d string) (string, bool) {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if d == "" {
		return ".", true
	}
	if len(d) > 253 {
		return "", false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return d + ".", true
}

// checkTargets validates target addresses: IPv4 over plain DNS (Do53),
// distinct, ports 1-65535.
func checkTargets(in []TargetInput) ([]Target, error) {
	if len(in) > maxTargets {
		return nil, invalidParam("TargetIps", "A rule can have at most %d target IP addresses.", maxTargets)
	}
	var out []Target
	for _, t := range in {
		switch {
		case t.IPv6 != "":
			return nil, errf(CodeInvalidRequest, "kafkalink's resolver endpoints are IPv4: target '%s' cannot be reached.", t.IPv6)
		case t.Protocol != "" && t.Protocol != "Do53":
			return nil, errf(CodeInvalidRequest, "The protocol %q is not supported: targets are reached over Do53.", t.Protocol)
		case t.ServerNameIndication != "":
			return nil, errf(CodeInvalidRequest, "ServerNameIndication applies to DoH targets only.")
		case t.IP == "":
			return nil, invalidParam("Ip", "Every target needs an Ip.")
		}
		a, err := netip.ParseAddr(t.IP)
		if err != nil || !a.Is4() {
			return nil, invalidParam("Ip", "Invalid IP address: '%s'", t.IP)
		}
		port := DefaultPort
		if t.Port != nil {
			port = *t.Port
		}
		if port < 1 || port > 65535 {
			return nil, invalidParam("Port", "The port %d is not valid: 1 to 65535.", port)
		}
		tg := Target{IP: a, Port: port}
		if slices.Contains(out, tg) {
			return nil, invalidParam("TargetIps", "The target %s:%d is given twice.", a, port)
		}
		out = append(out, tg)
	}
	return out, nil
}

// CreateRule creates a resolver rule in the caller's account. A FORWARD
// rule forwards through one of the caller's OUTBOUND endpoints to its
// targets; a SYSTEM rule has neither.
func (s *Service) CreateRule(ctx context.Context, caller iam.Caller, in CreateRuleInput) (RuleView, error) {
	acct := caller.Principal.Account
	lim := *s.limits.Load()
	if err := checkCreatorRequestID(in.CreatorRequestID); err != nil {
		return RuleView{}, err
	}
	if err := checkName(in.Name); err != nil {
		return RuleView{}, err
	}
	switch in.RuleType {
	case RuleForward, RuleSystem:
	case RuleRecursive, "DELEGATE":
		return RuleView{}, errf(CodeInvalidRequest, "Rules of type %s cannot be created: use FORWARD or SYSTEM.", in.RuleType)
	case "":
		return RuleView{}, invalidParam("RuleType", "RuleType is required: FORWARD or SYSTEM.")
	default:
		return RuleView{}, invalidParam("RuleType", "The rule type %q is not valid: FORWARD or SYSTEM.", in.RuleType)
	}
	if in.DomainName == "" {
		return RuleView{}, invalidParam("DomainName", "DomainName is required.")
	}
	domain, ok := CanonicalDomain(in.DomainName)
	if !ok {
		return RuleView{}, invalidParam("DomainName", "The domain name '%s' is not valid.", in.DomainName)
	}
	targets, err := checkTargets(in.Targets)
	if err != nil {
		return RuleView{}, err
	}
	switch {
	case in.RuleType == RuleSystem && (len(in.Targets) > 0 || in.EndpointID != ""):
		return RuleView{}, errf(CodeInvalidRequest, "Cannot specify resolver endpoint ID and target IP for SYSTEM type resolver rule.")
	case in.RuleType == RuleForward && len(targets) == 0:
		return RuleView{}, errf(CodeInvalidRequest, "A FORWARD rule needs target IP addresses.")
	case in.RuleType == RuleForward && in.EndpointID == "":
		return RuleView{}, errf(CodeInvalidRequest, "A FORWARD rule needs the ID of an outbound resolver endpoint.")
	}
	if err := checkID("ResolverEndpointId", in.EndpointID); err != nil && in.EndpointID != "" {
		return RuleView{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return RuleView{}, err
	}

	id := newID("rslvr-rr-")
	arn := s.arn(acct, "resolver-rule", id)
	if err := s.authorize(ctx, caller, "CreateResolverRule", arn, "", nil); err != nil {
		return RuleView{}, err
	}
	if in.RuleType == RuleForward {
		if err := s.checkOutbound(ctx, acct, in.EndpointID); err != nil {
			return RuleView{}, err
		}
	}
	all, _, err := listOf[Rule](ctx, s, "rule/")
	if err != nil {
		return RuleView{}, err
	}
	if n := countOwned(all, acct, func(r Rule) string { return r.Owner }); n >= lim.RulesPerAccount {
		e := errf(CodeLimitExceeded, "Account '%s' has reached its limit of %d resolver rules in %s.", acct, lim.RulesPerAccount, s.region)
		e.ResourceType = kindRule
		return RuleView{}, e
	}
	if err := s.claimRequest(ctx, acct, "rule", in.CreatorRequestID, id, "Resolver rule"); err != nil {
		return RuleView{}, err
	}
	now := s.now().UTC()
	r := Rule{
		ID: id, ARN: arn, Name: in.Name, Owner: acct, DomainName: domain, RuleType: in.RuleType, EndpointID: in.EndpointID,
		Status: StatusComplete, Targets: targets, Created: now, Modified: now, CreatorRequestID: in.CreatorRequestID, Tags: in.Tags,
	}
	undo := func() {
		ctx := context.WithoutCancel(ctx)
		s.remove(ctx, s.ruleKey(id))
		s.remove(ctx, s.requestKey(acct, "rule", in.CreatorRequestID))
	}
	if ok, err := s.create(ctx, s.ruleKey(id), r); err != nil || !ok {
		undo()
		if err == nil {
			err = fmt.Errorf("r53resolver: rule id %s is taken", id)
		}
		return RuleView{}, err
	}
	if r.EndpointID != "" {
		// The endpoint may have been deleted since it was checked; the
		// fence makes a delete that has not finished look again.
		ok, err := s.fence(ctx, s.endpointKey(r.EndpointID))
		if err != nil || !ok {
			undo()
			if err == nil {
				err = notFound(kindEndpoint, "Resolver endpoint with ID '%s' does not exist.", r.EndpointID)
			}
			return RuleView{}, err
		}
	}
	return RuleView{Rule: r, ShareStatus: ShareNotShared}, nil
}

// checkOutbound checks that an endpoint is one of the account's outbound
// endpoints.
func (s *Service) checkOutbound(ctx context.Context, account, id string) error {
	var e Endpoint
	ok := false
	if endpointIDRe.MatchString(id) {
		var err error
		if _, ok, err = s.load(ctx, s.endpointKey(id), &e); err != nil {
			return err
		}
	}
	if !ok || e.Owner != account {
		return notFound(kindEndpoint, "Resolver endpoint with ID '%s' does not exist.", id)
	}
	if e.Direction != DirectionOutbound {
		return errf(CodeInvalidRequest, "The resolver endpoint '%s' is an %s endpoint: a FORWARD rule needs an OUTBOUND one.", id, e.Direction)
	}
	return nil
}

// visibleRule returns a rule the caller may use (its own, or one shared
// with it), authorized for action with the rule's share policy; a rule it
// cannot see is ResourceNotFoundException (once it is allowed to ask).
func (s *Service) visibleRule(ctx context.Context, caller iam.Caller, id, action string) (Rule, int64, map[string][]string, error) {
	if err := checkID("ResolverRuleId", id); err != nil {
		return Rule{}, 0, nil, err
	}
	acct := caller.Principal.Account
	var r Rule
	var rev int64
	ok := false
	if ruleIDRe.MatchString(id) {
		var err error
		if rev, ok, err = s.load(ctx, s.ruleKey(id), &r); err != nil {
			return Rule{}, 0, nil, err
		}
	}
	shared, err := s.access(ctx)
	if err != nil {
		return Rule{}, 0, nil, err
	}
	if !ok || !canUse(r, acct, shared) {
		if err := s.authorize(ctx, caller, action, s.arn(acct, "resolver-rule", id), "", nil); err != nil {
			return Rule{}, 0, nil, err
		}
		return Rule{}, 0, nil, notFound(kindRule, "Resolver rule with ID '%s' does not exist.", id)
	}
	if r.Owner == acct {
		return r, rev, shared, s.authorize(ctx, caller, action, r.ARN, "", nil)
	}
	rp, err := rulePolicy(r, shared[r.ARN])
	if err != nil {
		return Rule{}, 0, nil, err
	}
	return r, rev, shared, s.authorize(ctx, caller, action, r.ARN, r.Owner, rp)
}

// GetRule returns a rule the caller owns or that is shared with it.
func (s *Service) GetRule(ctx context.Context, caller iam.Caller, id string) (RuleView, error) {
	r, _, shared, err := s.visibleRule(ctx, caller, id, "GetResolverRule")
	if err != nil {
		return RuleView{}, err
	}
	return RuleView{Rule: r, ShareStatus: shareStatus(r, caller.Principal.Account, shared)}, nil
}

var ruleFilters = map[string]bool{"CREATORREQUESTID": true, "DOMAINNAME": true, "NAME": true, "RESOLVERENDPOINTID": true,
	"STATUS": true, "TYPE": true, "RULETYPE": true}

// ListRules returns the rules the caller owns or that are shared with it
// and that match the filters (CreatorRequestId, DomainName, Name,
// ResolverEndpointId, Status, Type or RuleType), oldest first.
func (s *Service) ListRules(ctx context.Context, caller iam.Caller, filters []Filter) ([]RuleView, error) {
	if err := checkFilters(filters, ruleFilters); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, caller, "ListResolverRules", "*", "", nil); err != nil {
		return nil, err
	}
	all, _, err := listOf[Rule](ctx, s, "rule/")
	if err != nil {
		return nil, err
	}
	shared, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	acct := caller.Principal.Account
	filters = slices.Clone(filters)
	for i, f := range filters { // domain names compare in canonical form
		if filterKey(f.Name) == "DOMAINNAME" {
			vals := make([]string, len(f.Values))
			for j, v := range f.Values {
				vals[j] = v
				if c, ok := CanonicalDomain(v); ok {
					vals[j] = c
				}
			}
			filters[i].Values = vals
		}
	}
	var out []RuleView
	for _, r := range all {
		if !canUse(r, acct, shared) {
			continue
		}
		if matches(filters, func(key string) []string {
			switch key {
			case "CREATORREQUESTID":
				if r.Owner != acct {
					return nil
				}
				return []string{r.CreatorRequestID}
			case "DOMAINNAME":
				return []string{r.DomainName}
			case "NAME":
				return []string{r.Name}
			case "RESOLVERENDPOINTID":
				return []string{r.EndpointID}
			case "STATUS":
				return []string{r.Status}
			case "TYPE", "RULETYPE":
				return []string{r.RuleType}
			}
			return nil
		}) {
			out = append(out, RuleView{Rule: r, ShareStatus: shareStatus(r, acct, shared)})
		}
	}
	sortByCreation(out, func(r RuleView) (time.Time, string) { return r.Created, r.ID })
	return out, nil
}

// UpdateRule changes the name, targets or outbound endpoint of one of the
// caller's rules. An account a rule is shared with may not
// (AccessDeniedException).
func (s *Service) UpdateRule(ctx context.Context, caller iam.Caller, id string, u RuleUpdate) (RuleView, error) {
	if u.Name != nil {
		if err := checkName(*u.Name); err != nil {
			return RuleView{}, err
		}
	}
	var targets []Target
	if u.Targets != nil {
		if len(u.Targets) == 0 {
			return RuleView{}, invalidParam("TargetIps", "TargetIps needs at least one target.")
		}
		var err error
		if targets, err = checkTargets(u.Targets); err != nil {
			return RuleView{}, err
		}
	}
	if u.EndpointID != "" {
		if err := checkID("ResolverEndpointId", u.EndpointID); err != nil {
			return RuleView{}, err
		}
	}
	acct := caller.Principal.Account
	for range maxCASRetries {
		old, rev, shared, err := s.visibleRule(ctx, caller, id, "UpdateResolverRule")
		if err != nil {
			return RuleView{}, err
		}
		if old.RuleType == RuleSystem && (u.Targets != nil || u.EndpointID != "") {
			return RuleView{}, errf(CodeInvalidRequest, "Cannot specify resolver endpoint ID and target IP for SYSTEM type resolver rule.")
		}
		r := old
		if u.Name != nil {
			r.Name = *u.Name
		}
		if u.Targets != nil {
			r.Targets = targets
		}
		if u.EndpointID != "" && u.EndpointID != r.EndpointID {
			if err := s.checkOutbound(ctx, acct, u.EndpointID); err != nil {
				return RuleView{}, err
			}
			r.EndpointID = u.EndpointID
		}
		r.Modified = s.now().UTC()
		ok, err := s.swap(ctx, s.ruleKey(r.ID), r, rev)
		if err != nil {
			return RuleView{}, err
		}
		if !ok {
			continue
		}
		if r.EndpointID != old.EndpointID {
			fenced, err := s.fence(ctx, s.endpointKey(r.EndpointID))
			if err != nil || !fenced {
				s.restore(context.WithoutCancel(ctx), old)
				if err == nil {
					err = notFound(kindEndpoint, "Resolver endpoint with ID '%s' does not exist.", r.EndpointID)
				}
				return RuleView{}, err
			}
		}
		return RuleView{Rule: r, ShareStatus: shareStatus(r, acct, shared)}, nil
	}
	return RuleView{}, fmt.Errorf("r53resolver: rule %s changed %d times under us", id, maxCASRetries)
}

// restore puts a rule's endpoint back after an update whose new endpoint
// went away.
func (s *Service) restore(ctx context.Context, old Rule) {
	for range maxCASRetries {
		var r Rule
		rev, ok, err := s.load(ctx, s.ruleKey(old.ID), &r)
		if err != nil || !ok {
			return
		}
		r.EndpointID = old.EndpointID
		if ok, err := s.swap(ctx, s.ruleKey(old.ID), r, rev); err != nil || ok {
			return
		}
	}
}

// DeleteRule deletes one of the caller's rules. A rule associated with
// VPCs (of any account) is ResourceInUseException; an account a rule is
// shared with may not (AccessDeniedException).
func (s *Service) DeleteRule(ctx context.Context, caller iam.Caller, id string) (RuleView, error) {
	for range maxCASRetries {
		r, rev, shared, err := s.visibleRule(ctx, caller, id, "DeleteResolverRule")
		if err != nil {
			return RuleView{}, err
		}
		assocs, _, err := listOf[Association](ctx, s, "association/")
		if err != nil {
			return RuleView{}, err
		}
		var vpcs []string
		for _, a := range assocs {
			switch {
			case a.RuleID != r.ID:
			case canUse(r, a.Owner, shared):
				vpcs = append(vpcs, a.VPCID)
			default: // left behind by a share that ended: goes with the rule
				s.dropAssociation(ctx, a)
			}
		}
		if len(vpcs) > 0 {
			e := errf(CodeInUse, "Please disassociate this resolver rule from VPC first before deleting: it is associated with %s.", strings.Join(vpcs, ", "))
			e.ResourceType = kindRule
			return RuleView{}, e
		}
		ok, err := s.removeAt(ctx, s.ruleKey(r.ID), rev)
		if err != nil {
			return RuleView{}, err
		}
		if !ok {
			continue // associated meanwhile: look again
		}
		s.releaseClaim(ctx, s.requestKey(r.Owner, "rule", r.CreatorRequestID), r.ID)
		r.Status, r.Modified = StatusDeleting, s.now().UTC()
		return RuleView{Rule: r, ShareStatus: shareStatus(r, caller.Principal.Account, shared)}, nil
	}
	return RuleView{}, fmt.Errorf("r53resolver: rule %s changed %d times under us", id, maxCASRetries)
}

// ResourceOwner returns the account that owns a resolver rule ARN of the
// region; ok false if there is no such rule. Resource shares ask it.
func (s *Service) ResourceOwner(ctx context.Context, arn string) (string, bool, error) {
	id, ok := s.ruleIDOf(arn)
	if !ok {
		return "", false, nil
	}
	var r Rule
	_, found, err := s.load(ctx, s.ruleKey(id), &r)
	if err != nil || !found || r.ARN != arn {
		return "", false, err
	}
	return r.Owner, true, nil
}

// ruleIDOf returns the rule id of a resolver rule ARN of the region.
func (s *Service) ruleIDOf(arn string) (string, bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "route53resolver" || f[3] != s.region {
		return "", false
	}
	id, ok := strings.CutPrefix(f[5], "resolver-rule/")
	if !ok || !ruleIDRe.MatchString(id) {
		return "", false
	}
	return id, true
}
