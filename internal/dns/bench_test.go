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
// concurrent UDP clients, each keeping window queries outstanding, and
// returns the answers per second.
func load(tb testing.TB, addr string, names []string, n, workers, window int) float64 {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loadWorker(addr, names, int64(n), window, &next); err != nil {
				errs <- err
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

// loadWorker sends queries numbered from next until n, window at a time,
// and checks every answer.
func loadWorker(addr string, names []string, n int64, window int, next *atomic.Int64) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 1500)
	m := new(dns.Msg)
	for {
		sent := map[uint16]bool{}
		for len(sent) < window {
			i := next.Add(1)
			if i > n {
				break
			}
			m.SetQuestion(names[int(i)%len(names)], dns.TypeA)
			m.Id = uint16(i)
			out, err := m.Pack()
			if err != nil {
				return err
			}
			if _, err := c.Write(out); err != nil {
				return err
			}
			sent[m.Id] = true
		}
		if len(sent) == 0 {
			return nil
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for len(sent) > 0 {
			k, err := c.Read(buf)
			if err != nil {
				return fmt.Errorf("%d answers missing: %w", len(sent), err)
			}
			id := uint16(buf[0])<<8 | uint16(buf[1])
			if k < 12 || !sent[id] || buf[3]&0x0f != dns.RcodeSuccess {
				return fmt.Errorf("a wrong answer (id %d)", id)
			}
			delete(sent, id)
		}
	}
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

	// The floor: the same sockets, workers and DNS library, one fixed
	// answer, no resolution.
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(udpWorkers)
	serveUDP(pc, func(raw []byte) *dns.Msg {
		r := new(dns.Msg)
		if r.Unpack(raw) != nil || len(r.Question) != 1 {
			return nil
		}
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 160, 0, 1)}}
		return m
	}, wg.Done)
	b.Cleanup(func() { pc.Close(); wg.Wait() })

	const workers, window = 16, 8
	n := max(b.N, 1000)
	load(b, resolver, qnames, 1000, workers, window) // warm up
	load(b, pc.LocalAddr().String(), qnames, 1000, workers, window)
	b.ResetTimer()
	var got, floor float64
	for round := 0; round < 3; round++ { // interleaved, against noise
		got += load(b, resolver, qnames, n/3, workers, window) / 3
		floor += load(b, pc.LocalAddr().String(), qnames, n/3, workers, window) / 3
	}
	b.StopTimer()
	b.ReportMetric(got, "answers/s")
	b.ReportMetric(floor, "floor-answers/s")
	b.ReportMetric(got/floor, "ratio")
}
