package scram

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/kafkalink/kafkalink/internal/store"
)

var (
	// ErrNotFound is returned by Delete for a credential that does not
	// exist.
	ErrNotFound = errors.New("scram: credential does not exist")
	// ErrUnsupportedMechanism is wrapped by the errors for a mechanism
	// other than SCRAM-SHA-256 and SCRAM-SHA-512.
	ErrUnsupportedMechanism = errors.New("scram: unsupported SASL mechanism")
	// ErrUnacceptableCredential is wrapped by the errors for a user name,
	// iteration count, salt, salted password or password that Kafka (or
	// kafkalink) does not accept.
	ErrUnacceptableCredential = errors.New("scram: unacceptable credential")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("scram: credentials closed")
)

// invalidError is a rejected credential change; msg is what a Kafka broker
// says about it.
type invalidError struct {
	kind error // ErrUnsupportedMechanism or ErrUnacceptableCredential
	msg  string
}

func (e *invalidError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *invalidError) Unwrap() error { return e.kind }

func unacceptable(format string, args ...any) error {
	return &invalidError{kind: ErrUnacceptableCredential, msg: fmt.Sprintf(format, args...)}
}

const (
	// maxUserLen bounds user names so that every key fits the store.
	maxUserLen = 1024
	// maxClusterLen bounds cluster names.
	maxClusterLen = 255
	// maxSaltLen bounds salts delivered by AlterUserScramCredentials.
	maxSaltLen = 1024
	// saltSize is the size of the salts SetPassword makes and of the
	// salts given to unknown users (kadm makes 24-byte salts too).
	saltSize = 24
	// mockIterations is the iteration count unknown users are given: the
	// default of Kafka's tools and of kadm.
	mockIterations = 4096

	resyncMinDelay = 100 * time.Millisecond
	resyncMaxDelay = 5 * time.Second
)

// Credential is one user's SCRAM credential for one mechanism. Its keys
// let a server verify a client but not impersonate one; they are still
// secrets and are never printed: String and GoString show only the
// mechanism, the iteration count and the revision.
type Credential struct {
	Mechanism  string
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
	// Revision is the store revision that last wrote the credential.
	Revision int64
}

func (c Credential) String() string {
	return fmt.Sprintf("%s credential (%d iterations, revision %d)", c.Mechanism, c.Iterations, c.Revision)
}

// GoString keeps the keys out of %#v.
func (c Credential) GoString() string { return c.String() }

func (c Credential) clone() Credential {
	c.Salt = slices.Clone(c.Salt)
	c.StoredKey = slices.Clone(c.StoredKey)
	c.ServerKey = slices.Clone(c.ServerKey)
	return c
}

// MechanismInfo is what DescribeUserScramCredentials tells about one
// credential.
type MechanismInfo struct {
	Mechanism  string
	Iterations int
}

// record is a credential as the store holds it.
type record struct {
	Salt       []byte `json:"salt"`
	Iterations int    `json:"iterations"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
}

// Option configures Credentials.
type Option func(*Credentials)

// WithMockSecret sets the secret from which the salts shown to unknown
// users are derived. Replicas that share it show an unknown user the same
// salt; without it each Credentials draws a random one, and an unknown
// user's salt is stable only within the process.
func WithMockSecret(secret []byte) Option {
	return func(c *Credentials) {
		k := sha256.Sum256(secret)
		c.mockKey = k[:]
	}
}

// WithLogger sets where failures that no caller sees are logged: store
// errors behind an UNKNOWN_SERVER_ERROR answer, and lost watches. Nothing
// secret is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Credentials) { c.log = l }
}

// Credentials is the SCRAM credential store of every cluster. Reads come
// from memory: a cluster is listed the first time it is used and then
// followed with the store's Watch, relisting whenever the watch is lost, so
// changes made by any replica (or the CLI) reach every Credentials within
// moments. Writes wait until this Credentials has seen them, so a caller
// reads its own writes. The data plane keeps authenticating from the last
// known state while the store is unreachable.
//
// A Credentials is safe for concurrent use. Close stops the watches.
type Credentials struct {
	st      store.Store
	mockKey []byte
	log     *slog.Logger

	ctx    context.Context // ends at Close; bounds the watches
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	clusters map[string]*clusterCache
}

// New returns the credentials kept in st.
func New(st store.Store, opts ...Option) *Credentials {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Credentials{st: st, log: slog.New(slog.DiscardHandler), ctx: ctx, cancel: cancel, clusters: make(map[string]*clusterCache)}
	for _, o := range opts {
		o(c)
	}
	if c.mockKey == nil {
		c.mockKey = make([]byte, 32)
		rand.Read(c.mockKey)
	}
	return c
}

// Close stops following the store. Calls made after Close return
// ErrClosed; Close itself may be called more than once.
func (c *Credentials) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	return nil
}

// credKey names one credential of a cluster.
type credKey struct{ user, mech string }

// entry is one cached credential.
type entry struct {
	rev  int64
	cred Credential
	err  error         // the stored record is unusable (cred is zero)
	gone chan struct{} // closed when the credential is replaced or deleted
}

// clusterCache is the credentials of one cluster.
type clusterCache struct {
	name   string
	prefix string
	load   chan struct{} // one-slot semaphore held during the first load
	loaded atomic.Bool

	mu       sync.RWMutex
	rev      int64         // the last store revision applied
	advanced chan struct{} // closed (and replaced) when rev advances
	entries  map[credKey]*entry
}

func scramPrefix(cluster string) string { return "clusters/" + cluster + "/scram/" }

func credentialKey(cluster, user, mech string) string {
	return scramPrefix(cluster) + url.PathEscape(user) + "/" + mech
}

// parseKey splits a key under the cluster's prefix into user and
// mechanism; ok is false for a key that is not a credential.
func (cc *clusterCache) parseKey(key string) (user, mech string, ok bool) {
	rest, found := strings.CutPrefix(key, cc.prefix)
	if !found {
		return "", "", false
	}
	esc, mech, found := strings.Cut(rest, "/")
	if !found || lookupMechanism(mech) == nil {
		return "", "", false
	}
	user, err := url.PathUnescape(esc)
	if err != nil || user == "" {
		return "", "", false
	}
	return user, mech, true
}

func newEntry(mech string, kv store.KV) *entry {
	e := &entry{rev: kv.ModRevision, gone: make(chan struct{})}
	e.cred, e.err = decodeCredential(mech, kv)
	return e
}

func decodeCredential(mech string, kv store.KV) (Credential, error) {
	m := lookupMechanism(mech)
	var r record
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return Credential{}, fmt.Errorf("scram: stored credential at revision %d: %w", kv.ModRevision, err)
	}
	switch {
	case r.Iterations < MinIterations || r.Iterations > MaxIterations,
		len(r.Salt) == 0 || len(r.Salt) > maxSaltLen,
		len(r.StoredKey) != m.size || len(r.ServerKey) != m.size:
		return Credential{}, fmt.Errorf("scram: stored credential at revision %d is malformed", kv.ModRevision)
	}
	return Credential{
		Mechanism:  mech,
		Salt:       r.Salt,
		Iterations: r.Iterations,
		StoredKey:  r.StoredKey,
		ServerKey:  r.ServerKey,
		Revision:   kv.ModRevision,
	}, nil
}

// advanceLocked records that the cache reflects rev. cc.mu must be held.
func (cc *clusterCache) advanceLocked(rev int64) {
	if rev > cc.rev {
		cc.rev = rev
		close(cc.advanced)
		cc.advanced = make(chan struct{})
	}
}

// replace installs a listing taken at rev, keeping the entries (and their
// gone channels) of credentials that did not change and closing the
// others'.
func (cc *clusterCache) replace(kvs []store.KV, rev int64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	next := make(map[credKey]*entry, len(kvs))
	for _, kv := range kvs {
		user, mech, ok := cc.parseKey(kv.Key)
		if !ok {
			continue
		}
		k := credKey{user, mech}
		if e := cc.entries[k]; e != nil && e.rev == kv.ModRevision {
			next[k] = e
		} else {
			next[k] = newEntry(mech, kv)
		}
	}
	for k, e := range cc.entries {
		if next[k] != e {
			close(e.gone)
		}
	}
	cc.entries = next
	cc.advanceLocked(rev)
}

// apply applies one watched change.
func (cc *clusterCache) apply(ev store.Event) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if user, mech, ok := cc.parseKey(ev.KV.Key); ok {
		k := credKey{user, mech}
		if old := cc.entries[k]; old != nil {
			close(old.gone)
			delete(cc.entries, k)
		}
		if ev.Type == store.EventPut {
			cc.entries[k] = newEntry(mech, ev.KV)
		}
	}
	cc.advanceLocked(ev.KV.ModRevision)
}

func checkCluster(cluster string) error {
	if cluster == "" || len(cluster) > maxClusterLen || strings.Contains(cluster, "/") || !utf8.ValidString(cluster) {
		return fmt.Errorf("scram: invalid cluster name %q", cluster)
	}
	return nil
}

// cluster returns the cluster's cache, listing the cluster and starting to
// follow it on first use.
func (c *Credentials) cluster(ctx context.Context, name string) (*clusterCache, error) {
	if err := checkCluster(name); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	cc := c.clusters[name]
	if cc == nil {
		cc = &clusterCache{
			name:     name,
			prefix:   scramPrefix(name),
			load:     make(chan struct{}, 1),
			advanced: make(chan struct{}),
			entries:  make(map[credKey]*entry),
		}
		c.clusters[name] = cc
	}
	c.mu.Unlock()
	if cc.loaded.Load() {
		return cc, nil
	}
	select {
	case cc.load <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("scram: load cluster %q: %w", name, ctx.Err())
	}
	defer func() { <-cc.load }()
	if cc.loaded.Load() {
		return cc, nil
	}
	wch, err := c.listAndWatch(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("scram: load cluster %q: %w", name, err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.wg.Add(1)
	c.mu.Unlock()
	cc.loaded.Store(true)
	go c.follow(cc, wch)
	return cc, nil
}

// listAndWatch lists the cluster's credentials into the cache and returns
// a watch that continues right after the listing.
func (c *Credentials) listAndWatch(ctx context.Context, cc *clusterCache) (<-chan store.Event, error) {
	for attempt := 1; ; attempt++ {
		kvs, rev, err := c.st.List(ctx, cc.prefix)
		if err != nil {
			return nil, err
		}
		wch, err := c.st.Watch(c.ctx, cc.prefix, rev+1)
		if errors.Is(err, store.ErrCompacted) && attempt < 3 {
			continue // history moved on between the listing and the watch
		}
		if err != nil {
			return nil, err
		}
		cc.replace(kvs, rev)
		return wch, nil
	}
}

// follow applies the cluster's changes until Close, relisting whenever
// the watch ends early (a watcher that falls behind is dropped by the
// store).
func (c *Credentials) follow(cc *clusterCache, wch <-chan store.Event) {
	defer c.wg.Done()
	delay := resyncMinDelay
	for {
		for ev := range wch {
			cc.apply(ev)
			delay = resyncMinDelay
		}
		for {
			if c.ctx.Err() != nil {
				return
			}
			var err error
			if wch, err = c.listAndWatch(c.ctx, cc); err == nil {
				break
			}
			if errors.Is(err, store.ErrClosed) {
				return // the store is gone: keep serving what is known
			}
			c.log.Warn("scram: follow the credentials of a cluster", "cluster", cc.name, "err", err, "retry_in", delay)
			t := time.NewTimer(delay)
			select {
			case <-c.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			delay = min(2*delay, resyncMaxDelay)
		}
	}
}

// waitRev waits until the cache reflects store revision rev.
func (c *Credentials) waitRev(ctx context.Context, cc *clusterCache, rev int64) error {
	for {
		cc.mu.RLock()
		cur, ch := cc.rev, cc.advanced
		cc.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.ctx.Done():
			return ErrClosed
		}
	}
}

// written makes this Credentials see its own write at rev before the write
// returns. A cluster not loaded yet will list the write when it is.
func (c *Credentials) written(ctx context.Context, cluster string, rev int64) error {
	c.mu.Lock()
	cc := c.clusters[cluster]
	c.mu.Unlock()
	if cc == nil || !cc.loaded.Load() {
		return nil
	}
	if err := c.waitRev(ctx, cc, rev); err != nil {
		return fmt.Errorf("scram: stored, but not yet seen: %w", err)
	}
	return nil
}

// validateName checks a user name and mechanism as Kafka does, in Kafka's
// order.
func validateName(user, mech string) (*mechanism, error) {
	if user == "" {
		return nil, unacceptable("Username must not be empty")
	}
	m := lookupMechanism(mech)
	if m == nil {
		return nil, &invalidError{kind: ErrUnsupportedMechanism, msg: "Unknown SCRAM mechanism"}
	}
	if len(user) > maxUserLen {
		return nil, unacceptable("Username must not be longer than %d bytes", maxUserLen)
	}
	if !utf8.ValidString(user) {
		return nil, unacceptable("Username must be valid UTF-8")
	}
	return m, nil
}

func validateIterations(iterations int) error {
	if iterations < MinIterations {
		return unacceptable("Too few iterations")
	}
	if iterations > MaxIterations {
		return unacceptable("Too many iterations")
	}
	return nil
}

// validateUpsert checks an upsertion as AlterUserScramCredentials does.
func validateUpsert(user, mech string, iterations int, salt, saltedPassword []byte) (*mechanism, error) {
	m, err := validateName(user, mech)
	if err != nil {
		return nil, err
	}
	if err := validateIterations(iterations); err != nil {
		return nil, err
	}
	if len(salt) == 0 {
		return nil, unacceptable("Salt must not be empty")
	}
	if len(salt) > maxSaltLen {
		return nil, unacceptable("Salt must not be longer than %d bytes", maxSaltLen)
	}
	if len(saltedPassword) != m.size {
		return nil, unacceptable("Salted password must be %d bytes for %s", m.size, m.name)
	}
	return m, nil
}

// Upsert creates or replaces a credential from a salt and salted password,
// as AlterUserScramCredentials delivers them: it stores the salt, the
// iterations, StoredKey and ServerKey, and forgets the salted password.
func (c *Credentials) Upsert(ctx context.Context, cluster, user, mechanism string, iterations int, salt, saltedPassword []byte) error {
	m, err := validateUpsert(user, mechanism, iterations, salt, saltedPassword)
	if err != nil {
		return err
	}
	storedKey, serverKey := m.keys(saltedPassword)
	return c.put(ctx, cluster, user, m, record{Salt: salt, Iterations: iterations, StoredKey: storedKey, ServerKey: serverKey})
}

// SetPassword creates or replaces a credential from a password, with a
// fresh random salt. The password is used as its UTF-8 bytes, without
// SASLprep, as Kafka's clients use it.
func (c *Credentials) SetPassword(ctx context.Context, cluster, user, mechanism, password string, iterations int) error {
	m, err := validateName(user, mechanism)
	if err != nil {
		return err
	}
	if err := validateIterations(iterations); err != nil {
		return err
	}
	if password == "" {
		return unacceptable("Password must not be empty")
	}
	salt := make([]byte, saltSize)
	rand.Read(salt)
	salted, err := pbkdf2.Key(m.newHash, password, salt, iterations, m.size)
	if err != nil {
		return fmt.Errorf("scram: derive the salted password: %w", err)
	}
	defer clear(salted)
	return c.Upsert(ctx, cluster, user, mechanism, iterations, salt, salted)
}

func (c *Credentials) put(ctx context.Context, cluster, user string, m *mechanism, r record) error {
	if err := checkCluster(cluster); err != nil {
		return err
	}
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	value, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("scram: encode credential: %w", err)
	}
	rev, err := c.st.Put(ctx, credentialKey(cluster, user, m.name), value)
	if err != nil {
		return fmt.Errorf("scram: store %s credential of user %q in cluster %q: %w", m.name, user, cluster, err)
	}
	return c.written(ctx, cluster, rev)
}

// Delete removes a credential; it returns an error wrapping ErrNotFound if
// there is none.
func (c *Credentials) Delete(ctx context.Context, cluster, user, mechanism string) error {
	m, err := validateName(user, mechanism)
	if err != nil {
		return err
	}
	if err := checkCluster(cluster); err != nil {
		return err
	}
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	rev, existed, err := c.st.Delete(ctx, credentialKey(cluster, user, m.name))
	if err != nil {
		return fmt.Errorf("scram: delete %s credential of user %q in cluster %q: %w", m.name, user, cluster, err)
	}
	if !existed {
		return fmt.Errorf("scram: %s credential of user %q in cluster %q: %w", m.name, user, cluster, ErrNotFound)
	}
	return c.written(ctx, cluster, rev)
}

// Describe returns the mechanisms and iteration counts of the users'
// credentials, in mechanism order; nil users means every user of the
// cluster. A named user without credentials is absent from the map.
func (c *Credentials) Describe(ctx context.Context, cluster string, users []string) (map[string][]MechanismInfo, error) {
	cc, err := c.cluster(ctx, cluster)
	if err != nil {
		return nil, err
	}
	var want map[string]bool
	if users != nil {
		want = make(map[string]bool, len(users))
		for _, u := range users {
			want[u] = true
		}
	}
	out := make(map[string][]MechanismInfo)
	cc.mu.RLock()
	for k, e := range cc.entries {
		if e.err != nil || (want != nil && !want[k.user]) {
			continue
		}
		out[k.user] = append(out[k.user], MechanismInfo{Mechanism: k.mech, Iterations: e.cred.Iterations})
	}
	cc.mu.RUnlock()
	for _, infos := range out {
		slices.SortFunc(infos, func(a, b MechanismInfo) int {
			return int(MechanismType(a.Mechanism)) - int(MechanismType(b.Mechanism))
		})
	}
	return out, nil
}

// Lookup returns a user's credential for the mechanism; ok is false if
// there is none. A stored credential that cannot be used is an error.
func (c *Credentials) Lookup(ctx context.Context, cluster, user, mechanism string) (Credential, bool, error) {
	m := lookupMechanism(mechanism)
	if m == nil {
		return Credential{}, false, fmt.Errorf("%w %q", ErrUnsupportedMechanism, mechanism)
	}
	e, err := c.entry(ctx, cluster, user, m)
	if err != nil || e == nil {
		return Credential{}, false, err
	}
	return e.cred.clone(), true, nil
}

// entry returns the cached credential, nil if there is none.
func (c *Credentials) entry(ctx context.Context, cluster, user string, m *mechanism) (*entry, error) {
	cc, err := c.cluster(ctx, cluster)
	if err != nil {
		return nil, err
	}
	cc.mu.RLock()
	e := cc.entries[credKey{user, m.name}]
	cc.mu.RUnlock()
	if e != nil && e.err != nil {
		return nil, fmt.Errorf("scram: %s credential of user %q in cluster %q: %w", m.name, user, cluster, e.err)
	}
	return e, nil
}

// exists reports whether the credential is stored, usable or not.
func (c *Credentials) exists(ctx context.Context, cluster, user string, m *mechanism) (bool, error) {
	cc, err := c.cluster(ctx, cluster)
	if err != nil {
		return false, err
	}
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	return cc.entries[credKey{user, m.name}] != nil, nil
}

// closedChan is returned for credentials that already changed.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Changed returns a channel that is closed once the credential that was
// at revision rev (Credential.Revision) is deleted or replaced. It is
// closed already if that happened before the call. A session bound to a
// credential waits on it to end itself when the credential goes.
func (c *Credentials) Changed(ctx context.Context, cluster, user, mechanism string, rev int64) (<-chan struct{}, error) {
	m := lookupMechanism(mechanism)
	if m == nil {
		return nil, fmt.Errorf("%w %q", ErrUnsupportedMechanism, mechanism)
	}
	cc, err := c.cluster(ctx, cluster)
	if err != nil {
		return nil, err
	}
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	if e := cc.entries[credKey{user, m.name}]; e != nil && e.rev == rev {
		return e.gone, nil
	}
	return closedChan, nil
}

// mockCredential is what an unknown user is challenged with: a salt
// derived from the mock secret, stable for the user, so that the exchange
// runs to the proof like a wrong password does. Its keys only need to be
// of the right size: an unknown user fails whatever the proof.
func (c *Credentials) mockCredential(cluster, user string, m *mechanism) Credential {
	out := mechSHA512.hmac(c.mockKey, []byte(cluster), []byte{0}, []byte(user), []byte{0}, []byte(m.name))
	return Credential{
		Mechanism:  m.name,
		Salt:       out[:saltSize],
		Iterations: mockIterations,
		StoredKey:  out[:m.size],
		ServerKey:  out[:m.size],
	}
}
