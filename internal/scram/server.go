package scram

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// AuthError is a failed authentication. Message is all the client may be
// told (Kafka's wording); Reason says why, for the log. Neither holds a
// secret.
type AuthError struct {
	Message string
	Reason  error
}

func (e *AuthError) Error() string { return "scram: authentication failed: " + e.Reason.Error() }
func (e *AuthError) Unwrap() error { return e.Reason }

// authzMismatch is the message Kafka sends when the authorization id is
// not the user name (ScramSaslServer raises it as a
// SaslAuthenticationException, whose message reaches the client).
const authzMismatch = "Authentication failed: Client requested an authorization id that is different from username"

// ServerOption configures a Server.
type ServerOption func(*Server)

// Reauthentication marks the exchange as a re-authentication (KIP-368):
// failures then say "during re-authentication" as Kafka's do. Checking
// that the principal did not change is the caller's.
func Reauthentication() ServerOption {
	return func(s *Server) { s.reauth = true }
}

type serverState int

const (
	stateClientFirst serverState = iota
	stateClientFinal
	stateComplete
	stateFailed
)

// Server is the server side of one SCRAM exchange: two client messages,
// two replies. It is not safe for concurrent use.
type Server struct {
	creds     *Credentials
	cluster   string
	mechName  string
	m         *mechanism // nil for an unsupported mechanism
	reauth    bool
	nonceFunc func() string

	state       serverState
	first       clientFirst
	serverFirst string
	nonce       string // client nonce + server nonce
	cred        Credential
	known       bool            // cred is the user's, not a mock
	gone        <-chan struct{} // closed when cred is deleted or replaced
	rev         int64

	user string // set on success
}

// NewServer starts an exchange for a client of the cluster with the SASL
// mechanism (SCRAM-SHA-256 or SCRAM-SHA-512; any other fails the first
// Step).
func NewServer(creds *Credentials, cluster, mechanism string, opts ...ServerOption) *Server {
	s := &Server{creds: creds, cluster: cluster, mechName: mechanism, m: lookupMechanism(mechanism), nonceFunc: serverNonce}
	for _, o := range opts {
		o(s)
	}
	return s
}

// serverNonce returns 32 random characters of the URL-safe base64
// alphabet (printable, without ",").
func serverNonce() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Step takes the client's next message and returns the reply. done is true
// with the server-final message once the client proved its password; the
// exchange then is over. An error (always an *AuthError) ends the
// exchange; the reply is then nil.
func (s *Server) Step(msg []byte) (reply []byte, done bool, err error) {
	return s.StepContext(context.Background(), msg)
}

// StepContext is Step with a context bounding the credential lookup (only
// the first use of a cluster reads the store).
func (s *Server) StepContext(ctx context.Context, msg []byte) (reply []byte, done bool, err error) {
	switch s.state {
	case stateClientFirst:
		reply, err = s.clientFirst(ctx, msg)
		if err != nil {
			return nil, false, s.fail(err)
		}
		s.state = stateClientFinal
		return reply, false, nil
	case stateClientFinal:
		reply, err = s.clientFinal(msg)
		if err != nil {
			return nil, false, s.fail(err)
		}
		s.state = stateComplete
		return reply, true, nil
	case stateComplete:
		return nil, false, s.fail(errors.New("message after the exchange completed"))
	default:
		return nil, false, s.fail(errors.New("message after the exchange failed"))
	}
}

// fail ends the exchange; err is an *AuthError or the reason for the
// generic one.
func (s *Server) fail(err error) error {
	s.state = stateFailed
	s.user = ""
	s.forget()
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae
	}
	phase := "authentication"
	if s.reauth {
		phase = "re-authentication"
	}
	return &AuthError{
		Message: fmt.Sprintf("Authentication failed during %s due to invalid credentials with SASL mechanism %s", phase, s.mechName),
		Reason:  err,
	}
}

// forget drops the keys once they are no longer needed.
func (s *Server) forget() {
	s.cred = Credential{}
	s.first = clientFirst{}
	s.serverFirst = ""
}

func (s *Server) clientFirst(ctx context.Context, msg []byte) ([]byte, error) {
	if s.m == nil {
		return nil, fmt.Errorf("%w %q", ErrUnsupportedMechanism, s.mechName)
	}
	cf, err := parseClientFirst(msg)
	if err != nil {
		return nil, fmt.Errorf("invalid client-first message: %w", err)
	}
	if cf.authzid != "" && cf.authzid != cf.user {
		return nil, &AuthError{Message: authzMismatch, Reason: fmt.Errorf("user %q asked for authorization id %q", cf.user, cf.authzid)}
	}
	if cf.tokenAuth {
		return nil, fmt.Errorf("user %q asked for delegation token authentication, which kafkalink does not offer", cf.user)
	}
	e, err := s.creds.entry(ctx, s.cluster, cf.user, s.m)
	if err != nil {
		return nil, fmt.Errorf("credentials could not be obtained: %w", err)
	}
	// The mock is derived for known users too, so that the time taken
	// does not tell whether the user exists.
	s.cred = s.creds.mockCredential(s.cluster, cf.user, s.m)
	if e != nil {
		s.cred, s.known, s.gone, s.rev = e.cred, true, e.gone, e.rev
	}
	s.first = cf
	s.nonce = cf.nonce + s.nonceFunc()
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.cred.Salt) + ",i=" + strconv.Itoa(s.cred.Iterations)
	return []byte(s.serverFirst), nil
}

func (s *Server) clientFinal(msg []byte) ([]byte, error) {
	cf, err := parseClientFinal(msg)
	if err != nil {
		return nil, fmt.Errorf("invalid client-final message: %w", err)
	}
	// c= must be the gs2 header the client sent. Kafka does not check it;
	// its own client always sends "n,," (base64 "biws"), and so does
	// franz-go even with an authorization id, so "n,," is accepted too.
	if cb := string(cf.channelBinding); cb != s.first.gs2Header && cb != "n,," {
		return nil, errors.New("channel binding does not match the gs2 header")
	}
	// librdkafka sends its own nonce again in front of the combined one
	// ("r=" + cnonce + cnonce + snonce); Kafka accepts that, as it accepts
	// any nonce that ends with the combined one.
	if cf.nonce != s.nonce && cf.nonce != s.first.nonce+s.nonce {
		return nil, errors.New("invalid client nonce in the final client message")
	}
	if len(cf.proof) != s.m.size {
		return nil, fmt.Errorf("client proof of %d bytes, want %d", len(cf.proof), s.m.size)
	}
	authMessage := []byte(s.first.bare + "," + s.serverFirst + "," + cf.withoutProof)
	// ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof
	// holds if H(ClientKey) is StoredKey.
	clientKey := s.m.hmac(s.cred.StoredKey, authMessage)
	for i := range clientKey {
		clientKey[i] ^= cf.proof[i]
	}
	valid := hmac.Equal(s.m.hash(clientKey), s.cred.StoredKey)
	clear(clientKey)
	switch {
	case !s.known:
		return nil, fmt.Errorf("user %q has no %s credential", s.first.user, s.m.name)
	case !valid:
		return nil, fmt.Errorf("invalid client proof for user %q", s.first.user)
	}
	select {
	case <-s.gone:
		return nil, fmt.Errorf("the %s credential of user %q changed during the exchange", s.m.name, s.first.user)
	default:
	}
	signature := s.m.hmac(s.cred.ServerKey, authMessage)
	s.user = s.first.user
	s.forget()
	return []byte("v=" + base64.StdEncoding.EncodeToString(signature)), nil
}

// User returns the authenticated user's name, or "" before success.
func (s *Server) User() string { return s.user }

// Principal returns the authenticated Kafka principal, "User:<name>", or
// "" before success.
func (s *Server) Principal() string {
	if s.user == "" {
		return ""
	}
	return "User:" + s.user
}

// Mechanism returns the exchange's SASL mechanism.
func (s *Server) Mechanism() string { return s.mechName }

// Revision returns the store revision of the credential the client
// authenticated with, or 0 before success.
func (s *Server) Revision() int64 {
	if s.user == "" {
		return 0
	}
	return s.rev
}

// Changed returns, after success, a channel that is closed once the
// credential the client authenticated with is deleted or replaced; the
// gateway ends (or re-authenticates) the session then. Before success it
// returns nil.
func (s *Server) Changed() <-chan struct{} {
	if s.user == "" {
		return nil
	}
	return s.gone
}
