// Package ramtest wires RAM and Route 53 Resolver together over a fresh
// store, with IAM, EC2 (us-east-1) and a test clock, for the tests of
// both.
package ramtest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
	"github.com/kafkalink/kafkalink/internal/store"
)

// Clock is a test clock: every reading is a millisecond after the one
// before, and Add moves it on.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// World is RAM sharing the resolver rules of a Route 53 Resolver, both
// over one store, with IAM and EC2 on the same store and clock.
type World struct {
	tb       testing.TB
	Store    store.Store
	IAM      *iam.Service
	EC2      *ec2.Service
	Resolver *r53resolver.Service
	RAM      *ram.Service
	Clock    *Clock
}

// New returns a World over a store in a temporary folder, closed when
// the test ends; its clock starts at 2026-03-04 05:06:07 UTC.
func New(tb testing.TB) *World {
	tb.Helper()
	st, err := store.OpenBolt(filepath.Join(tb.TempDir(), "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	w := &World{tb: tb, Store: st, Clock: &Clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}}
	if w.IAM, err = iam.New(st, bytes.Repeat([]byte{7}, 32), w.Clock.Now); err != nil {
		tb.Fatal(err)
	}
	if w.EC2, err = ec2.New(st, "us-east-1", nil, w.Clock.Now); err != nil {
		tb.Fatal(err)
	}
	w.Resolver = r53resolver.New(st, w.IAM, w.EC2, w.Clock.Now)
	w.RAM = ram.New(st, w.IAM, "us-east-1", w.Clock.Now)
	w.RAM.Register("route53resolver", "resolver-rule", r53resolver.RuleResourceType, w.Resolver)
	w.Resolver.SetSharing(w.RAM)
	return w
}

// Root creates account and returns its root as a caller.
func (w *World) Root(account string) iam.Caller {
	w.tb.Helper()
	_, creds, err := w.IAM.CreateAccount(context.Background(), account)
	if err != nil {
		w.tb.Fatal(err)
	}
	return w.caller(creds)
}

// User returns a new user of account with the inline identity policy doc.
func (w *World) User(account, name, doc string) iam.Caller {
	w.tb.Helper()
	ctx := context.Background()
	if _, err := w.IAM.CreateUser(ctx, account, name, "/"); err != nil {
		w.tb.Fatal(err)
	}
	if err := w.IAM.PutInlinePolicy(ctx, account, "user", name, "p", doc); err != nil {
		w.tb.Fatal(err)
	}
	creds, err := w.IAM.CreateAccessKey(ctx, account, name)
	if err != nil {
		w.tb.Fatal(err)
	}
	return w.caller(creds)
}

func (w *World) caller(creds iam.Credentials) iam.Caller {
	w.tb.Helper()
	c, err := w.IAM.Resolve(context.Background(), creds.AccessKeyID)
	if err != nil {
		w.tb.Fatal(err)
	}
	return c
}

// State is everything the store holds under the prefixes, each key's
// value with its revision.
func (w *World) State(prefixes ...string) map[string]string {
	w.tb.Helper()
	out := map[string]string{}
	for _, p := range prefixes {
		kvs, _, err := w.Store.List(context.Background(), p)
		if err != nil {
			w.tb.Fatal(err)
		}
		for _, kv := range kvs {
			out[kv.Key] = fmt.Sprintf("%d %s", kv.ModRevision, kv.Value)
		}
	}
	return out
}

// Unchanged fails the test if the State under the prefixes differs from
// before: what changed it.
func (w *World) Unchanged(what string, before map[string]string, prefixes ...string) {
	w.tb.Helper()
	if after := w.State(prefixes...); !maps.Equal(after, before) {
		w.tb.Errorf("%s changed the store:\n got %v\nwant %v", what, after, before)
	}
}
