package dns

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Zone is one zone a resolver answers for: a private hosted zone, or a
// zone kafkalink keeps for its own names. Every owner name and each of its
// ancestors below the apex exists in the zone (RFC 4592's empty
// non-terminals), so that a wildcard never answers a name that exists.
// A Zone is built once and then only read.
type Zone struct {
	Name  string // lowercase FQDN
	soa   *dns.SOA
	names map[string]*node
}

// node is the data at one owner name.
type node struct {
	sets    map[uint16][]dns.RR
	aliases map[uint16]string // qtype → alias target (FQDN)
}

func (n *node) empty() bool { return len(n.sets) == 0 && len(n.aliases) == 0 }

// Canonical is a name as zones key it: lowercase, fully qualified.
func Canonical(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// NewZone returns an empty zone with a SOA record of kafkalink's making;
// a SOA added later replaces it.
func NewZone(name string) *Zone {
	name = Canonical(name)
	z := &Zone{Name: name, names: map[string]*node{}}
	z.soa = &dns.SOA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 900},
		Ns: "ns.kafkalink.internal.", Mbox: "hostmaster.kafkalink.internal.", Serial: 1,
		Refresh: 7200, Retry: 900, Expire: 1209600, Minttl: 86400}
	z.node(name)
	return z
}

// Contains reports whether name lies in the zone (at or below its apex).
func (z *Zone) Contains(name string) bool { return dns.IsSubDomain(z.Name, Canonical(name)) }

// node returns the node at name, creating it and every empty
// non-terminal between it and the apex.
func (z *Zone) node(name string) *node {
	n, ok := z.names[name]
	if !ok {
		n = &node{sets: map[uint16][]dns.RR{}}
		z.names[name] = n
		if name != z.Name {
			_, parent := splitFirst(name)
			z.node(parent)
		}
	}
	return n
}

// splitFirst splits a FQDN into its first label and the rest ("." after
// the last label). An escaped dot (\.) does not end a label.
func splitFirst(name string) (string, string) {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++
		case '.':
			if i == len(name)-1 {
				return name, "."
			}
			return name[:i], name[i+1:]
		}
	}
	return name, "."
}

// Add adds a record; its owner must lie in the zone.
func (z *Zone) Add(rr dns.RR) error {
	h := rr.Header()
	h.Name = Canonical(h.Name)
	if !z.Contains(h.Name) {
		return fmt.Errorf("dns: %s is not in zone %s", h.Name, z.Name)
	}
	if s, ok := rr.(*dns.SOA); ok && h.Name == z.Name {
		z.soa = s
		return nil
	}
	n := z.node(h.Name)
	n.sets[h.Rrtype] = append(n.sets[h.Rrtype], rr)
	return nil
}

// AddAlias makes owner answer qtype (A or AAAA) with target's records, as
// Route 53's alias records do.
func (z *Zone) AddAlias(owner string, qtype uint16, target string) error {
	owner = Canonical(owner)
	if !z.Contains(owner) {
		return fmt.Errorf("dns: %s is not in zone %s", owner, z.Name)
	}
	n := z.node(owner)
	if n.aliases == nil {
		n.aliases = map[uint16]string{}
	}
	n.aliases[qtype] = Canonical(target)
	return nil
}

// negativeSOA is the SOA of a negative answer, its TTL the lesser of the
// SOA's TTL and minimum (RFC 2308).
func (z *Zone) negativeSOA() dns.RR {
	soa := *z.soa
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	return &soa
}

// match finds the node answering qname: the name itself, else the
// wildcard at its closest encloser (RFC 4592 §3.3.1). It returns nil when
// the name does not exist (NXDOMAIN), and whether the node is a
// wildcard's.
func (z *Zone) match(qname string) (*node, bool) {
	if n, ok := z.names[qname]; ok {
		return n, false
	}
	for name := qname; name != z.Name && name != "."; {
		_, name = splitFirst(name)
		if _, ok := z.names[name]; ok { // the closest encloser
			if w, ok := z.names["*."+name]; ok {
				return w, true
			}
			return nil, false
		}
	}
	return nil, false
}
