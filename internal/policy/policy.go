// Package policy parses, validates and evaluates AWS IAM policy documents
// (identity policies, resource policies such as MSK cluster policies, and
// role trust policies) the way AWS IAM does, so that kafkalink can act as its
// own IAM.
//
// Parse validates a document and reports problems as *Error values with the
// code "MalformedPolicyDocument" and AWS's messages. It also compiles the
// document (action and resource patterns, condition values, principals) so
// that Evaluate does little more than compare.
//
// Evaluate applies AWS's documented policy evaluation logic: an explicit
// deny in any policy wins; within one account an allow from the identity
// policies or from the resource policy suffices, except that a resource
// policy naming only the caller's account delegates to the identity
// policies and a role trust policy must always allow the caller itself;
// across accounts both must allow; otherwise the request is implicitly
// denied. Every Decision names the statement (policy name, Sid or index)
// that decided, or says that nothing matched.
//
// Cache keeps decisions for hot paths, keyed by RequestKey.
package policy

import "strconv"

// Kind is the kind of a policy document, which decides the rules Parse
// applies to Principal, Resource and Action.
type Kind int

const (
	// Identity is a policy attached to a user, group or role. It must not
	// name a principal and every statement must name resources.
	Identity Kind = iota + 1
	// Resource is a resource-based policy (for example an MSK cluster
	// policy). Every statement must name a Principal or NotPrincipal.
	Resource
	// Trust is a role trust policy: a resource policy on the role whose
	// actions are sts:* and which has no Resource element.
	Trust
)

// String returns the name of the kind.
func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity"
	case Resource:
		return "resource"
	case Trust:
		return "trust"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ErrCodeMalformed is the error code of every Parse error.
const ErrCodeMalformed = "MalformedPolicyDocument"

// Error is a policy validation error as AWS reports it.
type Error struct {
	// Code is the AWS error code, "MalformedPolicyDocument".
	Code string
	// Message is AWS's human-readable message, e.g. "Syntax errors in policy.".
	Message string
	// Err is the underlying cause, if any (for example a JSON syntax error).
	Err error
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func malformed(msg string) *Error { return &Error{Code: ErrCodeMalformed, Message: msg} }

// PrincipalKind is the kind of an authenticated (or anonymous) caller.
type PrincipalKind int

const (
	// Anonymous is an unauthenticated caller; only "*" principals match it.
	Anonymous PrincipalKind = iota
	// Root is an account's root user (arn:aws:iam::ACCOUNT:root).
	Root
	// User is an IAM user.
	User
	// Role is an IAM role itself (rarely a caller; roles act through sessions).
	Role
	// AssumedRole is a role session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).
	AssumedRole
	// Service is an AWS service principal such as "ec2.amazonaws.com".
	Service
	// FederatedUser is a federated user session from GetFederationToken
	// (arn:aws:sts::ACCOUNT:federated-user/NAME).
	FederatedUser
	// Federated is a caller authenticated by an external identity provider
	// (web identity or SAML) asking to assume a role; trust policies name it
	// with a "Federated" principal equal to Principal.Provider.
	Federated
)

// String returns the name of the principal kind.
func (k PrincipalKind) String() string {
	switch k {
	case Anonymous:
		return "Anonymous"
	case Root:
		return "Root"
	case User:
		return "User"
	case Role:
		return "Role"
	case AssumedRole:
		return "AssumedRole"
	case Service:
		return "Service"
	case FederatedUser:
		return "FederatedUser"
	case Federated:
		return "Federated"
	}
	return "PrincipalKind(" + strconv.Itoa(int(k)) + ")"
}

// Principal is the caller of a request.
type Principal struct {
	// Account is the 12-digit id of the principal's account.
	Account string
	// ARN is the principal's ARN, e.g. arn:aws:iam::111111111111:user/alice
	// or arn:aws:sts::111111111111:assumed-role/r/sess.
	ARN string
	// Kind is the kind of principal.
	Kind PrincipalKind
	// RoleARN is, for assumed-role sessions, the IAM ARN of the role
	// (arn:aws:iam::ACCOUNT:role/path/name).
	RoleARN string
	// UserName is the value of aws:username (users only).
	UserName string
	// UserID is the value of aws:userid.
	UserID string
	// Service is the service name of a Service principal, e.g. "ec2.amazonaws.com".
	Service string
	// Provider is the identity provider of a Federated principal, e.g.
	// "cognito-identity.amazonaws.com" or
	// "arn:aws:iam::111111111111:saml-provider/corp".
	Provider string
}

// Request is one authorization question: may Principal perform Action on Resource?
type Request struct {
	// Principal is the caller.
	Principal Principal
	// Action is "service:Name", e.g. "kafka-cluster:Connect".
	Action string
	// Resource is the ARN of the resource, or "*".
	Resource string
	// ResourceAccount is the account that owns the resource. Empty means the
	// principal's own account.
	ResourceAccount string
	// Context holds condition keys (names are case-insensitive) and their
	// values, e.g. "aws:SourceIp", "aws:SecureTransport", "aws:ResourceTag/team".
	// aws:username, aws:userid, aws:PrincipalAccount, aws:PrincipalArn,
	// aws:PrincipalType, aws:PrincipalIsAWSService, aws:PrincipalServiceName
	// are derived from Principal and take precedence over Context;
	// aws:CurrentTime and aws:EpochTime are read from the clock when Context
	// lacks them.
	Context map[string][]string
}

// Named is a policy together with a human-readable name used in explanations,
// e.g. "user/alice inline policy p1" or "cluster policy".
type Named struct {
	// Name identifies the policy in Decision reasons.
	Name string
	// Policy is the parsed document.
	Policy *Policy
}

// Effect values of a Decision.
const (
	EffectAllow        = "Allow"
	EffectExplicitDeny = "ExplicitDeny"
	EffectImplicitDeny = "ImplicitDeny"
)

// Decision is the result of Evaluate.
type Decision struct {
	// Allowed reports whether the request is allowed.
	Allowed bool
	// Effect is "Allow", "ExplicitDeny" or "ImplicitDeny".
	Effect string
	// Reason explains which statement of which policy decided.
	Reason string
	// Matches lists every statement that matched the request, identity
	// policies first, in order.
	Matches []Match
	// UsedClock reports that a condition or policy variable read
	// aws:CurrentTime or aws:EpochTime from the clock: the decision may
	// change with time, and Cache does not keep it.
	UsedClock bool
}

// Match identifies one statement that matched a request.
type Match struct {
	// Policy is the Name of the policy.
	Policy string
	// Resource reports whether the policy is the resource policy.
	Resource bool
	// Index is the 1-based position of the statement in the policy.
	Index int
	// Sid is the statement's Sid, if any.
	Sid string
	// Effect is the statement's effect, "Allow" or "Deny".
	Effect string

	// delegated reports an Allow of a resource policy that named the caller
	// only through its account, which within that account delegates the
	// decision to the identity policies.
	delegated bool
}

// String describes the statement, e.g. `statement "S1" (#2) of cluster policy`.
func (m Match) String() string {
	idx := strconv.Itoa(m.Index)
	if m.Sid != "" {
		return "statement " + strconv.Quote(m.Sid) + " (#" + idx + ") of " + m.Policy
	}
	return "statement #" + idx + " of " + m.Policy
}
