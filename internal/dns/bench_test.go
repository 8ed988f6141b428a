package dns

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// load sends n queries for names (round robin) to addr from workers
// concurrent UDP clients, each waiting for its answer before the next
// query, and returns the answers per second.
func load(tb testing.TB, addr string, names []string, n, workers int) float64 {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("udp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			buf := make([]byte, 1500)
			m := new(dns.Msg)
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				m.SetQuestion(names[int(i)%len(names)], dns.TypeA)
				out, err := m.Pack()
				if err != nil {
					errs <- err
					return
				}
				c.SetDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Write(out); err != nil {
					errs <- err
					return
				}
				k, err := c.Read(buf)
				if err != nil {
					errs <- fmt.Errorf("query %d: %w", i, err)
					return
				}
				if k < 12 || buf[0] != out[0] || buf[1] != out[1] || buf[3]&0x0f != dns.RcodeSuccess {
					errs <- fmt.Errorf("query %d: a wrong answer", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}

// BenchmarkAnswersPerSecond measures, in one run, the authoritative
// answers per second of one VPC resolver (a private zone of 10,000
// names, a rule set and kafkalink's own zones in its view) against the
// floor of the same DNS library and sockets: a server that answers every
// query with one fixed record. Run it with
//
//	go test -run '^$' -bench AnswersPerSecond -benchtime 200000x ./internal/dns/
func BenchmarkAnswersPerSecond(b *testing.B) {
	const names = 10000
	records := make([]string, 0, names)
	qnames := make([]string, 0, names)
	for i := 0; i < names; i++ {
		qnames = append(qnames, fmt.Sprintf("b-%d.demo.abc123.c1.kafka.us-east-1.amazonaws.com.", i))
		records = append(records, fmt.Sprintf("%s 60 IN A 127.160.%d.%d", qnames[i], i/250, 1+i%250))
	}
	s := newServer(b, Options{})
	s.Update(map[string]*View{"vpc": {
		Zones: zones(zone(b, "kafka.us-east-1.amazonaws.com.", records...), zone(b, "corp.example.")),
		Rules: map[string]Rule{"onprem.example.": {Domain: "onprem.example.", Targets: []string{"127.0.0.1:1"}}},
	}}, nil)
	resolver := serve(b, s, "vpc")

	fixed := &dns.Server{Addr: "127.0.0.1:0", Net: "udp", Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 160, 0, 1)}}
		w.WriteMsg(m)
	})}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	fixed.PacketConn = pc
	go fixed.ActivateAndServe()
	b.Cleanup(func() { fixed.Shutdown() })

	const workers = 64
	n := max(b.N, 1000)
	load(b, resolver, qnames, 1000, workers) // warm up
	load(b, pc.LocalAddr().String(), qnames, 1000, workers)
	b.ResetTimer()
	var got, floor float64
	for round := 0; round < 3; round++ { // interleaved, against noise
		got += load(b, resolver, qnames, n/3, workers) / 3
		floor += load(b, pc.LocalAddr().String(), qnames, n/3, workers) / 3
	}
	b.StopTimer()
	b.ReportMetric(got, "answers/s")
	b.ReportMetric(floor, "floor-answers/s")
	b.ReportMetric(got/floor, "ratio")
}
