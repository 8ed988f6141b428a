// Package ram is kafkalink's AWS Resource Access Manager for one region:
// resource shares that make an account's resources (here, Route 53
// Resolver rules) usable by other accounts. The owner creates a share
// with resources and principals (12-digit account ids); every principal
// gets an invitation (PENDING), and once it accepts (ACCEPTED) the share's
// resources are shared with it; rejecting it (REJECTED) or letting it
// expire (after 7 days, EXPIRED) shares nothing. Deleting the share, or
// taking a resource or an account out of it, ends the sharing, and the
// service that owns the resource is told (Resources.AccessChanged) so
// that it removes what the account had built on it.
//
// kafkalink has no organizations: every account is external to every
// other, so a share must allow external principals to have any, and
// every principal is invited.
//
// The services whose resources can be shared register with Register and
// answer who owns a resource; other services read who may use what with
// Shared. Every call is authorized as ram:<Action> with kafkalink's IAM.
// Each share is one store record, ram/<region>/share/<owner>/<id>, that
// holds its resources, principals and invitations, so that every change
// is one compare-and-swap.
//
// Wiring it to Route 53 Resolver (neither package imports the other):
//
//	resolver := r53resolver.New(st, iamSvc, ec2Svc, now)
//	shares := ram.New(st, iamSvc, ec2Svc.Region(), now)
//	shares.Register("route53resolver", "resolver-rule", r53resolver.RuleResourceType, resolver)
//	resolver.SetSharing(shares)
package ram

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/store"
)

// Share, association and invitation statuses, as RAM names them.
const (
	StatusActive  = "ACTIVE"
	StatusDeleted = "DELETED"

	AssociationAssociating   = "ASSOCIATING"
	AssociationAssociated    = "ASSOCIATED"
	AssociationFailed        = "FAILED"
	AssociationDisassociated = "DISASSOCIATED"

	InvitationPending  = "PENDING"
	InvitationAccepted = "ACCEPTED"
	InvitationRejected = "REJECTED"
	InvitationExpired  = "EXPIRED"

	OwnerSelf          = "SELF"
	OwnerOtherAccounts = "OTHER-ACCOUNTS"

	TypePrincipal = "PRINCIPAL"
	TypeResource  = "RESOURCE"
	TypeSource    = "SOURCE"
)

// InvitationLifetime is how long an invitation may be accepted.
const InvitationLifetime = 7 * 24 * time.Hour

// Error codes this package answers with, as RAM names them.
const (
	CodeInvalidParameter    = "InvalidParameterException"
	CodeMalformedArn        = "MalformedArnException"
	CodeUnknownResource     = "UnknownResourceException"
	CodeNotPermitted        = "OperationNotPermittedException"
	CodeAlreadyAccepted     = "ResourceShareInvitationAlreadyAcceptedException"
	CodeAlreadyRejected     = "ResourceShareInvitationAlreadyRejectedException"
	CodeInvitationNotFound  = "ResourceShareInvitationArnNotFoundException"
	CodeInvitationExpired   = "ResourceShareInvitationExpiredException"
	CodeShareLimitExceeded  = "ResourceShareLimitExceededException"
	CodeTagLimitExceeded    = "TagLimitExceededException"
	CodeIdempotencyMismatch = "IdempotentParameterMismatchException"
	CodeInvalidResourceType = "InvalidResourceTypeException"
	CodeInvalidNextToken    = "InvalidNextTokenException"
	CodeInvalidMaxResults   = "InvalidMaxResultsException"
	CodeAccessDenied        = "AccessDeniedException"
)

// Error is a RAM error: its code, message and HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// IsCode reports whether err is a RAM error with the code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func errf(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...), Status: http.StatusBadRequest}
}

// Tag is a resource share's tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Share is a resource share with its resources, principals and
// invitations.
type Share struct {
	ARN                     string                 `json:"arn"`
	Name                    string                 `json:"name"`
	Owner                   string                 `json:"owner"`
	AllowExternalPrincipals bool                   `json:"external"`
	Status                  string                 `json:"status"`
	Tags                    []Tag                  `json:"tags,omitempty"`
	Created                 time.Time              `json:"created"`
	Updated                 time.Time              `json:"updated"`
	ClientToken             string                 `json:"token,omitempty"`
	Resources               []ResourceAssociation  `json:"resources,omitempty"`
	Principals              []PrincipalAssociation `json:"principals,omitempty"`
	Invitations             []Invitation           `json:"invitations,omitempty"`
}

// ResourceAssociation is a resource in a share.
type ResourceAssociation struct {
	ARN     string    `json:"arn"`
	Type    string    `json:"type"` // route53resolver:ResolverRule
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// PrincipalAssociation is an account a share is for: ASSOCIATING until it
// accepts its invitation, then ASSOCIATED.
type PrincipalAssociation struct {
	Account    string    `json:"account"`
	Status     string    `json:"status"`
	Message    string    `json:"message,omitempty"`
	Invitation string    `json:"invitation,omitempty"` // the current invitation's ARN
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// Invitation is an invitation of one account to a share.
type Invitation struct {
	ARN      string    `json:"arn"`
	Receiver string    `json:"receiver"`
	Status   string    `json:"status"`
	Sent     time.Time `json:"sent"`
}

// InvitationView is an invitation with its share.
type InvitationView struct {
	Invitation
	ShareARN  string
	ShareName string
	Sender    string
}

// AssociationView is a resource or principal of a share, as
// GetResourceShareAssociations lists it.
type AssociationView struct {
	ShareARN  string
	ShareName string
	Entity    string // a resource ARN or an account id
	Type      string // RESOURCE or PRINCIPAL
	Status    string
	Message   string
	Created   time.Time
	Updated   time.Time
	External  bool
}

// ResourceView is a shared resource, as ListResources lists it.
type ResourceView struct {
	ARN      string
	Type     string
	ShareARN string
	Status   string // AVAILABLE, or UNAVAILABLE once the resource is gone
	Created  time.Time
	Updated  time.Time
}

// Resources is what resource shares need of a service whose resources
// they share.
type Resources interface {
	// ResourceOwner returns the account that owns a resource; ok false if
	// there is no such resource.
	ResourceOwner(ctx context.Context, arn string) (account string, ok bool, err error)
	// AccessChanged is told, after the change, that the accounts a
	// resource is shared with have changed (some may have lost it).
	AccessChanged(ctx context.Context, arn string) error
}

// kind is a type of resource that can be shared.
type kind struct {
	service, prefix, typ string
	res                  Resources
}

// Service is the RAM of one region, for every account.
type Service struct {
	st     store.Store
	iam    *iam.Service
	region string
	now    func() time.Time
	log    *slog.Logger

	mu    sync.RWMutex
	kinds []kind
}

// New returns the RAM of region over a store. now nil means time.Now.
func New(st store.Store, iamSvc *iam.Service, region string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, iam: iamSvc, region: region, now: now, log: slog.Default()}
}

// SetLogger sets where failures to tell a resource's service about a
// change go (slog.Default unless set).
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// Register makes a type of resource shareable: the ARNs
// arn:aws:<service>:<region>:<account>:<prefix>/… are of RAM's type typ
// (route53resolver:ResolverRule), and r answers who owns them. Call it
// when wiring, before serving.
func (s *Service) Register(service, prefix, typ string, r Resources) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds = append(s.kinds, kind{service: service, prefix: strings.TrimSuffix(prefix, "/") + "/", typ: typ, res: r})
}

// Region is the region the service serves.
func (s *Service) Region() string { return s.region }

// Prefix is the store prefix under which everything the service keeps
// lives.
func (s *Service) Prefix() string { return "ram/" + s.region + "/" }

func (s *Service) sharePrefix() string { return s.Prefix() + "share/" }

func (s *Service) shareKey(owner, id string) string { return s.sharePrefix() + owner + "/" + id }

// ARNs.

// arn is an ARN's parts.
type arn struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arn, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[2] == "" || f[5] == "" {
		return arn{}, false
	}
	return arn{f[1], f[2], f[3], f[4], f[5]}, true
}

var (
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	uuidRe    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// ramARN checks an ARN of a RAM resource of kind (resource-share or
// resource-share-invitation): MalformedArnException if it is not one;
// ok false if it is one that cannot exist here (another region).
func (s *Service) ramARN(param, value, kind string) (account, id string, ok bool, err error) {
	a, valid := parseARN(value)
	id, isKind := strings.CutPrefix(a.resource, kind+"/")
	if !valid || a.service != "ram" || !isKind || !accountRe.MatchString(a.account) || a.region == "" {
		return "", "", false, errf(CodeMalformedArn, "The %s %s is not valid. Verify the ARN and try again.", param, value)
	}
	return a.account, id, a.region == s.region && a.partition == "aws" && uuidRe.MatchString(id), nil
}

func (s *Service) newARN(account, kind string) (string, string) {
	id := uuid.NewString()
	return fmt.Sprintf("arn:aws:ram:%s:%s:%s/%s", s.region, account, kind, id), id
}

// Store helpers.

const maxCASRetries = 64

// shares lists every share of the region (owner "" ) or of one owner.
func (s *Service) shares(ctx context.Context, owner string) ([]Share, []int64, error) {
	prefix := s.sharePrefix()
	if owner != "" {
		prefix += owner + "/"
	}
	kvs, _, err := s.st.List(ctx, prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("ram: list shares: %w", err)
	}
	out := make([]Share, 0, len(kvs))
	revs := make([]int64, 0, len(kvs))
	for _, kv := range kvs {
		var sh Share
		if err := json.Unmarshal(kv.Value, &sh); err != nil {
			return nil, nil, fmt.Errorf("ram: decode %s: %w", kv.Key, err)
		}
		s.settle(&sh)
		out = append(out, sh)
		revs = append(revs, kv.ModRevision)
	}
	return out, revs, nil
}

// share loads one share by ARN; ok false if there is none.
func (s *Service) share(ctx context.Context, shareARN string) (Share, int64, bool, error) {
	owner, id, ok, err := s.ramARN("resource share ARN", shareARN, "resource-share")
	if err != nil || !ok {
		return Share{}, 0, false, err
	}
	kv, found, err := s.st.Get(ctx, s.shareKey(owner, id))
	if err != nil {
		return Share{}, 0, false, fmt.Errorf("ram: read share %s: %w", shareARN, err)
	}
	if !found {
		return Share{}, 0, false, nil
	}
	var sh Share
	if err := json.Unmarshal(kv.Value, &sh); err != nil {
		return Share{}, 0, false, fmt.Errorf("ram: decode share %s: %w", shareARN, err)
	}
	s.settle(&sh)
	return sh, kv.ModRevision, true, nil
}

// settle applies what time did: pending invitations older than
// InvitationLifetime have expired, and their principals failed.
func (s *Service) settle(sh *Share) {
	now := s.now()
	for i := range sh.Invitations {
		inv := &sh.Invitations[i]
		if inv.Status == InvitationPending && now.Sub(inv.Sent) > InvitationLifetime {
			inv.Status = InvitationExpired
			for j := range sh.Principals {
				p := &sh.Principals[j]
				if p.Invitation == inv.ARN && p.Status == AssociationAssociating {
					p.Status, p.Message, p.Updated = AssociationFailed, "The invitation expired.", inv.Sent.Add(InvitationLifetime)
				}
			}
		}
	}
}

// put writes a share at revision rev (0: a new one).
func (s *Service) put(ctx context.Context, sh Share, rev int64) (bool, error) {
	owner, id, _, err := s.ramARN("resource share ARN", sh.ARN, "resource-share")
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(sh)
	if err != nil {
		return false, fmt.Errorf("ram: encode share %s: %w", sh.ARN, err)
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, s.shareKey(owner, id), b, rev)
	if err != nil {
		return false, fmt.Errorf("ram: write share %s: %w", sh.ARN, err)
	}
	return ok, nil
}

// update applies change to a share of the caller's with
// compare-and-swap, retrying on concurrent changes. A share the caller
// does not own is UnknownResourceException.
func (s *Service) update(ctx context.Context, caller iam.Caller, shareARN string, change func(*Share) error) (Share, Share, error) {
	for range maxCASRetries {
		sh, rev, ok, err := s.share(ctx, shareARN)
		if err != nil {
			return Share{}, Share{}, err
		}
		if !ok || sh.Owner != caller.Principal.Account {
			return Share{}, Share{}, unknownShare(shareARN)
		}
		before := cloneShare(sh)
		if err := change(&sh); err != nil {
			return Share{}, Share{}, err
		}
		sh.Updated = s.now().UTC()
		ok, err = s.put(ctx, sh, rev)
		if err != nil {
			return Share{}, Share{}, err
		}
		if ok {
			return before, sh, nil
		}
		if err := ctx.Err(); err != nil {
			return Share{}, Share{}, err
		}
	}
	return Share{}, Share{}, fmt.Errorf("ram: share %s changed %d times under us", shareARN, maxCASRetries)
}

func cloneShare(sh Share) Share {
	sh.Tags = slices.Clone(sh.Tags)
	sh.Resources = slices.Clone(sh.Resources)
	sh.Principals = slices.Clone(sh.Principals)
	sh.Invitations = slices.Clone(sh.Invitations)
	return sh
}

func unknownShare(shareARN string) *Error {
	return errf(CodeUnknownResource, "ResourceShare %s could not be found.", shareARN)
}

// Authorization.

// authorize decides ram:<action> on resource in the caller's account,
// answering AccessDeniedException.
func (s *Service) authorize(ctx context.Context, caller iam.Caller, action, resource string) error {
	full := "ram:" + action
	d, err := s.iam.Authorize(ctx, caller, full, resource, "", nil, nil)
	if err != nil {
		return fmt.Errorf("ram: authorize %s: %w", full, err)
	}
	if !d.Allowed {
		e := errf(CodeAccessDenied, "%s", iam.AccessDenied(caller, full, resource, d).Message)
		e.Status = http.StatusForbidden
		return e
	}
	return nil
}

// Resources and principals.

// kindOf returns the registered type of a resource ARN; ok false if it
// cannot be shared.
func (s *Service) kindOf(a arn) (kind, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range s.kinds {
		if a.service == k.service && strings.HasPrefix(a.resource, k.prefix) {
			return k, true
		}
	}
	return kind{}, false
}

// kindNamed returns the registered kind with a RAM type name.
func (s *Service) kindNamed(typ string) (kind, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range s.kinds {
		if strings.EqualFold(k.typ, typ) {
			return k, true
		}
	}
	return kind{}, false
}

// checkResourceARNs checks the form of resource ARNs and that their type
// can be shared.
func (s *Service) checkResourceARNs(arns []string) error {
	for _, r := range arns {
		a, ok := parseARN(r)
		if !ok || (a.account != "" && !accountRe.MatchString(a.account)) {
			return errf(CodeMalformedArn, "The specified resource ARN %s is not valid. Verify the ARN and try again.", r)
		}
		if _, ok := s.kindOf(a); !ok {
			return errf(CodeMalformedArn, "You cannot share the selected resource type: %s.", r)
		}
	}
	return nil
}

// ownedResources checks that the resources exist and are the account's,
// and returns their types.
func (s *Service) ownedResources(ctx context.Context, account string, arns []string) (map[string]string, error) {
	types := map[string]string{}
	for _, r := range arns {
		a, _ := parseARN(r)
		k, _ := s.kindOf(a)
		owner, ok, err := k.res.ResourceOwner(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("ram: owner of %s: %w", r, err)
		}
		if !ok || owner != account {
			return nil, errf(CodeUnknownResource, "The resource %s could not be found.", r)
		}
		types[r] = k.typ
	}
	return types, nil
}

// checkPrincipals checks principals: account ids other than the owner's.
func checkPrincipals(owner string, principals []string) error {
	for _, p := range principals {
		switch {
		case accountRe.MatchString(p) && p == owner:
			return errf(CodeInvalidParameter, "The principal %s is the resource share's owner: share with other accounts.", p)
		case accountRe.MatchString(p):
		case strings.HasPrefix(p, "arn:"):
			if _, ok := parseARN(p); !ok {
				return errf(CodeMalformedArn, "The principal %s is not a valid ARN. Verify the ARN and try again.", p)
			}
			return errf(CodeInvalidParameter, "The principal %s is not supported: kafkalink shares with AWS account IDs.", p)
		default:
			return errf(CodeInvalidParameter, "Principal ID %s is malformed. Verify the ID and try again.", p)
		}
	}
	return nil
}

// Limits.
const (
	maxSharesPerAccount   = 5000
	maxResourcesPerShare  = 100
	maxPrincipalsPerShare = 100
	maxTags               = 50
	maxName               = 255
)

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return errf(CodeTagLimitExceeded, "A resource share can have at most %d tags.", maxTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t.Key == "" || len(t.Key) > 128:
			return errf(CodeInvalidParameter, "A tag key must be 1 to 128 characters long.")
		case len(t.Value) > 256:
			return errf(CodeInvalidParameter, "A tag value must be at most 256 characters long.")
		case seen[t.Key]:
			return errf(CodeInvalidParameter, "The tag key %q is given twice.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// Shared returns every resource in an active share of the region, each
// with the accounts that accepted an invitation to one (an empty list if
// none has yet). Route 53 Resolver reads it to know who may use a rule.
func (s *Service) Shared(ctx context.Context) (map[string][]string, error) {
	all, _, err := s.shares(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, sh := range all {
		if sh.Status != StatusActive {
			continue
		}
		for _, r := range sh.Resources {
			if r.Status != AssociationAssociated {
				continue
			}
			accts := out[r.ARN]
			if accts == nil {
				accts = []string{}
			}
			for _, p := range sh.Principals {
				if p.Status == AssociationAssociated && !slices.Contains(accts, p.Account) {
					accts = append(accts, p.Account)
				}
			}
			slices.Sort(accts)
			out[r.ARN] = accts
		}
	}
	return out, nil
}

// notify tells the resources' services that who may use them changed.
func (s *Service) notify(ctx context.Context, arns []string) {
	ctx = context.WithoutCancel(ctx)
	for _, r := range arns {
		a, _ := parseARN(r)
		k, ok := s.kindOf(a)
		if !ok {
			continue
		}
		if err := k.res.AccessChanged(ctx, r); err != nil {
			s.log.Error("ram: a resource's service could not apply the end of its sharing", "resource", r, "err", err)
		}
	}
}

func sortShares(shares []Share) {
	slices.SortFunc(shares, func(a, b Share) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ARN, b.ARN)
	})
}
