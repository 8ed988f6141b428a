// Package digtest asks DNS servers questions with the real dig (Debian's
// dnsutils), for tests: what a user would see, parsed.
package digtest

import (
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/prereq"
)

// Answer is what dig printed: the status and the answer section, each
// record as "name type rdata" (TTL and class left out), sorted.
type Answer struct {
	Status  string
	Records []string
}

// Want is an expected answer: the status and the records, in any order.
func Want(status string, records ...string) Answer {
	records = slices.Clone(records)
	slices.Sort(records)
	return Answer{Status: status, Records: records}
}

func (a Answer) String() string { return a.Status + " [" + strings.Join(a.Records, "; ") + "]" }

// Same reports whether two answers have the same status and records.
func (a Answer) Same(b Answer) bool {
	return a.Status == b.Status && slices.Equal(a.Records, b.Records)
}

// Dig asks the server at addr (host:port) for name's records of qtype.
func Dig(t testing.TB, addr, name, qtype string) Answer {
	t.Helper()
	bin := prereq.Tool(t, "dig")
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"@" + host, "-p", port, "+noall", "+comments", "+answer", "+time=3", "+tries=1", name, qtype}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return Parse(string(out))
}

// Parse reads dig's +comments +answer output.
func Parse(out string) Answer {
	var a Answer
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if _, rest, ok := strings.Cut(line, "status: "); ok {
			a.Status, _, _ = strings.Cut(rest, ",")
			continue
		}
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		if f := strings.Fields(line); len(f) >= 5 {
			a.Records = append(a.Records, strings.Join(append([]string{f[0], f[3]}, f[4:]...), " "))
		}
	}
	slices.Sort(a.Records)
	return a
}
