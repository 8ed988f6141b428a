package iam

import (
	"context"
	"fmt"
	"strings"

	"github.com/kafkalink/kafkalink/internal/policy"
)

// ParsePrincipal turns a principal as a person names it — an account id,
// arn:aws:iam::ACCOUNT:root, a user or role ARN, an assumed-role session
// ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), or "anonymous" —
// into the principal a request is evaluated for. Names in the ARN are
// taken as given; identifiers (aws:userid) are unknown.
func ParsePrincipal(s string) (policy.Principal, error) {
	if s == "anonymous" || s == "*" {
		return policy.Principal{}, nil
	}
	if accountIDRe.MatchString(s) {
		s = "arn:aws:iam::" + s + ":root"
	}
	f := splitARN(s)
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[3] != "" || !accountIDRe.MatchString(f[4]) {
		return policy.Principal{}, fmt.Errorf("principal %q: want an account id, an IAM user or role ARN, or an assumed-role ARN", s)
	}
	acct, res := f[4], f[5]
	p := policy.Principal{Account: acct, ARN: s}
	last := res[strings.LastIndexByte(res, '/')+1:]
	switch {
	case f[2] == "iam" && res == "root":
		p.Kind, p.UserID = policy.Root, acct
	case f[2] == "iam" && strings.HasPrefix(res, "user/") && last != "":
		p.Kind, p.UserName = policy.User, last
	case f[2] == "iam" && strings.HasPrefix(res, "role/") && last != "":
		p.Kind = policy.Role
	case f[2] == "sts" && strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") == 2 && last != "":
		role := strings.Split(res, "/")[1]
		if role == "" {
			return policy.Principal{}, fmt.Errorf("principal %q: no role name", s)
		}
		p.Kind, p.RoleARN = policy.AssumedRole, "arn:"+f[1]+":iam::"+acct+":role/"+role
	default:
		return policy.Principal{}, fmt.Errorf("principal %q: not a root, user, role or assumed-role ARN", s)
	}
	return p, nil
}

// CallerFor is the caller an existing principal would be, with the
// identifiers and role path IAM keeps for it, so that its stored policies
// can be evaluated (kafkalink policy simulate). Users and roles must exist.
func (s *Service) CallerFor(ctx context.Context, p policy.Principal) (Caller, error) {
	c := Caller{Principal: p}
	switch p.Kind {
	case policy.User:
		u, err := s.User(ctx, p.Account, p.UserName)
		if err != nil {
			return Caller{}, err
		}
		c.UserName, c.Principal.ARN, c.Principal.UserID = u.Name, u.ARN, u.ID
	case policy.Role, policy.AssumedRole:
		name := p.RoleARN
		if p.Kind == policy.Role {
			name = p.ARN
		}
		name = name[strings.LastIndexByte(name, '/')+1:]
		r, err := s.Role(ctx, p.Account, name)
		if err != nil {
			return Caller{}, err
		}
		c.RoleName = r.Name
		if p.Kind == policy.AssumedRole {
			c.SessionName = p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]
			c.Principal.RoleARN, c.Principal.UserID = r.ARN, r.ID+":"+c.SessionName
		} else {
			c.Principal.ARN, c.Principal.UserID = r.ARN, r.ID
		}
	}
	return c, nil
}
