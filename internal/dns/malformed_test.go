package dns

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fuzzServer is a Server holding a zone of every kind of record.
func fuzzServer(t testing.TB) *Server {
	s := New(Options{})
	s.Update(map[string]*View{"vpc": {Zones: zones(zone(t, "example.com.",
		"a.example.com. 60 IN A 10.0.0.1", "*.w.example.com. 60 IN TXT \"w\"",
		"c.example.com. 60 IN CNAME a.example.com.", "loop.example.com. 60 IN CNAME loop.example.com.",
		"alias x.example.com. A a.example.com.", "_k._tcp.example.com. 60 IN SRV 1 1 9092 a.example.com."))}}, nil)
	return s
}

// Whatever a client sends, a query gets an answer that packs, with the
// query's id; a response or a runt gets none.
func FuzzAnswer(f *testing.F) {
	s := fuzzServer(f)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"a.example.com.", dns.TypeA}, {"q.w.example.com.", dns.TypeTXT}, {"c.example.com.", dns.TypeA},
		{"loop.example.com.", dns.TypeA}, {"x.example.com.", dns.TypeA}, {"example.com.", dns.TypeANY}, {"example.com.", dns.TypeAXFR}} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(4096, true)
		b, _ := m.Pack()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp := s.answerRaw(context.Background(), "vpc", b, false)
		if resp == nil {
			if len(b) >= 12 && b[2]&0x80 == 0 {
				t.Fatalf("no answer to a query")
			}
			return
		}
		if id := uint16(b[0])<<8 | uint16(b[1]); resp.Id != id || !resp.Response {
			t.Fatalf("got id %d response %v; want id %d, a response", resp.Id, resp.Response, id)
		}
		out, err := resp.Pack()
		if err != nil {
			t.Fatalf("the answer does not pack: %v\n%v", err, resp)
		}
		if len(out) > dns.MaxMsgSize {
			t.Fatalf("got a %d-byte answer", len(out))
		}
	})
}

// Malformed messages get FORMERR or nothing, and the resolver goes on
// answering.
func TestMalformedQueries(t *testing.T) {
	s := fuzzServer(t)
	t.Cleanup(s.Close)
	addr := serve(t, s, "vpc")
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cases := []struct {
		name  string
		raw   []byte
		rcode int // -1: no answer
	}{
		{"a question count with no question", []byte{0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0}, dns.RcodeFormatError},
		{"a label running past the end", []byte{0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 'a'}, dns.RcodeFormatError},
		{"two questions", twoQuestions(t), dns.RcodeFormatError},
		{"shorter than a header", []byte{1, 2, 3}, -1},
		{"a response", responseBit(t), -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Write(tc.raw); err != nil {
				t.Fatal(err)
			}
			if tc.rcode >= 0 {
				resp := readMsg(t, c)
				if resp.Rcode != tc.rcode {
					t.Errorf("got rcode %s; want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
				}
			}
			if got := dig(t, addr, "a.example.com", "A"); !got.Same(want("NOERROR", "a.example.com. A 10.0.0.1")) {
				t.Errorf("after it: got %v; want the record", got)
			}
		})
	}
}

func twoQuestions(t *testing.T) []byte {
	m := new(dns.Msg)
	m.SetQuestion("a.example.com.", dns.TypeA)
	m.Question = append(m.Question, m.Question[0])
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func responseBit(t *testing.T) []byte {
	m := new(dns.Msg)
	m.SetQuestion("a.example.com.", dns.TypeA)
	m.Response = true
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readMsg(t *testing.T, c net.Conn) *dns.Msg {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatalf("the answer does not unpack: %v", err)
	}
	return m
}
