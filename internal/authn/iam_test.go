package authn

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/freeport"
	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/pki"
	"github.com/kafkalink/kafkalink/internal/sigv4"
	"github.com/kafkalink/kafkalink/internal/store"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

const region = "us-east-1"

// env is a gateway in front of a kfake cluster with one IAM-authenticated
// TLS listener set, and an IAM with one account and two users.
type env struct {
	t          *testing.T
	iam        *iam.Service
	bootstrap  []string
	clientTLS  *tls.Config
	alice, bob iam.Credentials
	aliceC     iam.Caller
}

func newEnv(t *testing.T, lifetime time.Duration) *env {
	t.Helper()
	// franz-go's AWS_MSK_IAM finds the region in MSK broker names, or in
	// AWS_REGION when brokers are addressed by IP, as here.
	t.Setenv("AWS_REGION", region)
	kf, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kf.Close)
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := iam.NewInDir(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := svc.CreateAccount(ctx, "111111111111"); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, iam: svc}
	for _, u := range []struct {
		name  string
		creds *iam.Credentials
	}{{"alice", &e.alice}, {"bob", &e.bob}} {
		if _, err := svc.CreateUser(ctx, "111111111111", u.name, "/"); err != nil {
			t.Fatal(err)
		}
		if *u.creds, err = svc.CreateAccessKey(ctx, "111111111111", u.name); err != nil {
			t.Fatal(err)
		}
	}
	if e.aliceC, err = svc.Resolve(ctx, e.alice.AccessKeyID); err != nil {
		t.Fatal(err)
	}

	ca, err := pki.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	e.clientTLS = &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}

	dialer, err := upstream.NewDialer(upstream.Config{Bootstrap: kf.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kgo.NewClient(dialer.KgoOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	first, err := freeport.Range(3)
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Options{Store: st, Logger: slog.New(slog.NewTextHandler(testLogWriter(t), nil))})
	t.Cleanup(gw.Close)
	err = gw.AddCluster(ctx, gateway.ClusterConfig{
		Name: "c1", Dialer: dialer, Discoverer: gateway.KgoDiscoverer{Client: kc},
		ListenerSets: []gateway.ListenerSetConfig{{
			Name:            "iam",
			Strategy:        brokermap.Ports{BindHost: "127.0.0.1", FirstPort: first, LastPort: first + 2},
			TLS:             &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
			Auth:            &IAM{Verifier: &sigv4.Verifier{Keys: svc}, IAM: svc, Region: region, Replays: &Replays{}},
			SessionLifetime: lifetime,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.bootstrap = gw.Status()[0].ListenerSets[0].Bootstrap
	return e
}

// client is a franz-go client of the gateway with a SASL mechanism.
func (e *env) client(m sasl.Mechanism, opts ...kgo.Opt) *kgo.Client {
	e.t.Helper()
	c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.bootstrap...), kgo.DialTLSConfig(e.clientTLS.Clone()), kgo.SASL(m),
		kgo.AllowAutoTopicCreation(), kgo.RetryTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	return c
}

func iamMechanism(c iam.Credentials) sasl.Mechanism {
	return aws.Auth{AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken}.AsManagedStreamingIAMMechanism()
}

// bearerMechanism makes OAUTHBEARER tokens with the MSK IAM signer.
func bearerMechanism(c iam.Credentials) sasl.Mechanism {
	provider := credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	return oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
		tok, _, err := signer.GenerateAuthTokenFromCredentialsProvider(ctx, region, awssdk.CredentialsProvider(provider))
		return oauth.Auth{Token: tok}, err
	})
}

// roundTrip produces a record and consumes it back.
func roundTrip(t *testing.T, prod, cons *kgo.Client, topic string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v-" + topic)}).FirstErr(); err != nil {
		return err
	}
	cons.AddConsumeTopics(topic)
	for {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return err
		}
		for _, r := range fs.Records() {
			if string(r.Value) == "v-"+topic {
				return nil
			}
		}
	}
}

func TestIAMClientsProduceAndConsume(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	sess, err := e.iam.GetSessionToken(ctx, e.aliceC, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mech sasl.Mechanism
	}{
		{"AWS_MSK_IAM long-term key (franz-go sasl/aws)", iamMechanism(e.alice)},
		{"AWS_MSK_IAM session token (franz-go sasl/aws)", iamMechanism(sess)},
		{"OAUTHBEARER (aws-msk-iam-sasl-signer-go)", bearerMechanism(e.alice)},
		{"OAUTHBEARER session token (aws-msk-iam-sasl-signer-go)", bearerMechanism(sess)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := []kgo.Opt{kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
			if err := roundTrip(t, e.client(c.mech), e.client(c.mech, opts...), fmt.Sprintf("t%d", i)); err != nil {
				t.Fatalf("got %v; want the record back", err)
			}
		})
	}
}

func TestIAMRefusals(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	wrongSecret := e.alice
	wrongSecret.SecretAccessKey = strings.Repeat("x", 40)
	unknown := e.alice
	unknown.AccessKeyID = "AKIAUNKNOWNUNKNOWN00"
	deleted, err := e.iam.CreateAccessKey(ctx, "111111111111", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.iam.DeleteAccessKey(ctx, "111111111111", "bob", deleted.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mech sasl.Mechanism
		want string
	}{
		{"wrong secret", iamMechanism(wrongSecret), "Access denied: invalid credentials"},
		{"unknown access key", iamMechanism(unknown), "Access denied: invalid credentials"},
		{"deleted access key", iamMechanism(deleted), "Access denied: invalid credentials"},
		{"OAUTHBEARER wrong secret", bearerMechanism(wrongSecret), "Access denied: invalid credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := e.client(c.mech, kgo.RequestRetries(0))
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, err := kmsg.NewPtrMetadataRequest().RequestWith(pctx, cl)
			if !errors.Is(err, kerr.SaslAuthenticationFailed) {
				t.Fatalf("got %v; want SASL_AUTHENTICATION_FAILED", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "]: "+c.want) || !strings.Contains(msg, "[") {
				t.Errorf("got %q; want \"[request-id]: %s\"", msg, c.want)
			}
			for _, secret := range []string{e.alice.SecretAccessKey, wrongSecret.SecretAccessKey, "Signature"} {
				if strings.Contains(msg, secret) {
					t.Errorf("the client was told %q", secret)
				}
			}
		})
	}
}

// rawConn speaks Kafka by hand over TLS, for what clients do not expose.
type rawConn struct {
	t    *testing.T
	conn *tls.Conn
	r    *bufio.Reader
	corr int32
}

func (e *env) dial() *rawConn {
	e.t.Helper()
	return e.dialFrom("")
}

// dialFrom connects from a local address of the loopback network
// ("" for any).
func (e *env) dialFrom(local string) *rawConn {
	e.t.Helper()
	d := &net.Dialer{Timeout: 10 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	conn, err := tls.DialWithDialer(d, "tcp", e.bootstrap[0], e.clientTLS.Clone())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: e.t, conn: conn, r: bufio.NewReader(conn)}
}

// send writes a request and returns its response, or the read error.
func (c *rawConn) send(req kmsg.Request) (kmsg.Response, error) {
	c.t.Helper()
	c.corr++
	b := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, c.corr)
	if _, err := c.conn.Write(b); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c.r, size[:]); err != nil {
		return nil, err
	}
	frame := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.r, frame); err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	body := frame[4:]
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		body = body[1:] // empty header tags
	}
	if err := resp.ReadFrom(body); err != nil {
		c.t.Fatalf("decoding %s response: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp, nil
}

// authenticate runs SaslHandshake and SaslAuthenticate with a mechanism's
// first message.
func (c *rawConn) authenticate(m sasl.Mechanism) (*kmsg.SASLAuthenticateResponse, error) {
	c.t.Helper()
	_, first, err := m.Authenticate(context.Background(), c.conn.RemoteAddr().String())
	if err != nil {
		c.t.Fatal(err)
	}
	return c.authenticateWith(m.Name(), first)
}

// authenticateWith runs SaslHandshake and SaslAuthenticate with a given
// first message.
func (c *rawConn) authenticateWith(mechanism string, first []byte) (*kmsg.SASLAuthenticateResponse, error) {
	c.t.Helper()
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version = 1
	hs.Mechanism = mechanism
	resp, err := c.send(hs)
	if err != nil {
		return nil, err
	}
	if code := resp.(*kmsg.SASLHandshakeResponse).ErrorCode; code != 0 {
		c.t.Fatalf("SaslHandshake: got error %d; want none", code)
	}
	auth := kmsg.NewPtrSASLAuthenticateRequest()
	auth.Version = 2
	auth.SASLAuthBytes = first
	r, err := c.send(auth)
	if err != nil {
		return nil, err
	}
	return r.(*kmsg.SASLAuthenticateResponse), nil
}

// waitClosed reads until the gateway closes the connection.
func (c *rawConn) waitClosed() error {
	c.t.Helper()
	_, err := io.Copy(io.Discard, c.r)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return err
	}
	return nil
}

func TestSessionLifetimeFollowsCredentialExpiry(t *testing.T) {
	e := newEnv(t, 0)
	sess, err := e.iam.GetSessionToken(context.Background(), e.aliceC, 20*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		mech sasl.Mechanism
		max  time.Duration
	}{
		{"long-term key: no expiry", iamMechanism(e.alice), 0},
		{"session token: no later than its expiry", iamMechanism(sess), time.Until(sess.Expires)},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := e.dial().authenticate(c.mech)
			if err != nil || resp.ErrorCode != 0 {
				t.Fatalf("got %v, error code %d; want success", err, resp.ErrorCode)
			}
			got := time.Duration(resp.SessionLifetimeMillis) * time.Millisecond
			if c.max == 0 && got != 0 {
				t.Errorf("got session_lifetime_ms %d; want 0", resp.SessionLifetimeMillis)
			}
			if c.max > 0 && (got <= 0 || got > c.max) {
				t.Errorf("got session lifetime %v; want > 0 and <= %v", got, c.max)
			}
			if !strings.Contains(string(resp.SASLAuthBytes), `"request-id"`) {
				t.Errorf("got reply %q; want the version and request-id", resp.SASLAuthBytes)
			}
		})
	}
}

func TestRequestsBeforeAuthenticationCloseTheConnection(t *testing.T) {
	e := newEnv(t, 0)
	c := e.dial()
	av, err := c.send(kmsg.NewPtrApiVersionsRequest())
	if err != nil {
		t.Fatal(err)
	}
	var sasl, produce bool
	for _, k := range av.(*kmsg.ApiVersionsResponse).ApiKeys {
		sasl = sasl || k.ApiKey == int16(kmsg.SASLAuthenticate)
		produce = produce || k.ApiKey == int16(kmsg.Produce)
	}
	if !sasl || !produce {
		t.Errorf("ApiVersions before authentication: got SaslAuthenticate %v, Produce %v; want both offered", sasl, produce)
	}
	md := kmsg.NewPtrMetadataRequest()
	if _, err := c.send(md); err == nil {
		t.Fatal("got a Metadata response before authentication; want the connection closed")
	}
}

func TestReauthenticationMustKeepThePrincipal(t *testing.T) {
	e := newEnv(t, 0)
	c := e.dial()
	if resp, err := c.authenticate(iamMechanism(e.alice)); err != nil || resp.ErrorCode != 0 {
		t.Fatalf("first authentication: %v", err)
	}
	if _, err := c.send(kmsg.NewPtrMetadataRequest()); err != nil {
		t.Fatalf("metadata after authentication: %v", err)
	}
	if resp, err := c.authenticate(iamMechanism(e.alice)); err != nil || resp.ErrorCode != 0 {
		t.Fatalf("re-authentication as the same principal: got %v; want success", err)
	}
	resp, err := c.authenticate(iamMechanism(e.bob))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.SaslAuthenticationFailed.Code || resp.ErrorMessage == nil || !strings.Contains(*resp.ErrorMessage, "must not change the principal") {
		t.Errorf("re-authentication as bob: got code %d message %v; want SASL_AUTHENTICATION_FAILED", resp.ErrorCode, resp.ErrorMessage)
	}
	if err := c.waitClosed(); err != nil {
		t.Errorf("after a refused re-authentication: %v; want the connection closed", err)
	}
}

func TestExpiredSessionIsClosed(t *testing.T) {
	e := newEnv(t, 300*time.Millisecond)
	c := e.dial()
	resp, err := c.authenticate(iamMechanism(e.alice))
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("authentication: %v", err)
	}
	if resp.SessionLifetimeMillis <= 0 || resp.SessionLifetimeMillis > 300 {
		t.Errorf("got session_lifetime_ms %d; want 1..300", resp.SessionLifetimeMillis)
	}
	if err := c.waitClosed(); err != nil {
		t.Errorf("a session past its lifetime: %v; want it closed", err)
	}
}

// A token captured from one client and presented from another address is
// refused; the same token from the same address (the Java client reuses
// one OAUTHBEARER token for every broker) is not.
func TestReplayedTokensAreRefused(t *testing.T) {
	e := newEnv(t, 0)
	for _, m := range []sasl.Mechanism{iamMechanism(e.alice), bearerMechanism(e.alice)} {
		t.Run(m.Name(), func(t *testing.T) {
			_, first, err := m.Authenticate(context.Background(), "127.0.0.1:9098")
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				from string
				ok   bool
			}{{"127.0.0.1", true}, {"127.0.0.1", true}, {"127.0.0.2", false}, {"127.0.0.1", true}}
			for i, c := range cases {
				resp, err := e.dialFrom(c.from).authenticateWith(m.Name(), first)
				if err != nil {
					t.Fatalf("use %d from %s: %v", i+1, c.from, err)
				}
				if got := resp.ErrorCode == 0; got != c.ok {
					t.Errorf("use %d from %s: got accepted %v (code %d, %v); want %v", i+1, c.from, got, resp.ErrorCode, resp.ErrorMessage, c.ok)
				}
				if !c.ok && (resp.ErrorCode != kerr.SaslAuthenticationFailed.Code || resp.ErrorMessage == nil ||
					!strings.HasSuffix(*resp.ErrorMessage, "]: Access denied: invalid credentials")) {
					t.Errorf("replay: got code %d message %v; want SASL_AUTHENTICATION_FAILED \"[id]: Access denied: invalid credentials\"", resp.ErrorCode, resp.ErrorMessage)
				}
			}
		})
	}
}

func TestReplaysRemembersUntilExpiry(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	a := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}
	aOtherPort := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40001}
	b := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 40000}
	sig1, sig2, sig3 := [32]byte{1}, [32]byte{2}, [32]byte{3}
	r := &Replays{MaxLive: 2}
	steps := []struct {
		name string
		sig  [32]byte
		from net.Addr
		exp  time.Time
		now  time.Time
		want bool
	}{
		{"first use", sig1, a, t0.Add(15 * time.Minute), t0, false},
		{"same address, another port", sig1, aOtherPort, t0.Add(15 * time.Minute), t0.Add(time.Second), false},
		{"another address", sig1, b, t0.Add(15 * time.Minute), t0.Add(2 * time.Second), true},
		{"second token", sig2, b, t0.Add(time.Minute), t0.Add(3 * time.Second), false},
		{"full: remembered no more", sig3, a, t0.Add(15 * time.Minute), t0.Add(4 * time.Second), false},
		{"full: so not a replay", sig3, b, t0.Add(15 * time.Minute), t0.Add(5 * time.Second), false},
		{"expired: a new first use", sig2, a, t0.Add(20 * time.Minute), t0.Add(2 * time.Minute), false},
		{"expired: now bound to the new address", sig2, b, t0.Add(20 * time.Minute), t0.Add(3 * time.Minute), true},
	}
	for _, s := range steps {
		if got := r.Check(s.sig, s.from, s.exp, s.now); got != s.want {
			t.Errorf("%s: got replayed %v; want %v", s.name, got, s.want)
		}
	}
	if got := r.Full(); got != 2 {
		t.Errorf("got Full %d; want 2", got)
	}
}

func TestOAuthBearerToken(t *testing.T) {
	cases := []struct {
		msg, want string
		err       bool
	}{
		{msg: "n,,\x01auth=Bearer abc\x01\x01", want: "abc"},
		{msg: "n,a=user,\x01host=h\x01auth=bearer xyz\x01\x01", want: "xyz"},
		{msg: "n,,\x01auth=Basic abc\x01\x01", err: true},
		{msg: "n,,\x01host=h\x01\x01", err: true},
		{msg: "auth=Bearer abc", err: true},
		{msg: "p=tls,,\x01auth=Bearer abc\x01\x01", err: true},
		{msg: "", err: true},
	}
	for _, c := range cases {
		got, err := oauthBearerToken([]byte(c.msg))
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%q: got %q, %v; want %q (error %v)", c.msg, got, err, c.want, c.err)
		}
	}
}

func FuzzOAuthBearerToken(f *testing.F) {
	f.Add([]byte("n,,\x01auth=Bearer abc\x01\x01"))
	f.Add([]byte("n,a=u,\x01auth=Bearer \x01\x01"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		tok, err := oauthBearerToken(msg)
		if err == nil && tok == "" {
			t.Fatal("no error and no token")
		}
	})
}

// testLogWriter sends the gateway's log to the test's log.
func testLogWriter(t *testing.T) io.Writer {
	return writerFunc(func(p []byte) (int, error) { t.Log(strings.TrimSpace(string(p))); return len(p), nil })
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
