package dns

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/kafkalink/kafkalink/internal/dns/digtest"
	"github.com/kafkalink/kafkalink/internal/freeport"
)

// zone builds a zone from records in presentation format; "alias NAME
// TYPE TARGET" lines make alias records.
func zone(t testing.TB, name string, records ...string) *Zone {
	t.Helper()
	z := NewZone(name)
	for _, r := range records {
		if f := strings.Fields(r); f[0] == "alias" {
			if err := z.AddAlias(f[1], dns.StringToType[f[2]], f[3]); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rr, err := dns.NewRR(r)
		if err != nil {
			t.Fatalf("record %q: %v", r, err)
		}
		if err := z.Add(rr); err != nil {
			t.Fatal(err)
		}
	}
	return z
}

// zones keys zones by name.
func zones(zs ...*Zone) map[string]*Zone {
	m := map[string]*Zone{}
	for _, z := range zs {
		m[z.Name] = z
	}
	return m
}

// newServer is a Server that ends with the test.
func newServer(t testing.TB, o Options) *Server {
	t.Helper()
	s := New(o)
	t.Cleanup(s.Close)
	return s
}

// serve makes s answer as vpc's resolver on a free loopback port, and
// returns the address.
func serve(t testing.TB, s *Server, vpc string) string {
	t.Helper()
	port, err := freeport.Range(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := s.Listen(addr, vpc); err != nil {
		t.Fatal(err)
	}
	return addr
}

// dig asks addr with the real dig.
func dig(t testing.TB, addr, name, qtype string) digtest.Answer {
	t.Helper()
	return digtest.Dig(t, addr, name, qtype)
}

// want is an expected dig answer: the status and the records, in any
// order.
func want(status string, records ...string) digtest.Answer {
	return digtest.Want(status, records...)
}
