// Package route53 is kafkalink's Route 53: private hosted zones, their
// resource record sets (A, AAAA, CNAME, TXT, SRV, alias A/AAAA, and the
// apex SOA and NS every zone is created with), the VPCs each zone is
// associated with, and the authorizations a zone's owner gives other
// accounts to associate their VPCs. It enforces Route 53's rules (atomic
// change batches, CNAME exclusivity, one zone of a name per VPC, the last
// VPC stays, cross-account association needs an authorization) and
// answers with Route 53's error codes and wording, so that the control
// plane serves it in the rest-xml protocol unchanged. Every call is
// authorized by kafkalink's IAM as route53:<Action> on the zone's ARN.
//
// Route 53 is global: every zone is one store record,
// route53/zones/<zone-id>, that holds its records, VPC associations and
// authorizations, so that a change batch is one compare-and-swap. The DNS
// server lists Zones and watches Prefix; VPCs are those of the local ec2
// service's region.
package route53

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/store"
)

// VPC is a VPC a zone is associated with, or that a zone's owner has
// authorized to be associated.
type VPC struct {
	Region string `json:"region"`
	ID     string `json:"id"`
}

// AliasTarget is where an alias record points: a record set of the same
// type in the same zone.
type AliasTarget struct {
	HostedZoneID         string `json:"zone"`
	DNSName              string `json:"name"` // lowercase FQDN, trailing dot
	EvaluateTargetHealth bool   `json:"evaluate,omitempty"`
}

// RecordSet is one resource record set of a zone.
type RecordSet struct {
	Name   string       `json:"name"` // lowercase FQDN with trailing dot; a wildcard is a literal leading "*." label
	Type   string       `json:"type"` // A, AAAA, CNAME, TXT, SRV, SOA, NS
	TTL    int64        `json:"ttl,omitempty"`
	Values []string     `json:"values,omitempty"` // RDATA in presentation format, as Route 53 takes them (TXT quoted)
	Alias  *AliasTarget `json:"alias,omitempty"`  // set for alias records (then Values is empty)
}

// HostedZone is a private hosted zone.
type HostedZone struct {
	ID              string      `json:"id"`
	Name            string      `json:"name"` // lowercase FQDN, trailing dot
	Owner           string      `json:"owner"`
	CallerReference string      `json:"callerReference"`
	Comment         string      `json:"comment,omitempty"`
	VPCs            []VPC       `json:"vpcs"`
	Authorizations  []VPC       `json:"authorizations,omitempty"`
	Records         []RecordSet `json:"records"`
	Created         time.Time   `json:"created"`
}

// record returns the index of the zone's record set of a name and type.
func (z *HostedZone) record(name, typ string) int {
	return slices.IndexFunc(z.Records, func(r RecordSet) bool { return r.Name == name && r.Type == typ })
}

// ARN is the zone's ARN, as IAM policies name it.
func (z HostedZone) ARN() string { return ZoneARN(z.ID) }

// ZoneARN is the ARN of a hosted zone.
func ZoneARN(id string) string { return "arn:aws:route53:::hostedzone/" + id }

// Error codes this package answers with, as Route 53 names them.
const (
	CodeNoSuchHostedZone                    = "NoSuchHostedZone"
	CodeHostedZoneAlreadyExists             = "HostedZoneAlreadyExists"
	CodeConflictingDomainExists             = "ConflictingDomainExists"
	CodeInvalidVPCID                        = "InvalidVPCId"
	CodeNotAuthorized                       = "NotAuthorizedException"
	CodeLastVPCAssociation                  = "LastVPCAssociation"
	CodeVPCAssociationNotFound              = "VPCAssociationNotFound"
	CodeVPCAssociationAuthorizationNotFound = "VPCAssociationAuthorizationNotFound"
	CodeInvalidDomainName                   = "InvalidDomainName"
	CodeInvalidInput                        = "InvalidInput"
	CodeInvalidChangeBatch                  = "InvalidChangeBatch"
	CodeHostedZoneNotEmpty                  = "HostedZoneNotEmpty"
	CodeNoSuchChange                        = "NoSuchChange"
	CodeNoSuchDelegationSet                 = "NoSuchDelegationSet"
	CodeInvalidPaginationToken              = "InvalidPaginationToken"
	CodeTooManyAuthorizations               = "TooManyVPCAssociationAuthorizations"
	CodeLimitsExceeded                      = "LimitsExceeded"
	CodeAccessDenied                        = "AccessDenied"
)

// Error is a Route 53 error: its code, message and HTTP status. An
// InvalidChangeBatch error lists every problem of the batch in Messages.
type Error struct {
	Status   int
	Code     string
	Message  string
	Messages []string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// IsCode reports whether err is a Route 53 error with the code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func errf(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func invalidInput(format string, a ...any) *Error {
	return errf(http.StatusBadRequest, CodeInvalidInput, format, a...)
}

func noSuchZone(id string) *Error {
	return errf(http.StatusNotFound, CodeNoSuchHostedZone, "No hosted zone found with ID: %s", id)
}

// changeBatchError is InvalidChangeBatch with its messages; Message is
// them as Route 53 joins them.
func changeBatchError(msgs []string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidChangeBatch,
		Message: "[" + strings.Join(msgs, ", ") + "]", Messages: msgs}
}

// Limits, as Route 53's default quotas.
const (
	maxRecordSets      = 10000 // per zone
	maxRecordsPerBatch = 1000  // ResourceRecord elements per change batch
	maxAuthorizations  = 100   // per zone
	maxAssociations    = 300   // VPCs per zone
	maxValueLen        = 4000  // one ResourceRecord value
	maxCASRetries      = 64
)

// Store layout.
const (
	prefix          = "route53/"
	zonesPrefix     = prefix + "zones/"      // <zone id> → HostedZone
	callerRefPrefix = prefix + "callerrefs/" // <account>/<caller reference> → zone id
	vpcNamePrefix   = prefix + "vpcnames/"   // <region>/<vpc id>/<zone name> → zone id
	changesPrefix   = prefix + "changes/"    // <change id> → ChangeInfo
)

// Service is the Route 53 of one kafkalink deployment: global zones, the
// VPCs of the local ec2 service's region.
type Service struct {
	st      store.Store
	iam     *iam.Service
	ec2     *ec2.Service
	now     func() time.Time
	changes atomic.Uint64 // changes recorded by this process, to sweep old ones now and then
	// endpoints says whether a name is one of kafkalink's endpoints, which
	// alias records may target (as Route 53's aliases target VPC
	// endpoints); nil: none are.
	endpoints atomic.Pointer[func(name string) bool]
}

// SetEndpointNames tells the service which names are kafkalink's
// endpoints (FQDN, lowercase), so that alias records may target them
// whatever the alias's HostedZoneId.
func (s *Service) SetEndpointNames(known func(name string) bool) { s.endpoints.Store(&known) }

func (s *Service) endpointNames() func(string) bool {
	if f := s.endpoints.Load(); f != nil {
		return *f
	}
	return nil
}

// New returns the Route 53 service over a store, authorizing calls with
// iamSvc and looking VPCs up in ec2Svc's region; now nil means time.Now.
func New(st store.Store, iamSvc *iam.Service, ec2Svc *ec2.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, iam: iamSvc, ec2: ec2Svc, now: now}
}

// Prefix is the store prefix to watch for changes to zones: every zone's
// record lives under it.
func (s *Service) Prefix() string { return zonesPrefix }

// Region is the region whose VPCs zones may be associated with.
func (s *Service) Region() string { return s.ec2.Region() }

// Zones returns every zone, by id, and the store revision of the listing
// (watch Prefix from rev+1 to miss nothing).
func (s *Service) Zones(ctx context.Context) ([]HostedZone, int64, error) {
	kvs, rev, err := s.st.List(ctx, zonesPrefix)
	if err != nil {
		return nil, 0, fmt.Errorf("route53: list zones: %w", err)
	}
	out := make([]HostedZone, 0, len(kvs))
	for _, kv := range kvs {
		var z HostedZone
		if err := json.Unmarshal(kv.Value, &z); err != nil {
			return nil, 0, fmt.Errorf("route53: decode %s: %w", kv.Key, err)
		}
		out = append(out, z)
	}
	return out, rev, nil
}

// load reads a zone and its revision; ok false if absent.
func (s *Service) load(ctx context.Context, id string) (HostedZone, int64, bool, error) {
	kv, ok, err := s.st.Get(ctx, zonesPrefix+id)
	if err != nil {
		return HostedZone{}, 0, false, fmt.Errorf("route53: read zone %s: %w", id, err)
	}
	if !ok {
		return HostedZone{}, 0, false, nil
	}
	var z HostedZone
	if err := json.Unmarshal(kv.Value, &z); err != nil {
		return HostedZone{}, 0, false, fmt.Errorf("route53: decode zone %s: %w", id, err)
	}
	return z, kv.ModRevision, true, nil
}

// update applies change to a zone with compare-and-swap, retrying on
// concurrent changes; change sees a fresh copy each time and may fail.
func (s *Service) update(ctx context.Context, id string, change func(*HostedZone) error) (HostedZone, error) {
	for range maxCASRetries {
		z, rev, ok, err := s.load(ctx, id)
		if err != nil {
			return HostedZone{}, err
		}
		if !ok {
			return HostedZone{}, noSuchZone(id)
		}
		if err := change(&z); errors.Is(err, errUnchanged) {
			return z, nil
		} else if err != nil {
			return HostedZone{}, err
		}
		b, err := json.Marshal(z)
		if err != nil {
			return HostedZone{}, fmt.Errorf("route53: encode zone %s: %w", id, err)
		}
		_, swapped, _, err := s.st.CompareAndSwap(ctx, zonesPrefix+id, b, rev)
		if err != nil {
			return HostedZone{}, fmt.Errorf("route53: write zone %s: %w", id, err)
		}
		if swapped {
			return z, nil
		}
		if err := ctx.Err(); err != nil {
			return HostedZone{}, err
		}
	}
	return HostedZone{}, fmt.Errorf("route53: zone %s changed %d times under us", id, maxCASRetries)
}

// errUnchanged tells update that a change has nothing to write.
var errUnchanged = errors.New("route53: unchanged")

// authorize decides route53:<action> on resource by the caller's identity
// policies, answering AccessDenied.
func (s *Service) authorize(ctx context.Context, caller iam.Caller, action, resource string) error {
	action = "route53:" + action
	d, err := s.iam.Authorize(ctx, caller, action, resource, caller.Principal.Account, nil, nil)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return errf(http.StatusForbidden, CodeAccessDenied, "%s", iam.AccessDenied(caller, action, resource, d).Message)
	}
	return nil
}

// owned loads a zone the caller's account owns, having authorized action
// on it.
func (s *Service) owned(ctx context.Context, caller iam.Caller, action, id string) (HostedZone, int64, error) {
	id, err := checkZoneID(id)
	if err != nil {
		return HostedZone{}, 0, err
	}
	if err := s.authorize(ctx, caller, action, ZoneARN(id)); err != nil {
		return HostedZone{}, 0, err
	}
	z, rev, ok, err := s.load(ctx, id)
	if err != nil {
		return HostedZone{}, 0, err
	}
	if !ok {
		return HostedZone{}, 0, noSuchZone(id)
	}
	if z.Owner != caller.Principal.Account {
		return HostedZone{}, 0, notOwner(caller)
	}
	return z, rev, nil
}

func notOwner(caller iam.Caller) *Error {
	return errf(http.StatusForbidden, CodeAccessDenied, "User: %s is not authorized to access this resource", caller.Principal.ARN)
}

// checkZoneID accepts a zone id, bare or as /hostedzone/<id>.
func checkZoneID(id string) (string, error) {
	id = strings.TrimPrefix(id, "/hostedzone/")
	if id == "" {
		return "", invalidInput("1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must not be null")
	}
	if len(id) > 32 {
		return "", invalidInput("1 validation error detected: Value '%s' at 'id' failed to satisfy constraint: Member must have length less than or equal to 32", id)
	}
	return id, nil
}

// newID returns prefix and 20 characters of Route 53's id alphabet.
func newID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}
