// Package acl is kafkalink's Kafka ACL authorizer for SCRAM and mTLS
// principals ("User:alice", "User:CN=…"). It keeps the ACLs of every
// cluster in the store under clusters/<cluster>/acls/, mirrors them in an
// in-memory index that a store watch keeps current on every replica, and
// decides requests with the semantics of Apache Kafka's StandardAuthorizer:
//
//   - a super user may do anything;
//   - a DENY ACL that matches wins over every ALLOW ACL;
//   - an ACL matches a resource when it is LITERAL with the same name,
//     LITERAL with the wildcard name "*", or PREFIXED with a prefix of the
//     name;
//   - an ACL matches a principal when it names it or "User:*", a host when
//     it names it or "*", an operation when it names it or ALL; an ALLOW
//     ACL for READ, WRITE, DELETE or ALTER also allows DESCRIBE, and one for
//     ALTER_CONFIGS also allows DESCRIBE_CONFIGS (a DENY ACL never implies);
//   - when no ACL at all matches the resource, the cluster's
//     allow.everyone.if.no.acl.found setting decides (default: deny); when
//     ACLs match the resource but none allows the request, it is denied.
//
// The package also answers the Kafka CreateAcls, DescribeAcls and DeleteAcls
// APIs itself (HandleCreate, HandleDescribe, HandleDelete) with the responses
// a Kafka broker gives; kafkalink never forwards them upstream.
package acl

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ClusterResourceName is the name of the one CLUSTER resource of a Kafka
// cluster; ACLs on the CLUSTER resource type must use it.
const ClusterResourceName = "kafka-cluster"

// Wildcard is the resource name of a LITERAL ACL that matches every resource
// of its type, and the host of an ACL that matches every host.
const Wildcard = "*"

// WildcardPrincipal is the principal of an ACL that matches every principal.
const WildcardPrincipal = "User:*"

// Binding is one ACL: a resource pattern and an access control entry.
type Binding struct {
	ResourceType kmsg.ACLResourceType        // TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, DELEGATION_TOKEN, USER
	ResourceName string                      // a name, a prefix, or "*"
	PatternType  kmsg.ACLResourcePatternType // LITERAL or PREFIXED
	Principal    string                      // "User:alice", "User:CN=…", or "User:*"
	Host         string                      // a client IP address, or "*"
	Operation    kmsg.ACLOperation           // READ, WRITE, …, or ALL
	Permission   kmsg.ACLPermissionType      // ALLOW or DENY
}

// String describes the ACL, for example
// `DENY User:bob READ on TOPIC LITERAL "orders" from host *`.
func (b Binding) String() string {
	var sb strings.Builder
	sb.WriteString(b.Permission.String())
	sb.WriteByte(' ')
	sb.WriteString(b.Principal)
	sb.WriteByte(' ')
	sb.WriteString(b.Operation.String())
	sb.WriteString(" on ")
	sb.WriteString(b.ResourceType.String())
	sb.WriteByte(' ')
	sb.WriteString(b.PatternType.String())
	sb.WriteByte(' ')
	sb.WriteString(strconv.Quote(b.ResourceName))
	sb.WriteString(" from host ")
	sb.WriteString(b.Host)
	return sb.String()
}

// Validate reports whether a CreateAcls request may create the binding, with
// the checks and messages of a Kafka broker (the broker's own checks, then
// its controller's), plus one of kafkalink's: the principal must be
// "Type:name". The error is an *Error with code INVALID_REQUEST.
func (b Binding) Validate() error {
	switch {
	case b.ResourceType == kmsg.ACLResourceTypeCluster && b.ResourceName != ClusterResourceName:
		return invalid("The only valid name for the CLUSTER resource is " + ClusterResourceName)
	case b.ResourceName == "":
		return invalid("Invalid empty resource name")
	}
	switch knownResourceType(b.ResourceType) {
	case kmsg.ACLResourceTypeUnknown, kmsg.ACLResourceTypeAny:
		return invalid("Invalid resourceType " + b.ResourceType.String())
	}
	switch b.PatternType {
	case kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLResourcePatternTypePrefixed:
	default:
		return invalid("Invalid patternType " + b.PatternType.String())
	}
	switch knownOperation(b.Operation) {
	case kmsg.ACLOperationUnknown, kmsg.ACLOperationAny:
		return invalid("Invalid operation " + b.Operation.String())
	}
	switch b.Permission {
	case kmsg.ACLPermissionTypeAllow, kmsg.ACLPermissionTypeDeny:
	default:
		return invalid("Invalid permissionType " + b.Permission.String())
	}
	if typ, name, ok := strings.Cut(b.Principal, ":"); !ok || typ == "" || name == "" {
		return invalid("Invalid principal " + strconv.Quote(b.Principal) +
			": expected a string in format principalType:principalName")
	}
	// Kafka's strings are UTF-8; its request parser replaces invalid bytes,
	// as the handlers here do, so only direct callers can hit this.
	for _, s := range [...]string{b.ResourceName, b.Principal, b.Host} {
		if !utf8.ValidString(s) {
			return invalid("Invalid ACL " + b.String() + ": not valid UTF-8")
		}
	}
	return nil
}

// kafkaString returns s as Kafka's request parser reads a string: UTF-8,
// each invalid byte replaced by U+FFFD.
func kafkaString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		sb.WriteRune(r) // utf8.RuneError for an invalid byte
		i += n
	}
	return sb.String()
}

// kafkaStringPtr is kafkaString for a nullable string.
func kafkaStringPtr(s *string) *string {
	if s == nil || utf8.ValidString(*s) {
		return s
	}
	v := kafkaString(*s)
	return &v
}

// Filter selects ACLs, as the filters of DescribeAcls and DeleteAcls do.
// Nil ResourceName, Principal or Host match any value; ANY resource type,
// pattern type, operation and permission match any value.
//
// PatternType picks how ResourceName is compared: LITERAL and PREFIXED
// match ACLs of that pattern type with exactly that name; ANY matches ACLs
// of either pattern type with exactly that name; MATCH matches the ACLs that
// would apply to a resource of that name: LITERAL ACLs with the name or
// "*", and PREFIXED ACLs with a prefix of the name.
type Filter struct {
	ResourceType kmsg.ACLResourceType
	ResourceName *string
	PatternType  kmsg.ACLResourcePatternType
	Principal    *string
	Host         *string
	Operation    kmsg.ACLOperation
	Permission   kmsg.ACLPermissionType
}

// MatchAll returns the filter that matches every ACL.
func MatchAll() Filter {
	return Filter{
		ResourceType: kmsg.ACLResourceTypeAny,
		PatternType:  kmsg.ACLResourcePatternTypeAny,
		Operation:    kmsg.ACLOperationAny,
		Permission:   kmsg.ACLPermissionTypeAny,
	}
}

// Matches reports whether the filter selects b.
func (f Filter) Matches(b Binding) bool {
	if f.ResourceType != kmsg.ACLResourceTypeAny && f.ResourceType != b.ResourceType {
		return false
	}
	if f.PatternType != kmsg.ACLResourcePatternTypeAny && f.PatternType != kmsg.ACLResourcePatternTypeMatch &&
		f.PatternType != b.PatternType {
		return false
	}
	if f.ResourceName != nil {
		name := *f.ResourceName
		switch {
		case f.PatternType == kmsg.ACLResourcePatternTypeAny || f.PatternType == b.PatternType:
			if name != b.ResourceName {
				return false
			}
		case b.PatternType == kmsg.ACLResourcePatternTypeLiteral: // MATCH
			if name != b.ResourceName && b.ResourceName != Wildcard {
				return false
			}
		case b.PatternType == kmsg.ACLResourcePatternTypePrefixed: // MATCH
			if !strings.HasPrefix(name, b.ResourceName) {
				return false
			}
		default:
			return false
		}
	}
	if f.Principal != nil && *f.Principal != b.Principal {
		return false
	}
	if f.Host != nil && *f.Host != b.Host {
		return false
	}
	if f.Operation != kmsg.ACLOperationAny && f.Operation != b.Operation {
		return false
	}
	if f.Permission != kmsg.ACLPermissionTypeAny && f.Permission != b.Permission {
		return false
	}
	return true
}

// validate rejects a filter with an UNKNOWN (or unrecognised) field, with
// the messages of Kafka's controller.
func (f Filter) validate() error {
	if knownResourceType(f.ResourceType) == kmsg.ACLResourceTypeUnknown ||
		knownPatternType(f.PatternType) == kmsg.ACLResourcePatternTypeUnknown {
		return invalid("Unknown patternFilter.")
	}
	if knownOperation(f.Operation) == kmsg.ACLOperationUnknown ||
		knownPermission(f.Permission) == kmsg.ACLPermissionTypeUnknown {
		return invalid("Unknown entryFilter.")
	}
	return nil
}

// String describes the filter, "<any>" standing for a nil field.
func (f Filter) String() string {
	opt := func(s *string) string {
		if s == nil {
			return "<any>"
		}
		return strconv.Quote(*s)
	}
	return "resourceType=" + f.ResourceType.String() +
		" resourceName=" + opt(f.ResourceName) +
		" patternType=" + f.PatternType.String() +
		" principal=" + opt(f.Principal) +
		" host=" + opt(f.Host) +
		" operation=" + f.Operation.String() +
		" permission=" + f.Permission.String()
}

// Request is one access to authorize: may Principal, connected from Host,
// perform Operation on the resource?
type Request struct {
	Principal    string // "User:alice"
	Host         string // the client's IP address
	Operation    kmsg.ACLOperation
	ResourceType kmsg.ACLResourceType
	ResourceName string // ClusterResourceName for the CLUSTER resource
}

// ClusterRequest returns the Request for an operation on the CLUSTER
// resource.
func ClusterRequest(principal, host string, op kmsg.ACLOperation) Request {
	return Request{
		Principal:    principal,
		Host:         host,
		Operation:    op,
		ResourceType: kmsg.ACLResourceTypeCluster,
		ResourceName: ClusterResourceName,
	}
}

// Decision is the answer to a Request.
type Decision struct {
	Allowed bool
	// Reason says what decided: the ACL, super.users, or the rule that
	// applies when no ACL matched.
	Reason string
	// Binding is the ACL that decided, nil if none did. It is shared with
	// the authorizer's index and must not be modified.
	Binding *Binding
}

// The reasons of decisions that no ACL made.
const (
	reasonSuperUser       = "the principal is a super user (super.users)"
	reasonNoACLDeny       = "no ACL matched; allow.everyone.if.no.acl.found=false"
	reasonNoACLAllow      = "no ACL matched; allow.everyone.if.no.acl.found=true"
	reasonNoMatchingEntry = "ACLs match the resource but none allows this principal, host and operation"
)

// Error is a failed ACL operation, with the Kafka error code and message a
// broker would answer. errors.Is(err, kerr.InvalidRequest) (or whichever
// code) holds for it.
type Error struct {
	Code    *kerr.Error // kerr.InvalidRequest, kerr.UnknownServerError, …
	Message string      // the message a Kafka broker would send
	Err     error       // the underlying cause, if any; not sent to clients
}

func (e *Error) Error() string {
	s := "acl: " + e.Code.Message + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the Kafka error code and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Code}
	}
	return []error{e.Code, e.Err}
}

func invalid(msg string) *Error { return &Error{Code: kerr.InvalidRequest, Message: msg} }

// kafkaError returns the Kafka error code and message that answer err:
// those of an *Error, the code of a *kerr.Error, else UNKNOWN_SERVER_ERROR.
func kafkaError(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		msg := ae.Message
		return ae.Code.Code, &msg
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		msg := ke.Description
		return ke.Code, &msg
	}
	msg := kerr.UnknownServerError.Description
	return kerr.UnknownServerError.Code, &msg
}

// knownResourceType returns t, or UNKNOWN if Kafka does not know the code
// (Kafka decodes every unrecognised code as UNKNOWN).
func knownResourceType(t kmsg.ACLResourceType) kmsg.ACLResourceType {
	if t < kmsg.ACLResourceTypeAny || t > kmsg.ACLResourceTypeUser {
		return kmsg.ACLResourceTypeUnknown
	}
	return t
}

func knownPatternType(t kmsg.ACLResourcePatternType) kmsg.ACLResourcePatternType {
	if t < kmsg.ACLResourcePatternTypeAny || t > kmsg.ACLResourcePatternTypePrefixed {
		return kmsg.ACLResourcePatternTypeUnknown
	}
	return t
}

func knownOperation(op kmsg.ACLOperation) kmsg.ACLOperation {
	if op < kmsg.ACLOperationAny || op > kmsg.ACLOperationDescribeTokens {
		return kmsg.ACLOperationUnknown
	}
	return op
}

func knownPermission(p kmsg.ACLPermissionType) kmsg.ACLPermissionType {
	if p < kmsg.ACLPermissionTypeAny || p > kmsg.ACLPermissionTypeAllow {
		return kmsg.ACLPermissionTypeUnknown
	}
	return p
}
