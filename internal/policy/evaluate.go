package policy

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// principals is the compiled form of a PrincipalSet.
type principals struct {
	any          bool     // "*" or {"AWS": "*"}
	accounts     []string // account ids, from "111111111111" or arn:aws:iam::111111111111:root
	arns         []string // user, role, assumed-role session and federated-user ARNs
	services     []string
	anyService   bool
	federated    []string
	anyFederated bool
}

func compilePrincipals(ps *PrincipalSet) *principals {
	c := &principals{any: ps.Any}
	for _, a := range ps.AWS {
		switch {
		case a == "*":
			c.any = true
		case accountRE.MatchString(a):
			c.accounts = append(c.accounts, a)
		default:
			if parts := strings.SplitN(a, ":", 6); len(parts) == 6 && parts[2] == "iam" && parts[5] == "root" {
				c.accounts = append(c.accounts, parts[4])
			} else {
				c.arns = append(c.arns, a)
			}
		}
	}
	for _, s := range ps.Service {
		if s == "*" {
			c.anyService = true
		}
		c.services = append(c.services, s)
	}
	for _, f := range ps.Federated {
		if f == "*" {
			c.anyFederated = true
		}
		c.federated = append(c.federated, f)
	}
	return c
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// listed tells how the set names caller p. AWS authorizes an IAM caller as
// a chain of identities: its account, then (for a role session) the role,
// then the user, role session or federated user itself. anyListed reports
// that the set names some identity of the chain, allListed that it names
// every one, and direct that it names the caller other than through its
// account alone (a principal ARN, the role of a session, or "*").
//
// A Principal element applies when anyListed; a role ARN there applies to
// the role's sessions. A NotPrincipal element with Allow applies when no
// identity of the chain is listed; with Deny it applies unless every one
// is, which is why AWS asks NotPrincipal to list the account (and the
// role) of the principal it spares.
func (c *principals) listed(p *Principal) (anyListed, allListed, direct bool) {
	if c.any {
		return true, true, true
	}
	switch p.Kind {
	case Anonymous:
		return false, false, false
	case Service:
		l := c.anyService
		for _, s := range c.services {
			l = l || strings.EqualFold(s, p.Service)
		}
		return l, l, l
	case Federated:
		l := c.anyFederated || (p.Provider != "" && contains(c.federated, p.Provider))
		return l, l, l
	case Root:
		l := p.Account != "" && contains(c.accounts, p.Account)
		return l, l, l
	}
	acct := p.Account != "" && contains(c.accounts, p.Account)
	self := p.ARN != "" && contains(c.arns, p.ARN)
	anyListed, allListed, direct = acct || self, acct && self, self
	if p.Kind == AssumedRole {
		role := p.RoleARN != "" && contains(c.arns, p.RoleARN)
		anyListed, allListed, direct = anyListed || role, allListed && role, direct || role
	}
	return anyListed, allListed, direct
}

// ctxEntry is one key of the request context.
type ctxEntry struct {
	key  string
	vals []string
}

// Derived condition keys, by index into evaluator.derived.
const (
	dUsername = iota
	dUserID
	dPrincipalAccount
	dPrincipalArn
	dPrincipalType
	dIsAWSService
	dServiceName
	dCurrentTime
	dEpochTime
	nDerived
)

// evaluator holds the state of one Evaluate call. Evaluators are pooled so
// that evaluation does not allocate for context lookups and variable
// expansion.
type evaluator struct {
	req       Request
	ctx       []ctxEntry
	ctxBuilt  bool
	scratch   []byte
	offs      []int
	derived   [nDerived][1]string
	usedClock bool
	clock     bool
	now       time.Time
	// nowFunc, when set, replaces the clock (tests).
	nowFunc func() time.Time
}

var evaluators = sync.Pool{New: func() any { return new(evaluator) }}

func (ev *evaluator) reset(req *Request) {
	ev.req = *req
	ev.ctx = ev.ctx[:0]
	ev.ctxBuilt = false
	ev.usedClock = false
	ev.clock = false
}

func (ev *evaluator) release() {
	ev.req = Request{}
	clear(ev.ctx)
	ev.ctx = ev.ctx[:0]
	ev.derived = [nDerived][1]string{}
	if cap(ev.scratch) > 64<<10 {
		ev.scratch = nil
	}
	evaluators.Put(ev)
}

// one returns a one-value list held in the evaluator (no allocation).
func (ev *evaluator) one(i int, v string) []string {
	ev.derived[i][0] = v
	return ev.derived[i][:]
}

// derivedKey returns the value of a condition key derived from the
// principal. isDerived reports that lk is such a key; vals is nil when the
// principal has no value for it.
func (ev *evaluator) derivedKey(lk string) (vals []string, isDerived bool) {
	if !strings.HasPrefix(lk, "aws:") {
		return nil, false
	}
	p := &ev.req.Principal
	authenticated := p.Kind != Anonymous && p.Kind != Service && p.Kind != Federated
	switch lk {
	case "aws:username":
		if p.Kind == User && p.UserName != "" {
			return ev.one(dUsername, p.UserName), true
		}
	case "aws:userid":
		if authenticated && p.UserID != "" {
			return ev.one(dUserID, p.UserID), true
		}
	case "aws:principalaccount":
		if authenticated && p.Account != "" {
			return ev.one(dPrincipalAccount, p.Account), true
		}
	case "aws:principalarn":
		arn := p.ARN
		if p.Kind == AssumedRole && p.RoleARN != "" {
			arn = p.RoleARN
		}
		if authenticated && arn != "" {
			return ev.one(dPrincipalArn, arn), true
		}
	case "aws:principaltype":
		t := ""
		switch p.Kind {
		case Root:
			t = "Account"
		case User:
			t = "User"
		case AssumedRole:
			t = "AssumedRole"
		case FederatedUser:
			t = "FederatedUser"
		case Anonymous:
			t = "Anonymous"
		}
		if t != "" {
			return ev.one(dPrincipalType, t), true
		}
	case "aws:principalisawsservice":
		if p.Kind == Service {
			return ev.one(dIsAWSService, "true"), true
		}
		if p.Kind != Anonymous {
			return ev.one(dIsAWSService, "false"), true
		}
	case "aws:principalservicename":
		if p.Kind == Service && p.Service != "" {
			return ev.one(dServiceName, p.Service), true
		}
	default:
		return nil, false
	}
	return nil, true
}

// values returns the values of the condition key with lower-case name lk;
// present is false when the request has none.
func (ev *evaluator) values(lk string) (vals []string, present bool) {
	if v, ok := ev.derivedKey(lk); ok {
		return v, len(v) > 0
	}
	if !ev.ctxBuilt {
		for k, v := range ev.req.Context {
			ev.ctx = append(ev.ctx, ctxEntry{key: k, vals: v})
		}
		ev.ctxBuilt = true
	}
	found := -1
	for i := range ev.ctx {
		if keyEqual(ev.ctx[i].key, lk) {
			if found >= 0 {
				return ev.merged(lk), true
			}
			found = i
		}
	}
	if found >= 0 && len(ev.ctx[found].vals) > 0 {
		return ev.ctx[found].vals, true
	}
	switch lk {
	case "aws:currenttime":
		ev.readClock()
		return ev.one(dCurrentTime, ev.now.Format(time.RFC3339)), true
	case "aws:epochtime":
		ev.readClock()
		return ev.one(dEpochTime, strconv.FormatInt(ev.now.Unix(), 10)), true
	}
	return nil, false
}

// merged returns the values of every context key spelled as lk in any
// case, in the order of the keys as written (rare: callers normally spell
// each key once).
func (ev *evaluator) merged(lk string) []string {
	var keys []string
	for i := range ev.ctx {
		if keyEqual(ev.ctx[i].key, lk) {
			keys = append(keys, ev.ctx[i].key)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, ev.req.Context[k]...)
	}
	return out
}

func (ev *evaluator) readClock() {
	ev.usedClock = true
	if !ev.clock {
		if ev.nowFunc != nil {
			ev.now = ev.nowFunc().UTC()
		} else {
			ev.now = time.Now().UTC()
		}
		ev.clock = true
	}
}

// single returns the value of a single-valued key for a policy variable.
// Multivalued keys cannot be policy variables and count as missing.
func (ev *evaluator) single(lk string) (string, bool) {
	v, _ := ev.values(lk)
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// matchResource matches a glob-form resource pattern against the request
// resource. A request for "*" (an action without resource-level
// permissions) matches only the pattern "*".
func matchResource[P ~string | ~[]byte](p P, res string) bool {
	if isStar(p) {
		return true
	}
	if res == "*" {
		return false
	}
	return matchARN(p, res)
}

// matches reports whether statement s applies to the request, and whether
// it names the caller only through the caller's account.
func (ev *evaluator) matches(s *Statement) (ok, delegated bool) {
	req := &ev.req
	am := false
	for i := range s.actions {
		if s.actions[i].match(req.Action) {
			am = true
			break
		}
	}
	if am == s.NotAction {
		return false, false
	}
	if s.prin != nil {
		anyL, allL, direct := s.prin.listed(&req.Principal)
		switch {
		case !s.NotPrincipal:
			if !anyL {
				return false, false
			}
			delegated = !direct
		case s.deny:
			if allL {
				return false, false
			}
		default:
			if anyL {
				return false, false
			}
		}
	}
	if s.HasResource {
		rm := false
		for i := range s.resources {
			t := &s.resources[i]
			if t.static() {
				rm = rm || matchResource(t.text, req.Resource)
				continue
			}
			var ok bool
			ev.scratch, ok = t.expand(ev.scratch[:0], ev, true)
			if !ok {
				// A policy variable without a value invalidates the statement.
				return false, false
			}
			rm = rm || matchResource(ev.scratch, req.Resource)
		}
		if rm == s.NotResource {
			return false, false
		}
	}
	for i := range s.Conditions {
		if !s.Conditions[i].eval(ev) {
			return false, false
		}
	}
	return true, delegated
}

// collect appends the matching statements of n to out.
func (ev *evaluator) collect(out []Match, n *Named, resource bool) []Match {
	if n == nil || n.Policy == nil {
		return out
	}
	p := n.Policy
	if !p.compiled {
		p = p.compiledCopy()
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		if ok, delegated := ev.matches(st); ok {
			out = append(out, Match{Policy: n.Name, Resource: resource, Index: i + 1, Sid: st.Sid, Effect: st.Effect,
				delegated: resource && delegated && !st.deny})
		}
	}
	return out
}

// Evaluate applies AWS's documented evaluation logic to one request:
//
//   - an explicit Deny in any of the policies wins;
//   - anonymous callers, service principals and federated identity-provider
//     callers are allowed only by the resource policy;
//   - within one account (ResourceAccount empty or the principal's own) an
//     Allow in the identity policies or in the resource policy suffices,
//     but a resource-policy Allow that names the caller only through its
//     account delegates to the identity policies, and a role trust policy
//     (a resource policy of Kind Trust) must itself allow the caller;
//   - across accounts both the identity policies and the resource policy
//     must allow;
//   - otherwise the request is implicitly denied.
//
// The Decision names the deciding statement, or says that none matched.
func Evaluate(req Request, identity []Named, resource *Named) Decision {
	return evaluate(&req, identity, resource, nil)
}

func evaluate(req *Request, identity []Named, resource *Named, now func() time.Time) Decision {
	ev := evaluators.Get().(*evaluator)
	ev.reset(req)
	ev.nowFunc = now
	var matches []Match
	for i := range identity {
		matches = ev.collect(matches, &identity[i], false)
	}
	matches = ev.collect(matches, resource, true)
	d := decide(&ev.req, matches, resource)
	d.UsedClock = ev.usedClock
	ev.nowFunc = nil
	ev.release()
	return d
}

// decide turns the matching statements into a Decision.
func decide(req *Request, matches []Match, resource *Named) Decision {
	var deny, idAllow, resAllow, resDelegated *Match
	for i := range matches {
		m := &matches[i]
		switch {
		case m.Effect == "Deny":
			if deny == nil {
				deny = m
			}
		case !m.Resource:
			if idAllow == nil {
				idAllow = m
			}
		case m.delegated:
			if resDelegated == nil {
				resDelegated = m
			}
		default:
			if resAllow == nil {
				resAllow = m
			}
		}
	}
	d := Decision{Effect: EffectImplicitDeny, Matches: matches}
	allow := func(reason string) Decision {
		d.Allowed, d.Effect, d.Reason = true, EffectAllow, reason
		return d
	}
	denied := func(reason string) Decision {
		d.Reason = reason
		return d
	}
	if deny != nil {
		d.Effect = EffectExplicitDeny
		return denied("explicitly denied by " + deny.String())
	}
	p := &req.Principal
	what := req.Action + " on " + req.Resource
	if k := p.Kind; k == Anonymous || k == Service || k == Federated {
		who := "anonymous"
		switch k {
		case Service:
			who = "service principal " + p.Service
		case Federated:
			who = "federated principal " + p.Provider
		}
		if resAllow != nil {
			return allow("allowed by " + resAllow.String() + " (" + who + ")")
		}
		return denied("no statement in the resource policy allows " + who + " access to " + what)
	}
	trust := resource != nil && resource.Policy != nil && resource.Policy.Kind == Trust
	if req.ResourceAccount == "" || req.ResourceAccount == p.Account {
		switch {
		case resAllow != nil && (trust || idAllow == nil):
			return allow("allowed by " + resAllow.String())
		case idAllow != nil && !trust:
			return allow("allowed by " + idAllow.String())
		case idAllow != nil && resDelegated != nil:
			return allow("allowed by " + idAllow.String() + " and by " + resDelegated.String() + ", which trusts account " + p.Account)
		case resDelegated != nil:
			return denied(resDelegated.String() + " allows account " + p.Account + ", which delegates to its identity policies, and no identity policy allows " + what)
		case idAllow != nil:
			return denied("allowed by " + idAllow.String() + ", but a role trust policy must itself allow the principal and no statement of " + resource.Name + " does")
		case trust:
			return denied("no statement in the identity policies or the trust policy allows " + what)
		}
		return denied("no statement in the identity policies or the resource policy allows " + what)
	}
	res := resAllow
	if res == nil {
		res = resDelegated
	}
	switch {
	case idAllow != nil && res != nil:
		return allow("cross-account: allowed by " + idAllow.String() + " and by " + res.String())
	case res != nil:
		return denied("cross-account: allowed by the resource policy but no identity policy of account " + p.Account + " allows it")
	case idAllow != nil && resource == nil:
		return denied("cross-account: allowed by " + idAllow.String() + " but account " + req.ResourceAccount + " has no resource policy that allows it")
	case idAllow != nil:
		return denied("cross-account: allowed by " + idAllow.String() + " but the resource policy of account " + req.ResourceAccount + " does not allow it")
	}
	return denied("cross-account: no statement in the identity policies or the resource policy allows " + what)
}
