package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Dialer opens authenticated connections to the brokers of one upstream
// cluster. Build it once per cluster with NewDialer; it is safe for
// concurrent use.
type Dialer struct {
	bootstrap []string
	timeout   time.Duration
	tls       *tls.Config    // nil: plaintext
	mech      sasl.Mechanism // nil: no SASL
	secrets   []string       // redacted from every error Dial returns
}

// NewDialer validates c, loads its CA and client certificate files once, and
// returns a Dialer for the cluster.
func NewDialer(c Config) (*Dialer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	d := &Dialer{
		bootstrap: slices.Clone(c.Bootstrap),
		timeout:   c.DialTimeout,
	}
	if d.timeout == 0 {
		d.timeout = DefaultDialTimeout
	}

	if c.TLS != nil {
		tc, err := loadTLS(c.TLS)
		if err != nil {
			return nil, err
		}
		d.tls = tc
	}

	if s := c.SASL; s != nil {
		switch s.mechanism() {
		case MechanismPlain:
			d.mech = plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()
		case MechanismScramSHA256:
			d.mech = scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()
		case MechanismScramSHA512:
			d.mech = scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()
		case MechanismAWSMSKIAM:
			d.mech = aws.Auth{
				AccessKey:    s.AccessKeyID,
				SecretKey:    s.SecretAccessKey,
				SessionToken: s.SessionToken,
				UserAgent:    s.UserAgent,
			}.AsManagedStreamingIAMMechanism()
		}
		for _, secret := range []string{s.Password, s.SecretAccessKey, s.SessionToken} {
			if secret != "" {
				d.secrets = append(d.secrets, secret)
			}
		}
	}
	return d, nil
}

func loadTLS(t *TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // explicitly configured by the operator
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("upstream: reading tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upstream: tls ca_file %q contains no PEM certificates", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			// The error names the files, never the key material.
			return nil, fmt.Errorf("upstream: loading tls cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Dial connects to addr (host:port), performs the TLS handshake if TLS is
// configured (the verified server name defaults to the host of addr), then
// the SASL exchange if SASL is configured, and returns a connection ready for
// a client's Kafka frames. The SASL exchange uses correlation ids the client
// never sees and leaves nothing unread on the connection.
//
// The whole of Dial is bounded by ctx and by the configured DialTimeout. The
// returned connection has no deadline set. Errors never contain secrets.
func (d *Dialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := d.dial(ctx, addr)
	if err != nil {
		return nil, d.redactErr(err)
	}
	return conn, nil
}

func (d *Dialer) dial(ctx context.Context, addr string) (_ net.Conn, err error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()

	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("upstream: dial %s: %w", addr, err)
	}

	var nd net.Dialer
	raw, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("upstream: dial %s: %w", addr, err)
	}
	conn := raw // becomes the TLS conn if TLS is configured
	defer func() {
		if err != nil {
			conn.Close()
		}
	}()

	// Bound the handshakes by ctx: its deadline directly, its cancellation
	// by forcing an already-passed deadline that unblocks any read or
	// write in progress.
	if deadline, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(deadline); err != nil {
			return nil, fmt.Errorf("upstream: dial %s: setting deadline: %w", addr, err)
		}
	}
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	// withCtx adds the context's error, when there is one, to a handshake
	// error, so that callers can tell a timeout or cancellation apart.
	withCtx := func(err error) error {
		cerr := ctx.Err()
		if cerr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// The conn deadline is ctx's deadline, and can fire
			// just before ctx's own timer marks ctx done.
			cerr = context.DeadlineExceeded
		}
		if cerr != nil && !errors.Is(err, cerr) {
			return fmt.Errorf("%w (%w)", err, cerr)
		}
		return err
	}

	if d.tls != nil {
		tc := d.tls.Clone()
		if tc.ServerName == "" {
			tc.ServerName = host
		}
		tlsConn := tls.Client(raw, tc)
		conn = tlsConn
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			stop()
			return nil, withCtx(fmt.Errorf("upstream: tls handshake with %s: %w", addr, err))
		}
	}

	if d.mech != nil {
		if err := authenticate(ctx, conn, addr, d.mech); err != nil {
			stop()
			return nil, withCtx(err)
		}
	}

	if !stop() {
		// ctx ended after the handshakes finished but before stop: the
		// deadline may have been forced; do not hand out the conn.
		return nil, fmt.Errorf("upstream: dial %s: %w", addr, ctx.Err())
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("upstream: dial %s: clearing deadline: %w", addr, err)
	}
	return conn, nil
}

// KgoOpts returns franz-go options that make a kgo client reach the same
// upstream cluster the same way Dial does: the bootstrap brokers as seeds,
// the TLS configuration and the SASL mechanism. It is meant for kafkalink's
// control-plane clients, such as broker discovery.
func (d *Dialer) KgoOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(d.bootstrap...),
		kgo.DialTimeout(d.timeout),
	}
	if d.tls != nil {
		// kgo clones the config per dial and sets ServerName to the
		// broker's host when it is empty, as Dial does.
		opts = append(opts, kgo.DialTLSConfig(d.tls.Clone()))
	}
	if d.mech != nil {
		opts = append(opts, kgo.SASL(d.mech))
	}
	return opts
}

// redactErr makes sure no configured secret appears in err's text, keeping
// err's chain for errors.Is and errors.As.
func (d *Dialer) redactErr(err error) error {
	msg := err.Error()
	for _, s := range d.secrets {
		if strings.Contains(msg, s) {
			return &redactedError{err: err, secrets: d.secrets}
		}
	}
	return err
}

type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		msg = strings.ReplaceAll(msg, s, redacted)
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }
