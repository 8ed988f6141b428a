package authn

import (
	"context"
	"crypto/tls"
	"errors"

	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/scram"
)

// SCRAM authenticates with SASL/SCRAM-SHA-512 or -256 against the
// credentials kafkalink keeps for each cluster; the principal is
// "User:<name>".
type SCRAM struct {
	Credentials *scram.Credentials
}

// Name implements gateway.Authenticator.
func (a *SCRAM) Name() string { return "SASL_SCRAM" }

// Mechanisms implements gateway.Authenticator.
func (a *SCRAM) Mechanisms() []string { return []string{"SCRAM-SHA-512", "SCRAM-SHA-256"} }

// Certificate implements gateway.Authenticator: SCRAM listener sets do
// not authenticate by certificate.
func (a *SCRAM) Certificate(gateway.ConnInfo, tls.ConnectionState) (*gateway.Identity, error) {
	return nil, errors.New("SCRAM listener sets authenticate with SASL")
}

// NewSASL implements gateway.Authenticator.
func (a *SCRAM) NewSASL(mechanism string, c gateway.ConnInfo) gateway.SASLExchange {
	return &scramExchange{srv: scram.NewServer(a.Credentials, c.Cluster, mechanism), mech: mechanism}
}

type scramExchange struct {
	srv  *scram.Server
	mech string
}

// Step implements gateway.SASLExchange. A failure tells the client what a
// Kafka broker tells it, and nothing about why.
func (x *scramExchange) Step(ctx context.Context, msg []byte) ([]byte, bool, *gateway.Identity, error) {
	reply, done, err := x.srv.StepContext(ctx, msg)
	if err != nil {
		return nil, false, nil, &gateway.AuthError{
			Message: "Authentication failed during authentication due to invalid credentials with SASL mechanism " + x.mech,
			Reason:  err.Error(),
		}
	}
	if !done {
		return reply, false, nil, nil
	}
	return reply, true, &gateway.Identity{Principal: x.srv.Principal(), Mechanism: x.mech}, nil
}
