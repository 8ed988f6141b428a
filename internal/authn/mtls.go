package authn

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/kafkalink/kafkalink/internal/gateway"
)

// Principal mappings of client certificates.
const (
	// MapDN names the principal after the whole subject, as Kafka's
	// default mapping does: "User:CN=alice,OU=eng,O=example".
	MapDN = "dn"
	// MapCN names it after the subject's common name: "User:alice".
	MapCN = "cn"
)

// Certificate authenticates clients by the certificate the TLS handshake
// verified against the listener set's client CA.
type Certificate struct {
	// Mapping is MapDN (the default) or MapCN.
	Mapping string
}

// Name implements gateway.Authenticator.
func (a *Certificate) Name() string { return "TLS" }

// Mechanisms implements gateway.Authenticator: none, the certificate is
// the credential.
func (a *Certificate) Mechanisms() []string { return nil }

// NewSASL implements gateway.Authenticator; it is never called, since no
// mechanism is offered.
func (a *Certificate) NewSASL(string, gateway.ConnInfo) gateway.SASLExchange { return nil }

// Certificate implements gateway.Authenticator. The session ends when the
// certificate expires.
func (a *Certificate) Certificate(_ gateway.ConnInfo, cs tls.ConnectionState) (*gateway.Identity, error) {
	if len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return nil, errors.New("the client presented no verified certificate")
	}
	cert := cs.PeerCertificates[0]
	name := cert.Subject.String()
	switch a.Mapping {
	case MapCN:
		name = cert.Subject.CommonName
	case "", MapDN:
	default:
		return nil, fmt.Errorf("unknown principal mapping %q", a.Mapping)
	}
	if name == "" {
		return nil, errors.New("the client certificate has no subject to name a principal after")
	}
	return &gateway.Identity{Principal: "User:" + name, Mechanism: "TLS", Expires: cert.NotAfter}, nil
}
