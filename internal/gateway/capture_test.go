package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// This file records real Kafka traffic (franz-go against kfake) and writes
// it as seed corpora for the fuzz targets in fuzz_test.go:
//
//	KAFKALINK_CAPTURE=1 go test -run '^TestCaptureSeeds$' ./internal/gateway/
//
// The generated files are named cap-*; running the generator again replaces
// them and leaves every other corpus file (crashers found by fuzzing) alone.

// capFrame is one frame relayed by the recording proxy.
type capFrame struct {
	req          bool
	key, version int16 // of the request a response answers
	corr         int32
	frame        []byte // the whole frame, its 4 length bytes included
}

// capProxy is a TCP proxy in front of one broker that records every complete
// request and response frame it relays.
type capProxy struct {
	t        *testing.T
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	frames []capFrame
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startCapProxy(t *testing.T, upstream string) *capProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &capProxy{t: t, ln: ln, upstream: upstream}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.relay(c, up)
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *capProxy) addr() string { return p.ln.Addr().String() }

func (p *capProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// relay copies frames both ways; the request side remembers each request's
// key and version by correlation id so that responses can be labelled.
func (p *capProxy) relay(client, up net.Conn) {
	type kv struct{ key, version int16 }
	var mu sync.Mutex
	pending := map[int32]kv{}
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		defer up.Close()
		r := bufio.NewReader(client)
		for {
			f, err := readCapFrame(r)
			if err != nil || len(f) < 12 {
				return
			}
			key := int16(binary.BigEndian.Uint16(f[4:]))
			version := int16(binary.BigEndian.Uint16(f[6:]))
			corr := int32(binary.BigEndian.Uint32(f[8:]))
			mu.Lock()
			pending[corr] = kv{key, version}
			mu.Unlock()
			p.record(capFrame{req: true, key: key, version: version, corr: corr, frame: f})
			if _, err := up.Write(f); err != nil {
				return
			}
		}
	}()
	go func() {
		defer p.wg.Done()
		defer client.Close()
		r := bufio.NewReader(up)
		for {
			f, err := readCapFrame(r)
			if err != nil || len(f) < 8 {
				return
			}
			corr := int32(binary.BigEndian.Uint32(f[4:]))
			mu.Lock()
			req, ok := pending[corr]
			delete(pending, corr)
			mu.Unlock()
			if ok {
				p.record(capFrame{key: req.key, version: req.version, corr: corr, frame: f})
			}
			if _, err := client.Write(f); err != nil {
				return
			}
		}
	}()
}

func (p *capProxy) record(f capFrame) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frames = append(p.frames, f)
}

func (p *capProxy) recorded() []capFrame {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]capFrame(nil), p.frames...)
}

func readCapFrame(r io.Reader) ([]byte, error) {
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(l[:])
	if n > 64<<20 {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	f := make([]byte, 4+n)
	copy(f, l[:])
	_, err := io.ReadFull(r, f[4:])
	return f, err
}

// rawConn sends kmsg requests at exact versions over one connection.
type rawConn struct {
	t    *testing.T
	addr string
	conn net.Conn
	r    *bufio.Reader
	corr int32
}

func (c *rawConn) roundTrip(req kmsg.Request) ([]byte, error) {
	c.t.Helper()
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		c.conn, c.r = conn, bufio.NewReader(conn)
	}
	c.corr++
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("kafkalink-capture")).AppendRequest(nil, req, c.corr)
	c.conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err := c.conn.Write(frame)
	var resp []byte
	if err == nil {
		resp, err = readCapFrame(c.r)
	}
	if err != nil {
		// The broker may close a connection on a request it rejects:
		// start again on a new one.
		c.conn.Close()
		c.conn = nil
	}
	return resp, err
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
	}
}

// TestCaptureSeeds regenerates the cap-* seed corpora from real traffic.
func TestCaptureSeeds(t *testing.T) {
	if os.Getenv("KAFKALINK_CAPTURE") != "1" {
		t.Skip("seed generator: set KAFKALINK_CAPTURE=1 to record kfake traffic into testdata/fuzz")
	}
	frames := captureTraffic(t)
	if len(frames) == 0 {
		t.Fatalf("got 0 recorded frames; want some")
	}
	writeCapturedSeeds(t, frames)
}

// captureTraffic drives franz-go through a recording proxy in front of one
// of three kfake brokers and returns what the proxy saw.
func captureTraffic(t *testing.T) []capFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()
	const target = int32(0)
	targetAddr := addrs[target]
	p := startCapProxy(t, targetAddr)

	// Every connection franz-go opens to the target broker goes through
	// the proxy; the other brokers are reached directly.
	dial := func(ctx context.Context, network, host string) (net.Conn, error) {
		if host == targetAddr {
			host = p.addr()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, host)
	}
	newClient := func(opts ...kgo.Opt) *kgo.Client {
		t.Helper()
		base := []kgo.Opt{kgo.SeedBrokers(targetAddr), kgo.Dialer(dial), kgo.ClientID("kafkalink-capture"), kgo.FetchMaxWait(200 * time.Millisecond)}
		cl, err := kgo.NewClient(append(base, opts...)...)
		if err != nil {
			t.Fatalf("kgo: %v", err)
		}
		return cl
	}
	pinned := func(key, version int16) *kversion.Versions {
		vs := kversion.Stable()
		vs.SetMaxKeyVersion(key, version)
		return vs
	}

	const topic = "seeds"
	admin := newClient()
	defer admin.Close()
	ct := kmsg.NewPtrCreateTopicsRequest()
	ctt := kmsg.NewCreateTopicsRequestTopic()
	ctt.Topic, ctt.NumPartitions, ctt.ReplicationFactor = topic, 6, 3
	ct.Topics = append(ct.Topics, ctt)
	if _, err := ct.RequestWith(ctx, admin); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	var mine, other int32 = -1, -1 // a partition the target leads, and one it does not
	for part := range int32(6) {
		switch l := c.LeaderFor(topic, part); {
		case l == target && mine < 0:
			mine = part
		case l != target && l >= 0 && other < 0:
			other = part
		}
	}
	if mine < 0 || other < 0 {
		t.Fatalf("got partitions led by target %d and others %d; want both", mine, other)
	}
	otherLeader := c.LeaderFor(topic, other)
	rec := func(v string) *kgo.Record {
		return &kgo.Record{Topic: topic, Partition: mine, Key: []byte("k"), Value: []byte(v)}
	}
	produce := func(cl *kgo.Client, rs ...*kgo.Record) {
		t.Helper()
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}

	// Produce with acks=all and acks=0 at several versions: v3–v8 carry
	// the transactional id as an int16 string, v9+ as a compact string.
	for _, v := range []int16{3, 5, 8, 9, 11, 13} {
		cl := newClient(kgo.MaxVersions(pinned(0, v)), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		produce(cl, rec(fmt.Sprintf("all-v%d-a", v)), rec(fmt.Sprintf("all-v%d-b", v)))
		cl.Close()
	}
	for _, v := range []int16{3, 9, 13} {
		cl := newClient(kgo.MaxVersions(pinned(0, v)), kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		produce(cl, rec(fmt.Sprintf("none-v%d", v)))
		cl.Close()
	}
	// Transactions: a committed and an aborted one, so that fetch
	// responses carry aborted transactions.
	txn := newClient(kgo.TransactionalID("kafkalink-capture-txn"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for _, commit := range []kgo.TransactionEndTry{kgo.TryCommit, kgo.TryAbort} {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatalf("begin txn: %v", err)
		}
		produce(txn, rec(fmt.Sprintf("txn-%v", commit)))
		if err := txn.EndTransaction(ctx, commit); err != nil {
			t.Fatalf("end txn: %v", err)
		}
	}
	txn.Close()

	// Fetch at several versions, read committed and uncommitted.
	consume := func(want int, opts ...kgo.Opt) {
		t.Helper()
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {mine: kgo.NewOffset().AtStart()}}))
		cl := newClient(opts...)
		defer cl.Close()
		got := 0
		for got < want {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("consume: got %d records; want %d", got, want)
			}
			got += len(fs.Records())
		}
	}
	for _, v := range []int16{11, 13, 16, 17, 18} {
		consume(10, kgo.MaxVersions(pinned(1, v)))
	}
	consume(5, kgo.FetchIsolationLevel(kgo.ReadCommitted()))

	// KIP-951: move a partition away from the target while a producer
	// and a consumer still think the target leads it; the target answers
	// NOT_LEADER_OR_FOLLOWER with the new leader's endpoint (tag 0).
	mover := newClient(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produce(mover, rec("before-move"))
	follower := newClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {mine: kgo.NewOffset().AtEnd()}}))
	pollCtx, pollCancel := context.WithTimeout(ctx, time.Second)
	follower.PollFetches(pollCtx) // the follower now fetches from the target
	pollCancel()
	if err := c.MoveTopicPartition(topic, mine, otherLeader); err != nil {
		t.Fatalf("move partition: %v", err)
	}
	produce(mover, rec("after-move"))
	for got := 0; got == 0; {
		fs := follower.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("follow moved partition: %v", ctx.Err())
		}
		got = len(fs.Records())
	}
	follower.Close()
	mover.Close()
	if err := c.MoveTopicPartition(topic, mine, target); err != nil {
		t.Fatalf("move partition back: %v", err)
	}

	// A classic consumer group coordinated by the target: join, sync,
	// heartbeat, commit, leave.
	group := ""
	for i := 0; group == ""; i++ {
		if g := fmt.Sprintf("capture-group-%d", i); c.CoordinatorFor(g) == target {
			group = g
		}
	}
	member := newClient(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.HeartbeatInterval(100*time.Millisecond))
	for got := 0; got == 0; {
		fs := member.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("group consume: %v", ctx.Err())
		}
		got = len(fs.Records())
	}
	time.Sleep(300 * time.Millisecond) // a few heartbeats
	if err := member.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	member.Close()

	// Broker-addressed requests through kgo at its own versions.
	b := admin.Broker(int(target))
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKeys = []string{group, "capture-group-elsewhere"}
	if _, err := b.Request(ctx, fc); err != nil {
		t.Fatalf("find coordinator: %v", err)
	}
	dc := kmsg.NewPtrDescribeClusterRequest()
	if _, err := b.Request(ctx, dc); err != nil {
		t.Fatalf("describe cluster: %v", err)
	}

	// Every version of the responses that name brokers, over a raw
	// connection through the proxy.
	raw := &rawConn{t: t, addr: p.addr()}
	defer raw.close()
	send := func(req kmsg.Request, v int16) {
		t.Helper()
		req.SetVersion(v)
		if _, err := raw.roundTrip(req); err != nil {
			t.Logf("%s v%d: %v", kmsg.NameForKey(req.Key()), v, err)
		}
	}
	for v := range (&kmsg.MetadataRequest{}).MaxVersion() + 1 {
		md := kmsg.NewPtrMetadataRequest()
		if v == 0 {
			md.Topics = []kmsg.MetadataRequestTopic{}
		}
		send(md, v)
		md = kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(topic)
		md.Topics = append(md.Topics, mt)
		send(md, v)
	}
	for v := range (&kmsg.FindCoordinatorRequest{}).MaxVersion() + 1 {
		fc := kmsg.NewPtrFindCoordinatorRequest()
		fc.CoordinatorKey = group
		fc.CoordinatorKeys = []string{group, "capture-group-elsewhere"}
		send(fc, v)
		if v >= 1 {
			fc := kmsg.NewPtrFindCoordinatorRequest()
			fc.CoordinatorType = 1 // transaction
			fc.CoordinatorKey = "kafkalink-capture-txn"
			fc.CoordinatorKeys = []string{"kafkalink-capture-txn"}
			send(fc, v)
		}
	}
	for v := range (&kmsg.DescribeClusterRequest{}).MaxVersion() + 1 {
		send(kmsg.NewPtrDescribeClusterRequest(), v)
		if v >= 1 {
			dc := kmsg.NewPtrDescribeClusterRequest()
			dc.EndpointType = 2
			send(dc, v)
		}
	}
	for v := range (&kmsg.ApiVersionsRequest{}).MaxVersion() + 1 {
		av := kmsg.NewPtrApiVersionsRequest()
		av.ClientSoftwareName, av.ClientSoftwareVersion = "kafkalink-capture", "1.0"
		send(av, v)
	}
	av := kmsg.NewPtrApiVersionsRequest()
	av.ClientSoftwareName, av.ClientSoftwareVersion = "kafkalink-capture", "1.0"
	send(av, 99) // answered in v0 with UNSUPPORTED_VERSION (KIP-511)
	raw.close()
	raw.conn = nil

	admin.Close()
	p.close()
	return p.recorded()
}

// writeCapturedSeeds turns recorded frames into corpus files, a few per
// (API, version, shape) so the corpora stay small.
func writeCapturedSeeds(t *testing.T, frames []capFrame) {
	t.Helper()
	api := newAPITable()
	root := filepath.Join("testdata", "fuzz")
	old, _ := filepath.Glob(filepath.Join(root, "*", "cap-*"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			t.Fatalf("remove old seed: %v", err)
		}
	}
	type seed struct {
		target, name string
		vals         []any
	}
	var seeds []seed
	perShape := map[string]int{}
	seen := map[string]bool{}
	add := func(target, shape string, limit int, vals ...any) {
		content := string(marshalSeed(vals...))
		if seen[target+content] || perShape[target+"/"+shape] >= limit {
			return
		}
		seen[target+content] = true
		perShape[target+"/"+shape]++
		seeds = append(seeds, seed{target, fmt.Sprintf("cap-%s-%d", shape, perShape[target+"/"+shape]), vals})
	}
	name := func(key int16) string {
		return strings.ToLower(strings.ReplaceAll(kmsg.NameForKey(key), " ", ""))
	}
	for _, f := range frames {
		if f.req {
			shape := fmt.Sprintf("%s-v%d", name(f.key), f.version)
			add("FuzzRequestHeader", shape, 2, f.frame)
			if f.key == int16(kmsg.Produce) {
				h, err := peekRequestHeader(bytesPeeker(f.frame), DefaultMaxFrameBytes, api)
				if err != nil {
					t.Fatalf("captured produce request: %v", err)
				}
				acks, err := peekProduceAcks(bytesPeeker(f.frame), h)
				if err != nil {
					t.Fatalf("captured produce request: %v", err)
				}
				if bytes.Contains(f.frame, []byte("kafkalink-capture-txn")) {
					shape += "-txn"
				}
				add("FuzzProduceAcks", fmt.Sprintf("%s-acks%d", shape, acks), 2, f.frame)
			}
			continue
		}
		a, ok := api.lookup(f.key, f.version)
		if !ok || a.modeFor(f.version) == respPass {
			continue
		}
		shape := fmt.Sprintf("%s-v%d", name(f.key), f.version)
		if a.mode != respScanTags {
			add("FuzzRewriteResponse", shape, 2, f.key, f.version, f.frame[8:])
			continue
		}
		end, err := peekTags(bytesPeeker(f.frame), 8, len(f.frame))
		if err != nil {
			t.Fatalf("captured %s response: %v", name(f.key), err)
		}
		body := f.frame[end:]
		shape += "-" + scanShape(t, f.key, f.version, body)
		add("FuzzRewriteResponse", shape, 1, f.key, f.version, f.frame[8:])
		add("FuzzTagScan", shape, 2, body, f.version, f.key == int16(kmsg.Fetch))
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i].target+seeds[i].name < seeds[j].target+seeds[j].name })
	total, count := 0, map[string]int{}
	for _, s := range seeds {
		dir := filepath.Join(root, s.target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("mkdir: %v", err)
		}
		b := marshalSeed(s.vals...)
		if err := os.WriteFile(filepath.Join(dir, s.name), b, 0o644); err != nil {
			t.Fatalf("write seed: %v", err)
		}
		total += len(b)
		count[s.target]++
	}
	t.Logf("wrote %d seed files (%d bytes) from %d frames: %v", len(seeds), total, len(frames), count)
	if total > 2<<20 {
		t.Errorf("got %d bytes of seeds; want at most %d", total, 2<<20)
	}
}

// scanShape names what a Produce or Fetch response body holds: broker
// endpoints, aborted transactions, records, or nothing much.
func scanShape(t *testing.T, key, version int16, body []byte) string {
	t.Helper()
	switch key {
	case int16(kmsg.Produce):
		resp := kmsg.NewPtrProduceResponse()
		resp.Version = version
		if err := resp.ReadFrom(body); err != nil {
			t.Fatalf("captured produce v%d response: %v", version, err)
		}
		if len(resp.Brokers) > 0 {
			return "brokers"
		}
		return "plain"
	default:
		resp := kmsg.NewPtrFetchResponse()
		resp.Version = version
		if err := resp.ReadFrom(body); err != nil {
			t.Fatalf("captured fetch v%d response: %v", version, err)
		}
		if len(resp.Brokers) > 0 {
			return "brokers"
		}
		shape := "empty"
		for _, tp := range resp.Topics {
			for _, p := range tp.Partitions {
				if len(p.AbortedTransactions) > 0 {
					return "aborted"
				}
				if len(p.RecordBatches) > 0 {
					shape = "records"
				}
			}
		}
		return shape
	}
}

// marshalSeed encodes values the way the go command writes corpus files
// (internal/fuzz: marshalCorpusFile).
func marshalSeed(vals ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case int16, bool:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("marshalSeed: unsupported type %T", v))
		}
	}
	return b.Bytes()
}
