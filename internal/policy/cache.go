package policy

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync/atomic"
)

// Cache keeps recent Decisions for hot paths (per-request authorization of
// Kafka API calls), keyed by RequestKey. It is a fixed table of at most its
// size entries, two-way set-associative: a key can live in one of two
// slots, and a new key replaces an empty or stale slot, else one of the
// two. Lookups take no lock and do not allocate; Invalidate drops every
// entry in O(1) by moving to a new generation, older entries being never
// returned and replaced as new ones arrive. A Cache is safe for
// concurrent use.
//
// A cached Decision shares its Matches slice with every caller that gets
// it; callers must not modify it. Decisions that read the clock
// (Decision.UsedClock) are not kept.
type Cache struct {
	seed  maphash.Seed
	gen   atomic.Uint64
	sets  uint64
	slots []atomic.Pointer[cacheEntry]
}

// cacheEntry is immutable once published in a slot.
type cacheEntry struct {
	hash uint64
	gen  uint64
	key  string
	d    Decision
}

// NewCache returns a Cache that holds at most size decisions. A size of
// zero or less gives a cache that keeps nothing.
func NewCache(size int) *Cache {
	size = max(size, 0)
	return &Cache{seed: maphash.MakeSeed(), sets: uint64(max(size/2, 1)), slots: make([]atomic.Pointer[cacheEntry], size)}
}

// ways returns the two slots a hash may use (the second is -1 when the
// table has a single slot).
func (c *Cache) ways(h uint64) (int, int) {
	set, _ := bits.Mul64(h, c.sets) // uniform in [0, sets)
	w := int(set) * 2
	if w+1 < len(c.slots) {
		return w, w + 1
	}
	return w, -1
}

// Get returns the decision cached under key.
func (c *Cache) Get(key string) (Decision, bool) {
	if len(c.slots) == 0 {
		return Decision{}, false
	}
	h := maphash.String(c.seed, key)
	gen := c.gen.Load()
	w0, w1 := c.ways(h)
	if e := c.slots[w0].Load(); e != nil && e.hash == h && e.gen == gen && e.key == key {
		return e.d, true
	}
	if w1 >= 0 {
		if e := c.slots[w1].Load(); e != nil && e.hash == h && e.gen == gen && e.key == key {
			return e.d, true
		}
	}
	return Decision{}, false
}

// GetBytes is Get for a key held in a byte slice (see AppendRequestKey);
// it does not allocate.
func (c *Cache) GetBytes(key []byte) (Decision, bool) {
	if len(c.slots) == 0 {
		return Decision{}, false
	}
	h := maphash.Bytes(c.seed, key)
	gen := c.gen.Load()
	w0, w1 := c.ways(h)
	if e := c.slots[w0].Load(); e != nil && e.hash == h && e.gen == gen && e.key == string(key) {
		return e.d, true
	}
	if w1 >= 0 {
		if e := c.slots[w1].Load(); e != nil && e.hash == h && e.gen == gen && e.key == string(key) {
			return e.d, true
		}
	}
	return Decision{}, false
}

// GetRequest returns the decision cached for req, building its key on the
// stack: the hot-path lookup, which does not allocate.
func (c *Cache) GetRequest(req *Request) (Decision, bool) {
	var buf [512]byte
	return c.GetBytes(AppendRequestKey(buf[:0], req))
}

// PutRequest caches d for req.
func (c *Cache) PutRequest(req *Request, d Decision) { c.Put(RequestKey(req), d) }

// Put caches d under key, replacing an older entry if both of the key's
// slots are taken. Decisions with UsedClock set are not cached.
func (c *Cache) Put(key string, d Decision) {
	if d.UsedClock || len(c.slots) == 0 {
		return
	}
	h := maphash.String(c.seed, key)
	gen := c.gen.Load()
	e := &cacheEntry{hash: h, gen: gen, key: key, d: d}
	w0, w1 := c.ways(h)
	free := func(w int) bool {
		old := c.slots[w].Load()
		return old == nil || old.gen != gen || (old.hash == h && old.key == key)
	}
	switch {
	case w1 < 0 || free(w0):
		c.slots[w0].Store(e)
	case free(w1):
		c.slots[w1].Store(e)
	case h&(1<<63) == 0:
		c.slots[w0].Store(e)
	default:
		c.slots[w1].Store(e)
	}
}

// Invalidate drops every cached decision, in O(1). Call it whenever a
// policy, a principal or anything else that decisions depend on changes.
func (c *Cache) Invalidate() { c.gen.Add(1) }

// Len returns the number of live entries (O(size); for tests and metrics).
func (c *Cache) Len() int {
	gen, n := c.gen.Load(), 0
	for i := range c.slots {
		if e := c.slots[i].Load(); e != nil && e.gen == gen {
			n++
		}
	}
	return n
}

// RequestKey returns the cache key of a request: every field of the
// principal, the action, the resource, the resource account and the
// context sorted by key, each with its length so that no two requests
// share a key. Requests that differ only in the case of the action or of
// context key names (which evaluation ignores) get different keys: a
// cache miss, never a wrong hit.
func RequestKey(req *Request) string {
	var buf [1024]byte
	return string(AppendRequestKey(buf[:0], req))
}

// AppendRequestKey appends the key RequestKey returns to dst. With a
// reused buffer and Cache.GetBytes, a lookup does not allocate.
func AppendRequestKey(dst []byte, req *Request) []byte {
	p := &req.Principal
	dst = append(dst, byte(p.Kind))
	dst = appendField(dst, p.Account)
	dst = appendField(dst, p.ARN)
	dst = appendField(dst, p.RoleARN)
	dst = appendField(dst, p.UserName)
	dst = appendField(dst, p.UserID)
	dst = appendField(dst, p.Service)
	dst = appendField(dst, p.Provider)
	dst = appendField(dst, req.Action)
	dst = appendField(dst, req.Resource)
	dst = appendField(dst, req.ResourceAccount)
	n := len(req.Context)
	dst = binary.AppendUvarint(dst, uint64(n))
	if n == 0 {
		return dst
	}
	var small [8]ctxEntry
	entries := small[:0]
	if n > len(small) {
		entries = make([]ctxEntry, 0, n)
	}
	for k, v := range req.Context {
		// Insertion sort by key.
		i := len(entries)
		entries = append(entries, ctxEntry{})
		for i > 0 && k < entries[i-1].key {
			entries[i] = entries[i-1]
			i--
		}
		entries[i] = ctxEntry{key: k, vals: v}
	}
	for i := range entries {
		dst = appendField(dst, entries[i].key)
		dst = appendCount(dst, len(entries[i].vals))
		for _, v := range entries[i].vals {
			dst = appendField(dst, v)
		}
	}
	return dst
}

// appendField appends s preceded by its length.
func appendField(dst []byte, s string) []byte {
	return append(appendCount(dst, len(s)), s...)
}

// appendCount appends n as a uvarint.
func appendCount(dst []byte, n int) []byte {
	if n < 0x80 {
		return append(dst, byte(n))
	}
	return binary.AppendUvarint(dst, uint64(n))
}
