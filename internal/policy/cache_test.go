package policy

import (
	"hash/maphash"
	"strconv"
	"sync"
	"testing"
)

func decisionNamed(reason string) Decision {
	return Decision{Allowed: true, Effect: EffectAllow, Reason: reason, Matches: []Match{{Policy: reason, Index: 1, Effect: "Allow"}}}
}

// wantCached checks that key is cached with the decision decisionNamed(reason).
func wantCached(t *testing.T, c *Cache, key, reason string) {
	t.Helper()
	d, ok := c.Get(key)
	if !ok {
		t.Fatalf("Get(%q): got miss; want hit", key)
	}
	if d.Reason != reason || len(d.Matches) != 1 || d.Matches[0].Policy != reason {
		t.Fatalf("Get(%q): got %+v; want the decision %q", key, d, reason)
	}
}

func wantMiss(t *testing.T, c *Cache, key string) {
	t.Helper()
	if d, ok := c.Get(key); ok {
		t.Fatalf("Get(%q): got hit %+v; want miss", key, d)
	}
}

func TestCacheHitsAndMisses(t *testing.T) {
	c := NewCache(100)
	wantMiss(t, c, "a")
	c.Put("a", decisionNamed("a"))
	c.Put("b", decisionNamed("b"))
	wantCached(t, c, "a", "a")
	wantCached(t, c, "b", "b")
	c.Put("a", decisionNamed("a2"))
	wantCached(t, c, "a", "a2")
	if d, ok := c.GetBytes([]byte("b")); !ok || d.Reason != "b" {
		t.Errorf("GetBytes(b): got %+v, %v; want the decision b", d, ok)
	}
	if got := c.Len(); got != 2 {
		t.Errorf("Len: got %d; want 2", got)
	}
}

func TestCacheInvalidate(t *testing.T) {
	c := NewCache(100)
	for i := 0; i < 10; i++ {
		k := strconv.Itoa(i)
		c.Put(k, decisionNamed(k))
	}
	c.Invalidate()
	for i := 0; i < 10; i++ {
		wantMiss(t, c, strconv.Itoa(i))
	}
	if _, ok := c.GetBytes([]byte("3")); ok {
		t.Errorf("GetBytes after Invalidate: got hit; want miss")
	}
	c.Put("3", decisionNamed("new"))
	wantCached(t, c, "3", "new")
	c.Invalidate()
	c.Invalidate()
	wantMiss(t, c, "3")
}

func TestCacheBound(t *testing.T) {
	for _, size := range []int{1, 7, 16, 100, 1000} {
		c := NewCache(size)
		for i := 0; i < 10*size+10; i++ {
			k := "key" + strconv.Itoa(i)
			c.Put(k, decisionNamed(k))
			if i%5 == 0 {
				c.Invalidate()
			}
		}
		if got := c.Len(); got > size {
			t.Errorf("NewCache(%d): Len got %d; want at most %d", size, got, size)
		}
		last := "key" + strconv.Itoa(10*size+9)
		if size >= 16 {
			wantCached(t, c, last, last)
		}
	}
}

func TestCacheZeroSizeKeepsNothing(t *testing.T) {
	for _, size := range []int{0, -5} {
		c := NewCache(size)
		c.Put("a", decisionNamed("a"))
		wantMiss(t, c, "a")
		if got := c.Len(); got != 0 {
			t.Errorf("NewCache(%d): Len got %d; want 0", size, got)
		}
	}
}

func TestCacheSkipsClockDecisions(t *testing.T) {
	c := NewCache(10)
	d := decisionNamed("clock")
	d.UsedClock = true
	c.Put("k", d)
	wantMiss(t, c, "k")
}

func TestCacheConcurrent(t *testing.T) {
	c := NewCache(64)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := strconv.Itoa((g*7 + i) % 100)
				if d, ok := c.Get(k); ok && d.Reason != k {
					t.Errorf("Get(%q): got decision %q; want %q", k, d.Reason, k)
					return
				}
				c.Put(k, decisionNamed(k))
				if i%500 == 0 {
					c.Invalidate()
				}
			}
		}(g)
	}
	wg.Wait()
	if got := c.Len(); got > 64 {
		t.Errorf("Len: got %d; want at most 64", got)
	}
}

func TestRequestKey(t *testing.T) {
	base := func() Request {
		return Request{Principal: alice, Action: "kafka-cluster:Connect", Resource: cluster, ResourceAccount: acctA,
			Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}, "aws:SecureTransport": {"true"}, "aws:TagKeys": {"a", "b"}}}
	}
	same := []struct {
		rule   string
		modify func(*Request)
	}{
		{"context built in another order", func(r *Request) {
			r.Context = map[string][]string{"aws:TagKeys": {"a", "b"}, "aws:SecureTransport": {"true"}, "aws:SourceIp": {"10.0.0.1"}}
		}},
		{"same content in fresh values", func(r *Request) {
			r.Principal = Principal{Account: acctA, ARN: "arn:aws:iam::111111111111:user/" + "alice", Kind: User, UserName: "alice", UserID: "AIDAALICE"}
		}},
	}
	differ := []struct {
		rule   string
		modify func(*Request)
	}{
		{"another principal", func(r *Request) { r.Principal = carol }},
		{"another principal kind", func(r *Request) { r.Principal.Kind = Root }},
		{"another role of a session", func(r *Request) { r.Principal.RoleARN = "x" }},
		{"another action", func(r *Request) { r.Action = "kafka-cluster:DescribeCluster" }},
		{"case of the action", func(r *Request) { r.Action = "KAFKA-CLUSTER:connect" }},
		{"case of a context key", func(r *Request) {
			r.Context["AWS:SOURCEIP"] = r.Context["aws:SourceIp"]
			delete(r.Context, "aws:SourceIp")
		}},
		{"another resource", func(r *Request) { r.Resource = topicT }},
		{"another resource account", func(r *Request) { r.ResourceAccount = acctB }},
		{"resource and account boundary", func(r *Request) { r.Resource, r.ResourceAccount = cluster+acctA[:1], acctA[1:] }},
		{"another context value", func(r *Request) { r.Context["aws:SourceIp"] = []string{"10.0.0.2"} }},
		{"context values in another order", func(r *Request) { r.Context["aws:TagKeys"] = []string{"b", "a"} }},
		{"context value split differently", func(r *Request) { r.Context["aws:TagKeys"] = []string{"ab"} }},
		{"context key and value boundary", func(r *Request) {
			delete(r.Context, "aws:TagKeys")
			r.Context["aws:TagKeysa"] = []string{"b"}
		}},
		{"context without a key", func(r *Request) { delete(r.Context, "aws:SecureTransport") }},
		{"case of a context value", func(r *Request) { r.Context["aws:SecureTransport"] = []string{"TRUE"} }},
	}
	b := base()
	want := RequestKey(&b)
	for _, tc := range same {
		r := base()
		tc.modify(&r)
		if got := RequestKey(&r); got != want {
			t.Errorf("%s: got key %q; want %q", tc.rule, got, want)
		}
	}
	for _, tc := range differ {
		r := base()
		tc.modify(&r)
		if got := RequestKey(&r); got == want {
			t.Errorf("%s: got the same key %q; want a different one", tc.rule, got)
		}
	}
	big := base()
	for i := 0; i < 40; i++ {
		big.Context["k:"+strconv.Itoa(i)] = []string{strconv.Itoa(i)}
	}
	if k1, k2 := RequestKey(&big), RequestKey(&big); k1 != k2 {
		t.Errorf("RequestKey of a large context: got %q then %q; want it stable", k1, k2)
	}
}

func TestCachedLookupDoesNotAllocate(t *testing.T) {
	c := NewCache(1024)
	req := Request{Principal: alice, Action: "kafka-cluster:Connect", Resource: cluster, ResourceAccount: acctA,
		Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}, "aws:SecureTransport": {"true"}}}
	c.PutRequest(&req, decisionNamed("x"))
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendRequestKey(buf[:0], &req)
		if _, ok := c.GetBytes(buf); !ok {
			t.Fatal("GetBytes: got miss; want hit")
		}
	})
	if allocs != 0 {
		t.Errorf("AppendRequestKey+GetBytes: got %v allocations; want 0", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		if _, ok := c.GetRequest(&req); !ok {
			t.Fatal("GetRequest: got miss; want hit")
		}
	})
	if allocs != 0 {
		t.Errorf("GetRequest: got %v allocations; want 0", allocs)
	}
}

// A decision cached under the request's key is the decision Evaluate gives.
func TestCacheWithEvaluate(t *testing.T) {
	p := mustParse(t, doc(`{"Sid":"Tls","Effect":"Allow","Action":"kafka-cluster:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), Identity)
	ids := []Named{{Name: "p", Policy: p}}
	c := NewCache(16)
	for _, tls := range []string{"true", "false", "true", "false"} {
		req := rq(alice, "kafka-cluster:Connect", cluster, "aws:SecureTransport", tls)
		d, ok := c.GetRequest(&req)
		if !ok {
			d = Evaluate(req, ids, nil)
			c.PutRequest(&req, d)
		}
		if want := tls == "true"; d.Allowed != want {
			t.Errorf("SecureTransport %s: got allowed %v; want %v", tls, d.Allowed, want)
		}
	}
	if got := c.Len(); got != 2 {
		t.Errorf("Len: got %d; want 2", got)
	}
}

// Entries are found by a 64-bit hash; a colliding key must not be
// mistaken for the one stored.
func TestCacheHashCollision(t *testing.T) {
	c := NewCache(16)
	c.Put("a", decisionNamed("a"))
	h := maphash.String(c.seed, "a")
	for i := range c.slots {
		if e := c.slots[i].Load(); e != nil && e.hash == h {
			forged := *e
			forged.key = "b" // as if "b" had hashed like "a"
			c.slots[i].Store(&forged)
		}
	}
	wantMiss(t, c, "a")
	if _, ok := c.GetBytes([]byte("a")); ok {
		t.Errorf("GetBytes(a): got hit on a colliding entry; want miss")
	}
}
