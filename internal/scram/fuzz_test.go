package scram

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

var clientFirstSeeds = []string{
	"n,,n=alice,r=rOprNGfwEbeRWgbNEkqO",
	"n,a=alice,n=alice,r=abc",
	"n,a=a=2Cb,n=a=2Cb=3Dc,r=abc,tokenauth=true",
	"n,,n=alice,r=abc,ext=value,tokenauth=false",
	"n,,m=x,n=alice,r=abc",
	"y,,n=alice,r=abc",
	"p=tls-unique,,n=alice,r=abc",
	"n,,n=j\u00fcrgen,r=abc",
	"n,,n=al=2,r=abc",
	"n,,n=,r=",
	"",
}

var clientFinalSeeds = []string{
	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	"c=biws,r=abc,ext=v,p=AAAA",
	"c=,r=abc,p=",
	"c=biws,r=abc,p=AA\nAA",
	"c=biws,r=abc",
	"r=abc,c=biws,p=AAAA",
	"",
}

// FuzzParseClientFirst checks that the parser never panics and that what
// it accepts reads back to the message.
func FuzzParseClientFirst(f *testing.F) {
	for _, s := range clientFirstSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		cf, err := parseClientFirst(msg)
		if err != nil {
			return
		}
		if got := cf.gs2Header + cf.bare; got != string(msg) {
			t.Fatalf("gs2 header %q + bare %q is not the message %q", cf.gs2Header, cf.bare, msg)
		}
		if !strings.HasPrefix(cf.bare, "n="+encodeSASLName(cf.user)+",r="+cf.nonce) {
			t.Fatalf("user %q and nonce %q do not read back to %q", cf.user, cf.nonce, cf.bare)
		}
		if cf.authzid != "" && cf.gs2Header != "n,a="+encodeSASLName(cf.authzid)+"," {
			t.Fatalf("authzid %q does not read back to %q", cf.authzid, cf.gs2Header)
		}
		if cf.user == "" || !utf8.ValidString(cf.user) || len(cf.user) > maxUserLen || strings.ContainsRune(cf.user, 0) {
			t.Fatalf("accepted user %q", cf.user)
		}
		if cf.nonce == "" || strings.ContainsAny(cf.nonce, ", ") {
			t.Fatalf("accepted nonce %q", cf.nonce)
		}
	})
}

// FuzzParseClientFinal checks that the parser never panics and that what
// it accepts reads back to the message.
func FuzzParseClientFinal(f *testing.F) {
	for _, s := range clientFinalSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		cf, err := parseClientFinal(msg)
		if err != nil {
			return
		}
		if got := cf.withoutProof + ",p=" + base64.StdEncoding.EncodeToString(cf.proof); got != string(msg) {
			t.Fatalf("parsed as %q; message %q", got, msg)
		}
		if !strings.HasPrefix(cf.withoutProof, "c="+base64.StdEncoding.EncodeToString(cf.channelBinding)+",r="+cf.nonce) {
			t.Fatalf("channel binding %q and nonce %q do not read back to %q", cf.channelBinding, cf.nonce, cf.withoutProof)
		}
	})
}

// FuzzServerStep runs whole exchanges with fuzzed client messages. The
// server nonce is fixed so that fuzzed final messages can carry it.
func FuzzServerStep(f *testing.F) {
	c := newCredentials(f, nil)
	mustSetPassword(f, c, "alice", SHA256, "alice-secret", 4096)
	const serverNonce = "SERVERNONCE"

	// A valid exchange, and variations of it.
	srv := NewServer(c, testCluster, SHA256)
	srv.nonceFunc = func() string { return serverNonce }
	bare := "n=alice,r=fuzz"
	reply, _, err := srv.Step([]byte("n,," + bare))
	if err != nil {
		f.Fatal(err)
	}
	final, _ := clientMath{hashFor(SHA256), "alice-secret"}.final(f, bare, string(reply), "biws", "")
	f.Add([]byte("n,,"+bare), []byte(final))
	f.Add([]byte("n,a=alice,"+bare), []byte(final))
	f.Add([]byte("n,,n=bob,r=fuzz"), []byte(final))
	for _, s := range clientFirstSeeds {
		f.Add([]byte(s), []byte(final))
	}
	for _, s := range clientFinalSeeds {
		f.Add([]byte("n,,"+bare), []byte(s))
	}

	f.Fuzz(func(t *testing.T, first, final []byte) {
		srv := NewServer(c, testCluster, SHA256)
		srv.nonceFunc = func() string { return serverNonce }
		check := func(step string, reply []byte, done bool, err error) bool {
			if err == nil {
				return true
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Reason == nil {
				t.Fatalf("%s: got error %v (%T); want *AuthError", step, err, err)
			}
			if ae.Message != genericFailure(SHA256) && ae.Message != authzMismatch {
				t.Fatalf("%s: got client message %q", step, ae.Message)
			}
			if reply != nil || done {
				t.Fatalf("%s: got reply %q, done %v with an error", step, reply, done)
			}
			if srv.User() != "" {
				t.Fatalf("%s: failed exchange reports user %q", step, srv.User())
			}
			return false
		}
		reply, done, err := srv.Step(first)
		if !check("client-first", reply, done, err) {
			return
		}
		if done || !bytes.HasPrefix(reply, []byte("r=")) {
			t.Fatalf("client-first: got reply %q, done %v; want a server-first message", reply, done)
		}
		reply, done, err = srv.Step(final)
		if !check("client-final", reply, done, err) {
			return
		}
		if !done || !bytes.HasPrefix(reply, []byte("v=")) || srv.User() != "alice" {
			t.Fatalf("client-final: got reply %q, done %v, user %q; want alice authenticated", reply, done, srv.User())
		}
	})
}
