package dns

import (
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/kafkalink/kafkalink/internal/freeport"
	"github.com/kafkalink/kafkalink/internal/prereq"
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

// digAnswer is what dig printed: the status and the answer section, each
// record as "name type rdata" (TTL and class left out).
type digAnswer struct {
	Status  string
	Records []string
	Flags   string
}

func (a digAnswer) String() string {
	return a.Status + " [" + strings.Join(a.Records, "; ") + "]"
}

// dig queries addr with the real dig and parses what it prints.
func dig(t testing.TB, addr, name, qtype string, opts ...string) digAnswer {
	t.Helper()
	bin := prereq.Tool(t, "dig")
	host, port, _ := net.SplitHostPort(addr)
	args := append([]string{"@" + host, "-p", port, "+noall", "+comments", "+answer", "+time=3", "+tries=1", name, qtype}, opts...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return parseDig(string(out))
}

func parseDig(out string) digAnswer {
	var a digAnswer
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if _, rest, ok := strings.Cut(line, "status: "); ok {
			a.Status, _, _ = strings.Cut(rest, ",")
			continue
		}
		if _, rest, ok := strings.Cut(line, ";; flags: "); ok {
			a.Flags, _, _ = strings.Cut(rest, ";")
			continue
		}
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 5 {
			a.Records = append(a.Records, strings.Join(append([]string{f[0], f[3]}, f[4:]...), " "))
		}
	}
	slices.Sort(a.Records)
	return a
}

// want is an expected dig answer: the status and the records, in any
// order.
func want(status string, records ...string) digAnswer {
	slices.Sort(records)
	return digAnswer{Status: status, Records: records}
}

func (a digAnswer) same(b digAnswer) bool {
	return a.Status == b.Status && slices.Equal(a.Records, b.Records)
}
