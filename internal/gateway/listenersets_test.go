package gateway_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/gateway"
)

// portsSet is a plain port-per-broker listener set on a range of its own.
func portsSet(t *testing.T, name string) gateway.ListenerSetConfig {
	t.Helper()
	first := freePortRange(t, 10)
	return gateway.ListenerSetConfig{Name: name, Strategy: brokermap.Ports{BindHost: "127.0.0.1", FirstPort: first, LastPort: first + 9}}
}

// secureSet is a TLS port-per-broker listener set whose clients
// authenticate with SASL/PLAIN and whose requests az decides.
func (h *harness) secureSet(name string, auth gateway.Authenticator, az gateway.Authorizer) gateway.ListenerSetConfig {
	h.t.Helper()
	ls := portsSet(h.t, name)
	ls.TLS, ls.Auth, ls.Authorizer = h.serverTLS("127.0.0.1"), auth, az
	return ls
}

// secureOpts are a franz-go client's options for secureSet.
func (h *harness) secureOpts(user string) []kgo.Opt {
	return []kgo.Opt{kgo.DialTLSConfig(h.clientTLS("")), kgo.SASL(plain.Auth{User: user, Pass: "pw"}.AsMechanism())}
}

func (h *harness) addSet(cfg gateway.ListenerSetConfig) {
	h.t.Helper()
	if err := h.gw.AddListenerSet(ctxT(h.t, 10*time.Second), "test", cfg); err != nil {
		h.t.Fatalf("AddListenerSet %s: %v", cfg.Name, err)
	}
}

// hasSet reports whether Status lists the listener set.
func (h *harness) hasSet(name string) bool {
	for _, c := range h.gw.Status() {
		for _, s := range c.ListenerSets {
			if s.Name == name {
				return true
			}
		}
	}
	return false
}

// lsAuthenticator is SASL/PLAIN that takes any password; it records the
// ConnInfo of every exchange.
type lsAuthenticator struct {
	mu    sync.Mutex
	infos []gateway.ConnInfo
}

func (*lsAuthenticator) Name() string         { return "SASL_PLAIN" }
func (*lsAuthenticator) Mechanisms() []string { return []string{"PLAIN"} }
func (a *lsAuthenticator) NewSASL(_ string, c gateway.ConnInfo) gateway.SASLExchange {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.infos = append(a.infos, c)
	return lsPlain{}
}
func (*lsAuthenticator) Certificate(gateway.ConnInfo, tls.ConnectionState) (*gateway.Identity, error) {
	return nil, errors.New("no client certificates here")
}

func (a *lsAuthenticator) seen() []gateway.ConnInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]gateway.ConnInfo(nil), a.infos...)
}

type lsPlain struct{}

func (lsPlain) Step(_ context.Context, msg []byte) ([]byte, bool, *gateway.Identity, error) {
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return nil, false, nil, &gateway.AuthError{Message: "malformed PLAIN message", Reason: "malformed PLAIN message"}
	}
	return nil, true, &gateway.Identity{Principal: "User:" + string(parts[1]), Mechanism: "PLAIN"}, nil
}

// lsAuthorizer allows everything; it records the ConnInfo of every
// session.
type lsAuthorizer struct {
	mu    sync.Mutex
	infos []gateway.ConnInfo
}

func (z *lsAuthorizer) Session(_ *gateway.Identity, c gateway.ConnInfo) gateway.SessionAuthorizer {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.infos = append(z.infos, c)
	return lsAllowAll{}
}

func (z *lsAuthorizer) seen() []gateway.ConnInfo {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]gateway.ConnInfo(nil), z.infos...)
}

type lsAllowAll struct{}

func (lsAllowAll) Allowed(kmsg.Key, gateway.Access) bool { return true }
func (lsAllowAll) Permitted(gateway.Access) bool         { return true }
func (lsAllowAll) Close()                                {}

// changes counts the gateway's OnChange calls.
type changes struct{ ch chan struct{} }

func newChanges() *changes { return &changes{ch: make(chan struct{}, 64)} }

func (c *changes) hook() {
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

// wait waits for one OnChange call.
func (c *changes) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-c.ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("OnChange was not called after %s", what)
	}
}

// drain forgets the calls so far.
func (c *changes) drain() {
	for {
		select {
		case <-c.ch:
		default:
			return
		}
	}
}

// portOf is the port of host:port.
func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A listener set added to a running cluster serves at once, with the
// brokers' slots, and follows discovery from then on.
func TestAddListenerSetToRunningCluster(t *testing.T) {
	ch := newChanges()
	h := newHarness(t, withOnChange(ch.hook))
	ch.wait(t, "AddCluster")
	ch.drain()
	late := portsSet(t, "late")
	h.addSet(late)
	ch.wait(t, "AddListenerSet")

	st := h.status("late")
	if len(st.Brokers) != 3 || len(st.Bootstrap) == 0 || len(st.Errors) > 0 {
		t.Fatalf("got status %+v; want 3 brokers, a bootstrap list and no errors", st)
	}
	ports := h.status("ports")
	for id, addr := range st.Brokers {
		got := portOf(t, addr) - late.Strategy.(brokermap.Ports).FirstPort
		want := portOf(t, ports.Brokers[id]) - h.ports.FirstPort
		if got != want {
			t.Errorf("broker %d has slot %d in the added set; want %d, as in the others", id, got, want)
		}
	}
	if got, want := gateway.LiveConns(h.gw, "test", "late"), 0; got != want {
		t.Errorf("got %d live connections; want %d", got, want)
	}

	const topic = "late-topic"
	produceN(t, h.client("late", kgo.DefaultProduceTopic(topic)), topic, 50)
	for _, set := range []string{"late", "ports"} {
		got := consumeAll(t, h.client(set, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 50)
		if len(got) != 50 {
			t.Errorf("%s: got %d records; want 50", set, len(got))
		}
	}

	// A broker that joins later gets an address in the added set too.
	id, _, err := h.kf.AddNode(-1, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the new broker's listener in the added set", func() bool {
		_, ok := h.status("late").Brokers[id]
		return ok
	})
	if got := dialRaw(t, h.status("late").Brokers[id]).roundTrip(kmsg.NewPtrMetadataRequest()).(*kmsg.MetadataResponse); len(got.Brokers) != 4 {
		t.Errorf("metadata through the new broker lists %d brokers; want 4", len(got.Brokers))
	}
	ch.drain()
	if err := h.gw.RemoveListenerSet("test", "late"); err != nil {
		t.Fatalf("RemoveListenerSet: %v", err)
	}
	ch.wait(t, "RemoveListenerSet")
	if h.hasSet("late") {
		t.Errorf("Status lists the removed set")
	}
}

// Removing a listener set ends its clients' sessions at once, whether the
// set was declared with the cluster or added later, and its addresses
// refuse new connections.
func TestRemoveListenerSetClosesItsConnections(t *testing.T) {
	cases := []struct {
		name     string
		declared bool // declared with the cluster, not added later
		secure   bool // TLS and SASL
	}{
		{name: "declared", declared: true},
		{name: "added"},
		{name: "added with TLS and SASL", secure: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg gateway.ListenerSetConfig
			h := newHarness(t, withBrokers(1), withSets(func(h *harness) []gateway.ListenerSetConfig {
				cfg = portsSet(t, "doomed")
				if tc.secure {
					cfg = h.secureSet("doomed", &lsAuthenticator{}, &lsAuthorizer{})
				}
				if tc.declared {
					return []gateway.ListenerSetConfig{cfg}
				}
				return nil
			}))
			if !tc.declared {
				h.addSet(cfg)
			}
			st := h.status("doomed")
			addr := st.Bootstrap[0]
			var opts []kgo.Opt
			if tc.secure {
				opts = h.secureOpts("alice")
			}
			// No KIP-714 metrics: their final push to the vanished broker
			// would hold Close for a second.
			cl := h.client("doomed", append(opts, kgo.DefaultProduceTopic("doomed-topic"), kgo.DisableClientMetrics())...)
			produceN(t, cl, "doomed-topic", 10)
			if _, err := cl.Broker(0).Request(ctxT(t, 10*time.Second), kmsg.NewPtrMetadataRequest()); err != nil {
				t.Fatalf("metadata before the removal: %v", err)
			}
			// A raw connection: a live plaintext session, or one waiting
			// in its TLS handshake.
			raw := dialRaw(t, addr)
			if !tc.secure {
				raw.roundTrip(kmsg.NewPtrApiVersionsRequest())
			}
			waitFor(t, 5*time.Second, "the connections to be tracked", func() bool { return gateway.LiveConns(h.gw, "test", "doomed") >= 2 })

			start := time.Now()
			if err := h.gw.RemoveListenerSet("test", "doomed"); err != nil {
				t.Fatalf("RemoveListenerSet: %v", err)
			}
			raw.conn.SetDeadline(start.Add(time.Second))
			var err error
			if tc.secure {
				_, err = raw.conn.Read(make([]byte, 1))
			} else if _, err = raw.conn.Write(raw.f.AppendRequest(nil, kmsg.NewPtrMetadataRequest(), 99)); err == nil {
				_, err = raw.tryRecv(kmsg.NewPtrMetadataRequest(), 99)
			}
			if err == nil || isTimeout(err) {
				t.Errorf("raw connection after the removal: got %v; want it closed within 1s", err)
			}
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Second))
			defer cancel()
			if _, err := cl.Broker(0).Request(ctx, kmsg.NewPtrMetadataRequest()); err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("franz-go request after the removal: got %v; want a connection error within 1s", err)
			}
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("the sessions ended %v after the removal; want within 1s", elapsed)
			}
			for id, a := range st.Brokers {
				if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
					c.Close()
					t.Errorf("broker %d's address %s still accepts connections", id, a)
				}
			}
			if h.hasSet("doomed") {
				t.Errorf("Status lists the removed set")
			}
			if got, want := gateway.LiveConns(h.gw, "test", "doomed"), -1; got != want {
				t.Errorf("got %d live connections of the removed set; want %d (no such set)", got, want)
			}
			// The name is free again.
			again := portsSet(t, "doomed")
			h.addSet(again)
			dialRaw(t, h.bootstrap("doomed")[0]).roundTrip(kmsg.NewPtrApiVersionsRequest())
		})
	}
}

// A session's connection is forgotten once the session ends.
func TestListenerSetForgetsEndedSessions(t *testing.T) {
	h := newHarness(t, withBrokers(1))
	addr := h.bootstrap("ports")[0]
	var raws []*rawConn
	for range 5 {
		rc := dialRaw(t, addr)
		rc.roundTrip(kmsg.NewPtrApiVersionsRequest())
		raws = append(raws, rc)
	}
	if got, want := gateway.LiveConns(h.gw, "test", "ports"), 5; got != want {
		t.Fatalf("got %d live connections; want %d", got, want)
	}
	for _, rc := range raws {
		rc.conn.Close()
	}
	waitFor(t, 5*time.Second, "the ended sessions to be forgotten", func() bool { return gateway.LiveConns(h.gw, "test", "ports") == 0 })

	// A franz-go client, and connections that never became sessions.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("forgotten"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	produceN(t, cl, "forgotten", 5)
	cl.Close()
	bad := dialRaw(t, addr)
	if _, err := bad.conn.Write([]byte{0, 0, 0, 1, 0xff}); err != nil {
		t.Fatal(err)
	}
	if !bad.closed() {
		t.Errorf("a malformed frame did not close the connection")
	}
	waitFor(t, 5*time.Second, "the ended sessions to be forgotten", func() bool { return gateway.LiveConns(h.gw, "test", "ports") == 0 })
}

// Admit decides every accepted connection before anything else happens on
// it: a refused one is closed at once, and nothing of it reaches the
// upstream.
func TestAdmitRefusesConnections(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", secure), func(t *testing.T) {
			h := newHarness(t, withBrokers(1))
			var mu sync.Mutex
			var locals []string
			cfg := portsSet(t, "guarded")
			if secure {
				cfg.TLS = h.serverTLS("127.0.0.1")
			}
			cfg.Admit = func(remote, local net.Addr) error {
				mu.Lock()
				locals = append(locals, local.String())
				mu.Unlock()
				if ip := remote.(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
					return fmt.Errorf("no inbound rule admits %s", ip)
				}
				return nil
			}
			h.addSet(cfg)
			addr := h.bootstrap("guarded")[0]

			var seenMu sync.Mutex
			seen := map[string]bool{}
			h.kf.ControlKey(int16(kmsg.Metadata), func(r kmsg.Request) (kmsg.Response, error, bool) {
				for _, tp := range r.(*kmsg.MetadataRequest).Topics {
					if tp.Topic != nil && strings.HasPrefix(*tp.Topic, "admit-") {
						seenMu.Lock()
						seen[*tp.Topic] = true
						seenMu.Unlock()
					}
				}
				return nil, nil, false
			})
			probe := func(topic string) *kmsg.MetadataRequest {
				req := kmsg.NewPtrMetadataRequest()
				tp := kmsg.NewMetadataRequestTopic()
				tp.Topic = kmsg.StringPtr(topic)
				req.Topics = append(req.Topics, tp)
				return req
			}
			dial := func(from string) net.Conn {
				t.Helper()
				d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
				c, err := d.Dial("tcp", addr)
				if err != nil {
					t.Fatalf("dial %s from %s: %v", addr, from, err)
				}
				t.Cleanup(func() { c.Close() })
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if secure {
					tc := tls.Client(c, h.clientTLS("127.0.0.1"))
					tc.SetDeadline(time.Now().Add(5 * time.Second))
					if err := tc.Handshake(); err != nil {
						if from == "127.0.0.1" {
							t.Fatalf("TLS handshake: %v", err)
						}
						return c
					}
					return tc
				}
				return c
			}
			f := kmsg.NewRequestFormatter()

			refused := &rawConn{t: t, conn: dial("127.0.0.2"), f: f}
			refused.conn.Write(f.AppendRequest(nil, probe("admit-refused"), 1))
			if !refused.closed() {
				t.Errorf("a refused connection is still open")
			}
			admitted := &rawConn{t: t, conn: dial("127.0.0.1"), f: f}
			admitted.roundTrip(probe("admit-admitted"))

			seenMu.Lock()
			if !seen["admit-admitted"] || seen["admit-refused"] {
				t.Errorf("the upstream saw %v; want admit-admitted only", seen)
			}
			seenMu.Unlock()
			mu.Lock()
			if len(locals) != 2 || locals[0] != addr || locals[1] != addr {
				t.Errorf("Admit was asked about local addresses %v; want %s twice", locals, addr)
			}
			mu.Unlock()
			logs := h.logs.String()
			if !strings.Contains(logs, `level=INFO msg="connection refused by the listener set's admission rule"`) ||
				!strings.Contains(logs, `reason="no inbound rule admits 127.0.0.2"`) {
				t.Errorf("the log does not say, at INFO, that the connection was refused and why")
			}
		})
	}
}

// The listener set's Context reaches the Authenticator and the Authorizer
// in every connection's ConnInfo.
func TestListenerSetContextInConnInfo(t *testing.T) {
	h := newHarness(t, withBrokers(1))
	auth, az := &lsAuthenticator{}, &lsAuthorizer{}
	want := map[string]string{
		"aws:SourceVpc":           "vpc-0123456789abcdef0",
		"aws:SourceVpce":          "vpce-0123456789abcdef0",
		"kafkalink:VpcConnection": "arn:aws:kafka:eu-west-1:123456789012:vpc-connection/123456789012/test/abc",
	}
	cfg := h.secureSet("vpc", auth, az)
	cfg.Context = maps.Clone(want)
	h.addSet(cfg)
	cfg.Context["aws:SourceVpc"] = "vpc-changed-after-add" // the gateway keeps its own copy

	const topic = "vpc-topic"
	produceN(t, h.client("vpc", append(h.secureOpts("alice"), kgo.DefaultProduceTopic(topic))...), topic, 10)
	got := consumeAll(t, h.client("vpc", append(h.secureOpts("bob"), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...), 10)
	if len(got) != 10 {
		t.Errorf("got %d records; want 10", len(got))
	}
	for _, c := range []struct {
		who   string
		infos []gateway.ConnInfo
	}{
		{"Authenticator", auth.seen()},
		{"Authorizer", az.seen()},
	} {
		if len(c.infos) == 0 {
			t.Errorf("%s: saw no connection", c.who)
		}
		for _, info := range c.infos {
			if info.Cluster != "test" || info.Listener != "vpc" || !maps.Equal(info.Context, want) {
				t.Errorf("%s: got ConnInfo of %s/%s with Context %v; want test/vpc with %v", c.who, info.Cluster, info.Listener, info.Context, want)
			}
		}
	}
	// Sets without a Context give none.
	plainAuth := &lsAuthenticator{}
	h.addSet(h.secureSet("novpc", plainAuth, nil))
	produceN(t, h.client("novpc", append(h.secureOpts("carol"), kgo.DefaultProduceTopic(topic))...), topic, 1)
	for _, info := range plainAuth.seen() {
		if info.Context != nil {
			t.Errorf("got Context %v on a set without one; want nil", info.Context)
		}
	}
}

func TestListenerSetErrors(t *testing.T) {
	h := newHarness(t, withBrokers(1))
	h.addSet(portsSet(t, "extra"))
	taken := portsSet(t, "taken")
	first := taken.Strategy.(brokermap.Ports).FirstPort
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"add to an unknown cluster", func() error {
			return h.gw.AddListenerSet(context.Background(), "nope", portsSet(t, "x"))
		}, `no cluster named "nope"`},
		{"add a declared name", func() error {
			return h.gw.AddListenerSet(context.Background(), "test", portsSet(t, "ports"))
		}, `already has a listener set named "ports"`},
		{"add an added name", func() error {
			return h.gw.AddListenerSet(context.Background(), "test", portsSet(t, "extra"))
		}, `already has a listener set named "extra"`},
		{"add authentication without TLS", func() error {
			cfg := portsSet(t, "x")
			cfg.Auth = &lsAuthenticator{}
			return h.gw.AddListenerSet(context.Background(), "test", cfg)
		}, "needs TLS"},
		{"add sni without TLS", func() error {
			return h.gw.AddListenerSet(context.Background(), "test", gateway.ListenerSetConfig{Name: "x",
				Strategy: brokermap.SNI{Listen: "127.0.0.1:0", BrokerName: "b-{n}.test", BootstrapName: "boot.test"}})
		}, "needs TLS"},
		{"add on a port in use", func() error {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", first))
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			return h.gw.AddListenerSet(context.Background(), "test", taken)
		}, "address already in use"},
		{"remove from an unknown cluster", func() error { return h.gw.RemoveListenerSet("nope", "ports") }, `no cluster named "nope"`},
		{"remove an unknown set", func() error { return h.gw.RemoveListenerSet("test", "nope") }, `no listener set named "nope"`},
		{"remove twice", func() error {
			if err := h.gw.RemoveListenerSet("test", "extra"); err != nil {
				t.Fatalf("first RemoveListenerSet: %v", err)
			}
			return h.gw.RemoveListenerSet("test", "extra")
		}, `no listener set named "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want one saying %q", err, tc.want)
			}
		})
	}
	// A failed addition leaves nothing behind: the name is free and the
	// set can be added once its port is.
	if h.hasSet("taken") || h.hasSet("x") {
		t.Errorf("Status lists a set whose addition failed")
	}
	h.addSet(taken)
	dialRaw(t, h.bootstrap("taken")[0]).roundTrip(kmsg.NewPtrApiVersionsRequest())
}

// AddCluster refuses two listener sets of one name.
func TestAddClusterDuplicateListenerSets(t *testing.T) {
	g := gateway.New(gateway.Options{})
	t.Cleanup(g.Close)
	sets := []gateway.ListenerSetConfig{portsSet(t, "twin"), portsSet(t, "twin")}
	err := g.AddCluster(context.Background(), gateway.ClusterConfig{Name: "c", Dialer: lsNoDialer{}, Discoverer: gateway.KgoDiscoverer{}, ListenerSets: sets})
	if want := `two listener sets named "twin"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got error %v; want one saying %q", err, want)
	}
}

type lsNoDialer struct{}

func (lsNoDialer) Dial(context.Context, string) (net.Conn, error) {
	return nil, errors.New("no upstream")
}

// Removing a cluster closes its listeners and live sessions at once, and
// its name can be used again.
func TestRemoveCluster(t *testing.T) {
	h := newHarness(t, withBrokers(1), withSets(func(h *harness) []gateway.ListenerSetConfig {
		return []gateway.ListenerSetConfig{portsSet(t, "gone")}
	}))
	st := h.status("gone")
	raw := dialRaw(t, st.Bootstrap[0])
	raw.roundTrip(kmsg.NewPtrApiVersionsRequest())
	start := time.Now()
	if err := h.gw.RemoveCluster("test"); err != nil {
		t.Fatalf("RemoveCluster: %v", err)
	}
	raw.conn.SetDeadline(start.Add(time.Second))
	_, err := raw.conn.Write(raw.f.AppendRequest(nil, kmsg.NewPtrMetadataRequest(), 99))
	if err == nil {
		_, err = raw.tryRecv(kmsg.NewPtrMetadataRequest(), 99)
	}
	if err == nil || isTimeout(err) {
		t.Errorf("a live session after the removal: got %v; want it closed within 1s", err)
	}
	if c, err := net.DialTimeout("tcp", st.Bootstrap[0], time.Second); err == nil {
		c.Close()
		t.Errorf("the removed cluster's listener %s still accepts connections", st.Bootstrap[0])
	}
	if got := len(h.gw.Status()); got != 0 {
		t.Errorf("got %d clusters in Status; want 0", got)
	}
	if err := h.gw.RemoveCluster("test"); err == nil {
		t.Errorf("removing it twice: got no error; want one")
	}
}
