// Package ec2 is kafkalink's model of the EC2 networking that MSK's
// multi-VPC connectivity is built on: the VPCs, subnets and security groups
// (with their tags) of each account in one region, and the region's
// availability zones. It keeps them in the store, enforces EC2's rules
// (CIDR ranges, overlaps, unique group names, rule duplicates, dependencies)
// and answers with EC2's error codes, so that the control plane can serve
// it in the EC2 query protocol unchanged. The rest of kafkalink looks VPCs,
// subnets and groups up by id (an account only ever sees its own), and the
// network driver asks AdmitsTCP, at accept time, whether an endpoint's
// security groups let a connection in.
//
// Every VPC is one store record, ec2/<account>/<region>/vpc/<vpc-id>, that
// holds the VPC's subnets and security groups, so that a change is one
// compare-and-swap: two subnets created at once never overlap, a VPC is
// never deleted while a subnet is being added to it, and a group is never
// deleted while a rule starts to reference it. Regions sharing a store do
// not see each other's VPCs.
package ec2

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/store"
)

// WatchPrefix is the store prefix under which everything this package
// keeps lives: a change under it may change a VPC, subnet or security
// group.
const WatchPrefix = "ec2/"

// Zone is an availability zone: its name in the region (us-east-1a) and
// its id (use1-az1), which is the same for every account.
type Zone struct {
	Name string
	ID   string
}

// Service is the EC2 networking of one region, for every account.
type Service struct {
	st     store.Store
	region string
	zones  []Zone
	now    func() time.Time
}

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// New returns the EC2 networking of region over a store. zones nil means
// the region's default zones (DefaultZones); now nil means time.Now.
func New(st store.Store, region string, zones []Zone, now func() time.Time) (*Service, error) {
	if st == nil {
		return nil, errors.New("ec2: no store")
	}
	if !regionRe.MatchString(region) {
		return nil, fmt.Errorf("ec2: %q is not a region name", region)
	}
	if zones == nil {
		zones = DefaultZones(region)
	}
	if len(zones) == 0 {
		return nil, errors.New("ec2: no availability zones")
	}
	names, ids := map[string]bool{}, map[string]bool{}
	for _, z := range zones {
		if z.Name == "" || z.ID == "" {
			return nil, fmt.Errorf("ec2: zone %+v needs a name and an id", z)
		}
		if names[z.Name] || ids[z.ID] || names[z.ID] || ids[z.Name] {
			return nil, fmt.Errorf("ec2: zone %s (%s) is listed twice", z.Name, z.ID)
		}
		names[z.Name], ids[z.ID] = true, true
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, region: region, zones: slices.Clone(zones), now: now}, nil
}

// DefaultZones returns six zones for a region, as AWS names them:
// <region>a … <region>f with ids <abbr>-az1 … <abbr>-az6, where abbr is
// AWS's short form of the region (us-east-1 → use1, ap-southeast-1 →
// apse1).
func DefaultZones(region string) []Zone {
	abbr := RegionAbbreviation(region)
	zones := make([]Zone, 6)
	for i := range zones {
		zones[i] = Zone{Name: region + string(rune('a'+i)), ID: fmt.Sprintf("%s-az%d", abbr, i+1)}
	}
	return zones
}

// RegionAbbreviation is the short form AWS uses for a region in zone ids:
// the first part whole, the initial of every other word (two for compound
// directions: southeast → se), and the number: us-east-1 → use1,
// eu-central-1 → euc1, ap-northeast-2 → apne2, us-gov-west-1 → usgw1.
func RegionAbbreviation(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 2 {
		return region
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1 : len(parts)-1] {
		switch p {
		case "northeast", "northwest", "southeast", "southwest":
			b.WriteString(p[:1] + p[5:6])
		default:
			if p != "" {
				b.WriteString(p[:1])
			}
		}
	}
	b.WriteString(parts[len(parts)-1])
	return b.String()
}

// Region is the region the service models.
func (s *Service) Region() string { return s.region }

// Zones returns the region's availability zones.
func (s *Service) Zones() []Zone { return slices.Clone(s.zones) }

// Zone returns the zone with a name or id.
func (s *Service) Zone(nameOrID string) (Zone, bool) {
	for _, z := range s.zones {
		if z.Name == nameOrID || z.ID == nameOrID {
			return z, true
		}
	}
	return Zone{}, false
}

// ARN returns the ARN of a VPC, subnet or security group (by its id) of an
// account in this region, as IAM policies name it.
func (s *Service) ARN(account, id string) string {
	kind := "vpc"
	switch {
	case strings.HasPrefix(id, "subnet-"):
		kind = "subnet"
	case strings.HasPrefix(id, "sg-"):
		kind = "security-group"
	case strings.HasPrefix(id, "sgr-"):
		kind = "security-group-rule"
	}
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", s.region, account, kind, id)
}

// Error codes this package answers with, as EC2 names them.
const (
	CodeMissingParameter            = "MissingParameter"
	CodeInvalidParameterValue       = "InvalidParameterValue"
	CodeInvalidParameterCombination = "InvalidParameterCombination"
	CodeInvalidID                   = "InvalidID"
	CodeVPCNotFound                 = "InvalidVpcID.NotFound"
	CodeVPCMalformed                = "InvalidVpcID.Malformed"
	CodeVPCRange                    = "InvalidVpc.Range"
	CodeSubnetNotFound              = "InvalidSubnetID.NotFound"
	CodeSubnetMalformed             = "InvalidSubnetID.Malformed"
	CodeSubnetRange                 = "InvalidSubnet.Range"
	CodeSubnetConflict              = "InvalidSubnet.Conflict"
	CodeGroupNotFound               = "InvalidGroup.NotFound"
	CodeGroupMalformed              = "InvalidGroupId.Malformed"
	CodeGroupDuplicate              = "InvalidGroup.Duplicate"
	CodeGroupReserved               = "InvalidGroup.Reserved"
	CodeRuleNotFound                = "InvalidSecurityGroupRuleId.NotFound"
	CodeRuleMalformed               = "InvalidSecurityGroupRuleId.Malformed"
	CodePermissionDuplicate         = "InvalidPermission.Duplicate"
	CodePermissionNotFound          = "InvalidPermission.NotFound"
	CodePermissionMalformed         = "InvalidPermission.Malformed"
	CodeDependencyViolation         = "DependencyViolation"
	CodeCannotDelete                = "CannotDelete"
	CodeVPCIDNotSpecified           = "VPCIdNotSpecified"
	CodeTagLimitExceeded            = "TagLimitExceeded"
	CodeRulesLimitExceeded          = "RulesPerSecurityGroupLimitExceeded"
	CodeSubnetLimitExceeded         = "SubnetLimitExceeded"
	CodeGroupLimitExceeded          = "SecurityGroupLimitExceeded"
)

// Error is an EC2 error: its code, message and HTTP status, as the EC2
// query protocol answers it.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// IsCode reports whether err is an EC2 error with the code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func errf(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...), Status: http.StatusBadRequest}
}

// Limits, as AWS's default quotas.
const (
	maxSubnetsPerVPC = 200
	maxGroupsPerVPC  = 2500
	maxRulesPerDir   = 60
	maxTags          = 50
	maxCASRetries    = 64
)

// Store layout: one record per VPC, holding its subnets and groups.
func (s *Service) accountPrefix(account string) string {
	return WatchPrefix + account + "/" + s.region + "/vpc/"
}

func (s *Service) vpcKey(account, id string) string { return s.accountPrefix(account) + id }

// record is a VPC as stored: the VPC with its subnets and groups.
type record struct {
	VPC     VPC             `json:"vpc"`
	Subnets []Subnet        `json:"subnets,omitempty"`
	Groups  []SecurityGroup `json:"groups,omitempty"`
}

func (r *record) subnet(id string) int {
	return slices.IndexFunc(r.Subnets, func(s Subnet) bool { return s.ID == id })
}

func (r *record) group(id string) int {
	return slices.IndexFunc(r.Groups, func(g SecurityGroup) bool { return g.ID == id })
}

func (r *record) groupNamed(name string) int {
	return slices.IndexFunc(r.Groups, func(g SecurityGroup) bool { return g.Name == name })
}

// records lists every VPC record of an account.
func (s *Service) records(ctx context.Context, account string) ([]record, error) {
	kvs, _, err := s.st.List(ctx, s.accountPrefix(account))
	if err != nil {
		return nil, fmt.Errorf("ec2: list VPCs of %s: %w", account, err)
	}
	out := make([]record, 0, len(kvs))
	for _, kv := range kvs {
		var r record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return nil, fmt.Errorf("ec2: decode %s: %w", kv.Key, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// load reads one VPC record and its revision; ok false if absent.
func (s *Service) load(ctx context.Context, account, vpcID string) (record, int64, bool, error) {
	key := s.vpcKey(account, vpcID)
	kv, ok, err := s.st.Get(ctx, key)
	if err != nil {
		return record{}, 0, false, fmt.Errorf("ec2: read %s: %w", key, err)
	}
	if !ok {
		return record{}, 0, false, nil
	}
	var r record
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return record{}, 0, false, fmt.Errorf("ec2: decode %s: %w", key, err)
	}
	return r, kv.ModRevision, true, nil
}

// update applies change to a VPC record with compare-and-swap, retrying
// on concurrent changes; change sees a fresh copy each time and may fail.
func (s *Service) update(ctx context.Context, account, vpcID string, change func(*record) error) error {
	for range maxCASRetries {
		r, rev, ok, err := s.load(ctx, account, vpcID)
		if err != nil {
			return err
		}
		if !ok {
			return vpcNotFound(vpcID)
		}
		if err := change(&r); err != nil {
			return err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("ec2: encode %s: %w", vpcID, err)
		}
		_, swapped, _, err := s.st.CompareAndSwap(ctx, s.vpcKey(account, vpcID), b, rev)
		if err != nil {
			return fmt.Errorf("ec2: write %s: %w", vpcID, err)
		}
		if swapped {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return fmt.Errorf("ec2: %s changed %d times under us", vpcID, maxCASRetries)
}

// locate finds the VPC that holds a subnet or security group.
func (s *Service) locate(ctx context.Context, account, id string) (string, error) {
	recs, err := s.records(ctx, account)
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if r.subnet(id) >= 0 || r.group(id) >= 0 {
			return r.VPC.ID, nil
		}
	}
	return "", notFound(id)
}

// newID returns prefix and 17 random hex digits, as EC2's long ids.
func newID(prefix string) string {
	b := make([]byte, 9)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)[:17]
}

var idRe = regexp.MustCompile(`^(vpc|subnet|sg|sgr)-([0-9a-f]{8}|[0-9a-f]{17})$`)

// kinds of resource ids, with their malformed and not-found errors.
type idKind struct {
	prefix, malformed, noun string
}

var (
	vpcKind    = idKind{"vpc", CodeVPCMalformed, "vpc ID"}
	subnetKind = idKind{"subnet", CodeSubnetMalformed, "subnet ID"}
	groupKind  = idKind{"sg", CodeGroupMalformed, "security group"}
	ruleKind   = idKind{"sgr", CodeRuleMalformed, "security group rule ID"}
)

// check answers the kind's Malformed error for an id that is not one.
func (k idKind) check(id string) error {
	if m := idRe.FindStringSubmatch(id); m != nil && m[1] == k.prefix {
		return nil
	}
	return errf(k.malformed, "Invalid id: %q (expecting %q)", id, k.prefix+"-...")
}

// CheckID answers EC2's Malformed error for an id that is not a
// well-formed id of a kind: "vpc", "subnet", "sg" (security group) or
// "sgr" (security group rule); kind "" accepts any of them, by the id's
// prefix, and answers InvalidID for anything else.
func CheckID(kind, id string) error {
	if kind == "" {
		kind, _, _ = strings.Cut(id, "-")
	}
	switch kind {
	case "vpc":
		return vpcKind.check(id)
	case "subnet":
		return subnetKind.check(id)
	case "sg":
		return groupKind.check(id)
	case "sgr":
		return ruleKind.check(id)
	}
	return errf(CodeInvalidID, "The ID '%s' is not valid", id)
}

func vpcNotFound(id string) *Error {
	return errf(CodeVPCNotFound, "The vpc ID '%s' does not exist", id)
}

func subnetNotFound(id string) *Error {
	return errf(CodeSubnetNotFound, "The subnet ID '%s' does not exist", id)
}

func groupNotFound(id string) *Error {
	return errf(CodeGroupNotFound, "The security group '%s' does not exist", id)
}

// notFound is the NotFound error for an id of any kind.
func notFound(id string) *Error {
	switch {
	case strings.HasPrefix(id, "subnet-"):
		return subnetNotFound(id)
	case strings.HasPrefix(id, "sg-"):
		return groupNotFound(id)
	}
	return vpcNotFound(id)
}

func missing(param string) *Error {
	return errf(CodeMissingParameter, "The request must contain the parameter %s", param)
}

// checkIDs checks ids of one kind and drops duplicates.
func checkIDs(k idKind, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if err := k.check(id); err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}
