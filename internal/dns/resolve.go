package dns

import (
	"context"
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

const (
	// maxDepth bounds CNAME and alias chains.
	maxDepth = 8
	// hopOption is the EDNS0 local option in which kafkalink resolvers
	// count how many of them forwarded a query, so that rules forwarding
	// in a circle end in SERVFAIL rather than a storm.
	hopOption = 65400
	maxHops   = 4
	// udpSize is the largest UDP answer given to EDNS clients (the DNS
	// flag day's 1232); plain clients get 512.
	udpSize = 1232
)

// result is a resolution's outcome, before it becomes a message.
type result struct {
	answer, ns []dns.RR
	rcode      int
	auth       bool // from a zone kafkalink holds
}

// query is one resolution in progress.
type query struct {
	ctx  context.Context
	st   *state
	view *View
	tcp  bool
	hops int
	do   bool // the client's DNSSEC OK bit, passed on when forwarding
}

// Answer answers req as the resolver of vpc does; tcp says which
// transport it came over. It never returns nil.
func (s *Server) Answer(ctx context.Context, vpc string, req *dns.Msg, tcp bool) *dns.Msg {
	resp := new(dns.Msg)
	resp.Id, resp.Response, resp.Opcode = req.Id, true, req.Opcode
	resp.RecursionDesired, resp.RecursionAvailable = req.RecursionDesired, true
	switch {
	case req.Response:
		resp.Rcode = dns.RcodeFormatError
		return resp
	case req.Opcode != dns.OpcodeQuery:
		resp.Rcode = dns.RcodeNotImplemented
		return resp
	case len(req.Question) != 1:
		resp.Rcode = dns.RcodeFormatError
		return resp
	}
	resp.Question = []dns.Question{req.Question[0]}
	q := req.Question[0]
	opt := req.IsEdns0()
	switch {
	case opt != nil && opt.Version() != 0:
		resp.SetEdns0(udpSize, false)
		resp.Rcode = dns.RcodeBadVers
		return resp
	case q.Qclass != dns.ClassINET, q.Qtype == dns.TypeAXFR, q.Qtype == dns.TypeIXFR, q.Qtype == dns.TypeOPT:
		resp.Rcode = dns.RcodeRefused
		return resp
	case !validName(q.Name):
		resp.Rcode = dns.RcodeFormatError
		return resp
	}
	qy := query{ctx: ctx, st: s.st.Load(), tcp: tcp}
	qy.view = qy.st.views[vpc]
	if opt != nil {
		qy.do = opt.Do()
		qy.hops = hops(opt)
	}
	var r result
	if qy.hops > maxHops {
		s.log.Warn("a query was forwarded in a circle", "vpc", vpc, "name", q.Name)
		r.rcode = dns.RcodeServerFailure
	} else {
		r = s.lookup(&qy, Canonical(q.Name), q.Qtype, 0)
	}
	resp.Rcode, resp.Authoritative, resp.Answer, resp.Ns = r.rcode, r.auth, r.answer, r.ns
	size := dns.MinMsgSize
	if opt != nil {
		resp.SetEdns0(udpSize, qy.do)
		size = max(dns.MinMsgSize, min(int(opt.UDPSize()), udpSize))
	}
	if !tcp {
		resp.Truncate(size)
	}
	return resp
}

// validName reports whether a query name can be resolved at all.
func validName(name string) bool {
	_, ok := dns.IsDomainName(name)
	return ok && dns.IsFqdn(name)
}

func hops(opt *dns.OPT) int {
	for _, o := range opt.Option {
		if l, ok := o.(*dns.EDNS0_LOCAL); ok && l.Code == hopOption && len(l.Data) == 1 {
			return int(l.Data[0])
		}
	}
	return 0
}

// rule is the most specific rule covering name.
func (v *View) rule(name string) (Rule, bool) {
	if v == nil || len(v.Rules) == 0 {
		return Rule{}, false
	}
	for n := name; ; {
		if r, ok := v.Rules[n]; ok {
			return r, true
		}
		if n == "." {
			return Rule{}, false
		}
		_, n = splitFirst(n)
	}
}

// mostSpecific is the zone of zones nearest to name.
func mostSpecific(zones map[string]*Zone, name string) *Zone {
	if len(zones) == 0 {
		return nil
	}
	for n := name; ; {
		if z, ok := zones[n]; ok {
			return z
		}
		if n == "." {
			return nil
		}
		_, n = splitFirst(n)
	}
}

// lookup resolves name in the query's view, in the order of precedence.
func (s *Server) lookup(q *query, name string, qtype uint16, depth int) result {
	if depth > maxDepth {
		return result{rcode: dns.RcodeServerFailure}
	}
	if r, ok := q.view.rule(name); ok && !r.System {
		return s.forward(q, r.Targets, r.Source, name, qtype)
	}
	if q.view != nil {
		if z := mostSpecific(q.view.Zones, name); z != nil {
			return s.fromZone(q, z, name, qtype, depth)
		}
	}
	if z := mostSpecific(q.st.public, name); z != nil {
		return s.fromZone(q, z, name, qtype, depth)
	}
	if len(s.upstream) > 0 {
		return s.forward(q, s.upstream, netip.Addr{}, name, qtype)
	}
	return result{rcode: dns.RcodeRefused}
}

// fromZone answers name from a zone kafkalink holds: the name's records,
// an alias's target's, a CNAME and what its target resolves to, or a
// negative answer with the zone's SOA.
func (s *Server) fromZone(q *query, z *Zone, name string, qtype uint16, depth int) result {
	n, wild := z.match(name)
	if n == nil {
		return result{rcode: dns.RcodeNameError, ns: []dns.RR{z.negativeSOA()}, auth: true}
	}
	var answer []dns.RR
	switch {
	case name == z.Name && qtype == dns.TypeSOA:
		answer = []dns.RR{z.soa}
	case qtype == dns.TypeANY:
		if name == z.Name {
			answer = append(answer, z.soa)
		}
		for _, rrs := range n.sets {
			answer = append(answer, rrs...)
		}
	default:
		answer = n.sets[qtype]
	}
	if len(answer) > 0 {
		if wild {
			answer = renamed(answer, name, 0)
		}
		return result{answer: answer, auth: true}
	}
	if target, ok := n.aliases[qtype]; ok {
		r := s.lookup(q, target, qtype, depth+1)
		return result{answer: renamed(r.answer, name, qtype), auth: true}
	}
	if cn := n.sets[dns.TypeCNAME]; len(cn) > 0 {
		if wild {
			cn = renamed(cn, name, 0)
		}
		r := s.lookup(q, Canonical(cn[0].(*dns.CNAME).Target), qtype, depth+1)
		return result{answer: append(cn[:len(cn):len(cn)], r.answer...), ns: r.ns, rcode: r.rcode, auth: true}
	}
	return result{ns: []dns.RR{z.negativeSOA()}, auth: true}
}

// renamed copies the records of rrs (of type only, when not 0) with owner
// name, as wildcard synthesis and alias answers need.
func renamed(rrs []dns.RR, name string, only uint16) []dns.RR {
	out := make([]dns.RR, 0, len(rrs))
	for _, rr := range rrs {
		if only != 0 && rr.Header().Rrtype != only {
			continue
		}
		c := dns.Copy(rr)
		c.Header().Name = name
		out = append(out, c)
	}
	return out
}

// forward asks targets in turn, from src when it is valid, and returns
// the first answer.
func (s *Server) forward(q *query, targets []string, src netip.Addr, name string, qtype uint16) result {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(udpSize, q.do)
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: hopOption, Data: []byte{byte(q.hops + 1)}})
	network := "udp"
	if q.tcp {
		network = "tcp"
	}
	for _, t := range targets {
		r, err := s.exchange(q.ctx, network, src, m, t)
		if err == nil && r.Truncated && network == "udp" {
			r, err = s.exchange(q.ctx, "tcp", src, m, t)
		}
		if err != nil {
			s.log.Debug("a forwarded query failed", "target", t, "name", name, "err", err)
			continue
		}
		return result{answer: r.Answer, ns: r.Ns, rcode: r.Rcode}
	}
	return result{rcode: dns.RcodeServerFailure}
}

func (s *Server) exchange(ctx context.Context, network string, src netip.Addr, m *dns.Msg, target string) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: s.timeout, UDPSize: udpSize}
	if src.IsValid() {
		d := &net.Dialer{Timeout: s.timeout}
		if network == "tcp" {
			d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
		} else {
			d.LocalAddr = &net.UDPAddr{IP: src.AsSlice()}
		}
		c.Dialer = d
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r, _, err := c.ExchangeContext(ctx, m, target)
	return r, err
}
