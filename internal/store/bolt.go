package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

const (
	// boltOpenTimeout bounds the wait for the file lock held by another
	// process that has the same state file open.
	boltOpenTimeout = time.Second
	// boltFileMode is the mode of a newly created state file.
	boltFileMode = 0o600
	// boltDirMode is the mode of state directories OpenBolt creates.
	boltDirMode = 0o700
	// defaultHistorySize is how many recent events Bolt keeps in memory
	// so a watcher can start at an earlier revision.
	defaultHistorySize = 4096
	// defaultWatchBuffer is how many undelivered events a watcher may hold
	// before it is dropped.
	defaultWatchBuffer = 1024
)

var (
	bucketKeys = []byte("keys")
	bucketMeta = []byte("meta")
	metaRev    = []byte("rev")
)

// errNoChange makes a write transaction roll back because the operation
// changed nothing (failed comparison, delete of an absent key).
var errNoChange = errors.New("store: no change")

// Bolt is the embedded Store backend: one bbolt file holding every key and
// the store revision. Watch history lives in memory only, so after a
// restart a watcher can start no earlier than the revision following the
// one the file was opened at.
//
// A Bolt is safe for concurrent use.
type Bolt struct {
	db     *bolt.DB
	closed atomic.Bool

	watchBuffer int

	// mu serialises writes (from the bbolt transaction through delivery
	// of its event), the history, the watchers and rev.
	mu       sync.Mutex
	rev      int64 // current store revision
	history  ring  // the most recent events, contiguous revisions ending at rev
	watchers map[*watcher]struct{}
}

var _ Store = (*Bolt)(nil)

// boltOptions tunes a Bolt; tests shrink the sizes.
type boltOptions struct {
	historySize int
	watchBuffer int
}

// watcher is one Watch call's registration.
type watcher struct {
	prefix string
	from   int64 // first revision to deliver
	ch     chan Event
	stop   func() bool // unregisters the context callback
}

// OpenBolt opens the bbolt state file at path, creating it (mode 0600) and
// its parent directory if needed. It waits at most one second for another
// process holding the file to release it.
func OpenBolt(path string) (*Bolt, error) {
	return openBolt(path, boltOptions{historySize: defaultHistorySize, watchBuffer: defaultWatchBuffer})
}

func openBolt(path string, o boltOptions) (*Bolt, error) {
	if o.historySize < 1 || o.watchBuffer < 1 {
		return nil, fmt.Errorf("store: invalid history size %d or watch buffer %d", o.historySize, o.watchBuffer)
	}
	if err := os.MkdirAll(filepath.Dir(path), boltDirMode); err != nil {
		return nil, fmt.Errorf("store: create state directory: %w", err)
	}
	db, err := bolt.Open(path, boltFileMode, &bolt.Options{Timeout: boltOpenTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	var rev int64
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketKeys); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		rev, err = readRev(meta)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Bolt{
		db:          db,
		watchBuffer: o.watchBuffer,
		rev:         rev,
		history:     ring{size: o.historySize},
		watchers:    make(map[*watcher]struct{}),
	}, nil
}

// Get returns the key, or ok=false if it does not exist.
func (s *Bolt) Get(ctx context.Context, key string) (KV, bool, error) {
	var (
		kv KV
		ok bool
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		kv, ok, err = getKV(tx.Bucket(bucketKeys), key)
		return err
	})
	if err != nil {
		return KV{}, false, err
	}
	return kv, ok, nil
}

// List returns every key with the prefix in key order, and the store
// revision the listing reflects.
func (s *Bolt) List(ctx context.Context, prefix string) ([]KV, int64, error) {
	var (
		kvs []KV
		rev int64
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		if rev, err = readRev(tx.Bucket(bucketMeta)); err != nil {
			return err
		}
		p := []byte(prefix)
		c := tx.Bucket(bucketKeys).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			kv, err := decodeKV(k, v)
			if err != nil {
				return err
			}
			kvs = append(kvs, kv)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return kvs, rev, nil
}

// Put sets the key unconditionally and returns the new revision.
func (s *Bolt) Put(ctx context.Context, key string, value []byte) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	return s.update(ctx, func(keys *bolt.Bucket, next int64) (*Event, error) {
		cur, _, err := getKV(keys, key)
		if err != nil {
			return nil, err
		}
		return putKV(keys, key, value, cur.CreateRevision, next)
	})
}

// CompareAndSwap sets the key only if its ModRevision equals expect (0: only
// if the key does not exist). When the comparison fails, ok is false, rev is
// the current store revision and cur the key's current state (the zero KV
// if absent).
func (s *Bolt) CompareAndSwap(ctx context.Context, key string, value []byte, expect int64) (int64, bool, KV, error) {
	if err := checkKey(key); err != nil {
		return 0, false, KV{}, err
	}
	var cur KV
	ok := false
	rev, err := s.update(ctx, func(keys *bolt.Bucket, next int64) (*Event, error) {
		kv, _, err := getKV(keys, key)
		if err != nil {
			return nil, err
		}
		if kv.ModRevision != expect {
			cur = kv
			return nil, nil
		}
		ok = true
		return putKV(keys, key, value, kv.CreateRevision, next)
	})
	if err != nil {
		return 0, false, KV{}, err
	}
	return rev, ok, cur, nil
}

// Delete removes the key. Deleting an absent key changes nothing: existed
// is false and rev is the current store revision.
func (s *Bolt) Delete(ctx context.Context, key string) (int64, bool, error) {
	if err := checkKey(key); err != nil {
		return 0, false, err
	}
	existed := false
	rev, err := s.update(ctx, func(keys *bolt.Bucket, next int64) (*Event, error) {
		kv, ok, err := getKV(keys, key)
		if err != nil || !ok {
			return nil, err
		}
		existed = true
		return deleteKV(keys, kv, next)
	})
	if err != nil {
		return 0, false, err
	}
	return rev, existed, nil
}

// CompareAndDelete removes the key only if it exists and its ModRevision
// equals expect. When the comparison fails, ok is false and rev is the
// current store revision.
func (s *Bolt) CompareAndDelete(ctx context.Context, key string, expect int64) (int64, bool, error) {
	if err := checkKey(key); err != nil {
		return 0, false, err
	}
	ok := false
	rev, err := s.update(ctx, func(keys *bolt.Bucket, next int64) (*Event, error) {
		kv, exists, err := getKV(keys, key)
		if err != nil || !exists || kv.ModRevision != expect {
			return nil, err
		}
		ok = true
		return deleteKV(keys, kv, next)
	})
	if err != nil {
		return 0, false, err
	}
	return rev, ok, nil
}

// Watch delivers, in revision order, every change to keys with the prefix
// at revisions >= fromRev (0: from the next revision on). Bolt retains the
// most recent events in memory only (none survive a restart): fromRev must
// be no older than the oldest retained event, or the revision after the
// current one if none is retained, else Watch returns ErrCompacted. A
// watcher whose buffer is full when an event is due is closed rather than
// blocking the writer.
func (s *Bolt) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if fromRev < 0 {
		return nil, fmt.Errorf("store: negative watch revision %d", fromRev)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, ErrClosed
	}
	start := fromRev
	if start == 0 {
		start = s.rev + 1
	}
	// The history holds the events of revisions oldest..s.rev, one per
	// revision; an empty history serves only revisions after s.rev.
	oldest := s.rev - int64(s.history.len()) + 1
	if start < oldest {
		return nil, ErrCompacted
	}
	var replay []Event
	for i := start - oldest; i < int64(s.history.len()); i++ {
		if ev := s.history.at(int(i)); strings.HasPrefix(ev.KV.Key, prefix) {
			replay = append(replay, ev)
		}
	}
	w := &watcher{
		prefix: prefix,
		from:   start,
		ch:     make(chan Event, s.watchBuffer+len(replay)),
	}
	for _, ev := range replay {
		w.ch <- cloneEvent(ev)
	}
	s.watchers[w] = struct{}{}
	w.stop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.dropLocked(w)
	})
	return w.ch, nil
}

// Revision returns the store's current revision.
func (s *Bolt) Revision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		rev, err = readRev(tx.Bucket(bucketMeta))
		return err
	})
	if err != nil {
		return 0, err
	}
	return rev, nil
}

// Close closes every watch channel and the state file. Calls made after
// Close, including another Close, return ErrClosed.
func (s *Bolt) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Swap(true) {
		return ErrClosed
	}
	for w := range s.watchers {
		s.dropLocked(w)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// view runs fn in a read-only transaction.
func (s *Bolt) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.db.View(fn); err != nil {
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			return ErrClosed
		}
		return wrap(err)
	}
	return nil
}

// update runs fn in a write transaction. fn gets the revision a change
// takes and returns the change's event, or nil if it changed nothing. A
// change also stores the new revision, and after the commit is appended to
// the history and delivered to the watchers before the next write starts.
// update returns the store revision after the transaction.
func (s *Bolt) update(ctx context.Context, fn func(keys *bolt.Bucket, next int64) (*Event, error)) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return 0, ErrClosed
	}
	var ev *Event
	err := s.db.Update(func(tx *bolt.Tx) error {
		next := s.rev + 1
		e, err := fn(tx.Bucket(bucketKeys), next)
		if err != nil {
			return err
		}
		if e == nil {
			return errNoChange // roll back: nothing to write
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(next))
		if err := tx.Bucket(bucketMeta).Put(metaRev, b[:]); err != nil {
			return err
		}
		ev = e
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return 0, wrap(err)
	}
	if ev != nil {
		s.rev = ev.KV.ModRevision
		s.history.push(*ev)
		s.dispatchLocked(*ev)
	}
	return s.rev, nil
}

// dispatchLocked delivers ev to every interested watcher, dropping those
// whose buffer is full. s.mu must be held.
func (s *Bolt) dispatchLocked(ev Event) {
	for w := range s.watchers {
		if ev.KV.ModRevision < w.from || !strings.HasPrefix(ev.KV.Key, w.prefix) {
			continue
		}
		select {
		case w.ch <- cloneEvent(ev):
		default:
			s.dropLocked(w)
		}
	}
}

// dropLocked unregisters w and closes its channel, once. s.mu must be held.
func (s *Bolt) dropLocked(w *watcher) {
	if _, ok := s.watchers[w]; !ok {
		return
	}
	delete(s.watchers, w)
	close(w.ch)
	if w.stop != nil {
		w.stop()
	}
}

// wrap prefixes a backend error.
func wrap(err error) error {
	if strings.HasPrefix(err.Error(), "store: ") {
		return err
	}
	return fmt.Errorf("store: %w", err)
}

// checkKey rejects keys bbolt cannot store.
func checkKey(key string) error {
	if key == "" {
		return errors.New("store: empty key")
	}
	if len(key) > bolt.MaxKeySize {
		return fmt.Errorf("store: key of %d bytes exceeds %d", len(key), bolt.MaxKeySize)
	}
	return nil
}

// readRev returns the revision stored in the meta bucket (0 if unset).
func readRev(meta *bolt.Bucket) (int64, error) {
	b := meta.Get(metaRev)
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("store: corrupt revision record of %d bytes", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// getKV reads and decodes key from the keys bucket.
func getKV(keys *bolt.Bucket, key string) (KV, bool, error) {
	v := keys.Get([]byte(key))
	if v == nil {
		return KV{}, false, nil
	}
	kv, err := decodeKV([]byte(key), v)
	if err != nil {
		return KV{}, false, err
	}
	return kv, true, nil
}

// putKV writes key at revision rev, keeping create (0: created now), and
// returns the put event.
func putKV(keys *bolt.Bucket, key string, value []byte, create, rev int64) (*Event, error) {
	if create == 0 {
		create = rev
	}
	if err := keys.Put([]byte(key), encodeRecord(create, rev, value)); err != nil {
		return nil, err
	}
	v := make([]byte, len(value)) // never nil: nil marks a delete
	copy(v, value)
	return &Event{Type: EventPut, KV: KV{
		Key:            key,
		Value:          v,
		CreateRevision: create,
		ModRevision:    rev,
	}}, nil
}

// deleteKV removes kv's key at revision rev and returns the delete event.
func deleteKV(keys *bolt.Bucket, kv KV, rev int64) (*Event, error) {
	if err := keys.Delete([]byte(kv.Key)); err != nil {
		return nil, err
	}
	return &Event{Type: EventDelete, KV: KV{
		Key:            kv.Key,
		CreateRevision: kv.CreateRevision,
		ModRevision:    rev,
	}}, nil
}

// encodeRecord encodes a key's record: uvarint create revision, uvarint
// mod revision, then the value bytes.
func encodeRecord(create, mod int64, value []byte) []byte {
	b := make([]byte, 0, 2*binary.MaxVarintLen64+len(value))
	b = binary.AppendUvarint(b, uint64(create))
	b = binary.AppendUvarint(b, uint64(mod))
	return append(b, value...)
}

// decodeKV decodes a record written by encodeRecord, copying everything
// out of bbolt's memory.
func decodeKV(key, rec []byte) (KV, error) {
	create, n := binary.Uvarint(rec)
	if n <= 0 {
		return KV{}, fmt.Errorf("store: corrupt record for key %q", key)
	}
	mod, m := binary.Uvarint(rec[n:])
	if m <= 0 || create == 0 || mod < create {
		return KV{}, fmt.Errorf("store: corrupt record for key %q", key)
	}
	return KV{
		Key:            string(key),
		Value:          bytes.Clone(rec[n+m:]),
		CreateRevision: int64(create),
		ModRevision:    int64(mod),
	}, nil
}

// cloneEvent returns ev with its own copy of the value, so that no two
// receivers share one.
func cloneEvent(ev Event) Event {
	ev.KV.Value = bytes.Clone(ev.KV.Value)
	return ev
}

// ring is a fixed-capacity queue of events that drops the oldest when full.
type ring struct {
	size  int
	buf   []Event
	start int // index in buf of the oldest event
}

func (r *ring) len() int { return len(r.buf) }

// at returns the i-th oldest event.
func (r *ring) at(i int) Event { return r.buf[(r.start+i)%len(r.buf)] }

func (r *ring) push(ev Event) {
	if len(r.buf) < r.size {
		r.buf = append(r.buf, ev)
		return
	}
	r.buf[r.start] = ev
	r.start = (r.start + 1) % len(r.buf)
}
