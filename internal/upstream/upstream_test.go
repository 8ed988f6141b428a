package upstream

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

const (
	testUser     = "admin"
	testPassword = "s3cret-Pa55word"
	testTimeout  = 10 * time.Second
)

// testCA is a certificate authority generated for one test.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	pemFile string // the CA certificate, PEM encoded, for TLSConfig.CAFile
}

// newTestCA generates a CA and writes its certificate to a PEM file in a
// temporary directory.
func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating CA key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("creating CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing CA certificate: %v", err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatalf("writing CA file: %v", err)
	}
	return &testCA{cert: cert, key: key, pemFile: file}
}

// serverTLS returns a server TLS config with a certificate for 127.0.0.1 and
// localhost signed by ca.
func (ca *testCA) serverTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating server key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kfake"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("creating server certificate: %v", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
	}
}

// clusterKind picks which kfake cluster a test case runs against.
type clusterKind struct {
	tls  bool
	sasl bool
}

// newCluster starts a one-broker kfake cluster, closed at the end of the
// test, and returns its address. With sasl, admin is a superuser for PLAIN,
// SCRAM-SHA-256 and SCRAM-SHA-512 with testPassword. With tls, the broker
// certificate is signed by ca.
func newCluster(t *testing.T, kind clusterKind, ca *testCA) string {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1)}
	if kind.sasl {
		opts = append(opts,
			kfake.EnableSASL(),
			kfake.Superuser("PLAIN", testUser, testPassword),
			kfake.Superuser("SCRAM-SHA-256", testUser, testPassword),
			kfake.Superuser("SCRAM-SHA-512", testUser, testPassword),
		)
	}
	if kind.tls {
		opts = append(opts, kfake.TLS(ca.serverTLS(t)))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("starting kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	addrs := c.ListenAddrs()
	if len(addrs) != 1 {
		t.Fatalf("got %d kfake listen addresses; want 1", len(addrs))
	}
	return addrs[0]
}

// newDialer builds a Dialer from c, failing the test on error.
func newDialer(t *testing.T, c Config) *Dialer {
	t.Helper()
	d, err := NewDialer(c)
	if err != nil {
		t.Fatalf("NewDialer(%v): %v", c, err)
	}
	return d
}

// dialCtx returns a context bounded by testTimeout, canceled at the end of
// the test.
func dialCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// rawRequest sends req over conn as a client would, framed by hand (request
// header v1, or v2 when req is flexible), and decodes the response into resp.
// It fails the test unless the response carries corrID.
func rawRequest(t *testing.T, conn net.Conn, corrID int32, req kmsg.Request, resp kmsg.Response) {
	t.Helper()
	if err := conn.SetDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("setting deadline: %v", err)
	}
	var hdr bytes.Buffer
	binary.Write(&hdr, binary.BigEndian, req.Key())
	binary.Write(&hdr, binary.BigEndian, req.GetVersion())
	binary.Write(&hdr, binary.BigEndian, corrID)
	binary.Write(&hdr, binary.BigEndian, int16(len("test-client")))
	hdr.WriteString("test-client")
	if req.IsFlexible() {
		hdr.WriteByte(0) // no tagged fields
	}
	msg := req.AppendTo(hdr.Bytes())
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
	if _, err := conn.Write(append(frame, msg...)); err != nil {
		t.Fatalf("writing %s request: %v", kmsg.NameForKey(req.Key()), err)
	}

	var size int32
	if err := binary.Read(conn, binary.BigEndian, &size); err != nil {
		t.Fatalf("reading %s response size: %v", kmsg.NameForKey(req.Key()), err)
	}
	if size < 4 || size > 1<<20 {
		t.Fatalf("got response size %d; want 4 to %d", size, 1<<20)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(conn, body); err != nil {
		t.Fatalf("reading %s response: %v", kmsg.NameForKey(req.Key()), err)
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != corrID {
		t.Fatalf("got correlation id %d; want %d (unread SASL bytes left on the connection?)", got, corrID)
	}
	body = body[4:]
	if resp.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16() {
		if len(body) == 0 || body[0] != 0 {
			t.Fatalf("got response header tagged fields %v; want none", body[:min(1, len(body))])
		}
		body = body[1:]
	}
	if err := resp.ReadFrom(body); err != nil {
		t.Fatalf("decoding %s response: %v", kmsg.NameForKey(req.Key()), err)
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		t.Fatalf("clearing deadline: %v", err)
	}
}

// checkMetadata sends a Metadata v9 and an ApiVersions v3 request over conn
// and checks the broker answers them as the single broker at addr.
func checkMetadata(t *testing.T, conn net.Conn, addr string) {
	t.Helper()
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("splitting %q: %v", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatalf("parsing port of %q: %v", addr, err)
	}

	mreq := kmsg.NewPtrMetadataRequest()
	mreq.Version = 9
	mresp := mreq.ResponseKind().(*kmsg.MetadataResponse)
	rawRequest(t, conn, 1, mreq, mresp)
	if len(mresp.Brokers) != 1 {
		t.Fatalf("got %d brokers in metadata; want 1", len(mresp.Brokers))
	}
	if b := mresp.Brokers[0]; b.Host != host || b.Port != int32(port) {
		t.Errorf("got broker %s:%d in metadata; want %s", b.Host, b.Port, addr)
	}

	areq := kmsg.NewPtrApiVersionsRequest()
	areq.Version = 3
	areq.ClientSoftwareName = "kafkalink-test"
	areq.ClientSoftwareVersion = "0.0.0"
	aresp := areq.ResponseKind().(*kmsg.ApiVersionsResponse)
	rawRequest(t, conn, 2, areq, aresp)
	if aresp.ErrorCode != 0 {
		t.Errorf("got ApiVersions error code %d; want 0", aresp.ErrorCode)
	}
	if len(aresp.ApiKeys) == 0 {
		t.Errorf("got no api keys in ApiVersions response; want some")
	}
}

func TestDial(t *testing.T) {
	ca := newTestCA(t, "kafkalink test CA")
	saslCfg := func(mech string) *SASLConfig {
		return &SASLConfig{Mechanism: mech, Username: testUser, Password: testPassword}
	}
	tests := []struct {
		name string
		kind clusterKind
		tls  bool
		sasl *SASLConfig
	}{
		{name: "plaintext"},
		{name: "tls", kind: clusterKind{tls: true}, tls: true},
		{name: "plain", kind: clusterKind{sasl: true}, sasl: saslCfg("PLAIN")},
		{name: "scram-sha-256", kind: clusterKind{sasl: true}, sasl: saslCfg("SCRAM-SHA-256")},
		{name: "scram-sha-512", kind: clusterKind{sasl: true}, sasl: saslCfg("SCRAM-SHA-512")},
		{name: "scram lower case mechanism", kind: clusterKind{sasl: true}, sasl: saslCfg("scram-sha-256")},
		{name: "tls+scram-sha-512", kind: clusterKind{tls: true, sasl: true}, tls: true, sasl: saslCfg("SCRAM-SHA-512")},
		{name: "tls+plain", kind: clusterKind{tls: true, sasl: true}, tls: true, sasl: saslCfg("PLAIN")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := newCluster(t, tt.kind, ca)
			cfg := Config{Bootstrap: []string{addr}, SASL: tt.sasl}
			if tt.tls {
				cfg.TLS = &TLSConfig{CAFile: ca.pemFile}
			}
			d := newDialer(t, cfg)

			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			conn, err := d.Dial(ctx, addr)
			// The connection must outlive the context it was dialed
			// with: Dial clears its deadline and stops watching ctx.
			cancel()
			if err != nil {
				t.Fatalf("Dial(%s): got error %v; want nil", addr, err)
			}
			t.Cleanup(func() { conn.Close() })
			if _, isTLS := conn.(*tls.Conn); isTLS != tt.tls {
				t.Errorf("got TLS connection %v; want %v", isTLS, tt.tls)
			}
			checkMetadata(t, conn, addr)
		})
	}
}

func TestDialErrors(t *testing.T) {
	ca := newTestCA(t, "kafkalink test CA")
	otherCA := newTestCA(t, "some other CA")
	const wrongPassword = "wr0ng-Pa55word"
	const secretKey = "aws-SECRET-access-key"
	const sessionToken = "aws-SESSION-token"

	tests := []struct {
		name     string
		kind     clusterKind
		cfg      func(addr string) Config
		want     []string // substrings of the error
		secrets  []string // must not appear in the error
		wantErr  error    // if set, errors.Is must match
		wantAuth bool     // errors.As must find an x509.UnknownAuthorityError
	}{
		{
			name: "plain wrong password",
			kind: clusterKind{sasl: true},
			cfg: func(addr string) Config {
				return Config{Bootstrap: []string{addr}, SASL: &SASLConfig{Mechanism: "PLAIN", Username: testUser, Password: wrongPassword}}
			},
			want:    []string{"upstream: ", "authentication", "failed", "PLAIN"},
			secrets: []string{wrongPassword},
		},
		{
			name: "scram wrong password",
			kind: clusterKind{sasl: true},
			cfg: func(addr string) Config {
				return Config{Bootstrap: []string{addr}, SASL: &SASLConfig{Mechanism: "SCRAM-SHA-256", Username: testUser, Password: wrongPassword}}
			},
			want:    []string{"upstream: ", "authentication", "failed", "SCRAM-SHA-256"},
			secrets: []string{wrongPassword},
		},
		{
			name: "scram unknown user",
			kind: clusterKind{sasl: true},
			cfg: func(addr string) Config {
				return Config{Bootstrap: []string{addr}, SASL: &SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "nobody", Password: testPassword}}
			},
			want:    []string{"authentication", "failed"},
			secrets: []string{testPassword},
		},
		{
			name: "aws msk iam not enabled",
			kind: clusterKind{sasl: true},
			cfg: func(addr string) Config {
				return Config{Bootstrap: []string{addr}, SASL: &SASLConfig{
					Mechanism: "AWS_MSK_IAM", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: secretKey, SessionToken: sessionToken,
				}}
			},
			want:    []string{"upstream: ", "AWS_MSK_IAM", "not enabled"},
			secrets: []string{secretKey, sessionToken},
			wantErr: kerr.UnsupportedSaslMechanism,
		},
		{
			name: "tls wrong CA",
			kind: clusterKind{tls: true},
			cfg: func(addr string) Config {
				return Config{Bootstrap: []string{addr}, TLS: &TLSConfig{CAFile: otherCA.pemFile}}
			},
			want:     []string{"upstream: ", "tls handshake"},
			wantAuth: true,
		},
		{
			name: "tls wrong server name",
			kind: clusterKind{tls: true},
			cfg: func(addr string) Config {
				return Config{Bootstrap: []string{addr}, TLS: &TLSConfig{CAFile: ca.pemFile, ServerName: "kafka.example.com"}}
			},
			want: []string{"upstream: ", "tls handshake", "kafka.example.com"},
		},
		{
			name: "sasl against a tls listener without tls",
			kind: clusterKind{tls: true, sasl: true},
			cfg: func(addr string) Config {
				return Config{Bootstrap: []string{addr}, SASL: &SASLConfig{Mechanism: "PLAIN", Username: testUser, Password: testPassword}}
			},
			want:    []string{"upstream: ", "sasl handshake"},
			secrets: []string{testPassword},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := newCluster(t, tt.kind, ca)
			d := newDialer(t, tt.cfg(addr))
			conn, err := d.Dial(dialCtx(t), addr)
			if err == nil {
				conn.Close()
				t.Fatalf("Dial(%s): got nil error; want one", addr)
			}
			t.Logf("Dial error: %v", err)
			msg := err.Error()
			for _, w := range append(tt.want, addr) {
				if !strings.Contains(msg, w) {
					t.Errorf("got error %q; want it to contain %q", msg, w)
				}
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("got error %q; want it not to contain the secret %q", msg, s)
				}
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got errors.Is(%v, %v) false; want true", err, tt.wantErr)
			}
			if tt.wantAuth {
				var uae x509.UnknownAuthorityError
				if !errors.As(err, &uae) {
					t.Errorf("got error %v (%T); want an x509.UnknownAuthorityError in its chain", err, err)
				}
			}
		})
	}
}

func TestDialClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()

	d := newDialer(t, Config{Bootstrap: []string{addr}})
	const timeout = 2 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	start := time.Now()
	conn, err := d.Dial(ctx, addr)
	elapsed := time.Since(start)
	if err == nil {
		conn.Close()
		t.Fatalf("Dial(%s): got nil error; want one", addr)
	}
	if !strings.Contains(err.Error(), addr) || !strings.HasPrefix(err.Error(), "upstream: ") {
		t.Errorf("got error %q; want it prefixed with %q and to mention %s", err, "upstream: ", addr)
	}
	if elapsed > timeout {
		t.Errorf("got Dial returning after %v; want within the %v ctx deadline", elapsed, timeout)
	}
}

// silentBroker accepts connections and reads from them without ever
// answering. Each accepted connection is sent on the returned channel once
// its first request bytes arrived.
func silentBroker(t *testing.T) (addr string, gotRequest <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan struct{}, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4)
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				select {
				case ch <- struct{}{}:
				default:
				}
				io.Copy(io.Discard, c) // until Dial gives up
			}()
		}
	}()
	return ln.Addr().String(), ch
}

func TestDialHonoursContext(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // ctx deadline; zero: canceled once the broker has a request
		dialTO  time.Duration // Config.DialTimeout
		want    error
	}{
		{name: "ctx deadline", timeout: 300 * time.Millisecond, want: context.DeadlineExceeded},
		{name: "ctx canceled", want: context.Canceled},
		{name: "dial timeout", timeout: testTimeout, dialTO: 300 * time.Millisecond, want: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, gotRequest := silentBroker(t)
			d := newDialer(t, Config{
				Bootstrap:   []string{addr},
				SASL:        &SASLConfig{Mechanism: "PLAIN", Username: testUser, Password: testPassword},
				DialTimeout: tt.dialTO,
			})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.timeout > 0 {
				var cancelTimeout context.CancelFunc
				ctx, cancelTimeout = context.WithTimeout(ctx, tt.timeout)
				defer cancelTimeout()
			} else {
				go func() {
					<-gotRequest
					cancel()
				}()
			}

			start := time.Now()
			conn, err := d.Dial(ctx, addr)
			elapsed := time.Since(start)
			if err == nil {
				conn.Close()
				t.Fatalf("Dial(%s): got nil error; want one", addr)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("got error %v; want errors.Is(err, %v)", err, tt.want)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("got error %q; want it not to contain the password", err)
			}
			if elapsed > testTimeout/2 {
				t.Errorf("got Dial returning after %v; want it bounded by the context", elapsed)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil means valid
	}{
		{name: "minimal", cfg: Config{Bootstrap: []string{"kafka:9092"}}},
		{name: "full scram", cfg: Config{
			Bootstrap:   []string{"kafka-1:9092", "[::1]:9093"},
			TLS:         &TLSConfig{CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem"},
			SASL:        &SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "u", Password: "p"},
			DialTimeout: time.Second,
		}},
		{name: "aws", cfg: Config{Bootstrap: []string{"b-1.msk.us-east-1.amazonaws.com:9098"},
			SASL: &SASLConfig{Mechanism: "AWS_MSK_IAM", AccessKeyID: "AKIA", SecretAccessKey: "s"}}},
		{name: "no bootstrap", cfg: Config{}, want: []string{"bootstrap"}},
		{name: "bad address", cfg: Config{Bootstrap: []string{"kafka"}}, want: []string{"bootstrap[0]", `"kafka"`}},
		{name: "bad port", cfg: Config{Bootstrap: []string{"kafka:0"}}, want: []string{"invalid port"}},
		{name: "negative timeout", cfg: Config{Bootstrap: []string{"kafka:9092"}, DialTimeout: -1}, want: []string{"dial_timeout"}},
		{name: "cert without key", cfg: Config{Bootstrap: []string{"kafka:9092"}, TLS: &TLSConfig{CertFile: "c.pem"}},
			want: []string{"cert_file and key_file"}},
		{name: "unknown mechanism", cfg: Config{Bootstrap: []string{"kafka:9092"}, SASL: &SASLConfig{Mechanism: "GSSAPI", Username: "u", Password: "p"}},
			want: []string{"unknown mechanism", "GSSAPI"}},
		{name: "missing mechanism", cfg: Config{Bootstrap: []string{"kafka:9092"}, SASL: &SASLConfig{Username: "u", Password: "p"}},
			want: []string{"mechanism is required"}},
		{name: "plain without password", cfg: Config{Bootstrap: []string{"kafka:9092"}, SASL: &SASLConfig{Mechanism: "PLAIN", Username: "u"}},
			want: []string{"password is required"}},
		{name: "scram without username", cfg: Config{Bootstrap: []string{"kafka:9092"}, SASL: &SASLConfig{Mechanism: "SCRAM-SHA-256", Password: "p"}},
			want: []string{"username is required"}},
		{name: "aws without keys", cfg: Config{Bootstrap: []string{"kafka:9092"}, SASL: &SASLConfig{Mechanism: "AWS_MSK_IAM", Username: "u", Password: "p"}},
			want: []string{"access_key_id is required", "secret_access_key is required"}},
		{name: "aws without secret", cfg: Config{Bootstrap: []string{"kafka:9092"}, SASL: &SASLConfig{Mechanism: "AWS_MSK_IAM", AccessKeyID: "AKIA"}},
			want: []string{"secret_access_key is required"}},
		{name: "several problems", cfg: Config{DialTimeout: -1, SASL: &SASLConfig{Mechanism: "NOPE"}},
			want: []string{"bootstrap", "dial_timeout", "unknown mechanism"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate(): got %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate(): got nil; want an error containing %q", tt.want)
			}
			if _, nerr := NewDialer(tt.cfg); nerr == nil {
				t.Errorf("NewDialer(): got nil error; want the Validate error")
			}
			for _, w := range append([]string{"upstream: invalid config"}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate(): got %q; want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestNewDialerTLSFiles(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tls  TLSConfig
		want string
	}{
		{name: "missing CA file", tls: TLSConfig{CAFile: filepath.Join(dir, "missing.pem")}, want: "ca_file"},
		{name: "CA file without certificates", tls: TLSConfig{CAFile: notPEM}, want: "no PEM certificates"},
		{name: "bad key pair", tls: TLSConfig{CertFile: notPEM, KeyFile: notPEM}, want: "cert_file/key_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDialer(Config{Bootstrap: []string{"kafka:9092"}, TLS: &tt.tls})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewDialer(): got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestKgoOpts(t *testing.T) {
	ca := newTestCA(t, "kafkalink test CA")
	tests := []struct {
		name string
		kind clusterKind
		mech string
	}{
		{name: "scram-sha-256", kind: clusterKind{sasl: true}, mech: "SCRAM-SHA-256"},
		{name: "tls+scram-sha-512", kind: clusterKind{tls: true, sasl: true}, mech: "SCRAM-SHA-512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := newCluster(t, tt.kind, ca)
			cfg := Config{
				Bootstrap: []string{addr},
				SASL:      &SASLConfig{Mechanism: tt.mech, Username: testUser, Password: testPassword},
			}
			if tt.kind.tls {
				cfg.TLS = &TLSConfig{CAFile: ca.pemFile}
			}
			d := newDialer(t, cfg)
			cl, err := kgo.NewClient(d.KgoOpts()...)
			if err != nil {
				t.Fatalf("kgo.NewClient: %v", err)
			}
			t.Cleanup(cl.Close)
			if err := cl.Ping(dialCtx(t)); err != nil {
				t.Fatalf("Ping: got %v; want nil", err)
			}
		})
	}
}

func TestConfigRedaction(t *testing.T) {
	cfg := Config{
		Bootstrap: []string{"kafka:9092"},
		TLS:       &TLSConfig{CAFile: "/etc/ca.pem"},
		SASL: &SASLConfig{
			Mechanism:       "SCRAM-SHA-512",
			Username:        "alice",
			Password:        "pw-SECRET-1",
			AccessKeyID:     "AKIA-visible",
			SecretAccessKey: "sk-SECRET-2",
			SessionToken:    "tok-SECRET-3",
		},
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "upstream", cfg, "sasl", cfg.SASL)

	outputs := map[string]string{
		"%v":          fmt.Sprintf("%v", cfg),
		"%+v":         fmt.Sprintf("%+v", cfg),
		"%#v":         fmt.Sprintf("%#v", cfg),
		"%v pointer":  fmt.Sprintf("%v", &cfg),
		"%s":          fmt.Sprintf("%s", cfg),
		"%v sasl":     fmt.Sprintf("%v", *cfg.SASL),
		"%+v sasl":    fmt.Sprintf("%+v", cfg.SASL),
		"%#v sasl":    fmt.Sprintf("%#v", *cfg.SASL),
		"%v nested":   fmt.Sprintf("%v", struct{ C Config }{cfg}),
		"slog (JSON)": logged.String(),
	}
	for name, out := range outputs {
		for _, secret := range []string{"pw-SECRET-1", "sk-SECRET-2", "tok-SECRET-3"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: got %q; want it not to contain %q", name, out, secret)
			}
		}
		for _, visible := range []string{"alice", "SCRAM-SHA-512"} {
			if !strings.Contains(out, visible) {
				t.Errorf("%s: got %q; want it to contain %q", name, out, visible)
			}
		}
	}
}

// scriptedBroker serves one connection, answering each request with the
// next step's output (a nil step or output closes the connection instead),
// and returns the client end of the connection.
func scriptedBroker(t *testing.T, script []func(corr int32, req kmsg.Request) []byte) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	go func() {
		defer server.Close()
		for _, step := range script {
			var size int32
			if err := binary.Read(server, binary.BigEndian, &size); err != nil {
				return
			}
			buf := make([]byte, size)
			if _, err := io.ReadFull(server, buf); err != nil {
				return
			}
			key := int16(binary.BigEndian.Uint16(buf))
			version := int16(binary.BigEndian.Uint16(buf[2:]))
			corr := int32(binary.BigEndian.Uint32(buf[4:]))
			idLen := int(binary.BigEndian.Uint16(buf[8:]))
			if got := string(buf[10 : 10+idLen]); got != clientID {
				t.Errorf("got client id %q; want %q", got, clientID)
			}
			req := kmsg.RequestForKey(key)
			req.SetVersion(version)
			if err := req.ReadFrom(buf[10+idLen:]); err != nil {
				t.Errorf("decoding %s v%d request: %v", kmsg.NameForKey(key), version, err)
				return
			}
			if step == nil {
				return
			}
			out := step(corr, req)
			if out == nil {
				return
			}
			if _, err := server.Write(out); err != nil {
				return
			}
		}
	}()
	return client
}

// frame encodes resp as a response frame with correlation id corr.
func frame(corr int32, resp kmsg.Response) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func TestAuthenticateProtocol(t *testing.T) {
	handshakeOK := func(corr int32, req kmsg.Request) []byte {
		r := req.(*kmsg.SASLHandshakeRequest)
		if r.Version != 1 || r.Mechanism != "PLAIN" {
			t.Errorf("got SaslHandshake v%d %q; want v1 %q", r.Version, r.Mechanism, "PLAIN")
		}
		resp := r.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{"PLAIN", "SCRAM-SHA-256"}
		return frame(corr, resp)
	}
	authResp := func(code int16, msg string) func(int32, kmsg.Request) []byte {
		return func(corr int32, req kmsg.Request) []byte {
			r := req.(*kmsg.SASLAuthenticateRequest)
			if r.Version != 1 {
				t.Errorf("got SaslAuthenticate v%d; want v1", r.Version)
			}
			resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
			resp.ErrorCode = code
			if msg != "" {
				resp.ErrorMessage = &msg
			}
			return frame(corr, resp)
		}
	}
	tests := []struct {
		name    string
		script  []func(int32, kmsg.Request) []byte
		want    []string // substrings of the error; nil means success
		wantErr error
	}{
		{
			name:   "success",
			script: []func(int32, kmsg.Request) []byte{handshakeOK, authResp(0, "")},
		},
		{
			name:    "authentication failed error code",
			script:  []func(int32, kmsg.Request) []byte{handshakeOK, authResp(kerr.SaslAuthenticationFailed.Code, "Invalid username or password")},
			want:    []string{"authentication", "failed", "Invalid username or password"},
			wantErr: kerr.SaslAuthenticationFailed,
		},
		{
			name: "mechanism missing from enabled list",
			script: []func(int32, kmsg.Request) []byte{func(corr int32, req kmsg.Request) []byte {
				resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
				resp.SupportedMechanisms = []string{"SCRAM-SHA-512"}
				return frame(corr, resp)
			}},
			want: []string{"PLAIN is not enabled", "SCRAM-SHA-512"},
		},
		{
			name: "wrong correlation id",
			script: []func(int32, kmsg.Request) []byte{func(corr int32, req kmsg.Request) []byte {
				return frame(corr+100, req.ResponseKind())
			}},
			want: []string{"correlation id"},
		},
		{
			name: "oversized response",
			script: []func(int32, kmsg.Request) []byte{func(int32, kmsg.Request) []byte {
				return binary.BigEndian.AppendUint32(nil, 64<<20)
			}},
			want: []string{"invalid response size"},
		},
		{
			name:   "connection closed during authenticate",
			script: []func(int32, kmsg.Request) []byte{handshakeOK, nil},
			want:   []string{"authentication", "failed", "EOF"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := scriptedBroker(t, tt.script)
			mech := plain.Auth{User: testUser, Pass: testPassword}.AsMechanism()
			err := authenticate(dialCtx(t), conn, "broker:9092", mech)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("authenticate: got %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("authenticate: got nil; want an error containing %q", tt.want)
			}
			for _, w := range append([]string{"upstream: ", "broker:9092"}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q; want it to contain %q", err, w)
				}
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got errors.Is(%v, %v) false; want true", err, tt.wantErr)
			}
		})
	}
}

func TestRedactErr(t *testing.T) {
	d := newDialer(t, Config{
		Bootstrap: []string{"kafka:9092"},
		SASL:      &SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "hunter2"},
	})
	inner := errors.New("broker echoed hunter2 back")
	err := d.redactErr(fmt.Errorf("upstream: x: %w", inner))
	if got, want := err.Error(), "upstream: x: broker echoed [REDACTED] back"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if !errors.Is(err, inner) {
		t.Errorf("got errors.Is(redacted, inner) false; want true")
	}
}
