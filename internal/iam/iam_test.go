package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/policy"
	"github.com/kafkalink/kafkalink/internal/store"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newService is an IAM over a fresh store in a temporary state directory.
func newService(t *testing.T) (*Service, store.Store, *clock, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	s, err := New(st, key, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	return s, st, clk, dir
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got error %v; want %s", err, code)
	}
}

// Secret access keys and session tokens are sealed in the store, and only
// the at-rest key opens them.
func TestSecretsAreEncryptedAtRest(t *testing.T) {
	s, st, _, dir := newService(t)
	ctx := context.Background()
	_, root, err := s.CreateAccount(ctx, "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Resolve(ctx, root.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.GetSessionToken(ctx, c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kvs, _, err := st.List(ctx, WatchPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		for _, secret := range []string{root.SecretAccessKey, sess.SecretAccessKey, sess.SessionToken} {
			if strings.Contains(string(kv.Value), secret) {
				t.Errorf("%s holds a secret in the clear", kv.Key)
			}
		}
	}
	if got, _, _, err := s.Secret(ctx, root.AccessKeyID); err != nil || got != root.SecretAccessKey {
		t.Errorf("Secret: got %q, %v; want the secret handed out", got, err)
	}
	if _, tok, exp, err := s.Secret(ctx, sess.AccessKeyID); err != nil || tok != sess.SessionToken || !exp.Equal(sess.Expires) {
		t.Errorf("Secret of a session: got token %q expiring %v, %v; want the token handed out", tok, exp, err)
	}

	// Another at-rest key cannot open them.
	other := make([]byte, 32)
	other[0] = 1
	t.Setenv(KeyEnv, base64.StdEncoding.EncodeToString(other))
	k2, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(st, k2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s2.Secret(ctx, root.AccessKeyID); err == nil {
		t.Error("a different at-rest key opened a secret")
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(dir)
	if err != nil || string(k1) != string(k2) || len(k1) != 32 {
		t.Errorf("second load: got %d bytes (same %v), %v; want the same 32-byte key", len(k2), string(k1) == string(k2), err)
	}
	t.Setenv(KeyEnv, "not base64!")
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), KeyEnv) {
		t.Errorf("bad %s: got %v; want an error naming it", KeyEnv, err)
	}
}

// Temporary credentials stop working when they expire, when their role is
// deleted, and keys stop working when deactivated.
func TestResolveRefusesDeadCredentials(t *testing.T) {
	s, _, clk, _ := newService(t)
	ctx := context.Background()
	_, root, err := s.CreateAccount(ctx, "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s.Resolve(ctx, root.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}}`
	if _, err := s.CreateRole(ctx, Role{Account: "111111111111", Name: "app", TrustPolicy: trust}); err != nil {
		t.Fatal(err)
	}
	sess, who, err := s.AssumeRole(ctx, rc, "arn:aws:iam::111111111111:role/app", "s1", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if who.ARN != "arn:aws:sts::111111111111:assumed-role/app/s1" {
		t.Errorf("got assumed-role ARN %s", who.ARN)
	}
	c, err := s.Resolve(ctx, sess.AccessKeyID)
	if err != nil || c.Principal.Kind != policy.AssumedRole || c.Principal.RoleARN != "arn:aws:iam::111111111111:role/app" {
		t.Fatalf("got %+v, %v; want the assumed-role session", c, err)
	}
	clk.add(15 * time.Minute)
	_, err = s.Resolve(ctx, sess.AccessKeyID)
	wantCode(t, err, "ExpiredToken")

	sess2, _, err := s.AssumeRole(ctx, rc, "arn:aws:iam::111111111111:role/app", "s2", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, "111111111111", "app"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Resolve(ctx, sess2.AccessKeyID)
	wantCode(t, err, "InvalidClientTokenId")

	if _, err := s.CreateUser(ctx, "111111111111", "alice", "/"); err != nil {
		t.Fatal(err)
	}
	uk, err := s.CreateAccessKey(ctx, "111111111111", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAccessKey(ctx, "111111111111", "alice", uk.AccessKeyID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Resolve(ctx, uk.AccessKeyID)
	wantCode(t, err, "InvalidClientTokenId")
}

func TestParsePrincipal(t *testing.T) {
	cases := []struct {
		in       string
		kind     policy.PrincipalKind
		account  string
		roleARN  string
		userName string
		err      bool
	}{
		{in: "111111111111", kind: policy.Root, account: "111111111111"},
		{in: "arn:aws:iam::111111111111:root", kind: policy.Root, account: "111111111111"},
		{in: "arn:aws:iam::111111111111:user/alice", kind: policy.User, account: "111111111111", userName: "alice"},
		{in: "arn:aws:iam::111111111111:user/dev/carol", kind: policy.User, account: "111111111111", userName: "carol"},
		{in: "arn:aws:iam::222222222222:role/team/app", kind: policy.Role, account: "222222222222"},
		{in: "arn:aws:sts::222222222222:assumed-role/app/s1", kind: policy.AssumedRole, account: "222222222222", roleARN: "arn:aws:iam::222222222222:role/app"},
		{in: "anonymous", kind: policy.Anonymous},
		{in: "alice", err: true},
		{in: "arn:aws:iam::1234:root", err: true},
		{in: "arn:aws:s3:::bucket", err: true},
		{in: "arn:aws:sts::222222222222:assumed-role/app", err: true},
		{in: "arn:aws:iam::111111111111:user/", err: true},
	}
	for _, c := range cases {
		p, err := ParsePrincipal(c.in)
		if (err != nil) != c.err {
			t.Errorf("%s: got error %v; want error %v", c.in, err, c.err)
			continue
		}
		if c.err {
			continue
		}
		if p.Kind != c.kind || p.Account != c.account || p.RoleARN != c.roleARN || p.UserName != c.userName {
			t.Errorf("%s: got %v %s role %q user %q; want %v %s role %q user %q", c.in, p.Kind, p.Account, p.RoleARN, p.UserName, c.kind, c.account, c.roleARN, c.userName)
		}
	}
}
