package acl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkalink/kafkalink/internal/store"
)

const (
	// defaultApplyWait bounds how long Create and Delete wait for their
	// own changes to reach the in-memory index before returning.
	defaultApplyWait = 5 * time.Second
	// maxBatch is the most watch events applied in one index rebuild.
	maxBatch = 4096
	// minBackoff and maxBackoff bound the wait between attempts to list
	// and watch again after a store error.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// errClosed is returned by calls made after Close.
var errClosed = errors.New("acl: authorizer closed")

// Authorizer holds the ACLs of every cluster kafkalink fronts and decides
// requests against them. It loads the ACLs from the store and follows the
// store's changes, so an ACL created or deleted through any kafkalink
// replica is in force on every replica within a moment.
//
// An Authorizer is safe for concurrent use; Authorize takes no locks.
type Authorizer struct {
	st        store.Store
	log       *slog.Logger
	applyWait time.Duration

	// clusters is copied on write, under mu.
	clusters atomic.Pointer[map[string]*clusterState]

	mu       sync.Mutex
	acls     map[string]map[string]Binding // cluster → id → ACL, as the store holds them
	applied  int64                         // the store revision the index reflects
	advanced chan struct{}                 // closed and replaced when applied grows

	closed atomic.Bool
	cancel context.CancelFunc
	done   chan struct{} // closed when the watch loop has ended
}

// clusterState is what Authorize reads for one cluster.
type clusterState struct {
	idx  atomic.Pointer[index]
	conf atomic.Pointer[clusterConf]
}

// clusterConf is a cluster's authorizer configuration.
type clusterConf struct {
	superUsers   map[string]struct{}
	allowIfNoACL bool // allow.everyone.if.no.acl.found
}

// New loads the ACLs of every cluster from st and follows st's changes
// until Close. ctx bounds the initial load only. A nil log discards.
func New(ctx context.Context, st store.Store, log *slog.Logger) (*Authorizer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Authorizer{
		st:        st,
		log:       log,
		applyWait: defaultApplyWait,
		acls:      make(map[string]map[string]Binding),
		advanced:  make(chan struct{}),
		done:      make(chan struct{}),
	}
	a.clusters.Store(&map[string]*clusterState{})
	kvs, rev, err := st.List(ctx, clustersPrefix)
	if err != nil {
		return nil, fmt.Errorf("acl: load ACLs: %w", err)
	}
	a.load(kvs, rev)
	wctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go a.run(wctx, rev)
	return a, nil
}

// Close stops following the store. The Authorizer keeps answering
// Authorize and Describe from the ACLs it last knew; Create and Delete fail.
func (a *Authorizer) Close() {
	if a.closed.Swap(true) {
		return
	}
	a.cancel()
	<-a.done
}

// SetAllowEveryoneIfNoACL sets the cluster's allow.everyone.if.no.acl.found:
// whether a request is allowed when no ACL matches its resource at all.
// The default is false.
func (a *Authorizer) SetAllowEveryoneIfNoACL(cluster string, allow bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cs := a.clusterLocked(cluster)
	c := clusterConf{}
	if old := cs.conf.Load(); old != nil {
		c = *old
	}
	c.allowIfNoACL = allow
	cs.conf.Store(&c)
}

// SetSuperUsers sets the cluster's super.users: principals ("User:admin")
// that may do anything, whatever the ACLs say. Entries are trimmed; empty
// entries are ignored, and malformed ones (no "Type:" prefix) are logged and
// ignored.
func (a *Authorizer) SetSuperUsers(cluster string, users []string) {
	set := make(map[string]struct{}, len(users))
	for _, u := range users {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if typ, _, ok := strings.Cut(u, ":"); !ok || typ == "" {
			a.log.Warn("ignoring malformed super user; want principalType:principalName",
				"cluster", cluster, "super_user", u)
			continue
		}
		set[u] = struct{}{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cs := a.clusterLocked(cluster)
	c := clusterConf{}
	if old := cs.conf.Load(); old != nil {
		c = *old
	}
	c.superUsers = set
	cs.conf.Store(&c)
}

// Authorize decides whether req is allowed on cluster. It is meant for the
// path of every Kafka request: it takes no locks and does not allocate.
func (a *Authorizer) Authorize(cluster string, req Request) Decision {
	cs := (*a.clusters.Load())[cluster]
	if cs == nil {
		return Decision{Reason: reasonNoACLDeny}
	}
	conf := cs.conf.Load()
	if conf != nil && len(conf.superUsers) > 0 {
		if _, ok := conf.superUsers[req.Principal]; ok {
			return Decision{Allowed: true, Reason: reasonSuperUser}
		}
	}
	m := match{principal: req.Principal, op: req.Operation, host: req.Host}
	cs.idx.Load().authorize(&req, &m)
	switch {
	case m.deny != nil:
		return Decision{Reason: m.deny.reason, Binding: m.deny.binding}
	case m.allow != nil:
		return Decision{Allowed: true, Reason: m.allow.reason, Binding: m.allow.binding}
	case m.hasACLs:
		return Decision{Reason: reasonNoMatchingEntry}
	case conf != nil && conf.allowIfNoACL:
		return Decision{Allowed: true, Reason: reasonNoACLAllow}
	}
	return Decision{Reason: reasonNoACLDeny}
}

// Create stores the bindings as ACLs of cluster and returns one error per
// binding, nil for each created. Creating an ACL that exists succeeds and
// changes nothing. Errors are *Error: INVALID_REQUEST for a binding that
// fails Validate, UNKNOWN_SERVER_ERROR for a store failure. Create waits,
// a few seconds at most, until the created ACLs are in force on this
// Authorizer; other replicas follow through the store's watch.
func (a *Authorizer) Create(ctx context.Context, cluster string, bindings []Binding) []error {
	errs := make([]error, len(bindings))
	if err := a.usable(cluster); err != nil {
		for i := range errs {
			errs[i] = &Error{Code: kerr.UnknownServerError, Message: "Unknown error while trying to create ACL", Err: err}
		}
		return errs
	}
	var last int64
	for i, b := range bindings {
		if err := b.Validate(); err != nil {
			errs[i] = err
			continue
		}
		rev, err := a.put(ctx, cluster, b)
		if err != nil {
			a.log.Warn("create ACL failed", "cluster", cluster, "acl", b.String(), "err", err)
			errs[i] = &Error{Code: kerr.UnknownServerError, Message: "Unknown error while trying to create ACL", Err: err}
			continue
		}
		last = max(last, rev)
	}
	a.waitApplied(ctx, last)
	return errs
}

// put stores b unless it exists and returns the revision to wait for.
func (a *Authorizer) put(ctx context.Context, cluster string, b Binding) (int64, error) {
	v, err := encodeBinding(b)
	if err != nil {
		return 0, err
	}
	rev, ok, cur, err := a.st.CompareAndSwap(ctx, aclKey(cluster, b), v, 0)
	if err != nil {
		return 0, fmt.Errorf("acl: store %s: %w", b, err)
	}
	if !ok {
		return cur.ModRevision, nil // exists: as in Kafka, a success
	}
	a.log.Info("ACL created", "cluster", cluster, "acl", b.String())
	return rev, nil
}

// Describe returns the ACLs of cluster that f matches, sorted by resource
// type, resource name, pattern type, principal, host, operation and
// permission. A filter with an UNKNOWN field fails with INVALID_REQUEST.
func (a *Authorizer) Describe(cluster string, f Filter) ([]Binding, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	return a.describe(cluster, f), nil
}

func (a *Authorizer) describe(cluster string, f Filter) []Binding {
	cs := (*a.clusters.Load())[cluster]
	if cs == nil {
		return nil
	}
	idx := cs.idx.Load()
	if idx == nil {
		return nil
	}
	var out []Binding
	for _, b := range idx.bindings {
		if f.Matches(b) {
			out = append(out, b)
		}
	}
	return out
}

// Delete deletes the ACLs of cluster that each filter matches and returns,
// per filter, the ACLs it deleted and an error. An ACL matched by several
// filters is listed under each, as Kafka does. Filters match the ACLs in
// the store, not only those this Authorizer has seen. Errors are *Error:
// INVALID_REQUEST for a filter with an UNKNOWN field, UNKNOWN_SERVER_ERROR
// when the store fails (the ACLs listed were deleted nonetheless).
func (a *Authorizer) Delete(ctx context.Context, cluster string, filters []Filter) ([][]Binding, []error) {
	res := a.delete(ctx, cluster, filters)
	out := make([][]Binding, len(res))
	errs := make([]error, len(res))
	for i, r := range res {
		out[i], errs[i] = r.deleted, r.err
		if errs[i] == nil && len(r.failed) > 0 {
			errs[i] = r.failed[0].err
		}
	}
	return out, errs
}

// filterResult is the outcome of one delete filter.
type filterResult struct {
	err     error // the filter failed as a whole
	deleted []Binding
	failed  []deleteFailure // matched ACLs the store failed to delete
}

type deleteFailure struct {
	b   Binding
	err error
}

func (a *Authorizer) delete(ctx context.Context, cluster string, filters []Filter) []filterResult {
	res := make([]filterResult, len(filters))
	unknown := func(err error) *Error {
		return &Error{Code: kerr.UnknownServerError, Message: "Unknown error while trying to delete ACLs", Err: err}
	}
	if err := a.usable(cluster); err != nil {
		for i := range res {
			res[i].err = unknown(err)
		}
		return res
	}
	valid := false
	for i, f := range filters {
		if err := f.validate(); err != nil {
			res[i].err = err
			continue
		}
		valid = true
	}
	if !valid {
		return res
	}
	kvs, _, err := a.st.List(ctx, clusterPrefix(cluster))
	if err != nil {
		err = fmt.Errorf("acl: list ACLs of %s: %w", cluster, err)
		for i := range res {
			if res[i].err == nil {
				res[i].err = unknown(err)
			}
		}
		return res
	}
	type stored struct {
		key   string
		b     Binding
		state int // 0: no filter matched; 1: to delete; 2: deleted; 3: gone already; 4: failed
		err   error
	}
	acls := make([]stored, 0, len(kvs))
	for _, kv := range kvs {
		b, err := decodeBinding(kv.Value)
		if err != nil {
			a.log.Warn("skipping undecodable ACL", "key", kv.Key, "err", err)
			continue
		}
		acls = append(acls, stored{key: kv.Key, b: b})
	}
	slices.SortFunc(acls, func(x, y stored) int { return compareBindings(x.b, y.b) })
	matched := make([][]int, len(filters))
	for i, f := range filters {
		if res[i].err != nil {
			continue
		}
		for j := range acls {
			if f.Matches(acls[j].b) {
				matched[i] = append(matched[i], j)
				acls[j].state = 1
			}
		}
	}
	var last int64
	for j := range acls {
		s := &acls[j]
		if s.state != 1 {
			continue
		}
		rev, existed, err := a.st.Delete(ctx, s.key)
		switch {
		case err != nil:
			s.state, s.err = 4, unknown(fmt.Errorf("acl: delete %s: %w", s.b, err))
			a.log.Warn("delete ACL failed", "cluster", cluster, "acl", s.b.String(), "err", err)
		case existed:
			s.state = 2
			last = max(last, rev)
			a.log.Info("ACL deleted", "cluster", cluster, "acl", s.b.String())
		default:
			s.state = 3 // deleted concurrently by another request
		}
	}
	for i := range filters {
		for _, j := range matched[i] {
			switch s := acls[j]; s.state {
			case 2:
				res[i].deleted = append(res[i].deleted, s.b)
			case 4:
				res[i].failed = append(res[i].failed, deleteFailure{b: s.b, err: s.err})
			}
		}
	}
	a.waitApplied(ctx, last)
	return res
}

// usable rejects calls that cannot change cluster's ACLs.
func (a *Authorizer) usable(cluster string) error {
	if a.closed.Load() {
		return errClosed
	}
	if cluster == "" {
		return errors.New("acl: empty cluster name")
	}
	return nil
}

// waitApplied waits until the index reflects store revision rev, the
// context ends, or a.applyWait passes.
func (a *Authorizer) waitApplied(ctx context.Context, rev int64) {
	if rev <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, a.applyWait)
	defer cancel()
	for {
		a.mu.Lock()
		applied, ch := a.applied, a.advanced
		a.mu.Unlock()
		if applied >= rev {
			return
		}
		select {
		case <-ch:
		case <-a.done:
			return
		case <-ctx.Done():
			a.log.Warn("ACL change stored but not yet in force locally",
				"revision", rev, "applied", applied, "err", ctx.Err())
			return
		}
	}
}

// run follows the store from revision rev on, listing again whenever the
// watch ends or cannot start, until ctx ends or the store closes.
func (a *Authorizer) run(ctx context.Context, rev int64) {
	defer close(a.done)
	backoff := minBackoff
	for {
		ch, err := a.st.Watch(ctx, clustersPrefix, rev+1)
		switch {
		case err == nil:
			backoff = minBackoff
			rev = a.follow(ctx, ch, rev)
			if ctx.Err() != nil {
				return
			}
			a.log.Info("ACL watch ended; reloading ACLs", "revision", rev)
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrClosed):
			a.log.Warn("store closed; ACLs stay as last loaded", "revision", rev)
			return
		case errors.Is(err, store.ErrCompacted):
			a.log.Info("ACL watch revision compacted; reloading ACLs", "revision", rev)
		default:
			a.log.Warn("ACL watch failed; reloading ACLs", "revision", rev, "err", err)
			if !sleep(ctx, &backoff) {
				return
			}
		}
		for {
			kvs, r, err := a.st.List(ctx, clustersPrefix)
			if err == nil {
				a.load(kvs, r)
				rev = r
				break
			}
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, store.ErrClosed) {
				a.log.Warn("store closed; ACLs stay as last loaded", "revision", rev)
				return
			}
			a.log.Warn("reloading ACLs failed", "err", err)
			if !sleep(ctx, &backoff) {
				return
			}
		}
	}
}

// sleep waits *backoff, then doubles it up to maxBackoff; it reports false
// if ctx ended first.
func sleep(ctx context.Context, backoff *time.Duration) bool {
	t := time.NewTimer(*backoff)
	defer t.Stop()
	*backoff = min(2**backoff, maxBackoff)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// follow applies the events of ch in batches until it closes and returns
// the last revision applied.
func (a *Authorizer) follow(ctx context.Context, ch <-chan store.Event, rev int64) int64 {
	batch := make([]store.Event, 0, 64)
	for {
		var ev store.Event
		var ok bool
		select {
		case ev, ok = <-ch:
		case <-ctx.Done():
			return rev
		}
		if !ok {
			return rev
		}
		batch = append(batch[:0], ev)
	drain:
		for len(batch) < maxBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					break drain
				}
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		rev = a.apply(batch)
	}
}

// apply applies watch events to the ACLs and rebuilds the index of each
// cluster they change. It returns the revision of the last event.
func (a *Authorizer) apply(events []store.Event) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	dirty := make(map[string]struct{})
	var rev int64
	for _, ev := range events {
		rev = max(rev, ev.KV.ModRevision)
		cluster, id, ok := parseKey(ev.KV.Key)
		if !ok {
			continue
		}
		switch ev.Type {
		case store.EventPut:
			b, err := decodeBinding(ev.KV.Value)
			if err != nil {
				a.log.Warn("ignoring undecodable ACL", "key", ev.KV.Key, "err", err)
				if _, had := a.acls[cluster][id]; !had {
					continue
				}
				delete(a.acls[cluster], id)
				break
			}
			if a.acls[cluster] == nil {
				a.acls[cluster] = make(map[string]Binding)
			}
			a.acls[cluster][id] = b
		case store.EventDelete:
			if _, had := a.acls[cluster][id]; !had {
				continue
			}
			delete(a.acls[cluster], id)
		default:
			continue
		}
		dirty[cluster] = struct{}{}
		a.log.Debug("ACL change", "type", ev.Type.String(), "key", ev.KV.Key, "revision", ev.KV.ModRevision)
	}
	for cluster := range dirty {
		a.publishLocked(cluster)
	}
	a.advanceLocked(rev)
	return rev
}

// load replaces every cluster's ACLs with a store listing at revision rev.
func (a *Authorizer) load(kvs []store.KV, rev int64) {
	acls := make(map[string]map[string]Binding)
	for _, kv := range kvs {
		cluster, id, ok := parseKey(kv.Key)
		if !ok {
			continue
		}
		b, err := decodeBinding(kv.Value)
		if err != nil {
			a.log.Warn("ignoring undecodable ACL", "key", kv.Key, "err", err)
			continue
		}
		if acls[cluster] == nil {
			acls[cluster] = make(map[string]Binding)
		}
		acls[cluster][id] = b
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	dirty := slices.Collect(maps.Keys(a.acls))
	a.acls = acls
	for cluster := range acls {
		dirty = append(dirty, cluster)
	}
	for _, cluster := range dirty {
		a.publishLocked(cluster)
	}
	a.advanceLocked(rev)
	n := 0
	for _, m := range acls {
		n += len(m)
	}
	a.log.Info("ACLs loaded", "clusters", len(acls), "acls", n, "revision", rev)
}

// publishLocked builds and publishes the index of cluster. a.mu is held.
func (a *Authorizer) publishLocked(cluster string) {
	m := a.acls[cluster]
	if len(m) == 0 {
		delete(a.acls, cluster)
	}
	idx := buildIndex(slices.Collect(maps.Values(m)))
	a.clusterLocked(cluster).idx.Store(idx)
}

// clusterLocked returns cluster's state, adding it if needed. a.mu is held.
func (a *Authorizer) clusterLocked(cluster string) *clusterState {
	cur := *a.clusters.Load()
	if cs := cur[cluster]; cs != nil {
		return cs
	}
	next := make(map[string]*clusterState, len(cur)+1)
	maps.Copy(next, cur)
	cs := &clusterState{}
	next[cluster] = cs
	a.clusters.Store(&next)
	return cs
}

// advanceLocked records that the index reflects revision rev and wakes
// the waiters. a.mu is held.
func (a *Authorizer) advanceLocked(rev int64) {
	if rev <= a.applied {
		return
	}
	a.applied = rev
	close(a.advanced)
	a.advanced = make(chan struct{})
}
