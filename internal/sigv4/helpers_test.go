package sigv4

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Test credentials. The secrets are made up.
const (
	akidLong    = "AKIAKAFKALINKTEST001"
	secretLong  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	akidTemp    = "ASIAKAFKALINKTEST002"
	secretTemp  = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	tokenTemp   = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+session/token=="
	akidExpired = "ASIAKAFKALINKTEST003"
	secretExp   = "expiredSecretEXAMPLEKEY/0123456789abcdefg"
	tokenExp    = "expired-session-token"
	akidUnknown = "AKIAKAFKALINKNOSUCH0"
)

// t0 is the fixed signing time of tests whose signer takes a time.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// farFuture is when the temporary test credential expires.
var farFuture = time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC)

// testKeys is the key store of the tests.
var testKeys = KeysFunc(func(_ context.Context, id string) (Credential, error) {
	switch id {
	case akidLong:
		return Credential{AccessKeyID: id, SecretAccessKey: secretLong}, nil
	case akidTemp:
		return Credential{AccessKeyID: id, SecretAccessKey: secretTemp, SessionToken: tokenTemp, Expires: farFuture}, nil
	case akidExpired:
		return Credential{AccessKeyID: id, SecretAccessKey: secretExp, SessionToken: tokenExp, Expires: t0.Add(-time.Hour)}, nil
	}
	return Credential{}, ErrUnknownKey
})

// fixedVerifier returns a Verifier whose clock reads now.
func fixedVerifier(now time.Time) *Verifier {
	return &Verifier{Keys: testKeys, Now: func() time.Time { return now }}
}

// realVerifier returns a Verifier on the real clock, for signers that sign
// with time.Now.
func realVerifier() *Verifier { return &Verifier{Keys: testKeys} }

// wantCode fails the test unless err is an *Error with the given code (""
// means no error).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("got error %v; want success", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v; want *Error with code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%s); want %s", e.Code, e.Reason, code)
	}
}

// requireTool skips (or, with CI=true, fails) when an external tool is
// missing.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is not installed")
	}
	return p
}

// missing skips the test, or fails it in CI.
func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required test dependency missing in CI: %s", why)
	}
	t.Skipf("skipping: %s (set up the dependency; fatal when CI=true)", why)
}

// flipHex changes the first digit of a hex string to another hex digit.
func flipHex(s string) string {
	if s == "" {
		return s
	}
	c := byte('0')
	if s[0] == '0' {
		c = '1'
	}
	return string(c) + s[1:]
}
