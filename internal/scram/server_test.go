package scram

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	franzscram "github.com/twmb/franz-go/pkg/sasl/scram"
)

func TestFranzGoClient(t *testing.T) {
	c := newCredentials(t, nil)
	for _, mech := range Mechanisms() {
		mustSetPassword(t, c, "alice", mech, "alice-secret", 4096)
		mustSetPassword(t, c, "a,b=c", mech, "comma-secret", 8192)
		mustSetPassword(t, c, "bob", mech, "bob-secret", MaxIterations)
	}
	tests := []struct {
		name     string
		user     string
		password string
		zid      string
	}{
		{"plain", "alice", "alice-secret", ""},
		{"escaped name", "a,b=c", "comma-secret", ""},
		{"max iterations", "bob", "bob-secret", ""},
		{"authzid equal to user", "alice", "alice-secret", "alice"},
	}
	for _, mech := range Mechanisms() {
		for _, tt := range tests {
			t.Run(mech+"/"+tt.name, func(t *testing.T) {
				srv := NewServer(c, testCluster, mech)
				err := franzAuth(testContext(t), srv, mech, franzscram.Auth{User: tt.user, Pass: tt.password, Zid: tt.zid})
				if err != nil {
					t.Fatalf("got %v; want success", err)
				}
				if got := srv.User(); got != tt.user {
					t.Errorf("got user %q; want %q", got, tt.user)
				}
				if got, want := srv.Principal(), "User:"+tt.user; got != want {
					t.Errorf("got principal %q; want %q", got, want)
				}
				if got := srv.Mechanism(); got != mech {
					t.Errorf("got mechanism %q; want %q", got, mech)
				}
				if srv.Revision() == 0 {
					t.Errorf("got revision 0; want the credential's")
				}
				if isClosed(srv.Changed()) {
					t.Errorf("Changed is closed for an unchanged credential")
				}
			})
		}
	}
}

func TestXdgClient(t *testing.T) {
	c := newCredentials(t, nil)
	for _, mech := range Mechanisms() {
		mustSetPassword(t, c, "alice", mech, "alice-secret", 4096)
		mustSetPassword(t, c, "jürgen", mech, "pässwörd", 4096)
		mustSetPassword(t, c, "x=y,z", mech, "s3cret", 4096)
	}
	tests := []struct {
		name, user, password, authz string
	}{
		{"plain", "alice", "alice-secret", ""},
		{"non-ASCII", "jürgen", "pässwörd", ""},
		{"escaped name", "x=y,z", "s3cret", ""},
		// xdg-go binds c= to the gs2 header with the authzid.
		{"authzid equal to user", "alice", "alice-secret", "alice"},
		{"escaped authzid", "x=y,z", "s3cret", "x=y,z"},
	}
	for _, mech := range Mechanisms() {
		for _, tt := range tests {
			t.Run(mech+"/"+tt.name, func(t *testing.T) {
				srv := NewServer(c, testCluster, mech)
				if err := xdgAuth(srv, mech, tt.user, tt.password, tt.authz); err != nil {
					t.Fatalf("got %v; want success", err)
				}
				if got := srv.User(); got != tt.user {
					t.Errorf("got user %q; want %q", got, tt.user)
				}
			})
		}
	}
}

// TestRFC7677Vector runs the SCRAM-SHA-256 example of RFC 7677 section 3.
func TestRFC7677Vector(t *testing.T) {
	c := newCredentials(t, nil)
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	salted, err := pbkdf2.Key(sha256.New, "pencil", salt, 4096, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(testContext(t), testCluster, "user", SHA256, 4096, salt, salted); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	srv := NewServer(c, testCluster, SHA256)
	srv.nonceFunc = func() string { return "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" }
	steps := []struct{ client, server string }{
		{"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"},
		{"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
	}
	for i, s := range steps {
		reply, done, err := srv.Step([]byte(s.client))
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		if string(reply) != s.server {
			t.Errorf("step %d: got %q; want %q", i+1, reply, s.server)
		}
		if wantDone := i == 1; done != wantDone {
			t.Errorf("step %d: got done %v; want %v", i+1, done, wantDone)
		}
	}
	if got := srv.User(); got != "user" {
		t.Errorf("got user %q; want %q", got, "user")
	}
}

// TestUnknownUserLikeWrongPassword checks that a client cannot tell an
// unknown user from a wrong password: both get a server-first message of
// the same shape and fail at the proof with the same message.
func TestUnknownUserLikeWrongPassword(t *testing.T) {
	c := newCredentials(t, nil)
	for _, mech := range Mechanisms() {
		mustSetPassword(t, c, "alice", mech, "alice-secret", 4096)
	}
	for _, mech := range Mechanisms() {
		t.Run(mech, func(t *testing.T) {
			run := func(user, password string) (serverFirst string, err error) {
				srv := NewServer(c, testCluster, mech)
				bare := "n=" + user + ",r=clientnonce"
				reply, _, err := srv.Step([]byte("n,," + bare))
				if err != nil {
					t.Fatalf("client-first of %q: got %v; want a challenge", user, err)
				}
				final, _ := clientMath{hashFor(mech), password}.final(t, bare, string(reply), "biws", "")
				_, done, err := srv.Step([]byte(final))
				if done {
					t.Fatalf("user %q with password %q authenticated", user, password)
				}
				if srv.User() != "" || srv.Changed() != nil {
					t.Errorf("failed exchange reports user %q", srv.User())
				}
				return string(reply), err
			}
			wrongFirst, wrongErr := run("alice", "not-her-password")
			unknownFirst, unknownErr := run("mallory", "anything")
			wrong := wantAuthError(t, wrongErr, genericFailure(mech))
			unknown := wantAuthError(t, unknownErr, genericFailure(mech))
			if wrong.Reason.Error() == unknown.Reason.Error() {
				t.Errorf("got the same log reason %q for both; want them told apart in the log", wrong.Reason)
			}
			// The same shape: nonce length, salt length, iterations.
			shape := func(sf string) string {
				f := strings.Split(sf, ",")
				salt, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[1], "s="))
				return fmt.Sprintf("nonce %d bytes, salt %d bytes, %s", len(f[0]), len(salt), f[2])
			}
			if got, want := shape(unknownFirst), shape(wrongFirst); got != want {
				t.Errorf("got unknown user's server-first %q; want %q as for a known user", got, want)
			}
			again, _ := run("mallory", "anything")
			if strings.Split(again, ",")[1] != strings.Split(unknownFirst, ",")[1] {
				t.Errorf("got unknown user's salt %q, then %q; want a stable salt", strings.Split(unknownFirst, ",")[1], strings.Split(again, ",")[1])
			}
		})
	}
}

func TestFranzGoFailures(t *testing.T) {
	c := newCredentials(t, nil)
	for _, mech := range Mechanisms() {
		mustSetPassword(t, c, "alice", mech, "alice-secret", 4096)
	}
	tests := []struct {
		name    string
		auth    franzscram.Auth
		message func(mech string) string
	}{
		{"wrong password", franzscram.Auth{User: "alice", Pass: "wrong"}, genericFailure},
		{"unknown user", franzscram.Auth{User: "nobody", Pass: "alice-secret"}, genericFailure},
		{"tokenauth", franzscram.Auth{User: "alice", Pass: "alice-secret", IsToken: true}, genericFailure},
		{"authzid of another user", franzscram.Auth{User: "alice", Pass: "alice-secret", Zid: "admin"},
			func(string) string { return authzMismatch }},
	}
	for _, mech := range Mechanisms() {
		for _, tt := range tests {
			t.Run(mech+"/"+tt.name, func(t *testing.T) {
				srv := NewServer(c, testCluster, mech)
				err := franzAuth(testContext(t), srv, mech, tt.auth)
				wantAuthError(t, err, tt.message(mech))
				if srv.User() != "" {
					t.Errorf("got user %q after a failure; want none", srv.User())
				}
				if _, _, err := srv.Step([]byte("n,,n=alice,r=again")); err == nil {
					t.Errorf("Step after a failure succeeded")
				}
			})
		}
	}
}

// TestTamperedExchange alters the client-final message of a real client.
func TestTamperedExchange(t *testing.T) {
	c := newCredentials(t, nil)
	mustSetPassword(t, c, "alice", SHA512, "alice-secret", 4096)
	flipProof := func(final string) string {
		i := strings.LastIndex(final, ",p=")
		proof, _ := base64.StdEncoding.DecodeString(final[i+3:])
		proof[0] ^= 1
		return final[:i] + ",p=" + base64.StdEncoding.EncodeToString(proof)
	}
	tests := []struct {
		name   string
		tamper func(final string) string
		reason string
	}{
		{"proof bit flipped", flipProof, "invalid client proof"},
		{"nonce extended", func(f string) string { return strings.Replace(f, ",p=", "x,p=", 1) }, "invalid client nonce"},
		{"nonce replaced", func(f string) string {
			i, j := strings.Index(f, ",r="), strings.Index(f, ",p=")
			return f[:i] + ",r=fresh-client-nonce" + f[j:]
		}, "invalid client nonce"},
		{"extension added", func(f string) string { return strings.Replace(f, ",p=", ",x=y,p=", 1) }, "invalid client proof"},
		{"channel binding changed", func(f string) string { return strings.Replace(f, "c=biws", "c=eSws", 1) }, "channel binding"},
		{"proof truncated", func(f string) string { return f[:strings.LastIndex(f, ",p=")] + ",p=AAAA" }, "client proof of 3 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(c, testCluster, SHA512)
			bare := "n=alice,r=abcdef"
			reply, _, err := srv.Step([]byte("n,," + bare))
			if err != nil {
				t.Fatal(err)
			}
			final, _ := clientMath{hashFor(SHA512), "alice-secret"}.final(t, bare, string(reply), "biws", "")
			_, done, err := srv.Step([]byte(tt.tamper(final)))
			if done {
				t.Fatal("tampered exchange succeeded")
			}
			ae := wantAuthError(t, err, genericFailure(SHA512))
			if !strings.Contains(ae.Reason.Error(), tt.reason) {
				t.Errorf("got reason %q; want it to mention %q", ae.Reason, tt.reason)
			}
		})
	}
}

// TestClientMessages covers client messages no real client sends but
// Kafka accepts, and the proof checks for extensions.
func TestClientMessages(t *testing.T) {
	c := newCredentials(t, nil)
	mustSetPassword(t, c, "alice", SHA256, "alice-secret", 4096)
	tests := []struct {
		name     string
		gs2, ext string // gs2 header, client-first extensions
		cbind    string // c= value
		finalExt string
		ok       bool
	}{
		{"tokenauth=false", "n,,", ",tokenauth=false", "biws", "", true},
		{"unknown extension ignored", "n,,", ",foo=bar,Baz=q", "biws", "", true},
		{"final extension", "n,,", "", "biws", ",foo=bar", true},
		{"authzid bound in c=", "n,a=alice,", "", base64.StdEncoding.EncodeToString([]byte("n,a=alice,")), "", true},
		{"authzid with c=biws", "n,a=alice,", "", "biws", "", true},
		{"tokenauth=TRUE", "n,,", ",tokenauth=TRUE", "biws", "", false},
		{"tokenauth twice", "n,,", ",tokenauth=false,tokenauth=true", "biws", "", false},
		{"c= of another header", "n,,", "", base64.StdEncoding.EncodeToString([]byte("n,a=alice,")), "", false},
		{"c= with channel binding flag", "n,,", "", base64.StdEncoding.EncodeToString([]byte("p=tls-unique,,")), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(c, testCluster, SHA256)
			bare := "n=alice,r=nonce123" + tt.ext
			reply, _, err := srv.Step([]byte(tt.gs2 + bare))
			if err != nil {
				if tt.ok {
					t.Fatalf("client-first: got %v; want a challenge", err)
				}
				wantAuthError(t, err, genericFailure(SHA256))
				return
			}
			final, sig := clientMath{hashFor(SHA256), "alice-secret"}.final(t, bare, string(reply), tt.cbind, tt.finalExt)
			reply, done, err := srv.Step([]byte(final))
			if !tt.ok {
				if done {
					t.Fatal("got success; want failure")
				}
				wantAuthError(t, err, genericFailure(SHA256))
				return
			}
			if err != nil || !done {
				t.Fatalf("client-final: got done %v, %v; want success", done, err)
			}
			if want := "v=" + base64.StdEncoding.EncodeToString(sig); string(reply) != want {
				t.Errorf("got server-final %q; want %q", reply, want)
			}
		})
	}
}

func TestMalformedClientFirst(t *testing.T) {
	c := newCredentials(t, nil)
	mustSetPassword(t, c, "alice", SHA512, "alice-secret", 4096)
	long := strings.Repeat("u", maxUserLen+1)
	tests := []struct{ name, msg string }{
		{"empty", ""},
		{"gs2 flag only", "n"},
		{"no authzid separator", "n,"},
		{"channel binding supported", "y,,n=alice,r=x"},
		{"channel binding used", "p=tls-unique,,n=alice,r=x"},
		{"bad flag", "q,,n=alice,r=x"},
		{"bad authzid field", "n,b=alice,n=alice,r=x"},
		{"empty authzid", "n,a=,n=alice,r=x"},
		{"bare missing", "n,,"},
		{"mandatory extension", "n,,m=ext,n=alice,r=x"},
		{"no user field", "n,,r=x,n=alice"},
		{"empty user", "n,,n=,r=x"},
		{"bad escape", "n,,n=al=ice,r=x"},
		{"bad escape hex", "n,,n=al=2Xice,r=x"},
		{"truncated escape", "n,,n=alice=2,r=x"},
		{"NUL in user", "n,,n=al\x00ice,r=x"},
		{"user too long", "n,,n=" + long + ",r=x"},
		{"no nonce", "n,,n=alice"},
		{"empty nonce", "n,,n=alice,r="},
		{"nonce with space", "n,,n=alice,r=a b"},
		{"nonce with DEL", "n,,n=alice,r=a\x7f"},
		{"nonce field missing", "n,,n=alice,x=y"},
		{"trailing comma", "n,,n=alice,r=x,"},
		{"extension without value", "n,,n=alice,r=x,ext="},
		{"extension without =", "n,,n=alice,r=x,ext"},
		{"extension name digit", "n,,n=alice,r=x,e1=v"},
		{"extension value non-ASCII", "n,,n=alice,r=x,ext=ü"},
		{"invalid UTF-8", "n,,n=al\xffice,r=x"},
		{"oversized", "n,,n=alice,r=" + strings.Repeat("x", maxMessageSize)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(c, testCluster, SHA512)
			reply, done, err := srv.Step([]byte(tt.msg))
			if reply != nil || done {
				t.Errorf("got reply %q, done %v; want neither", reply, done)
			}
			wantAuthError(t, err, genericFailure(SHA512))
		})
	}
}

func TestMalformedClientFinal(t *testing.T) {
	c := newCredentials(t, nil)
	mustSetPassword(t, c, "alice", SHA256, "alice-secret", 4096)
	tests := []struct {
		name  string
		final func(nonce string) string
	}{
		{"empty", func(string) string { return "" }},
		{"no proof", func(n string) string { return "c=biws,r=" + n }},
		{"empty proof", func(n string) string { return "c=biws,r=" + n + ",p=" }},
		{"proof not base64", func(n string) string { return "c=biws,r=" + n + ",p=!!!!" }},
		{"proof with line break", func(n string) string {
			return "c=biws,r=" + n + ",p=" + strings.Repeat("A", 20) + "\n" + strings.Repeat("A", 24)
		}},
		{"proof unpadded", func(n string) string { return "c=biws,r=" + n + ",p=" + strings.Repeat("A", 43) }},
		{"no channel binding", func(n string) string { return "r=" + n + ",p=" + strings.Repeat("A", 44) }},
		{"channel binding not base64", func(n string) string { return "c=b!ws,r=" + n + ",p=" + strings.Repeat("A", 44) }},
		{"no nonce", func(string) string { return "c=biws,p=" + strings.Repeat("A", 44) }},
		{"empty nonce", func(string) string { return "c=biws,r=,p=" + strings.Repeat("A", 44) }},
		{"bad extension", func(n string) string { return "c=biws,r=" + n + ",9=x,p=" + strings.Repeat("A", 44) }},
		{"fields swapped", func(n string) string { return "r=" + n + ",c=biws,p=" + strings.Repeat("A", 44) }},
		{"invalid UTF-8", func(n string) string { return "c=biws,r=" + n + "\xff,p=" + strings.Repeat("A", 44) }},
		{"oversized", func(n string) string {
			return "c=biws,r=" + n + ",e=" + strings.Repeat("x", maxMessageSize) + ",p=" + strings.Repeat("A", 44)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(c, testCluster, SHA256)
			reply, _, err := srv.Step([]byte("n,,n=alice,r=abc"))
			if err != nil {
				t.Fatal(err)
			}
			nonce := strings.TrimPrefix(strings.Split(string(reply), ",")[0], "r=")
			reply, done, err := srv.Step([]byte(tt.final(nonce)))
			if reply != nil || done {
				t.Errorf("got reply %q, done %v; want neither", reply, done)
			}
			wantAuthError(t, err, genericFailure(SHA256))
		})
	}
}

func TestServerStates(t *testing.T) {
	c := newCredentials(t, nil)
	mustSetPassword(t, c, "alice", SHA512, "alice-secret", 4096)

	t.Run("step after success", func(t *testing.T) {
		srv := NewServer(c, testCluster, SHA512)
		if err := xdgAuth(srv, SHA512, "alice", "alice-secret", ""); err != nil {
			t.Fatal(err)
		}
		_, done, err := srv.Step([]byte("n,,n=alice,r=x"))
		if done || err == nil {
			t.Fatalf("got done %v, %v; want an error", done, err)
		}
		if srv.User() != "" {
			t.Errorf("got user %q after a failed extra step; want none", srv.User())
		}
	})
	t.Run("unsupported mechanism", func(t *testing.T) {
		srv := NewServer(c, testCluster, "SCRAM-SHA-1")
		_, _, err := srv.Step([]byte("n,,n=alice,r=x"))
		ae := wantAuthError(t, err, genericFailure("SCRAM-SHA-1"))
		if !errors.Is(ae, ErrUnsupportedMechanism) {
			t.Errorf("got reason %v; want ErrUnsupportedMechanism", ae.Reason)
		}
	})
	t.Run("invalid cluster", func(t *testing.T) {
		srv := NewServer(c, "a/b", SHA512)
		_, _, err := srv.Step([]byte("n,,n=alice,r=x"))
		wantAuthError(t, err, genericFailure(SHA512))
	})
	t.Run("re-authentication message", func(t *testing.T) {
		srv := NewServer(c, testCluster, SHA512, Reauthentication())
		err := xdgAuth(srv, SHA512, "alice", "wrong", "")
		wantAuthError(t, err, "Authentication failed during re-authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512")
	})
	t.Run("credential deleted during the exchange", func(t *testing.T) {
		mustSetPassword(t, c, "carol", SHA512, "carol-secret", 4096)
		srv := NewServer(c, testCluster, SHA512)
		bare := "n=carol,r=n0nce"
		reply, _, err := srv.Step([]byte("n,," + bare))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(testContext(t), testCluster, "carol", SHA512); err != nil {
			t.Fatal(err)
		}
		final, _ := clientMath{hashFor(SHA512), "carol-secret"}.final(t, bare, string(reply), "biws", "")
		_, done, err := srv.Step([]byte(final))
		if done {
			t.Fatal("exchange with a deleted credential succeeded")
		}
		ae := wantAuthError(t, err, genericFailure(SHA512))
		if !strings.Contains(ae.Reason.Error(), "changed during the exchange") {
			t.Errorf("got reason %q; want a changed credential", ae.Reason)
		}
	})
}

// TestErrorsHoldNoSecrets checks that no failure says the password, a key
// or a proof.
func TestErrorsHoldNoSecrets(t *testing.T) {
	c := newCredentials(t, nil)
	mustSetPassword(t, c, "alice", SHA256, "alice-secret", 4096)
	cred, _, err := c.Lookup(testContext(t), testCluster, "alice", SHA256)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(c, testCluster, SHA256)
	bare := "n=alice,r=abc"
	reply, _, _ := srv.Step([]byte("n,," + bare))
	final, _ := clientMath{hashFor(SHA256), "wrong-secret"}.final(t, bare, string(reply), "biws", "")
	_, _, err = srv.Step([]byte(final))
	text := err.Error() + " " + err.(*AuthError).Message
	proof := final[strings.LastIndex(final, ",p=")+3:]
	for _, secret := range []string{"alice-secret", "wrong-secret", proof,
		base64.StdEncoding.EncodeToString(cred.StoredKey), base64.StdEncoding.EncodeToString(cred.ServerKey)} {
		if strings.Contains(text, secret) {
			t.Errorf("error %q holds a secret", text)
		}
	}
	for _, s := range []string{cred.String(), cred.GoString()} {
		if bytes.Contains([]byte(s), cred.StoredKey) || strings.Contains(s, base64.StdEncoding.EncodeToString(cred.StoredKey)) {
			t.Errorf("Credential printed as %q holds a key", s)
		}
	}
}
