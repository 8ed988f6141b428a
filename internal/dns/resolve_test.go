package dns

import (
	"github.com/kafkalink/kafkalink/internal/dns/digtest"
	"net/netip"
	"testing"
)

// digCase is one "query X from VPC Y returns Z" case.
type digCase struct {
	name, from, qname, qtype string
	want                     digtest.Answer
}

func runDig(t *testing.T, addrs map[string]string, cases []digCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := dig(t, addrs[c.from], c.qname, c.qtype); !got.Same(c.want) {
				t.Errorf("query %s %s from %s: got %v; want %v", c.qname, c.qtype, c.from, got, c.want)
			}
		})
	}
}

// Given private zones example.com and b.example.com associated with
// vpc-a, and only example.com with vpc-b, the most specific zone answers,
// and a name missing from it is NXDOMAIN even where a less specific zone
// or the upstream holds it.
func TestMostSpecificZoneWithoutFallback(t *testing.T) {
	onprem := newServer(t, Options{})
	up := serve(t, onprem, "onprem")
	onprem.Update(map[string]*View{"onprem": {Zones: zones(
		zone(t, "example.com.", "x.b.example.com. 60 IN A 192.0.2.99"),
		zone(t, "example.org.", "www.example.org. 60 IN A 192.0.2.80"))}}, nil)

	s := newServer(t, Options{Upstream: []string{up}})
	outer := zone(t, "example.com.", "a.b.example.com. 60 IN A 10.0.0.1", "x.b.example.com. 60 IN A 10.0.0.9")
	inner := zone(t, "b.example.com.", "a.b.example.com. 60 IN A 10.0.0.2")
	s.Update(map[string]*View{
		"vpc-a": {Zones: zones(outer, inner)},
		"vpc-b": {Zones: zones(outer)},
	}, nil)
	addrs := map[string]string{"vpc-a": serve(t, s, "vpc-a"), "vpc-b": serve(t, s, "vpc-b"), "vpc-c": serve(t, s, "vpc-c")}
	runDig(t, addrs, []digCase{
		{"most specific zone", "vpc-a", "a.b.example.com", "A", want("NOERROR", "a.b.example.com. A 10.0.0.2")},
		{"the only zone", "vpc-b", "a.b.example.com", "A", want("NOERROR", "a.b.example.com. A 10.0.0.1")},
		{"missing in the matching zone: no fallback", "vpc-a", "x.b.example.com", "A", want("NXDOMAIN")},
		{"the other VPC's zone holds it", "vpc-b", "x.b.example.com", "A", want("NOERROR", "x.b.example.com. A 10.0.0.9")},
		{"no zone: upstream", "vpc-c", "x.b.example.com", "A", want("NOERROR", "x.b.example.com. A 192.0.2.99")},
		{"outside every zone: upstream", "vpc-a", "www.example.org", "A", want("NOERROR", "www.example.org. A 192.0.2.80")},
		{"no such type: NODATA", "vpc-a", "a.b.example.com", "AAAA", want("NOERROR")},
		{"case does not matter", "vpc-a", "A.B.Example.COM", "A", want("NOERROR", "a.b.example.com. A 10.0.0.2")},
	})
}

// The example zone of RFC 4592 §2.2.1 (less its delegation), and the
// answers §2.2.1 gives for it.
func TestRFC4592Wildcards(t *testing.T) {
	s := newServer(t, Options{})
	s.Update(map[string]*View{"vpc": {Zones: zones(zone(t, "example.",
		"example. 3600 IN NS ns.example.com.",
		"*.example. 3600 IN TXT \"this is a wildcard\"",
		"*.example. 3600 IN MX 10 host1.example.",
		"sub.*.example. 3600 IN TXT \"this is not a wildcard\"",
		"host1.example. 3600 IN A 192.0.2.1",
		"_ssh._tcp.host1.example. 3600 IN SRV 0 0 22 host1.example.",
		"_ssh._tcp.host2.example. 3600 IN SRV 0 0 22 host2.example.",
	))}}, nil)
	addrs := map[string]string{"vpc": serve(t, s, "vpc")}
	runDig(t, addrs, []digCase{
		{"synthesized MX", "vpc", "host3.example", "MX", want("NOERROR", "host3.example. MX 10 host1.example.")},
		{"wildcard node without the type", "vpc", "host3.example", "A", want("NOERROR")},
		{"synthesized for a deeper name", "vpc", "foo.bar.example", "TXT", want("NOERROR", `foo.bar.example. TXT "this is a wildcard"`)},
		{"existing name beats the wildcard", "vpc", "host1.example", "MX", want("NOERROR")},
		{"a literal star label", "vpc", "sub.*.example", "MX", want("NOERROR")},
		{"closest encloser without wildcard", "vpc", "_telnet._tcp.host1.example", "SRV", want("NXDOMAIN")},
		{"empty non-terminal blocks the wildcard", "vpc", "_tcp.host2.example", "TXT", want("NOERROR")},
		{"a star below the star", "vpc", "ghost.*.example", "MX", want("NXDOMAIN")},
		{"*.x does not answer x", "vpc", "example", "TXT", want("NOERROR")},
	})
}

// Rules: the most specific rule wins; a SYSTEM rule overrides a FORWARD
// rule of a parent domain; a rule beats a zone of the same name; a
// circle of FORWARD rules ends in SERVFAIL.
func TestRulePrecedence(t *testing.T) {
	onprem := newServer(t, Options{})
	onprem.Update(map[string]*View{"onprem": {Zones: zones(zone(t, "corp.example.",
		"db.corp.example. 60 IN A 198.51.100.1", "app.dev.corp.example. 60 IN A 198.51.100.2"))}}, nil)
	onpremAddr := serve(t, onprem, "onprem")
	other := newServer(t, Options{})
	other.Update(map[string]*View{"other": {Zones: zones(zone(t, "dev.corp.example.",
		"app.dev.corp.example. 60 IN A 203.0.113.2"))}}, nil)
	otherAddr := serve(t, other, "other")

	s := newServer(t, Options{})
	addrs := map[string]string{"vpc": serve(t, s, "vpc"), "loop": serve(t, s, "loop")}
	s.Update(map[string]*View{
		"vpc": {
			Rules: map[string]Rule{
				"corp.example.":           {Domain: "corp.example.", Targets: []string{onpremAddr}, Source: netip.MustParseAddr("127.0.0.1")},
				"dev.corp.example.":       {Domain: "dev.corp.example.", Targets: []string{otherAddr}},
				"local.dev.corp.example.": {Domain: "local.dev.corp.example.", System: true},
			},
			Zones: zones(
				zone(t, "corp.example.", "db.corp.example. 60 IN A 10.9.9.9"),
				zone(t, "local.dev.corp.example.", "x.local.dev.corp.example. 60 IN A 10.1.1.1")),
		},
		"loop": {Rules: map[string]Rule{"loop.example.": {Domain: "loop.example.", Targets: []string{addrs["loop"]}}}},
	}, nil)
	runDig(t, addrs, []digCase{
		{"a rule beats a zone of the same name", "vpc", "db.corp.example", "A", want("NOERROR", "db.corp.example. A 198.51.100.1")},
		{"the most specific rule", "vpc", "app.dev.corp.example", "A", want("NOERROR", "app.dev.corp.example. A 203.0.113.2")},
		{"SYSTEM overrides FORWARD", "vpc", "x.local.dev.corp.example", "A", want("NOERROR", "x.local.dev.corp.example. A 10.1.1.1")},
		{"a circle of rules", "loop", "a.loop.example", "A", want("SERVFAIL")},
	})
}

// Alias records answer with their target's addresses under their own
// name; CNAMEs are followed.
func TestAliasesAndCNAMEs(t *testing.T) {
	s := newServer(t, Options{})
	s.Update(map[string]*View{"vpc": {Zones: zones(zone(t, "kafka-serverless.us-east-1.amazonaws.com.",
		"alias *.kafka-serverless.us-east-1.amazonaws.com. A vpce-0abc.us-east-1.vpce.amazonaws.com.",
		"www.kafka-serverless.us-east-1.amazonaws.com. 60 IN CNAME boot-1.kafka-serverless.us-east-1.amazonaws.com.",
	))}}, zones(zone(t, "us-east-1.vpce.amazonaws.com.",
		"vpce-0abc.us-east-1.vpce.amazonaws.com. 60 IN A 127.160.1.4",
		"vpce-0abc.us-east-1.vpce.amazonaws.com. 60 IN A 127.160.2.4")))
	addrs := map[string]string{"vpc": serve(t, s, "vpc"), "elsewhere": serve(t, s, "elsewhere")}
	runDig(t, addrs, []digCase{
		{"a wildcard alias", "vpc", "b97-ab12cd34.c1.kafka-serverless.us-east-1.amazonaws.com", "A", want("NOERROR",
			"b97-ab12cd34.c1.kafka-serverless.us-east-1.amazonaws.com. A 127.160.1.4", "b97-ab12cd34.c1.kafka-serverless.us-east-1.amazonaws.com. A 127.160.2.4")},
		{"a CNAME to an alias", "vpc", "www.kafka-serverless.us-east-1.amazonaws.com", "A", want("NOERROR",
			"www.kafka-serverless.us-east-1.amazonaws.com. CNAME boot-1.kafka-serverless.us-east-1.amazonaws.com.",
			"boot-1.kafka-serverless.us-east-1.amazonaws.com. A 127.160.1.4", "boot-1.kafka-serverless.us-east-1.amazonaws.com. A 127.160.2.4")},
		{"public endpoint names resolve everywhere", "elsewhere", "vpce-0abc.us-east-1.vpce.amazonaws.com", "A", want("NOERROR",
			"vpce-0abc.us-east-1.vpce.amazonaws.com. A 127.160.1.4", "vpce-0abc.us-east-1.vpce.amazonaws.com. A 127.160.2.4")},
		{"without upstream, the rest is refused", "elsewhere", "example.org", "A", want("REFUSED")},
	})
}
