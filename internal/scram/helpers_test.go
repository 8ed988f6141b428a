package scram

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	franzscram "github.com/twmb/franz-go/pkg/sasl/scram"
	xdgscram "github.com/xdg-go/scram"

	"github.com/kafkalink/kafkalink/internal/store"
)

const testCluster = "demo"

// testTimeout bounds every wait in the tests.
const testTimeout = 10 * time.Second

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newStore opens a bbolt store in a temporary directory.
func newStore(t testing.TB) *store.Bolt {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newCredentials returns Credentials over st (a fresh store if nil).
func newCredentials(t testing.TB, st store.Store) *Credentials {
	t.Helper()
	if st == nil {
		st = newStore(t)
	}
	c := New(st)
	t.Cleanup(func() { c.Close() })
	return c
}

func mustSetPassword(t testing.TB, c *Credentials, user, mech, password string, iterations int) {
	t.Helper()
	if err := c.SetPassword(testContext(t), testCluster, user, mech, password, iterations); err != nil {
		t.Fatalf("SetPassword(%q, %s): %v", user, mech, err)
	}
}

func hashFor(mech string) func() hash.Hash {
	if mech == SHA256 {
		return sha256.New
	}
	return sha512.New
}

// franzAuth runs franz-go's SCRAM client against srv, the way kgo drives
// it: Authenticate gives the first message, Challenge each next one.
func franzAuth(ctx context.Context, srv *Server, mech string, a franzscram.Auth) error {
	fn := func(context.Context) (franzscram.Auth, error) { return a, nil }
	m := franzscram.Sha512(fn)
	if mech == SHA256 {
		m = franzscram.Sha256(fn)
	}
	sess, msg, err := m.Authenticate(ctx, "b-1.demo.x1y2z3.c1.kafka.us-east-1.amazonaws.com")
	if err != nil {
		return fmt.Errorf("client start: %w", err)
	}
	for {
		reply, done, err := srv.Step(msg)
		if err != nil {
			return err
		}
		clientDone, next, err := sess.Challenge(reply)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		if done != clientDone {
			return fmt.Errorf("server done %v, client done %v", done, clientDone)
		}
		if done {
			return nil
		}
		msg = next
	}
}

// xdgAuth runs xdg-go's SCRAM client against srv.
func xdgAuth(srv *Server, mech, user, password, authzID string) error {
	gen := xdgscram.SHA512
	if mech == SHA256 {
		gen = xdgscram.SHA256
	}
	client, err := gen.NewClient(user, password, authzID)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	conv := client.NewConversation()
	msg, err := conv.Step("")
	if err != nil {
		return fmt.Errorf("client start: %w", err)
	}
	for {
		reply, done, err := srv.Step([]byte(msg))
		if err != nil {
			return err
		}
		if msg, err = conv.Step(string(reply)); err != nil {
			return fmt.Errorf("client: %w", err)
		}
		if done {
			if !conv.Done() || !conv.Valid() {
				return errors.New("client did not validate the server")
			}
			return nil
		}
	}
}

// clientMath is the client side of SCRAM written out with the standard
// library alone, for messages no real client would send.
type clientMath struct {
	newHash  func() hash.Hash
	password string
}

// final returns the client-final message for a server-first message, with
// c=<cbind> and any extensions before the proof, and the server signature
// the client expects.
func (cm clientMath) final(t testing.TB, bare, serverFirst, cbind, exts string) (final string, serverSig []byte) {
	t.Helper()
	var nonce, salt64, iters string
	for f := range strings.SplitSeq(serverFirst, ",") {
		switch {
		case strings.HasPrefix(f, "r="):
			nonce = f[2:]
		case strings.HasPrefix(f, "s="):
			salt64 = f[2:]
		case strings.HasPrefix(f, "i="):
			iters = f[2:]
		}
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		t.Fatalf("server-first %q: salt: %v", serverFirst, err)
	}
	i, err := strconv.Atoi(iters)
	if err != nil {
		t.Fatalf("server-first %q: iterations: %v", serverFirst, err)
	}
	salted, err := pbkdf2.Key(cm.newHash, cm.password, salt, i, cm.newHash().Size())
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(cm.newHash, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	h := cm.newHash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	withoutProof := "c=" + cbind + ",r=" + nonce + exts
	authMessage := bare + "," + serverFirst + "," + withoutProof
	proof := mac(storedKey, authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), mac(mac(salted, "Server Key"), authMessage)
}

// wantAuthError checks that err is an *AuthError telling the client msg.
func wantAuthError(t testing.TB, err error, msg string) *AuthError {
	t.Helper()
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v (%T); want *AuthError", err, err)
	}
	if ae.Message != msg {
		t.Fatalf("got client message %q; want %q", ae.Message, msg)
	}
	return ae
}

func genericFailure(mech string) string {
	return "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mech
}

// waitSeen waits until c reflects every change made to st so far.
func waitSeen(t testing.TB, c *Credentials, st store.Store) {
	t.Helper()
	ctx := testContext(t)
	rev, err := st.Revision(ctx)
	if err != nil {
		t.Fatalf("Revision: %v", err)
	}
	cc, err := c.cluster(ctx, testCluster)
	if err != nil {
		t.Fatalf("cluster: %v", err)
	}
	if err := c.waitRev(ctx, cc, rev); err != nil {
		t.Fatalf("waiting for revision %d: %v", rev, err)
	}
}

// waitClosed waits for ch to be closed.
func waitClosed(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-testContext(t).Done():
		t.Fatalf("%s: not signalled within %v", what, testTimeout)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
