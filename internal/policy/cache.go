package policy

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// Cache keeps recent Decisions for hot paths (per-request authorization of
// Kafka API calls), keyed by RequestKey. It holds at most its size in
// entries, is safe for concurrent use, and Invalidate drops every entry in
// O(1) by moving to a new generation: older entries are never returned and
// are reclaimed as new ones take their place.
//
// A cached Decision shares its Matches slice with every caller that gets
// it; callers must not modify it. Decisions that read the clock
// (Decision.UsedClock) are not kept.
type Cache struct {
	seed   maphash.Seed
	gen    atomic.Uint64
	mask   uint64
	shards []cacheShard
}

// cacheShard is one lock stripe. Entries are found by the 64-bit hash of
// their key, which is hashed once per lookup; the key itself is kept to
// rule out hash collisions.
type cacheShard struct {
	mu  sync.RWMutex
	max int
	m   map[uint64]cacheEntry
	_   [32]byte // keep shards on separate cache lines
}

type cacheEntry struct {
	key string
	gen uint64
	d   Decision
}

// maxShards bounds the lock striping of a Cache.
const maxShards = 64

// NewCache returns a Cache that holds at most size decisions. A size of
// zero or less gives a cache that keeps nothing.
func NewCache(size int) *Cache {
	size = max(size, 0)
	n := 1
	for n < maxShards && n*2*16 <= size {
		n *= 2
	}
	c := &Cache{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]cacheShard, n)}
	for i := range c.shards {
		s := &c.shards[i]
		s.max = size / n
		if i < size%n {
			s.max++
		}
		s.m = make(map[uint64]cacheEntry, min(s.max, 1024))
	}
	return c
}

// lookup returns the live entry with hash h, if any.
func (c *Cache) lookup(h uint64) (cacheEntry, bool) {
	s := &c.shards[h&c.mask]
	gen := c.gen.Load()
	s.mu.RLock()
	e, ok := s.m[h]
	s.mu.RUnlock()
	return e, ok && e.gen == gen
}

// Get returns the decision cached under key.
func (c *Cache) Get(key string) (Decision, bool) {
	e, ok := c.lookup(maphash.String(c.seed, key))
	if !ok || e.key != key {
		return Decision{}, false
	}
	return e.d, true
}

// GetBytes is Get for a key held in a byte slice (see AppendRequestKey);
// it does not allocate.
func (c *Cache) GetBytes(key []byte) (Decision, bool) {
	e, ok := c.lookup(maphash.Bytes(c.seed, key))
	if !ok || e.key != string(key) {
		return Decision{}, false
	}
	return e.d, true
}

// Put caches d under key, evicting another entry if the cache is full.
// Decisions with UsedClock set are not cached.
func (c *Cache) Put(key string, d Decision) {
	if d.UsedClock {
		return
	}
	h := maphash.String(c.seed, key)
	s := &c.shards[h&c.mask]
	if s.max == 0 {
		return
	}
	gen := c.gen.Load()
	s.mu.Lock()
	if _, ok := s.m[h]; !ok && len(s.m) >= s.max {
		// Evict one entry: a stale one if the first few probes find one,
		// else whichever the map yields first (effectively random).
		var victim uint64
		found, probes := false, 0
		for k, e := range s.m {
			if !found || e.gen != gen {
				victim, found = k, true
				if e.gen != gen {
					break
				}
			}
			if probes++; probes == 8 {
				break
			}
		}
		delete(s.m, victim)
	}
	s.m[h] = cacheEntry{key: key, gen: gen, d: d}
	s.mu.Unlock()
}

// Invalidate drops every cached decision, in O(1). Call it whenever a
// policy, a principal or anything else that decisions depend on changes.
func (c *Cache) Invalidate() { c.gen.Add(1) }

// Len returns the number of entries held, including ones that Invalidate
// made unreachable but that have not been reclaimed yet.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// RequestKey returns the cache key of a request: every field of the
// principal, the action (in lower case, as action names are
// case-insensitive), the resource, the resource account and the context
// sorted by key (in lower case, as condition keys are case-insensitive).
// Two requests with the same key get the same decision from the same
// policies.
func RequestKey(req *Request) string {
	var buf [1024]byte
	return string(AppendRequestKey(buf[:0], req))
}

// AppendRequestKey appends the key RequestKey returns to dst. With a
// reused buffer and Cache.GetBytes, a lookup does not allocate.
func AppendRequestKey(dst []byte, req *Request) []byte {
	p := &req.Principal
	dst = append(dst, byte(p.Kind))
	dst = appendField(dst, p.Account, false)
	dst = appendField(dst, p.ARN, false)
	dst = appendField(dst, p.RoleARN, false)
	dst = appendField(dst, p.UserName, false)
	dst = appendField(dst, p.UserID, false)
	dst = appendField(dst, p.Service, false)
	dst = appendField(dst, p.Provider, false)
	dst = appendField(dst, req.Action, true)
	dst = appendField(dst, req.Resource, false)
	dst = appendField(dst, req.ResourceAccount, false)
	n := len(req.Context)
	dst = binary.AppendUvarint(dst, uint64(n))
	if n == 0 {
		return dst
	}
	var small [16]ctxEntry
	entries := small[:0]
	if n > len(small) {
		entries = make([]ctxEntry, 0, n)
	}
	for k, v := range req.Context {
		// Insertion sort by lower-case key, then key as written.
		i := len(entries)
		entries = append(entries, ctxEntry{})
		for i > 0 && keyLess(k, entries[i-1].key) {
			entries[i] = entries[i-1]
			i--
		}
		entries[i] = ctxEntry{key: k, vals: v}
	}
	for i := range entries {
		dst = appendField(dst, entries[i].key, true)
		dst = binary.AppendUvarint(dst, uint64(len(entries[i].vals)))
		for _, v := range entries[i].vals {
			dst = appendField(dst, v, false)
		}
	}
	return dst
}

// appendField appends s with its length, in ASCII lower case with lower.
func appendField(dst []byte, s string, lower bool) []byte {
	if len(s) < 0x80 {
		dst = append(dst, byte(len(s)))
	} else {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
	}
	start := len(dst)
	dst = append(dst, s...)
	if lower {
		for i := start; i < len(dst); i++ {
			if c := dst[i]; 'A' <= c && c <= 'Z' {
				dst[i] = c + ('a' - 'A')
			}
		}
	}
	return dst
}

// keyLess orders context keys by their ASCII lower-case form, then as
// written.
func keyLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if x, y := lowerASCII(a[i]), lowerASCII(b[i]); x != y {
			return x < y
		}
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
