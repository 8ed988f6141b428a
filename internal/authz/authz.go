// Package authz decides the requests of authenticated gateway sessions:
// IAM principals with the policy engine (the caller's identity policies
// and the cluster policy), SCRAM and mTLS principals with Kafka ACLs. It
// maps Kafka operations to kafka-cluster actions as MSK does (no action
// implies another), caches each session's decisions until the store
// changes what they depend on, and writes one audit record per decision.
package authz

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/store"
)

// Generation counts the changes to what decisions depend on: cached
// decisions are kept only while it stays the same.
type Generation struct{ n atomic.Uint64 }

// Load returns the current generation.
func (g *Generation) Load() uint64 { return g.n.Load() }

// Bump starts a new generation.
func (g *Generation) Bump() { g.n.Add(1) }

// Follow bumps the generation on every change to keys under the prefixes
// until ctx ends. It returns once the watches are in place, so a change
// made after Follow returns is seen.
func (g *Generation) Follow(ctx context.Context, st store.Store, log *slog.Logger, prefixes ...string) error {
	for _, p := range prefixes {
		rev, err := st.Revision(ctx)
		if err != nil {
			return err
		}
		ch, err := st.Watch(ctx, p, rev+1)
		if err != nil {
			return err
		}
		go g.follow(ctx, st, log, p, ch)
	}
	return nil
}

func (g *Generation) follow(ctx context.Context, st store.Store, log *slog.Logger, prefix string, ch <-chan store.Event) {
	for {
		for range ch {
			g.Bump()
		}
		if ctx.Err() != nil {
			return
		}
		// The watch fell behind or the store hiccupped: whatever was
		// missed, decisions are dropped, and the watch starts again.
		g.Bump()
		var err error
		if ch, err = st.Watch(ctx, prefix, 0); err != nil {
			log.Error("authorization cannot follow the store; decisions are no longer cached", "prefix", prefix, "err", err)
			ch = nil
			<-ctx.Done()
			return
		}
	}
}

// Audit writes the audit records of authorization decisions: every denial
// and, when Allows is set, every allow.
type Audit struct {
	Log    *slog.Logger
	Allows bool
}

// record is one decision to audit.
type record struct {
	principal string
	info      gateway.ConnInfo
	api       kmsg.Key
	action    string
	resource  string
	allowed   bool
	by        string
}

// allows reports whether allows are audited too.
func (a *Audit) allows() bool { return a != nil && a.Allows }

func (a *Audit) write(r record) {
	if a == nil || a.Log == nil || (r.allowed && !a.Allows) {
		return
	}
	decision, level := "DENY", slog.LevelWarn
	if r.allowed {
		decision, level = "ALLOW", slog.LevelInfo
	}
	a.Log.LogAttrs(context.Background(), level, "audit",
		slog.String("principal", r.principal),
		slog.String("source", hostOf(r.info.Remote)),
		slog.String("cluster", r.info.Cluster),
		slog.String("listener", r.info.Listener),
		slog.String("api", kmsg.NameForKey(int16(r.api))),
		slog.String("action", r.action),
		slog.String("resource", r.resource),
		slog.String("decision", decision),
		slog.String("by", r.by))
}

// hostOf is the IP address of a client address.
func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}
