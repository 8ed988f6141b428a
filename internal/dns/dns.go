// Package dns is the resolver every VPC has at its base+2 address, served
// on real UDP and TCP sockets with github.com/miekg/dns. A query is
// answered, in this order (ARCHITECTURE §8), by the most specific resolver
// rule associated with the VPC (FORWARD: sent to the rule's targets;
// SYSTEM: resolved here), else by the most specific zone the VPC sees (a
// private hosted zone, or one of the zones kafkalink keeps for its own
// broker names; a name missing from a matching zone is NXDOMAIN, with no
// fallback), else by the public names kafkalink keeps (its endpoints'
// names), else by the configured upstream servers. Inbound resolver
// endpoints answer as their VPC's resolver does.
//
// What each VPC sees is a View; the daemon builds views from Route 53,
// Route 53 Resolver and the network, and swaps them in whole with Update,
// so that a query reads one consistent snapshot without a lock.
package dns

import (
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Rule is a resolver rule associated with a VPC.
type Rule struct {
	Domain string // lowercase FQDN
	// System rules resolve here; the others forward to Targets
	// (host:port), sent from Source when it is valid (the outbound
	// endpoint's address).
	System  bool
	Targets []string
	Source  netip.Addr
}

// View is what one VPC's resolver knows.
type View struct {
	Rules map[string]Rule  // by domain
	Zones map[string]*Zone // by zone name
}

// state is one consistent snapshot of every view.
type state struct {
	views  map[string]*View // by VPC id
	public map[string]*Zone // names every VPC resolves (endpoint names)
}

// Server answers the queries of every VPC's resolver.
type Server struct {
	log      *slog.Logger
	upstream []string // host:port of the servers asked for names nobody here holds
	timeout  time.Duration
	st       atomic.Pointer[state]

	mu        sync.Mutex
	listeners map[string]*listener // by address
	closed    bool
}

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// Upstream are the servers (host:port) that answer names no rule or
	// zone covers; none: such queries are REFUSED.
	Upstream []string
	// Timeout bounds one forwarded exchange; 2 s if zero.
	Timeout time.Duration
}

// New returns a Server with no views: every VPC resolver it serves
// answers from the upstream servers only, until Update.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	s := &Server{log: o.Logger, upstream: o.Upstream, timeout: o.Timeout, listeners: map[string]*listener{}}
	s.st.Store(&state{views: map[string]*View{}, public: map[string]*Zone{}})
	return s
}

// Update replaces every view and the public zones at once.
func (s *Server) Update(views map[string]*View, public map[string]*Zone) {
	if views == nil {
		views = map[string]*View{}
	}
	if public == nil {
		public = map[string]*Zone{}
	}
	s.st.Store(&state{views: views, public: public})
}
