package authn

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// DefaultMaxLiveTokens bounds the tokens Replays remembers at once.
const DefaultMaxLiveTokens = 1 << 20

// Replays detects replayed IAM tokens: it remembers every verified
// AWS_MSK_IAM payload and OAUTHBEARER token (by its signature) until the
// token expires, together with the client address that first presented
// it. The same token presented again from another address is a replay: a
// token captured in transit or from a log and used elsewhere.
//
// Presenting it again from the same address is not: the Java client's
// OAUTHBEARER login reuses one token for every broker connection until
// it refreshes it, and two AWS_MSK_IAM payloads signed within the same
// second for the same host are identical. Replays are therefore bound to
// the client's address, not refused outright.
//
// Only verified tokens are remembered, so memory grows with genuine
// authentications (at most 15 minutes' worth); beyond MaxLive live
// tokens, new ones are accepted without being remembered, and Full
// reports it.
type Replays struct {
	// MaxLive bounds the remembered tokens; DefaultMaxLiveTokens when 0.
	MaxLive int

	mu        sync.Mutex
	seen      map[[32]byte]firstUse
	nextSweep time.Time
	full      int
}

type firstUse struct {
	source  netip.Addr
	expires time.Time
}

// sweepEvery is how often expired tokens are forgotten.
const sweepEvery = 10 * time.Second

// Check records a verified token first used from source, or, if it was
// first used from another address and has not expired, reports a replay.
func (r *Replays) Check(sig [32]byte, source net.Addr, expires, now time.Time) (replayed bool) {
	src := addrOf(source)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = make(map[[32]byte]firstUse)
	}
	if now.After(r.nextSweep) {
		for k, u := range r.seen {
			if !now.Before(u.expires) {
				delete(r.seen, k)
			}
		}
		r.nextSweep = now.Add(sweepEvery)
	}
	if u, ok := r.seen[sig]; ok && now.Before(u.expires) {
		return u.source != src
	}
	max := r.MaxLive
	if max <= 0 {
		max = DefaultMaxLiveTokens
	}
	if len(r.seen) >= max {
		r.full++
		return false
	}
	r.seen[sig] = firstUse{source: src, expires: expires}
	return false
}

// Full is how many tokens were accepted without being remembered because
// MaxLive tokens were live.
func (r *Replays) Full() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.full
}

// addrOf is the IP of a connection's remote address (the zero Addr when
// it has none).
func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case nil:
		return netip.Addr{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap()
}
