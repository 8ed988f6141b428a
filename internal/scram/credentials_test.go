package scram

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	franzscram "github.com/twmb/franz-go/pkg/sasl/scram"
	xdgscram "github.com/xdg-go/scram"

	"github.com/kafkalink/kafkalink/internal/store"
)

func TestUpsertValidation(t *testing.T) {
	c := newCredentials(t, nil)
	salt := []byte("0123456789abcdef")
	salted512 := make([]byte, 64)
	tests := []struct {
		name       string
		user, mech string
		iterations int
		salt       []byte
		salted     []byte
		want       error
		message    string // Kafka's message, if any
	}{
		{"empty user", "", SHA512, 4096, salt, salted512, ErrUnacceptableCredential, "Username must not be empty"},
		{"empty user before mechanism", "", "SCRAM-SHA-1", 4096, salt, salted512, ErrUnacceptableCredential, "Username must not be empty"},
		{"unknown mechanism", "alice", "SCRAM-SHA-1", 4096, salt, salted512, ErrUnsupportedMechanism, "Unknown SCRAM mechanism"},
		{"lower-case mechanism", "alice", "scram-sha-512", 4096, salt, salted512, ErrUnsupportedMechanism, "Unknown SCRAM mechanism"},
		{"too few iterations", "alice", SHA512, 4095, salt, salted512, ErrUnacceptableCredential, "Too few iterations"},
		{"too many iterations", "alice", SHA512, 16385, salt, salted512, ErrUnacceptableCredential, "Too many iterations"},
		{"empty salt", "alice", SHA512, 4096, nil, salted512, ErrUnacceptableCredential, "Salt must not be empty"},
		{"salt too long", "alice", SHA512, 4096, make([]byte, maxSaltLen+1), salted512, ErrUnacceptableCredential, "Salt must not be longer than 1024 bytes"},
		{"salted password of SHA-256 size", "alice", SHA512, 4096, salt, make([]byte, 32), ErrUnacceptableCredential, "Salted password must be 64 bytes for SCRAM-SHA-512"},
		{"user too long", strings.Repeat("u", maxUserLen+1), SHA512, 4096, salt, salted512, ErrUnacceptableCredential, "Username must not be longer than 1024 bytes"},
		{"user not UTF-8", "al\xffice", SHA512, 4096, salt, salted512, ErrUnacceptableCredential, "Username must be valid UTF-8"},
		{"minimum iterations", "alice", SHA512, MinIterations, salt, salted512, nil, ""},
		{"maximum iterations", "alice", SHA512, MaxIterations, salt, salted512, nil, ""},
		{"user with slash", "team/alice", SHA512, 4096, salt, salted512, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Upsert(testContext(t), testCluster, tt.user, tt.mech, tt.iterations, tt.salt, tt.salted)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got %v; want %v", err, tt.want)
			}
			if tt.want != nil {
				if got := toAPIError(err).msg; got != tt.message {
					t.Errorf("got message %q; want %q", got, tt.message)
				}
			}
		})
	}

	t.Run("SetPassword", func(t *testing.T) {
		for _, tt := range []struct {
			name, password string
			iterations     int
			want           error
		}{
			{"empty password", "", 4096, ErrUnacceptableCredential},
			{"too few iterations", "pw", 1000, ErrUnacceptableCredential},
			{"ok", "pw", 4096, nil},
		} {
			err := c.SetPassword(testContext(t), testCluster, "alice", SHA256, tt.password, tt.iterations)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%s: got %v; want %v", tt.name, err, tt.want)
			}
		}
	})
	t.Run("invalid cluster", func(t *testing.T) {
		for _, cluster := range []string{"", "a/b", strings.Repeat("c", maxClusterLen+1)} {
			if err := c.SetPassword(testContext(t), cluster, "alice", SHA256, "pw", 4096); err == nil {
				t.Errorf("SetPassword in cluster %q: got success; want an error", cluster)
			}
			if _, _, err := c.Lookup(testContext(t), cluster, "alice", SHA256); err == nil {
				t.Errorf("Lookup in cluster %q: got success; want an error", cluster)
			}
		}
	})
}

// TestStoredRecord checks the key layout and that the store holds the
// derived keys but neither the password nor the salted password.
func TestStoredRecord(t *testing.T) {
	st := newStore(t)
	c := newCredentials(t, st)
	ctx := testContext(t)
	const password = "correct horse battery staple"
	for _, tt := range []struct{ user, key string }{
		{"alice", "clusters/demo/scram/alice/SCRAM-SHA-512"},
		{"team/a,b=c%", "clusters/demo/scram/team%2Fa%2Cb=c%25/SCRAM-SHA-512"},
	} {
		mustSetPassword(t, c, tt.user, SHA512, password, 8192)
		key := tt.key
		kv, ok, err := st.Get(ctx, key)
		if err != nil || !ok {
			t.Fatalf("Get(%q): got ok %v, %v; want the record", key, ok, err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(kv.Value, &fields); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(slices.Sorted(maps.Keys(fields)), ","), "iterations,salt,server_key,stored_key"; got != want {
			t.Errorf("got fields %s; want %s", got, want)
		}
		var r record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			t.Fatal(err)
		}
		salted, _ := pbkdf2.Key(hashFor(SHA512), password, r.Salt, r.Iterations, 64)
		if bytes.Contains(kv.Value, []byte(password)) || bytes.Contains(kv.Value, salted) || strings.Contains(string(kv.Value), base64.StdEncoding.EncodeToString(salted)) {
			t.Errorf("stored record holds the password or salted password")
		}
		if len(r.Salt) != saltSize || r.Iterations != 8192 {
			t.Errorf("got salt of %d bytes, %d iterations; want %d bytes, 8192", len(r.Salt), r.Iterations, saltSize)
		}
		storedKey, serverKey := mechSHA512.keys(salted)
		if !bytes.Equal(r.StoredKey, storedKey) || !bytes.Equal(r.ServerKey, serverKey) {
			t.Errorf("stored keys are not the ones derived from the password")
		}
	}
}

func TestDescribeAndLookup(t *testing.T) {
	c := newCredentials(t, nil)
	ctx := testContext(t)
	mustSetPassword(t, c, "alice", SHA512, "pw", 8192)
	mustSetPassword(t, c, "alice", SHA256, "pw", 4096)
	mustSetPassword(t, c, "bob", SHA512, "pw", 4096)

	alice := []MechanismInfo{{SHA256, 4096}, {SHA512, 8192}}
	bob := []MechanismInfo{{SHA512, 4096}}
	tests := []struct {
		name  string
		users []string
		want  map[string][]MechanismInfo
	}{
		{"all", nil, map[string][]MechanismInfo{"alice": alice, "bob": bob}},
		{"one", []string{"bob"}, map[string][]MechanismInfo{"bob": bob}},
		{"unknown omitted", []string{"alice", "carol"}, map[string][]MechanismInfo{"alice": alice}},
		{"none", []string{}, map[string][]MechanismInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Describe(ctx, testCluster, tt.users)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}

	cred, ok, err := c.Lookup(ctx, testCluster, "alice", SHA512)
	if err != nil || !ok {
		t.Fatalf("Lookup: got ok %v, %v; want the credential", ok, err)
	}
	if cred.Mechanism != SHA512 || cred.Iterations != 8192 || cred.Revision == 0 {
		t.Errorf("got %v; want SCRAM-SHA-512, 8192 iterations, a revision", cred)
	}
	cred.StoredKey[0] ^= 0xff // a copy: the cache must not change
	if err := xdgAuth(NewServer(c, testCluster, SHA512), SHA512, "alice", "pw", ""); err != nil {
		t.Errorf("after changing a looked-up copy: got %v; want success", err)
	}
	if _, ok, err := c.Lookup(ctx, testCluster, "carol", SHA512); ok || err != nil {
		t.Errorf("Lookup of an unknown user: got ok %v, %v; want neither", ok, err)
	}
	if _, _, err := c.Lookup(ctx, testCluster, "alice", "PLAIN"); !errors.Is(err, ErrUnsupportedMechanism) {
		t.Errorf("Lookup with PLAIN: got %v; want ErrUnsupportedMechanism", err)
	}
	if err := c.Delete(ctx, testCluster, "carol", SHA512); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of a missing credential: got %v; want ErrNotFound", err)
	}
	if got, want := fmt.Sprintf("%v|%+v|%#v", cred, cred, cred), strings.Repeat(cred.String()+"|", 3); got+"|" != want {
		t.Errorf("got %q; want only %q", got, cred.String())
	}
}

func TestUnusableStoredRecord(t *testing.T) {
	st := newStore(t)
	c := newCredentials(t, st)
	ctx := testContext(t)
	for _, v := range []string{`not json`, `{"salt":"c2FsdA==","iterations":100,"stored_key":"","server_key":""}`} {
		if _, err := st.Put(ctx, "clusters/demo/scram/eve/SCRAM-SHA-256", []byte(v)); err != nil {
			t.Fatal(err)
		}
		waitSeen(t, c, st)
		if _, _, err := c.Lookup(ctx, testCluster, "eve", SHA256); err == nil {
			t.Errorf("Lookup of record %s: got success; want an error", v)
		}
		srv := NewServer(c, testCluster, SHA256)
		_, _, err := srv.Step([]byte("n,,n=eve,r=abc"))
		wantAuthError(t, err, genericFailure(SHA256))
	}
	// Keys that are not credentials are ignored.
	if _, err := st.Put(ctx, "clusters/demo/scram/eve/SCRAM-SHA-1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	waitSeen(t, c, st)
	got, err := c.Describe(ctx, testCluster, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("Describe: got %v, %v; want nothing", got, err)
	}
	if err := c.Delete(ctx, testCluster, "eve", SHA256); err != nil {
		t.Errorf("Delete of an unusable record: got %v; want success", err)
	}
}

// TestPersistence authenticates against credentials written before the
// store was closed and opened again.
func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	c := New(st)
	mustSetPassword(t, c, "alice", SHA512, "alice-secret", 4096)
	mustSetPassword(t, c, "bob", SHA256, "bob-secret", 4096)
	if err := c.Delete(testContext(t), testCluster, "bob", SHA256); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c = newCredentials(t, st)
	if err := franzAuth(testContext(t), NewServer(c, testCluster, SHA512), SHA512, franzscram.Auth{User: "alice", Pass: "alice-secret"}); err != nil {
		t.Errorf("alice after reopening: got %v; want success", err)
	}
	err = franzAuth(testContext(t), NewServer(c, testCluster, SHA256), SHA256, franzscram.Auth{User: "bob", Pass: "bob-secret"})
	wantAuthError(t, err, genericFailure(SHA256))
}

// TestWatchPropagation runs two Credentials on one store, as two kafkalink
// replicas (or the CLI and the daemon) would: changes made through one
// reach the other's authentications and live sessions.
func TestWatchPropagation(t *testing.T) {
	st := newStore(t)
	writer := newCredentials(t, st)
	reader := newCredentials(t, st)
	ctx := testContext(t)
	auth := func(password string) (*Server, error) {
		srv := NewServer(reader, testCluster, SHA512)
		return srv, franzAuth(ctx, srv, SHA512, franzscram.Auth{User: "alice", Pass: password})
	}

	// The reader follows the cluster before the credential exists.
	if _, err := auth("v1"); err == nil {
		t.Fatal("authenticated before any credential existed")
	}
	mustSetPassword(t, writer, "alice", SHA512, "v1", 4096)
	waitSeen(t, reader, st)
	session, err := auth("v1")
	if err != nil {
		t.Fatalf("after the writer set the password: got %v; want success", err)
	}

	// A new password ends sessions bound to the old credential.
	mustSetPassword(t, writer, "alice", SHA512, "v2", 4096)
	waitClosed(t, session.Changed(), "password change")
	waitSeen(t, reader, st)
	if _, err := auth("v1"); err == nil {
		t.Error("old password still authenticates")
	}
	session, err = auth("v2")
	if err != nil {
		t.Fatalf("new password: got %v; want success", err)
	}
	later, err := reader.Changed(ctx, testCluster, "alice", SHA512, session.Revision())
	if err != nil || isClosed(later) {
		t.Fatalf("Changed for the current revision: got closed %v, %v; want open", isClosed(later), err)
	}

	// Deleting the credential ends the session and the next
	// authentication fails.
	if err := writer.Delete(ctx, testCluster, "alice", SHA512); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, session.Changed(), "delete")
	waitClosed(t, later, "delete (Credentials.Changed)")
	if _, err := auth("v2"); err == nil {
		t.Error("deleted credential still authenticates")
	}
	stale, err := reader.Changed(ctx, testCluster, "alice", SHA512, session.Revision())
	if err != nil || !isClosed(stale) {
		t.Errorf("Changed for a deleted credential: got closed %v, %v; want closed", isClosed(stale), err)
	}
}

// cutStore lets a test end the watches and make new ones fail, as a
// distributed store does when a watcher falls behind its history.
type cutStore struct {
	store.Store
	mu        sync.Mutex
	cancels   []context.CancelFunc
	compacted bool
}

func (s *cutStore) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.compacted {
		return nil, store.ErrCompacted
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancels = append(s.cancels, cancel)
	return s.Store.Watch(ctx, prefix, fromRev)
}

// cut ends every watch and, while compacted, fails new ones.
func (s *cutStore) cut(compacted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacted = compacted
	for _, cancel := range s.cancels {
		cancel()
	}
	s.cancels = nil
}

// TestResyncAfterLostWatch deletes a credential while the watch is down:
// the relisting must still end the sessions bound to it.
func TestResyncAfterLostWatch(t *testing.T) {
	bolt := newStore(t)
	st := &cutStore{Store: bolt}
	c := newCredentials(t, st)
	mustSetPassword(t, c, "alice", SHA256, "alice-secret", 4096)
	mustSetPassword(t, c, "bob", SHA256, "bob-secret", 4096)
	srv := NewServer(c, testCluster, SHA256)
	if err := xdgAuth(srv, SHA256, "alice", "alice-secret", ""); err != nil {
		t.Fatal(err)
	}
	bobSrv := NewServer(c, testCluster, SHA256)
	if err := xdgAuth(bobSrv, SHA256, "bob", "bob-secret", ""); err != nil {
		t.Fatal(err)
	}

	st.cut(true)
	if _, _, err := bolt.Delete(testContext(t), "clusters/demo/scram/alice/SCRAM-SHA-256"); err != nil {
		t.Fatal(err)
	}
	st.cut(false)
	waitClosed(t, srv.Changed(), "delete during a lost watch")
	if isClosed(bobSrv.Changed()) {
		t.Error("relisting closed the session of an unchanged credential")
	}
	if err := xdgAuth(NewServer(c, testCluster, SHA256), SHA256, "alice", "alice-secret", ""); err == nil {
		t.Error("deleted credential still authenticates after the relisting")
	}
	// The new watch works.
	if _, _, err := bolt.Delete(testContext(t), "clusters/demo/scram/bob/SCRAM-SHA-256"); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, bobSrv.Changed(), "delete after the relisting")
}

func TestClose(t *testing.T) {
	st := newStore(t)
	c := New(st)
	mustSetPassword(t, c, "alice", SHA256, "pw", 4096)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: got %v; want nil", err)
	}
	ctx := testContext(t)
	if _, _, err := c.Lookup(ctx, testCluster, "alice", SHA256); !errors.Is(err, ErrClosed) {
		t.Errorf("Lookup after Close: got %v; want ErrClosed", err)
	}
	if err := c.SetPassword(ctx, testCluster, "alice", SHA256, "pw", 4096); !errors.Is(err, ErrClosed) {
		t.Errorf("SetPassword after Close: got %v; want ErrClosed", err)
	}
}

// TestConcurrentUse authenticates from several goroutines while another
// user's credential is rewritten and a new cluster is loaded.
func TestConcurrentUse(t *testing.T) {
	st := newStore(t)
	c := newCredentials(t, st)
	mustSetPassword(t, c, "alice", SHA256, "alice-secret", 4096)
	salt := []byte("salt-of-bob")
	salted, err := pbkdf2.Key(hashFor(SHA256), "bob-secret", salt, 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 4 {
		wg.Go(func() {
			client, err := xdgscram.SHA256.NewClient("alice", "alice-secret", "")
			if err != nil {
				errs <- err
				return
			}
			for range 10 {
				srv := NewServer(c, testCluster, SHA256)
				conv := client.NewConversation()
				msg, _ := conv.Step("")
				for {
					reply, done, err := srv.Step([]byte(msg))
					if err != nil {
						errs <- err
						return
					}
					if msg, err = conv.Step(string(reply)); err != nil {
						errs <- err
						return
					}
					if done {
						break
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 10 {
			if err := c.Upsert(ctx, testCluster, "bob", SHA256, 4096+i, salt, salted); err != nil {
				errs <- err
				return
			}
			if _, err := c.Describe(ctx, fmt.Sprintf("cluster-%d", i), nil); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
