package iam

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/policy"
)

var sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// AssumedRole is what AssumeRole returns besides the credentials.
type AssumedRole struct {
	ARN string // arn:aws:sts::<acct>:assumed-role/<role>/<session>
	ID  string // <role id>:<session>
}

// AssumeRole issues temporary credentials for a role session. Both the
// role's trust policy and the caller's identity policies are evaluated, as
// AWS does: across accounts both must allow; within the role's account the
// trust policy suffices when it names the caller itself, and otherwise (it
// trusts the whole account) the caller's identity policy must allow too.
func (s *Service) AssumeRole(ctx context.Context, c Caller, roleARN, sessionName string, duration time.Duration) (Credentials, AssumedRole, error) {
	if !sessionNameRe.MatchString(sessionName) {
		return Credentials{}, AssumedRole{}, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", sessionName)
	}
	parts := splitARN(roleARN)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return Credentials{}, AssumedRole{}, errf(400, "ValidationError", "%s is invalid", roleARN)
	}
	roleAcct, roleName := parts[4], parts[5][strings.LastIndex(parts[5], "/")+1:]
	denied := errf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.Principal.ARN, roleARN)
	r, err := s.Role(ctx, roleAcct, roleName)
	if err != nil || r.ARN != roleARN {
		return Credentials{}, AssumedRole{}, denied
	}
	trust, err := policy.Parse(r.TrustPolicy, policy.Trust)
	if err != nil {
		return Credentials{}, AssumedRole{}, fmt.Errorf("iam: stored trust policy of %s: %w", r.ARN, err)
	}
	trustNamed := &policy.Named{Name: "trust policy of " + r.ARN, Policy: trust}
	d, err := s.Authorize(ctx, c, "sts:AssumeRole", r.ARN, roleAcct, trustNamed, nil)
	if err != nil {
		return Credentials{}, AssumedRole{}, err
	}
	if d.Allowed && roleAcct == c.Principal.Account && c.Principal.Kind != policy.Root {
		// Within one account the union rule lets a trust policy that
		// trusts the whole account stand alone; AWS then requires the
		// identity policy too. Ask the trust policy alone about this
		// exact principal.
		// The account is changed on both sides so that the request stays
		// within one account and only an exact principal ARN can match.
		alone := c.Principal
		alone.Account = "000000000000"
		t := policy.Evaluate(policy.Request{Principal: alone, Action: "sts:AssumeRole", Resource: r.ARN, ResourceAccount: alone.Account}, nil, trustNamed)
		if !t.Allowed {
			ident, err := s.IdentityPolicies(ctx, c)
			if err != nil {
				return Credentials{}, AssumedRole{}, err
			}
			if id := policy.Evaluate(policy.Request{Principal: c.Principal, Action: "sts:AssumeRole", Resource: r.ARN, ResourceAccount: roleAcct}, ident, nil); !id.Allowed {
				d = id
			}
		}
	}
	if !d.Allowed {
		return Credentials{}, AssumedRole{}, denied
	}
	max := time.Duration(r.MaxSessionDuration) * time.Second
	if c.Principal.Kind == policy.AssumedRole {
		max = time.Hour // role chaining
	}
	if duration == 0 {
		duration = time.Hour
	}
	if duration < 15*time.Minute || duration > max {
		return Credentials{}, AssumedRole{}, errf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	creds, err := s.newSession(ctx, AccessKey{Account: roleAcct, RoleName: r.Name, SessionName: sessionName}, duration)
	if err != nil {
		return Credentials{}, AssumedRole{}, err
	}
	return creds, AssumedRole{ARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", roleAcct, r.Name, sessionName), ID: r.ID + ":" + sessionName}, nil
}

// GetSessionToken issues temporary credentials for the caller itself; only
// long-term keys may ask.
func (s *Service) GetSessionToken(ctx context.Context, c Caller, duration time.Duration) (Credentials, error) {
	if c.Temporary {
		return Credentials{}, errf(403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
	max := 36 * time.Hour
	if c.Principal.Kind == policy.Root {
		max = time.Hour
	}
	if duration == 0 {
		duration = min(12*time.Hour, max)
	}
	if duration < 15*time.Minute || duration > max {
		return Credentials{}, errf(400, "ValidationError", "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and %d", int(duration.Seconds()), int(max.Seconds()))
	}
	return s.newSession(ctx, AccessKey{Account: c.Principal.Account, User: c.UserName}, duration)
}

// newSession stores temporary credentials.
func (s *Service) newSession(ctx context.Context, k AccessKey, d time.Duration) (Credentials, error) {
	k.ID = randomID("ASIA", 16)
	secret, token := randomSecret(40), randomSecret(200)
	k.Secret = s.sealer.seal(secret, k.ID)
	k.Token = s.sealer.seal(token, k.ID+"/token")
	k.Status = "Active"
	k.Created = s.now().UTC()
	k.Expires = k.Created.Add(d).Truncate(time.Second)
	ok, err := s.create(ctx, keysPrefix+k.ID, k)
	if err != nil {
		return Credentials{}, err
	}
	if !ok {
		return Credentials{}, fmt.Errorf("iam: access key id collision")
	}
	return Credentials{AccessKeyID: k.ID, SecretAccessKey: secret, SessionToken: token, Expires: k.Expires, Created: k.Created}, nil
}
