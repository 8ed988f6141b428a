// Package authn authenticates Kafka clients for the gateway's
// authenticated listener sets. IAM: AWS_MSK_IAM payloads and OAUTHBEARER
// tokens made by the MSK IAM signers, verified with SigV4 against the
// access keys kafkalink's own IAM issued. A client is told only that it
// failed and the request id; the log says why.
package authn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/sigv4"
)

// SASL mechanism names.
const (
	MechanismIAM         = "AWS_MSK_IAM"
	MechanismOAuthBearer = "OAUTHBEARER"
)

// IAM authenticates with kafkalink's IAM credentials.
type IAM struct {
	Verifier *sigv4.Verifier
	IAM      *iam.Service
	// Region is the cluster's region: credential scopes must name it.
	Region string
	// Hosts are the OAUTHBEARER token hosts accepted besides
	// kafka.<region>.amazonaws.com.
	Hosts []string
	// Replays, shared by every listener set that accepts the same
	// credentials, refuses tokens replayed from another address; nil
	// turns replay detection off.
	Replays *Replays
}

// Name implements gateway.Authenticator.
func (a *IAM) Name() string { return "IAM" }

// Mechanisms implements gateway.Authenticator.
func (a *IAM) Mechanisms() []string { return []string{MechanismIAM, MechanismOAuthBearer} }

// Certificate implements gateway.Authenticator: IAM listener sets do not
// authenticate by certificate.
func (a *IAM) Certificate(gateway.ConnInfo, tls.ConnectionState) (*gateway.Identity, error) {
	return nil, errors.New("IAM listener sets authenticate with SASL")
}

// NewSASL implements gateway.Authenticator.
func (a *IAM) NewSASL(mechanism string, c gateway.ConnInfo) gateway.SASLExchange {
	return &iamExchange{a: a, mech: mechanism, conn: c}
}

type iamExchange struct {
	a    *IAM
	mech string
	conn gateway.ConnInfo
	done bool
}

// Step verifies the client's single message.
func (x *iamExchange) Step(ctx context.Context, msg []byte) ([]byte, bool, *gateway.Identity, error) {
	if x.done {
		return nil, false, nil, &gateway.AuthError{Message: "unexpected SASL message", Reason: "a message after the exchange completed"}
	}
	x.done = true
	var res sigv4.Result
	var err error
	switch x.mech {
	case MechanismIAM:
		res, err = x.a.Verifier.VerifyMSKIAM(ctx, msg, x.conn.Host, x.a.Region)
	case MechanismOAuthBearer:
		token, perr := oauthBearerToken(msg)
		if perr != nil {
			return nil, false, nil, &gateway.AuthError{Message: "malformed OAUTHBEARER message", Reason: perr.Error()}
		}
		res, err = x.a.Verifier.VerifyOAuthBearer(ctx, token, x.a.Region, x.a.Hosts)
	default:
		return nil, false, nil, &gateway.AuthError{Message: "unsupported mechanism", Reason: "mechanism " + x.mech}
	}
	if err != nil {
		return nil, false, nil, refusal(err)
	}
	if x.a.Replays != nil && x.a.Replays.Check(res.Signature, x.conn.Remote, res.Expires, x.a.now()) {
		return nil, false, nil, &gateway.AuthError{Message: "Access denied: invalid credentials",
			Reason: "a token first used from another address was replayed"}
	}
	caller, err := x.a.IAM.Resolve(ctx, res.AccessKeyID)
	if err != nil {
		return nil, false, nil, refusal(err)
	}
	ident := &gateway.Identity{Principal: caller.Principal.ARN, Mechanism: x.mech, Expires: res.CredentialExpires, Subject: caller}
	if x.mech == MechanismOAuthBearer {
		return []byte{}, true, ident, nil
	}
	return fmt.Appendf(nil, `{"version":%q,"request-id":%q}`, sigv4.MSKVersion, x.conn.RequestID), true, ident, nil
}

func (a *IAM) now() time.Time {
	if a.Verifier.Now != nil {
		return a.Verifier.Now()
	}
	return time.Now()
}

// refusal turns a verification failure into what the client may know: that
// its credentials were refused, and whether they had expired. The log
// keeps the whole reason.
func refusal(err error) *gateway.AuthError {
	msg := "Access denied: invalid credentials"
	var se *sigv4.Error
	var ie *iam.Error
	switch {
	case errors.As(err, &se) && (se.Code == sigv4.CodeRequestExpired || se.Code == sigv4.CodeExpiredToken):
		msg = "Access denied: the signature or the credentials have expired"
	case errors.As(err, &se) && se.Code == sigv4.CodeInvalidParameterValue:
		msg = "Access denied: malformed authentication payload"
	case errors.As(err, &ie) && ie.Code == "ExpiredToken":
		msg = "Access denied: the signature or the credentials have expired"
	case errors.As(err, &se) && se.Code == sigv4.CodeInternalFailure:
		msg = "Internal failure"
	}
	return &gateway.AuthError{Message: msg, Reason: err.Error()}
}

// oauthBearerToken extracts the token of an OAUTHBEARER client initial
// response (RFC 7628): gs2-header, then key=value pairs separated by ^A,
// one of which is auth=Bearer <token>.
func oauthBearerToken(msg []byte) (string, error) {
	if len(msg) > 16<<10 {
		return "", errors.New("OAUTHBEARER message too large")
	}
	gs2, rest, ok := bytes.Cut(msg, []byte{1})
	if !ok || !(bytes.HasPrefix(gs2, []byte("n,")) || bytes.HasPrefix(gs2, []byte("y,"))) || !bytes.HasSuffix(gs2, []byte(",")) {
		return "", errors.New("OAUTHBEARER message has no gs2 header")
	}
	if !bytes.HasSuffix(rest, []byte{1, 1}) && !bytes.HasSuffix(rest, []byte{1}) {
		return "", errors.New("OAUTHBEARER message is not terminated")
	}
	for _, kv := range strings.Split(strings.TrimRight(string(rest), "\x01"), "\x01") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", errors.New("OAUTHBEARER key/value pair without '='")
		}
		if k == "auth" {
			scheme, token, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return "", errors.New("OAUTHBEARER auth value is not 'Bearer <token>'")
			}
			return token, nil
		}
	}
	return "", errors.New("OAUTHBEARER message has no auth value")
}
