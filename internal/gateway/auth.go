package gateway

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Authenticator authenticates the clients of a listener set: with SASL
// (SaslHandshake and SaslAuthenticate, answered by the gateway itself,
// never by the upstream), or with the client's TLS certificate. A listener
// set without one is unauthenticated.
type Authenticator interface {
	// Name is the listener set's authentication as people see it:
	// "IAM", "SASL_SCRAM" or "TLS".
	Name() string
	// Mechanisms are the SASL mechanisms offered; none for mTLS.
	Mechanisms() []string
	// NewSASL starts a SASL exchange with one of Mechanisms.
	NewSASL(mechanism string, c ConnInfo) SASLExchange
	// Certificate returns the identity of a client whose certificate the
	// TLS handshake verified (listener sets without SASL mechanisms).
	Certificate(c ConnInfo, cs tls.ConnectionState) (*Identity, error)
}

// SASLExchange is one SASL authentication on a connection.
type SASLExchange interface {
	// Step takes the client's next message and returns the reply; when
	// done, ident is who the client is. An error ends the exchange: an
	// *AuthError says what the client may be told.
	Step(ctx context.Context, msg []byte) (reply []byte, done bool, ident *Identity, err error)
}

// Identity is who an authenticated client is.
type Identity struct {
	// Principal names the client: an IAM ARN, or "User:<name>".
	Principal string
	// Mechanism is how it authenticated (AWS_MSK_IAM, SCRAM-SHA-512, TLS…).
	Mechanism string
	// Expires is when the credentials it authenticated with stop working;
	// zero when they do not expire. The session must not outlive them.
	Expires time.Time
	// Subject is what the authorizer needs to decide its requests.
	Subject any
}

// AuthError is a failed authentication. Message is all the client is
// told; Reason, which may say more, is logged.
type AuthError struct {
	Message string
	Reason  string
}

func (e *AuthError) Error() string { return e.Reason }

// ConnInfo describes the connection being authenticated.
type ConnInfo struct {
	Cluster, Listener string
	Broker            int32
	// Host is the broker host the client connected to, as this listener
	// set advertises it (no port).
	Host   string
	Remote net.Addr
	// RequestID identifies this authentication in the client's error and
	// in the log.
	RequestID string
	// Context holds the listener set's extra facts about its sessions
	// (ListenerSetConfig.Context), e.g. "aws:SourceVpc": "vpc-…",
	// "aws:SourceVpce": "vpce-…", "kafkalink:VpcConnection": an ARN; nil
	// when the set declares none. Authorizers may use them as condition
	// keys. Each connection has its own copy.
	Context map[string]string
}

// authState is a session's authentication: who the client is, until when,
// and the exchange under way during (re-)authentication.
type authState struct {
	a        Authenticator
	info     ConnInfo
	lifetime time.Duration // the listener set's maximum, 0 for none
	now      func() time.Time

	mech     string
	exchange SASLExchange
	ident    *Identity
	deadline time.Time // zero: the session does not expire
}

// errAuthFailed ends a connection after its failed authentication has been
// answered.
var errAuthFailed = errors.New("authentication failed")

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// handshake answers a SaslHandshake request.
func (as *authState) handshake(req *kmsg.SASLHandshakeRequest) *kmsg.SASLHandshakeResponse {
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.SupportedMechanisms = as.a.Mechanisms()
	if !slices.Contains(resp.SupportedMechanisms, req.Mechanism) {
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		as.exchange = nil
		return resp
	}
	as.mech = req.Mechanism
	as.info.RequestID = newRequestID()
	as.exchange = as.a.NewSASL(req.Mechanism, as.info)
	return resp
}

// authenticate answers a SaslAuthenticate request. A non-nil error means
// the response carries the failure and the connection must then close.
func (as *authState) authenticate(ctx context.Context, req *kmsg.SASLAuthenticateRequest) (*kmsg.SASLAuthenticateResponse, error) {
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	fail := func(msg string, err error) (*kmsg.SASLAuthenticateResponse, error) {
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		resp.ErrorMessage = &msg
		as.exchange = nil
		return resp, err
	}
	if as.exchange == nil {
		return fail("["+as.info.RequestID+"]: SaslAuthenticate without a SaslHandshake", errors.New("SaslAuthenticate without a SaslHandshake"))
	}
	reply, done, ident, err := as.exchange.Step(ctx, req.SASLAuthBytes)
	if err != nil {
		var ae *AuthError
		if errors.As(err, &ae) {
			return fail("["+as.info.RequestID+"]: "+ae.Message, err)
		}
		return fail("["+as.info.RequestID+"]: authentication failed", err)
	}
	resp.SASLAuthBytes = reply
	if !done {
		return resp, nil
	}
	as.exchange = nil
	if as.ident != nil && ident.Principal != as.ident.Principal {
		return fail("["+as.info.RequestID+"]: re-authentication must not change the principal",
			fmt.Errorf("re-authentication as %s refused: the session is %s", ident.Principal, as.ident.Principal))
	}
	now := as.now()
	as.ident, as.deadline = ident, time.Time{}
	if as.lifetime > 0 {
		as.deadline = now.Add(as.lifetime)
	}
	if !ident.Expires.IsZero() && (as.deadline.IsZero() || ident.Expires.Before(as.deadline)) {
		as.deadline = ident.Expires
	}
	if !as.deadline.IsZero() {
		resp.SessionLifetimeMillis = max(as.deadline.Sub(now).Milliseconds(), 1)
	}
	return resp, nil
}

// expired reports whether the session outlived its credentials or lifetime.
func (as *authState) expired() bool {
	return !as.deadline.IsZero() && !as.now().Before(as.deadline)
}

// saslRequest answers SaslHandshake and SaslAuthenticate, framed. A
// non-nil error means the connection must close once the answer is sent.
func (as *authState) saslRequest(ctx context.Context, h reqHeader, a *apiInfo, body []byte) ([]byte, error) {
	switch h.key {
	case int16(kmsg.SASLHandshake):
		req := kmsg.NewPtrSASLHandshakeRequest()
		req.Version = h.version
		if err := req.ReadFrom(body); err != nil {
			return nil, fmt.Errorf("SaslHandshake: %w", err)
		}
		return frameResponse(h.correlation, a.flexible(h.version), as.handshake(req)), nil
	case int16(kmsg.SASLAuthenticate):
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.Version = h.version
		if err := req.ReadFrom(body); err != nil {
			return nil, fmt.Errorf("SaslAuthenticate: %w", err)
		}
		resp, err := as.authenticate(ctx, req)
		return frameResponse(h.correlation, a.flexible(h.version), resp), err
	}
	return nil, fmt.Errorf("not a SASL request: %s", kmsg.NameForKey(h.key))
}

// requestBody reads a request frame whose header has been peeked and
// returns the body after the request header.
func requestBody(r *bufio.Reader, h reqHeader) ([]byte, error) {
	frame := make([]byte, 4+int(h.size))
	if _, err := io.ReadFull(r, frame); err != nil {
		return nil, err
	}
	return frame[4+h.headerLen:], nil
}

// preAuthenticate runs a connection's authentication before any upstream
// connection exists: only ApiVersions, SaslHandshake and SaslAuthenticate
// are answered, as a Kafka broker does on a SASL listener; anything else
// closes the connection.
func (s *listenerSet) preAuthenticate(ctx context.Context, conn net.Conn, r *bufio.Reader, as *authState) error {
	g := s.c.gw
	w := bufio.NewWriter(conn)
	for as.ident == nil {
		h, err := peekRequestHeader(r, g.maxFrame, s.api)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		a, ok := s.api.lookup(h.key, h.version)
		if !ok || !(h.key == int16(kmsg.ApiVersions) || h.key == int16(kmsg.SASLHandshake) || h.key == int16(kmsg.SASLAuthenticate)) ||
			(h.key == int16(kmsg.SASLHandshake) && h.version < 1) {
			return fmt.Errorf("client: unexpected %s v%d request before authentication", kmsg.NameForKey(h.key), h.version)
		}
		body, err := requestBody(r, h)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		var out []byte
		var authErr error
		if h.key == int16(kmsg.ApiVersions) {
			out = s.c.apiVersionsResponse(s, h, a)
		} else if out, authErr = as.saslRequest(ctx, h, a, body); out == nil {
			return fmt.Errorf("client: %w", authErr)
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if authErr != nil {
			return fmt.Errorf("%w: %w", errAuthFailed, authErr)
		}
	}
	return nil
}
