package iam

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/policy"
)

// Caller is an authenticated principal: who signed with an access key.
type Caller struct {
	Principal   policy.Principal
	AccessKeyID string
	Temporary   bool
	Expires     time.Time // temporary credentials only
	Issued      time.Time // when the credentials were issued (aws:TokenIssueTime)
	UserName    string    // the IAM user behind the key (users and their session tokens)
	RoleName    string    // assumed-role sessions
	SessionName string    // assumed-role sessions
}

// Resolve returns the caller behind an access key. Inactive, deleted or
// expired keys, and sessions of deleted roles, are errors.
func (s *Service) Resolve(ctx context.Context, accessKeyID string) (Caller, error) {
	k, err := s.AccessKey(ctx, accessKeyID)
	if err != nil {
		return Caller{}, errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if k.Status != "Active" {
		return Caller{}, errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if k.Temporary() && !s.now().Before(k.Expires) {
		return Caller{}, errf(403, "ExpiredToken", "The security token included in the request is expired")
	}
	c := Caller{AccessKeyID: k.ID, Temporary: k.Temporary(), Expires: k.Expires, Issued: k.Created}
	switch {
	case k.RoleName != "":
		r, err := s.Role(ctx, k.Account, k.RoleName)
		if err != nil {
			return Caller{}, errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		c.RoleName, c.SessionName = r.Name, k.SessionName
		c.Principal = policy.Principal{
			Account: k.Account, Kind: policy.AssumedRole, RoleARN: r.ARN, UserID: r.ID + ":" + k.SessionName,
			ARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", k.Account, r.Name, k.SessionName),
		}
	case k.User != "":
		u, err := s.User(ctx, k.Account, k.User)
		if err != nil {
			return Caller{}, errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		c.UserName = u.Name
		c.Principal = policy.Principal{Account: k.Account, Kind: policy.User, ARN: u.ARN, UserName: u.Name, UserID: u.ID}
	default:
		c.Principal = policy.Principal{Account: k.Account, Kind: policy.Root, ARN: "arn:aws:iam::" + k.Account + ":root", UserID: k.Account}
	}
	return c, nil
}

// Secret returns the secret and session token of an access key, for
// signature verification.
func (s *Service) Secret(ctx context.Context, accessKeyID string) (secret, token string, expires time.Time, err error) {
	k, err := s.AccessKey(ctx, accessKeyID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if secret, err = s.sealer.open(k.Secret, k.ID); err != nil {
		return "", "", time.Time{}, err
	}
	if k.Token != "" {
		if token, err = s.sealer.open(k.Token, k.ID+"/token"); err != nil {
			return "", "", time.Time{}, err
		}
	}
	return secret, token, k.Expires, nil
}

// IdentityPolicies returns the caller's identity policies: the inline and
// attached policies of its user or role, or, for an account root, its
// implicit full access to its own account.
func (s *Service) IdentityPolicies(ctx context.Context, c Caller) ([]policy.Named, error) {
	var kind, owner string
	switch c.Principal.Kind {
	case policy.User:
		kind, owner = "user", c.UserName
	case policy.AssumedRole, policy.Role:
		kind, owner = "role", c.RoleName
	case policy.Root:
		return []policy.Named{RootPolicy(c.Principal.Account)}, nil
	default:
		return nil, nil
	}
	acct := c.Principal.Account
	var out []policy.Named
	names, err := s.InlinePolicyNames(ctx, acct, kind, owner)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		doc, err := s.InlinePolicy(ctx, acct, kind, owner, n)
		if err != nil {
			return nil, err
		}
		p, err := policy.Parse(doc, policy.Identity)
		if err != nil {
			return nil, fmt.Errorf("iam: stored %s/%s inline policy %s: %w", kind, owner, n, err)
		}
		out = append(out, policy.Named{Name: fmt.Sprintf("%s/%s inline policy %s", kind, owner, n), Policy: p})
	}
	att, err := s.Attached(ctx, acct, kind, owner)
	if err != nil {
		return nil, err
	}
	for _, a := range att {
		mp, err := s.Policy(ctx, a.ARN)
		if err != nil {
			continue // deleted under us: grants nothing
		}
		p, err := policy.Parse(mp.Document, policy.Identity)
		if err != nil {
			return nil, fmt.Errorf("iam: stored policy %s: %w", a.ARN, err)
		}
		out = append(out, policy.Named{Name: a.ARN, Policy: p})
	}
	return out, nil
}

// RootPolicy stands for an account root's implicit full access to its own
// account.
func RootPolicy(account string) policy.Named {
	p, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.Identity)
	return policy.Named{Name: "the root user of account " + account, Policy: p}
}

// Authorize decides whether the caller may perform action on resource
// (owned by resourceAccount, "" meaning the caller's), given the
// resource's policy if it has one.
func (s *Service) Authorize(ctx context.Context, c Caller, action, resource, resourceAccount string, resourcePolicy *policy.Named, condition map[string][]string) (policy.Decision, error) {
	identity, err := s.IdentityPolicies(ctx, c)
	if err != nil {
		return policy.Decision{}, err
	}
	if resourceAccount == "" {
		resourceAccount = c.Principal.Account
	}
	return policy.Evaluate(policy.Request{
		Principal: c.Principal, Action: action, Resource: resource,
		ResourceAccount: resourceAccount, Context: condition,
	}, identity, resourcePolicy), nil
}

// AccessDenied is the error IAM and STS answer a denied call with.
func AccessDenied(c Caller, action, resource string, d policy.Decision) *Error {
	why := "no identity-based policy allows the " + action + " action"
	if d.Effect == policy.EffectExplicitDeny {
		why = "with an explicit deny in " + strings.TrimPrefix(d.Reason, "explicitly denied by ")
	}
	return errf(403, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s because %s", c.Principal.ARN, action, resource, why)
}
