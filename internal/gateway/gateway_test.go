package gateway_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/prereq"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func produceN(t *testing.T, cl *kgo.Client, topic string, n int) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	var mu sync.Mutex
	var firstErr error
	for i := 0; i < n; i++ {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: []byte(fmt.Sprintf("value-%d", i))}, func(_ *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if firstErr != nil {
		t.Fatalf("produce to %s: %v", topic, firstErr)
	}
}

// consumeAll reads until it has seen want distinct keys.
func consumeAll(t *testing.T, cl *kgo.Client, want int) map[string]bool {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	seen := map[string]bool{}
	for len(seen) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(seen), want)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Key)] = true })
	}
	return seen
}

func TestProduceConsumeThroughEachListenerSet(t *testing.T) {
	h := newHarness(t)
	for _, set := range []string{"ports", "ips"} {
		t.Run(set, func(t *testing.T) {
			topic := "t-" + set
			produceN(t, h.client(set, kgo.DefaultProduceTopic(topic)), topic, 500)
			got := consumeAll(t, h.client(set, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 500)
			if len(got) != 500 {
				t.Errorf("got %d records; want 500", len(got))
			}
		})
	}
}

// Every version of every response that names brokers names only gateway
// addresses.
func TestResponsesNameOnlyGatewayAddresses(t *testing.T) {
	h := newHarness(t)
	leaked := h.upstreamPorts()
	wantBrokers := h.status("ports").Brokers
	check := func(t *testing.T, what string, id int32, host string, port int32) {
		t.Helper()
		if leaked[port] {
			t.Errorf("%s: broker %d at %s:%d is an upstream address", what, id, host, port)
		}
		if got, want := fmt.Sprintf("%s:%d", host, port), wantBrokers[id]; got != want {
			t.Errorf("%s: broker %d at %s; want %s", what, id, got, want)
		}
	}
	// A topic and a group so that coordinators exist.
	produceN(t, h.client("ports", kgo.DefaultProduceTopic("named")), "named", 3)
	rc := dialRaw(t, h.bootstrap("ports")[0])
	for v := int16(0); v <= kmsg.NewPtrMetadataRequest().MaxVersion(); v++ {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(v)
		if v >= 1 {
			req.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("named")}}
		}
		resp := rc.roundTrip(req).(*kmsg.MetadataResponse)
		if len(resp.Brokers) != 3 {
			t.Errorf("metadata v%d: got %d brokers; want 3", v, len(resp.Brokers))
		}
		for _, b := range resp.Brokers {
			check(t, fmt.Sprintf("metadata v%d", v), b.NodeID, b.Host, b.Port)
		}
	}
	for v := int16(0); v <= kmsg.NewPtrFindCoordinatorRequest().MaxVersion(); v++ {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.SetVersion(v)
		req.CoordinatorKey = "g1"
		req.CoordinatorKeys = []string{"g1", "g2", "g3"}
		resp := rc.roundTrip(req).(*kmsg.FindCoordinatorResponse)
		if v < 4 {
			if resp.ErrorCode != 0 {
				t.Fatalf("find coordinator v%d: %v", v, kerr.ErrorForCode(resp.ErrorCode))
			}
			check(t, fmt.Sprintf("find coordinator v%d", v), resp.NodeID, resp.Host, resp.Port)
			continue
		}
		if len(resp.Coordinators) != 3 {
			t.Fatalf("find coordinator v%d: got %d coordinators; want 3", v, len(resp.Coordinators))
		}
		for _, c := range resp.Coordinators {
			check(t, fmt.Sprintf("find coordinator v%d %s", v, c.Key), c.NodeID, c.Host, c.Port)
		}
	}
	for v := int16(0); v <= kmsg.NewPtrDescribeClusterRequest().MaxVersion(); v++ {
		req := kmsg.NewPtrDescribeClusterRequest()
		req.SetVersion(v)
		resp := rc.roundTrip(req).(*kmsg.DescribeClusterResponse)
		if len(resp.Brokers) != 3 {
			t.Errorf("describe cluster v%d: got %d brokers; want 3", v, len(resp.Brokers))
		}
		for _, b := range resp.Brokers {
			check(t, fmt.Sprintf("describe cluster v%d", v), b.NodeID, b.Host, b.Port)
		}
	}
}

// ApiVersions offers only what the gateway can decode and pass on.
func TestApiVersionsIntersection(t *testing.T) {
	h := newHarness(t)
	rc := dialRaw(t, h.bootstrap("ports")[0])
	for v := int16(0); v <= kmsg.NewPtrApiVersionsRequest().MaxVersion(); v++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(v)
		req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1"
		resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse)
		keys := map[int16]kmsg.ApiVersionsResponseApiKey{}
		for _, k := range resp.ApiKeys {
			keys[k.ApiKey] = k
			if max := kmsg.RequestForKey(k.ApiKey).MaxVersion(); k.MaxVersion > max {
				t.Errorf("v%d: %s offered up to v%d; kmsg decodes up to v%d", v, kmsg.NameForKey(k.ApiKey), k.MaxVersion, max)
			}
		}
		for _, k := range []kmsg.Key{kmsg.Produce, kmsg.Fetch, kmsg.Metadata, kmsg.ApiVersions, kmsg.FindCoordinator} {
			if _, ok := keys[int16(k)]; !ok {
				t.Errorf("v%d: %s not offered", v, k.Name())
			}
		}
		for _, k := range []kmsg.Key{kmsg.SASLHandshake, kmsg.SASLAuthenticate, kmsg.CreateDelegationToken, kmsg.AlterUserSCRAMCredentials, kmsg.DescribeQuorum, kmsg.LeaderAndISR} {
			if _, ok := keys[int16(k)]; ok {
				t.Errorf("v%d: %s offered; it cannot work through the gateway", v, k.Name())
			}
		}
	}
	// A version newer than anyone knows: UNSUPPORTED_VERSION, in v0.
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(req.MaxVersion())
	b := rc.f.AppendRequest(nil, req, 99)
	b[7]++ // one version newer than the gateway decodes
	req.SetVersion(0)
	rc.conn.Write(b)
	resp := rc.recv(req, 99).(*kmsg.ApiVersionsResponse)
	if resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Errorf("got error %d; want UNSUPPORTED_VERSION", resp.ErrorCode)
	}
}

// Pipelined requests get their responses in order, and an acks=0 produce
// among them gets none.
func TestPipeliningAndAcksZero(t *testing.T) {
	h := newHarness(t)
	produceN(t, h.client("ports", kgo.DefaultProduceTopic("pipe")), "pipe", 1)
	rc := dialRaw(t, h.bootstrap("ports")[0])
	var reqs []kmsg.Request
	var corrs []int32
	for i := 0; i < 50; i++ {
		var req kmsg.Request
		switch i % 3 {
		case 0:
			req = kmsg.NewPtrApiVersionsRequest()
		case 1:
			m := kmsg.NewPtrMetadataRequest()
			m.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("pipe")}}
			req = m
		case 2:
			p := kmsg.NewPtrProduceRequest()
			p.SetVersion(9)
			p.Acks = 0
			p.TimeoutMillis = 1000
			p.Topics = []kmsg.ProduceRequestTopic{{Topic: "pipe"}}
			rc.send(p)
			continue
		}
		req.SetVersion(min(req.MaxVersion(), 9))
		reqs = append(reqs, req)
		corrs = append(corrs, rc.send(req))
	}
	for i, req := range reqs {
		rc.recv(req, corrs[i])
	}
}

func TestUnknownAndMalformedFramesCloseOnlyTheirSession(t *testing.T) {
	h := newHarness(t, withMaxFrame(1<<20))
	good := h.client("ports", kgo.DefaultProduceTopic("ok"))
	produceN(t, good, "ok", 10)
	frame := func(size uint32, body ...byte) []byte {
		return append([]byte{byte(size >> 24), byte(size >> 16), byte(size >> 8), byte(size)}, body...)
	}
	cases := []struct {
		name, reason string
		bytes        []byte
	}{
		{"oversized", "exceeds the maximum", frame(2 << 20)},
		{"negative size", "shorter than a request header", frame(0xffffffff)},
		{"too short", "shorter than a request header", frame(4, 0, 3, 0, 1)},
		{"unknown key", "api key 999", frame(14, 0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0, 2, 'a', 'b', 0, 0)},
		{"unsupported version", "version 300", frame(12, 0, 3, 0x01, 0x2c, 0, 0, 0, 1, 0xff, 0xff, 0, 0)},
		{"client id past end", "client id runs past", frame(12, 0, 3, 0, 1, 0, 0, 0, 1, 0x10, 0x00, 0, 0)},
		{"truncated then closed", "", frame(100, 0, 3, 0, 1, 0, 0, 0, 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := dialRaw(t, h.bootstrap("ports")[0])
			rc.conn.Write(c.bytes)
			if c.reason == "" {
				rc.conn.(*net.TCPConn).CloseWrite()
			}
			if !rc.closed() {
				t.Fatalf("session stayed open")
			}
			if c.reason != "" {
				waitFor(t, 5*time.Second, "the logged reason", func() bool { return strings.Contains(h.logs.String(), c.reason) })
			}
			// Every other session carries on.
			produceN(t, good, "ok", 10)
		})
	}
}

func TestConsumerGroupOfThreeWithRebalance(t *testing.T) {
	h := newHarness(t)
	const topic, n = "grouped", 900
	produceN(t, h.client("ports", kgo.DefaultProduceTopic(topic)), topic, n)
	var mu sync.Mutex
	seen := map[string]bool{}
	assigned := make(chan string, 100)
	member := func(name string) *kgo.Client {
		return h.client("ports",
			kgo.ConsumerGroup("g"), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) { assigned <- name }),
		)
	}
	poll := func(ctx context.Context, c *kgo.Client) {
		for ctx.Err() == nil {
			fs := c.PollRecords(ctx, 50)
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) { seen[string(r.Key)] = true })
			mu.Unlock()
			c.CommitUncommittedOffsets(ctx)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	members := []*kgo.Client{member("a"), member("b"), member("c")}
	for _, m := range members {
		wg.Add(1)
		go func() { defer wg.Done(); poll(ctx, m) }()
	}
	// The group settles with all three; then one leaves and the others
	// take its partitions.
	waitFor(t, 30*time.Second, "three members assigned", func() bool {
		groups, err := kadm.NewClient(h.client("ports")).DescribeGroups(ctx, "g")
		if err != nil {
			return false
		}
		g := groups["g"]
		return g.State == "Stable" && len(g.Members) == 3
	})
	members[2].LeaveGroup()
	waitFor(t, 30*time.Second, "two members after the third left", func() bool {
		groups, err := kadm.NewClient(h.client("ports")).DescribeGroups(ctx, "g")
		return err == nil && groups["g"].State == "Stable" && len(groups["g"].Members) == 2
	})
	waitFor(t, 30*time.Second, "every record consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == n
	})
	cancel()
	wg.Wait()
}

func TestIdempotentAndTransactionalProducers(t *testing.T) {
	h := newHarness(t)
	// Idempotent (franz-go's default).
	produceN(t, h.client("ports", kgo.DefaultProduceTopic("idem")), "idem", 100)
	// Transactional: one committed, one aborted transaction.
	p := h.client("ports", kgo.TransactionalID("txn-1"), kgo.DefaultProduceTopic("txn"))
	ctx := ctxT(t, 30*time.Second)
	for _, commit := range []bool{true, false} {
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			p.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprintf("%v-%d", commit, i))}, nil)
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatalf("end transaction (commit=%v): %v", commit, err)
		}
	}
	got := consumeAll(t, h.client("ports", kgo.ConsumeTopics("txn"), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 10)
	for k := range got {
		if !strings.HasPrefix(k, "true-") {
			t.Errorf("read-committed consumer got %q from the aborted transaction", k)
		}
	}
	// A transactional consume-transform-produce session through the gateway.
	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(h.bootstrap("ports")...), kgo.TransactionalID("txn-2"),
		kgo.ConsumerGroup("eos"), kgo.ConsumeTopics("idem"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DefaultProduceTopic("eos-out"))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	moved := 0
	for moved < 100 {
		fs := sess.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("moved %d of 100 before the deadline", moved)
		}
		if err := sess.Begin(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			sess.Produce(ctx, &kgo.Record{Key: r.Key, Value: r.Value}, nil)
			moved++
		})
		if committed, err := sess.End(ctx, kgo.TryCommit); err != nil || !committed {
			t.Fatalf("end: committed=%v err=%v", committed, err)
		}
	}
}

func TestAdminCalls(t *testing.T) {
	h := newHarness(t)
	adm := kadm.NewClient(h.client("ips"))
	ctx := ctxT(t, 30*time.Second)
	if _, err := adm.CreateTopic(ctx, 4, 1, map[string]*string{"retention.ms": kmsg.StringPtr("3600000")}, "admin-topic"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, "admin-topic")
	if err != nil {
		t.Fatalf("describe configs: %v", err)
	}
	rc, err := cfgs.On("admin-topic", nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" && c.MaybeValue() == "3600000" {
			found = true
		}
	}
	if !found {
		t.Errorf("retention.ms=3600000 not among the described configs")
	}
	produceN(t, h.client("ips", kgo.DefaultProduceTopic("admin-topic")), "admin-topic", 40)
	ends, err := adm.ListEndOffsets(ctx, "admin-topic")
	if err != nil {
		t.Fatalf("list offsets: %v", err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 40 {
		t.Errorf("got end offsets summing to %d; want 40", total)
	}
	if _, err := adm.DeleteTopic(ctx, "admin-topic"); err != nil {
		t.Fatalf("delete topic: %v", err)
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("admin-topic") {
		t.Errorf("admin-topic still listed after delete")
	}
	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range brokers {
		if !strings.HasPrefix(b.Host, "127.") || h.upstreamPorts()[b.Port] {
			t.Errorf("kadm lists broker %d at %s:%d, an upstream address", b.NodeID, b.Host, b.Port)
		}
	}
}

// A broker added to the upstream becomes reachable without a restart, and a
// removed one drains, while a consumer reads everything a producer writes.
func TestBrokerAddedAndRemovedWhileConsuming(t *testing.T) {
	h := newHarness(t)
	const topic = "moving"
	prod := h.client("ports", kgo.DefaultProduceTopic(topic))
	cons := h.client("ports", kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(100*time.Millisecond), kgo.MetadataMaxAge(500*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	seen := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cons.PollFetches(ctx)
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) { seen[string(r.Key)] = true })
			mu.Unlock()
		}
	}()
	produced := 0
	batch := func() {
		for i := 0; i < 100; i++ {
			if err := prod.ProduceSync(ctxT(t, 30*time.Second), &kgo.Record{Key: []byte(strconv.Itoa(produced))}).FirstErr(); err != nil {
				t.Fatalf("produce %d: %v", produced, err)
			}
			produced++
		}
	}
	batch()
	id, _, err := h.kf.AddNode(-1, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the new broker's listener", func() bool { _, ok := h.status("ports").Brokers[id]; return ok })
	addr := h.status("ports").Brokers[id]
	if got := dialRaw(t, addr).roundTrip(kmsg.NewPtrMetadataRequest()).(*kmsg.MetadataResponse); len(got.Brokers) != 4 {
		t.Errorf("metadata through the new broker lists %d brokers; want 4", len(got.Brokers))
	}
	// Move a partition onto the new broker so clients must use it.
	if err := h.kf.MoveTopicPartition(topic, 0, id); err != nil {
		t.Fatal(err)
	}
	batch()
	if err := h.kf.RemoveNode(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the removed broker's listener to drain", func() bool {
		_, ok := h.status("ports").Brokers[id]
		return !ok
	})
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("the removed broker's address %s still accepts connections", addr)
	}
	batch()
	waitFor(t, 30*time.Second, "every produced record consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == produced
	})
	cancel()
	<-done
}

// Upstream faults reach the client as a broker would give them, and the
// client recovers through the gateway.
func TestClientsRecoverFromUpstreamFaults(t *testing.T) {
	h := newHarness(t)
	cl := h.client("ports", kgo.DefaultProduceTopic("faulty"), kgo.RecordRetries(20))
	produceN(t, cl, "faulty", 1)
	fh := h.kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: 5})
	defer fh.Remove()
	produceN(t, cl, "faulty", 20)
	if got := fh.Hits(); got != 5 {
		t.Errorf("fault hit %d times; want 5", got)
	}
	fh2 := h.kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Err: kerr.UnknownServerError, Count: 3})
	defer fh2.Remove()
	// Keys 0..19 (the first record's key 0 repeats).
	got := consumeAll(t, h.client("ports", kgo.ConsumeTopics("faulty"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 20)
	if len(got) != 20 {
		t.Errorf("got %d distinct keys; want 20", len(got))
	}
}

func TestExhaustedRangeIsReported(t *testing.T) {
	h := newHarness(t, withCapacity(2))
	st := h.status("ports")
	if len(st.Brokers) != 2 {
		t.Errorf("got %d brokers with addresses; want 2", len(st.Brokers))
	}
	if len(st.Errors) != 1 || !strings.Contains(st.Errors[0], "range exhausted") {
		t.Errorf("got errors %q; want one 'range exhausted'", st.Errors)
	}
	if !strings.Contains(h.logs.String(), "broker address range exhausted") {
		t.Errorf("the log does not say the range is exhausted")
	}
	// Clients still work with the brokers that have addresses, and never
	// see the one that has none.
	resp := dialRaw(t, st.Bootstrap[0]).roundTrip(kmsg.NewPtrMetadataRequest()).(*kmsg.MetadataResponse)
	if len(resp.Brokers) != 2 {
		t.Errorf("metadata lists %d brokers; want the 2 with addresses", len(resp.Brokers))
	}
	for _, b := range resp.Brokers {
		if h.upstreamPorts()[b.Port] {
			t.Errorf("broker %d leaked at %s:%d", b.NodeID, b.Host, b.Port)
		}
	}
}

func TestKcat(t *testing.T) {
	kcat := prereq.Tool(t, "kcat")
	h := newHarness(t)
	for _, set := range []string{"ports", "ips"} {
		t.Run(set, func(t *testing.T) {
			boot := strings.Join(h.bootstrap(set), ",")
			topic := "kcat-" + set
			in := "one\ntwo\nthree\n"
			run(t, in, kcat, "-b", boot, "-t", topic, "-P")
			got := run(t, "", kcat, "-b", boot, "-t", topic, "-C", "-e", "-q", "-f", "%s\n")
			lines := strings.Fields(got)
			slices.Sort(lines)
			if want := []string{"one", "three", "two"}; !slices.Equal(lines, want) {
				t.Errorf("consumed %q; want %q", lines, want)
			}
			list := run(t, "", kcat, "-b", boot, "-L")
			for id, addr := range h.status(set).Brokers {
				if !strings.Contains(list, fmt.Sprintf("broker %d at %s", id, addr)) {
					t.Errorf("kcat -L does not list broker %d at %s:\n%s", id, addr, list)
				}
			}
			for _, a := range h.kf.ListenAddrs() {
				_, port, _ := net.SplitHostPort(a)
				if strings.Contains(list, ":"+port) {
					t.Errorf("kcat -L shows upstream port %s:\n%s", port, list)
				}
			}
		})
	}
}

func run(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// KIP-951: a Produce v10+ answer from a broker that no longer leads a
// partition names the new leader's endpoint, and the gateway points it at
// the gateway.
func TestProduceNotLeaderEndpointsRewritten(t *testing.T) {
	h := newHarness(t)
	produceN(t, h.client("ports", kgo.DefaultProduceTopic("led")), "led", 1)
	leader := h.kf.LeaderFor("led", 0)
	brokers := h.status("ports").Brokers
	var other int32 = -1
	for id := range brokers {
		if id != leader {
			other = id
		}
	}
	rc := dialRaw(t, brokers[other])
	for v := int16(10); v <= 12; v++ {
		req := kmsg.NewPtrProduceRequest()
		req.SetVersion(v)
		req.Acks = 1
		req.TimeoutMillis = 5000
		req.Topics = []kmsg.ProduceRequestTopic{{Topic: "led", Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0}}}}
		resp := rc.roundTrip(req).(*kmsg.ProduceResponse)
		p := resp.Topics[0].Partitions[0]
		if p.ErrorCode != kerr.NotLeaderForPartition.Code || p.CurrentLeader.LeaderID != leader {
			t.Fatalf("v%d: got error %d leader %d; want NOT_LEADER_FOR_PARTITION and leader %d", v, p.ErrorCode, p.CurrentLeader.LeaderID, leader)
		}
		if len(resp.Brokers) != 3 {
			t.Fatalf("v%d: got %d node endpoints; want 3", v, len(resp.Brokers))
		}
		for _, b := range resp.Brokers {
			if got := fmt.Sprintf("%s:%d", b.Host, b.Port); got != brokers[b.NodeID] {
				t.Errorf("v%d: node endpoint %d at %s; want %s", v, b.NodeID, got, brokers[b.NodeID])
			}
		}
	}
}
