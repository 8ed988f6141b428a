package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// newContext builds the condition-key context of a request, adding the keys
// derived from the principal and the clock.
func newContext(req Request) evalContext {
	ctx := make(evalContext, len(req.Context)+8)
	for k, v := range req.Context {
		lk := strings.ToLower(k)
		ctx[lk] = append(ctx[lk], v...)
	}
	set := func(k, v string) {
		if v != "" {
			ctx[strings.ToLower(k)] = []string{v}
		}
	}
	p := req.Principal
	if p.Kind == User {
		set("aws:username", p.UserName)
	}
	set("aws:userid", p.UserID)
	set("aws:PrincipalAccount", p.Account)
	if p.Kind == AssumedRole && p.RoleARN != "" {
		set("aws:PrincipalArn", p.RoleARN)
	} else {
		set("aws:PrincipalArn", p.ARN)
	}
	switch p.Kind {
	case Root:
		set("aws:PrincipalType", "Account")
	case User:
		set("aws:PrincipalType", "User")
	case AssumedRole:
		set("aws:PrincipalType", "AssumedRole")
	case Anonymous:
		set("aws:PrincipalType", "Anonymous")
	}
	if _, ok := ctx["aws:currenttime"]; !ok {
		now := time.Now().UTC()
		ctx["aws:currenttime"] = []string{now.Format(time.RFC3339)}
		if _, ok := ctx["aws:epochtime"]; !ok {
			ctx["aws:epochtime"] = []string{strconv.FormatInt(now.Unix(), 10)}
		}
	}
	return ctx
}

// matches reports whether the principal set names p.
func (ps *PrincipalSet) matches(p Principal) bool {
	if ps.Any {
		return true
	}
	for _, a := range ps.AWS {
		if a == "*" {
			return true
		}
		if awsPrincipalMatches(a, p) {
			return true
		}
	}
	for _, s := range ps.Service {
		if s == "*" || (p.Kind == Service && strings.EqualFold(s, p.Service)) {
			return true
		}
	}
	for _, f := range ps.Federated {
		if f == "*" {
			return true
		}
	}
	for _, c := range ps.CanonicalUser {
		if c == "*" {
			return true
		}
	}
	return false
}

func awsPrincipalMatches(a string, p Principal) bool {
	authenticated := p.Kind != Anonymous && p.Kind != Service
	if accountRE.MatchString(a) {
		return authenticated && p.Account == a
	}
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 {
		return false
	}
	res := parts[5]
	switch {
	case res == "root":
		return authenticated && p.Account == parts[4]
	case strings.HasPrefix(res, "role/"):
		return (p.Kind == Role && p.ARN == a) || (p.Kind == AssumedRole && p.RoleARN == a)
	default:
		return authenticated && p.ARN == a
	}
}

// matches reports whether the statement applies to the request.
func (s *Statement) matches(req Request, ctx evalContext, vars bool) bool {
	if s.Principal != nil && s.Principal.matches(req.Principal) == s.NotPrincipal {
		return false
	}
	am := false
	for _, a := range s.Actions {
		if matchAction(a, req.Action) {
			am = true
			break
		}
	}
	if am == s.NotAction {
		return false
	}
	if s.HasResource {
		rm := false
		for _, r := range s.Resources {
			p, ok := expand(r, true, vars, ctx)
			if !ok {
				return false
			}
			if matchResource(p, req.Resource) {
				rm = true
			}
		}
		if rm == s.NotResource {
			return false
		}
	}
	for i := range s.Conditions {
		if !s.Conditions[i].eval(ctx, vars) {
			return false
		}
	}
	return true
}

// matchResource matches a resource pattern against a request resource. A
// request for "*" (actions without resource-level permissions) matches only
// the pattern "*".
func matchResource(p pattern, res string) bool {
	if p.isStar() {
		return true
	}
	if res == "*" {
		return false
	}
	return matchARN(p, res)
}

// collect appends the matching statements of n to out.
func collect(out []Match, req Request, ctx evalContext, n *Named, resource bool) []Match {
	if n == nil || n.Policy == nil {
		return out
	}
	vars := n.Policy.variables()
	for i := range n.Policy.Statements {
		st := &n.Policy.Statements[i]
		if st.matches(req, ctx, vars) {
			out = append(out, Match{Policy: n.Name, Resource: resource, Index: i + 1, Sid: st.Sid, Effect: st.Effect})
		}
	}
	return out
}

// Evaluate applies AWS's documented evaluation logic: an explicit deny in any
// policy wins; within one account (principal account == resource account, or
// ResourceAccount empty) an allow in the identity policies OR the resource
// policy suffices; across accounts both the identity policies AND the
// resource policy must allow; anonymous callers are allowed only by the
// resource policy, and so are service principals; otherwise the request is implicitly denied.
func Evaluate(req Request, identity []Named, resource *Named) Decision {
	ctx := newContext(req)
	var matches []Match
	for i := range identity {
		matches = collect(matches, req, ctx, &identity[i], false)
	}
	matches = collect(matches, req, ctx, resource, true)

	var deny, idAllow, resAllow *Match
	for i := range matches {
		m := &matches[i]
		switch {
		case m.Effect == "Deny":
			if deny == nil {
				deny = m
			}
		case m.Resource:
			if resAllow == nil {
				resAllow = m
			}
		default:
			if idAllow == nil {
				idAllow = m
			}
		}
	}
	d := Decision{Effect: EffectImplicitDeny, Matches: matches}
	allow := func(reason string) Decision {
		d.Allowed, d.Effect, d.Reason = true, EffectAllow, reason
		return d
	}
	if deny != nil {
		d.Effect = EffectExplicitDeny
		d.Reason = "explicitly denied by " + deny.String()
		return d
	}
	what := req.Action + " on " + req.Resource
	if k := req.Principal.Kind; k == Anonymous || k == Service {
		who := "anonymous"
		if k == Service {
			who = "service principal " + req.Principal.Service
		}
		if resAllow != nil {
			return allow("allowed by " + resAllow.String() + " (" + who + ")")
		}
		d.Reason = "no statement in the resource policy allows " + who + " access to " + what
		return d
	}
	if req.ResourceAccount == "" || req.ResourceAccount == req.Principal.Account {
		switch {
		case idAllow != nil:
			return allow("allowed by " + idAllow.String())
		case resAllow != nil:
			return allow("allowed by " + resAllow.String())
		}
		d.Reason = "no statement in the identity policies or the resource policy allows " + what
		return d
	}
	switch {
	case idAllow != nil && resAllow != nil:
		return allow(fmt.Sprintf("cross-account: allowed by %s and by %s", idAllow, resAllow))
	case resAllow != nil:
		d.Reason = fmt.Sprintf("cross-account: allowed by the resource policy but no identity policy of account %s allows it", req.Principal.Account)
	case idAllow != nil && resource == nil:
		d.Reason = fmt.Sprintf("cross-account: allowed by %s but account %s has no resource policy that allows it", idAllow, req.ResourceAccount)
	case idAllow != nil:
		d.Reason = fmt.Sprintf("cross-account: allowed by %s but the resource policy of account %s does not allow it", idAllow, req.ResourceAccount)
	default:
		d.Reason = "cross-account: no statement in the identity policies or the resource policy allows " + what
	}
	return d
}
