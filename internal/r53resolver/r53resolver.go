// Package r53resolver is kafkalink's Route 53 Resolver for one region:
// resolver endpoints (inbound and outbound, each with two to six
// addresses in the subnets of one VPC), resolver rules (FORWARD a domain
// to target addresses through an outbound endpoint, or resolve it with
// the VPC's own resolver: SYSTEM), and the rules' associations with VPCs.
// It validates against the ec2 package (VPCs, subnets and security groups
// of the caller's account), authorizes every call as
// route53resolver:<Action> with kafkalink's IAM, and answers with Route 53
// Resolver's error codes, so that the control plane serves it in the JSON
// 1.1 protocol unchanged.
//
// Rules are shared with other accounts through resource shares (package
// ram): a Sharing tells which rules are shared, with whom. A rule shared
// with an account, once the account has accepted the invitation, can be
// read and associated with its VPCs (ShareStatus SHARED_WITH_ME), but not
// changed or deleted; the owner sees SHARED_BY_ME. When an account loses
// access to a rule (the share is deleted, or the rule or the account is
// taken out of it), its associations of the rule are removed
// (AccessChanged, which ram calls; Reconcile repairs what a crash between
// the two left behind), and until then they are left out of every answer.
//
// State lives in the store under route53resolver/<region>/: one record per
// endpoint (endpoint/<id>), rule (rule/<id>) and association
// (association/<vpc-id>/<domain>: one rule per domain per VPC, enforced by
// the key), and claims that make concurrent creations safe: ip/<subnet>/<ip>
// (an endpoint address) and request/<account>/<kind>/<creator request id>.
// The DNS server reads it all with Snapshot and watches Prefix.
package r53resolver

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/policy"
	"github.com/kafkalink/kafkalink/internal/store"
)

// RuleResourceType is what resource shares call resolver rules; they
// share them by their ARNs,
// arn:aws:route53resolver:<region>:<account>:resolver-rule/<id>
// (service "route53resolver", resource prefix "resolver-rule").
const RuleResourceType = "route53resolver:ResolverRule"

// Endpoint directions, rule types, statuses and share statuses, as Route
// 53 Resolver names them.
const (
	DirectionInbound  = "INBOUND"
	DirectionOutbound = "OUTBOUND"

	RuleForward   = "FORWARD"
	RuleSystem    = "SYSTEM"
	RuleRecursive = "RECURSIVE"

	StatusOperational = "OPERATIONAL" // endpoints
	StatusComplete    = "COMPLETE"    // rules and associations
	StatusDeleting    = "DELETING"    // what a delete answers

	ShareNotShared = "NOT_SHARED"
	ShareByMe      = "SHARED_BY_ME"
	ShareWithMe    = "SHARED_WITH_ME"
)

// Error codes this package answers with, as Route 53 Resolver names them.
const (
	CodeInvalidParameter = "InvalidParameterException"
	CodeInvalidRequest   = "InvalidRequestException"
	CodeNotFound         = "ResourceNotFoundException"
	CodeExists           = "ResourceExistsException"
	CodeInUse            = "ResourceInUseException"
	CodeLimitExceeded    = "LimitExceededException"
	CodeAccessDenied     = "AccessDeniedException"
	CodeInvalidNextToken = "InvalidNextTokenException"
)

// Error is a Route 53 Resolver error: its code, message, and the member
// (FieldName) or kind of resource (ResourceType) it concerns.
type Error struct {
	Code         string
	Message      string
	FieldName    string // InvalidParameterException
	ResourceType string // ResourceNotFound/Exists/InUse, LimitExceeded
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Status is the HTTP status the error is answered with.
func (e *Error) Status() int { return http.StatusBadRequest }

// IsCode reports whether err is a Route 53 Resolver error with the code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func errf(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

func invalidParam(field, format string, a ...any) *Error {
	e := errf(CodeInvalidParameter, format, a...)
	e.FieldName = field
	return e
}

func notFound(kind, format string, a ...any) *Error {
	e := errf(CodeNotFound, format, a...)
	e.ResourceType = kind
	return e
}

// Resource types named in errors.
const (
	kindEndpoint    = "ResolverEndpoint"
	kindRule        = "ResolverRule"
	kindAssociation = "ResolverRuleAssociation"
)

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// EndpointIP is one address of a resolver endpoint, in one of the VPC's
// subnets.
type EndpointIP struct {
	ID       string     `json:"id"` // rni-…
	SubnetID string     `json:"subnet"`
	IP       netip.Addr `json:"ip"`
}

// Endpoint is a resolver endpoint: where queries enter a VPC (INBOUND) or
// leave it for a rule's targets (OUTBOUND).
type Endpoint struct {
	ID               string       `json:"id"`
	ARN              string       `json:"arn"`
	Name             string       `json:"name,omitempty"`
	Owner            string       `json:"owner"`
	Direction        string       `json:"direction"`
	VPCID            string       `json:"vpc"` // HostVPCId
	Status           string       `json:"status"`
	SecurityGroupIDs []string     `json:"groups"`
	IPs              []EndpointIP `json:"ips"`
	Created          time.Time    `json:"created"`
	Modified         time.Time    `json:"modified"`
	CreatorRequestID string       `json:"creator"`
	Tags             []Tag        `json:"tags,omitempty"`
}

// Target is where a FORWARD rule sends queries.
type Target struct {
	IP   netip.Addr `json:"ip"`
	Port int        `json:"port"`
}

// Rule is a resolver rule: queries for DomainName (a lowercase FQDN with
// its trailing dot) and its subdomains are forwarded to Targets through
// the outbound endpoint EndpointID (FORWARD), or resolved by the VPC's
// resolver (SYSTEM).
type Rule struct {
	ID               string    `json:"id"`
	ARN              string    `json:"arn"`
	Name             string    `json:"name,omitempty"`
	Owner            string    `json:"owner"`
	DomainName       string    `json:"domain"`
	RuleType         string    `json:"type"`
	EndpointID       string    `json:"endpoint,omitempty"`
	Status           string    `json:"status"`
	Targets          []Target  `json:"targets,omitempty"`
	Created          time.Time `json:"created"`
	Modified         time.Time `json:"modified"`
	CreatorRequestID string    `json:"creator"`
	Tags             []Tag     `json:"tags,omitempty"`
}

// Association applies a rule to a VPC. Owner is the VPC's account, which
// may differ from the rule's when the rule is shared.
type Association struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	RuleID     string `json:"rule"`
	VPCID      string `json:"vpc"`
	Owner      string `json:"owner"`
	Status     string `json:"status"`
	DomainName string `json:"domain"` // the rule's
}

// RuleView is a rule as one caller sees it: with its share status.
type RuleView struct {
	Rule
	ShareStatus string
}

// Snapshot is the whole resolver state of the region.
type Snapshot struct {
	Endpoints    []Endpoint
	Rules        []Rule
	Associations []Association
}

// Sharing tells which rules are shared, and with whom. ram.Service
// implements it.
type Sharing interface {
	// Shared returns every resource ARN that is in an active resource
	// share, each with the accounts that may use it (those that accepted
	// an invitation; none yet is an empty list).
	Shared(ctx context.Context) (map[string][]string, error)
}

// Limits are the quotas of one account in the region.
type Limits struct {
	EndpointsPerAccount    int
	IPsPerEndpoint         int
	RulesPerAccount        int
	AssociationsPerAccount int
}

// DefaultLimits returns Route 53 Resolver's default quotas: 4 endpoints
// of 6 addresses at most, 1000 rules and 2000 associations per account in
// a region.
func DefaultLimits() Limits {
	return Limits{EndpointsPerAccount: 4, IPsPerEndpoint: 6, RulesPerAccount: 1000, AssociationsPerAccount: 2000}
}

// Service is the Route 53 Resolver of one region, for every account.
type Service struct {
	st      store.Store
	iam     *iam.Service
	ec2     *ec2.Service
	region  string
	now     func() time.Time
	sharing atomic.Pointer[sharingBox]
	limits  atomic.Pointer[Limits]
}

type sharingBox struct{ Sharing }

// New returns the Route 53 Resolver of ec2Svc's region over a store. now
// nil means time.Now.
func New(st store.Store, iamSvc *iam.Service, ec2Svc *ec2.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{st: st, iam: iamSvc, ec2: ec2Svc, region: ec2Svc.Region(), now: now}
	l := DefaultLimits()
	s.limits.Store(&l)
	return s
}

// SetSharing tells the service which rules are shared (nil: none are).
// Call it when wiring, before serving.
func (s *Service) SetSharing(sh Sharing) {
	if sh == nil {
		s.sharing.Store(nil)
		return
	}
	s.sharing.Store(&sharingBox{sh})
}

// SetLimits replaces the quotas (DefaultLimits unless set).
func (s *Service) SetLimits(l Limits) { s.limits.Store(&l) }

// Region is the region the service serves.
func (s *Service) Region() string { return s.region }

// Prefix is the store prefix under which everything the service keeps
// lives: watch it to see every change.
func (s *Service) Prefix() string { return "route53resolver/" + s.region + "/" }

func (s *Service) endpointKey(id string) string { return s.Prefix() + "endpoint/" + id }
func (s *Service) ruleKey(id string) string     { return s.Prefix() + "rule/" + id }
func (s *Service) associationKey(vpc, domain string) string {
	return s.Prefix() + "association/" + vpc + "/" + domain
}
func (s *Service) ipKey(subnet string, ip netip.Addr) string {
	return s.Prefix() + "ip/" + subnet + "/" + ip.String()
}
func (s *Service) requestKey(account, kind, id string) string {
	return s.Prefix() + "request/" + account + "/" + kind + "/" + id
}

// ARN of a resource of an account: kind resolver-endpoint or resolver-rule.
func (s *Service) arn(account, kind, id string) string {
	return fmt.Sprintf("arn:aws:route53resolver:%s:%s:%s/%s", s.region, account, kind, id)
}

var (
	endpointIDRe    = regexp.MustCompile(`^rslvr-(in|out)-[0-9a-f]{17}$`)
	ruleIDRe        = regexp.MustCompile(`^rslvr-rr-[0-9a-f]{17}$`)
	associationIDRe = regexp.MustCompile(`^rslvr-rrassoc-[0-9a-f]{17}$`)
)

// newID returns prefix and 17 random hex digits.
func newID(prefix string) string {
	b := make([]byte, 9)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)[:17]
}

// maxResourceID is the model's bound on ids in requests.
const maxResourceID = 64

// checkID answers InvalidParameterException for an id the model refuses
// (missing or too long); an id of the wrong form is simply not found.
func checkID(field, id string) error {
	if id == "" {
		return invalidParam(field, "%s is required.", field)
	}
	if len(id) > maxResourceID {
		return invalidParam(field, "%s must be at most %d characters long.", field, maxResourceID)
	}
	return nil
}

// Store helpers.

// maxCASRetries bounds read-modify-write loops.
const maxCASRetries = 64

func (s *Service) load(ctx context.Context, key string, v any) (int64, bool, error) {
	kv, ok, err := s.st.Get(ctx, key)
	if err != nil {
		return 0, false, fmt.Errorf("r53resolver: read %s: %w", key, err)
	}
	if !ok {
		return 0, false, nil
	}
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return 0, false, fmt.Errorf("r53resolver: decode %s: %w", key, err)
	}
	return kv.ModRevision, true, nil
}

// create writes v at key only if the key does not exist.
func (s *Service) create(ctx context.Context, key string, v any) (bool, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("r53resolver: encode %s: %w", key, err)
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, key, b, 0)
	if err != nil {
		return false, fmt.Errorf("r53resolver: write %s: %w", key, err)
	}
	return ok, nil
}

// swap writes v at key only if the key is still at revision rev.
func (s *Service) swap(ctx context.Context, key string, v any, rev int64) (bool, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("r53resolver: encode %s: %w", key, err)
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, key, b, rev)
	if err != nil {
		return false, fmt.Errorf("r53resolver: write %s: %w", key, err)
	}
	return ok, nil
}

func (s *Service) remove(ctx context.Context, key string) error {
	if _, _, err := s.st.Delete(ctx, key); err != nil {
		return fmt.Errorf("r53resolver: delete %s: %w", key, err)
	}
	return nil
}

// removeAt deletes key only if it is still at revision rev.
func (s *Service) removeAt(ctx context.Context, key string, rev int64) (bool, error) {
	_, ok, err := s.st.CompareAndDelete(ctx, key, rev)
	if err != nil {
		return false, fmt.Errorf("r53resolver: delete %s: %w", key, err)
	}
	return ok, nil
}

// fence rewrites a record unchanged, so that a concurrent
// compare-and-delete of it (a delete that checked for dependents first)
// fails and looks again. ok false when the record is gone.
func (s *Service) fence(ctx context.Context, key string) (bool, error) {
	for range maxCASRetries {
		kv, ok, err := s.st.Get(ctx, key)
		if err != nil {
			return false, fmt.Errorf("r53resolver: read %s: %w", key, err)
		}
		if !ok {
			return false, nil
		}
		_, swapped, _, err := s.st.CompareAndSwap(ctx, key, kv.Value, kv.ModRevision)
		if err != nil {
			return false, fmt.Errorf("r53resolver: write %s: %w", key, err)
		}
		if swapped {
			return true, nil
		}
	}
	return false, fmt.Errorf("r53resolver: %s changed %d times under us", key, maxCASRetries)
}

// listOf decodes every record under a prefix of the service's keyspace.
func listOf[T any](ctx context.Context, s *Service, sub string) ([]T, []int64, error) {
	kvs, _, err := s.st.List(ctx, s.Prefix()+sub)
	if err != nil {
		return nil, nil, fmt.Errorf("r53resolver: list %s: %w", sub, err)
	}
	out := make([]T, 0, len(kvs))
	revs := make([]int64, 0, len(kvs))
	for _, kv := range kvs {
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return nil, nil, fmt.Errorf("r53resolver: decode %s: %w", kv.Key, err)
		}
		out = append(out, v)
		revs = append(revs, kv.ModRevision)
	}
	return out, revs, nil
}

// claim is the value of a claim key: which resource holds it, since when.
type claim struct {
	Holder  string    `json:"holder"`
	Claimed time.Time `json:"claimed"`
}

// Sharing and authorization.

// access returns the shared rules and the accounts that may use each.
func (s *Service) access(ctx context.Context) (map[string][]string, error) {
	b := s.sharing.Load()
	if b == nil {
		return map[string][]string{}, nil
	}
	m, err := b.Shared(ctx)
	if err != nil {
		return nil, fmt.Errorf("r53resolver: resource shares: %w", err)
	}
	if m == nil {
		m = map[string][]string{}
	}
	return m, nil
}

// canUse reports whether account may use rule r: it owns it, or the rule
// is shared with it.
func canUse(r Rule, account string, shared map[string][]string) bool {
	return r.Owner == account || slices.Contains(shared[r.ARN], account)
}

func shareStatus(r Rule, account string, shared map[string][]string) string {
	switch {
	case r.Owner != account:
		return ShareWithMe
	}
	if _, ok := shared[r.ARN]; ok {
		return ShareByMe
	}
	return ShareNotShared
}

// sharedRuleActions are what an account a rule is shared with may do
// with it: Route 53 Resolver's default resource share permission.
var sharedRuleActions = []string{
	"route53resolver:GetResolverRule", "route53resolver:AssociateResolverRule", "route53resolver:DisassociateResolverRule",
	"route53resolver:ListResolverRules", "route53resolver:ListResolverRuleAssociations",
}

// rulePolicy is the resource policy a shared rule has: the accounts it is
// shared with may use it; nil when it is shared with no one.
func rulePolicy(r Rule, accounts []string) (*policy.Named, error) {
	if len(accounts) == 0 {
		return nil, nil
	}
	doc, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid": "ResourceShare", "Effect": "Allow", "Principal": map[string]any{"AWS": accounts},
			"Action": sharedRuleActions, "Resource": r.ARN,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("r53resolver: policy of %s: %w", r.ID, err)
	}
	p, err := policy.Parse(string(doc), policy.Resource)
	if err != nil {
		return nil, fmt.Errorf("r53resolver: policy of %s: %w", r.ID, err)
	}
	return &policy.Named{Name: "the resource share policy of " + r.ARN, Policy: p}, nil
}

// authorize decides route53resolver:<action> on resource (owned by owner,
// "" meaning the caller's account), answering AccessDeniedException.
func (s *Service) authorize(ctx context.Context, caller iam.Caller, action, resource, owner string, rp *policy.Named) error {
	full := "route53resolver:" + action
	d, err := s.iam.Authorize(ctx, caller, full, resource, owner, rp, nil)
	if err != nil {
		return fmt.Errorf("r53resolver: authorize %s: %w", full, err)
	}
	if !d.Allowed {
		return errf(CodeAccessDenied, "%s", iam.AccessDenied(caller, full, resource, d).Message)
	}
	return nil
}

// Snapshot returns every endpoint, rule and association of the region,
// and the store revision it reflects (watch Prefix from the revision + 1
// to miss nothing). Associations whose account may no longer use their
// rule are left out.
func (s *Service) Snapshot(ctx context.Context) (Snapshot, int64, error) {
	kvs, rev, err := s.st.List(ctx, s.Prefix())
	if err != nil {
		return Snapshot{}, 0, fmt.Errorf("r53resolver: list: %w", err)
	}
	var snap Snapshot
	rules := map[string]Rule{}
	for _, kv := range kvs {
		sub := strings.TrimPrefix(kv.Key, s.Prefix())
		var err error
		switch {
		case strings.HasPrefix(sub, "endpoint/"):
			var e Endpoint
			if err = json.Unmarshal(kv.Value, &e); err == nil {
				snap.Endpoints = append(snap.Endpoints, e)
			}
		case strings.HasPrefix(sub, "rule/"):
			var r Rule
			if err = json.Unmarshal(kv.Value, &r); err == nil {
				snap.Rules = append(snap.Rules, r)
				rules[r.ID] = r
			}
		case strings.HasPrefix(sub, "association/"):
			var a Association
			if err = json.Unmarshal(kv.Value, &a); err == nil {
				snap.Associations = append(snap.Associations, a)
			}
		}
		if err != nil {
			return Snapshot{}, 0, fmt.Errorf("r53resolver: decode %s: %w", kv.Key, err)
		}
	}
	shared, err := s.access(ctx)
	if err != nil {
		return Snapshot{}, 0, err
	}
	snap.Associations = slices.DeleteFunc(snap.Associations, func(a Association) bool {
		r, ok := rules[a.RuleID]
		return !ok || !canUse(r, a.Owner, shared)
	})
	sortByCreation(snap.Endpoints, func(e Endpoint) (time.Time, string) { return e.Created, e.ID })
	sortByCreation(snap.Rules, func(r Rule) (time.Time, string) { return r.Created, r.ID })
	slices.SortFunc(snap.Associations, func(a, b Association) int { return cmp.Compare(a.ID, b.ID) })
	return snap, rev, nil
}

// sortByCreation sorts by creation time, then id.
func sortByCreation[T any](items []T, key func(T) (time.Time, string)) {
	slices.SortFunc(items, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return cmp.Compare(ia, ib)
	})
}

// Tags.

const maxTags = 200

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return invalidParam("Tags", "A resource can have at most %d tags.", maxTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return invalidParam("Tags", "A tag key must be 1 to 128 characters long.")
		}
		if len(t.Value) > 256 {
			return invalidParam("Tags", "A tag value must be at most 256 characters long.")
		}
		if seen[t.Key] {
			return invalidParam("Tags", "The tag key %q is given twice.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// Names and creator request ids.

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9\-_ ]*$`)
var digitsRe = regexp.MustCompile(`^[0-9]+$`)

func checkName(name string) error {
	if len(name) > 64 || !nameRe.MatchString(name) || digitsRe.MatchString(name) {
		return invalidParam("Name", "The name %q is not valid: up to 64 letters, digits, spaces, hyphens and underscores, not only digits.", name)
	}
	return nil
}

func checkCreatorRequestID(id string) error {
	if id == "" || len(id) > 255 {
		return invalidParam("CreatorRequestId", "CreatorRequestId must be 1 to 255 characters long.")
	}
	return nil
}

// claimRequest claims a creator request id of an account for a new
// resource: ResourceExistsException if it was used before.
func (s *Service) claimRequest(ctx context.Context, account, kind, id, holder, noun string) error {
	ok, err := s.create(ctx, s.requestKey(account, kind, id), claim{Holder: holder, Claimed: s.now().UTC()})
	if err != nil {
		return err
	}
	if !ok {
		e := errf(CodeExists, "%s with creator request ID '%s' already exists.", noun, id)
		e.ResourceType = kind
		return e
	}
	return nil
}

// Filters.

// Filter selects the items of a list: one of Values must match the
// named field.
type Filter struct {
	Name   string
	Values []string
}

// filterKey is a filter name in a form that both spellings Route 53
// Resolver accepts (HostVPCId, HOST_VPC_ID) share.
func filterKey(name string) string { return strings.ToUpper(strings.ReplaceAll(name, "_", "")) }

// checkFilters answers InvalidParameterException for a filter the list
// does not know, or one without values.
func checkFilters(filters []Filter, known map[string]bool) error {
	for _, f := range filters {
		if !known[filterKey(f.Name)] {
			return invalidParam("Filters", "The filter '%s' is invalid.", f.Name)
		}
		if len(f.Values) == 0 {
			return invalidParam("Filters", "No values specified for filter %s.", f.Name)
		}
	}
	return nil
}

// matches reports whether every filter has a value in what values gives
// for its name.
func matches(filters []Filter, values func(key string) []string) bool {
	for _, f := range filters {
		have := values(filterKey(f.Name))
		if !slices.ContainsFunc(f.Values, func(v string) bool { return slices.Contains(have, v) }) {
			return false
		}
	}
	return true
}
