package gateway_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/freeport"
	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/pki"
	"github.com/kafkalink/kafkalink/internal/store"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

// harness is an embedded upstream cluster with a gateway in front of it.
type harness struct {
	t     *testing.T
	kf    *kfake.Cluster
	gw    *gateway.Gateway
	st    store.Store
	logs  *syncBuffer
	ports brokermap.Ports
	ips   brokermap.IPs
	ca    *pki.CA
	sets  []gateway.ListenerSetConfig
}

type harnessOpt func(*harnessConfig)

type harnessConfig struct {
	brokers   int
	capacity  int
	maxFrame  int32
	interval  time.Duration
	extraSets func(h *harness) []gateway.ListenerSetConfig
	kfakeOpts func(h *harness) []kfake.Opt
	upstream  func(h *harness, cfg *upstream.Config)
	onChange  func()
}

func withBrokers(n int) harnessOpt    { return func(c *harnessConfig) { c.brokers = n } }
func withCapacity(n int) harnessOpt   { return func(c *harnessConfig) { c.capacity = n } }
func withMaxFrame(n int32) harnessOpt { return func(c *harnessConfig) { c.maxFrame = n } }
func withSets(f func(h *harness) []gateway.ListenerSetConfig) harnessOpt {
	return func(c *harnessConfig) { c.extraSets = f }
}

// withOnChange sets the gateway's OnChange hook.
func withOnChange(f func()) harnessOpt { return func(c *harnessConfig) { c.onChange = f } }

func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	cfg := harnessConfig{brokers: 3, capacity: 10, interval: 100 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	ca, err := pki.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, logs: &syncBuffer{}, ca: ca}
	kopts := []kfake.Opt{kfake.NumBrokers(cfg.brokers), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3)}
	if cfg.kfakeOpts != nil {
		kopts = append(kopts, cfg.kfakeOpts(h)...)
	}
	if h.kf, err = kfake.NewCluster(kopts...); err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(h.kf.Close)
	kf := h.kf
	if h.st, err = store.OpenBolt(filepath.Join(t.TempDir(), "state.db")); err != nil {
		t.Fatalf("store: %v", err)
	}
	st := h.st
	t.Cleanup(func() { st.Close() })
	first := freePortRange(t, cfg.capacity)
	h.ports = brokermap.Ports{BindHost: "127.0.0.1", FirstPort: first, LastPort: first + cfg.capacity - 1}
	ip, port, err := freeport.IPBlock(cfg.capacity)
	if err != nil {
		t.Fatal(err)
	}
	h.ips = brokermap.IPs{FirstIP: ip, Count: cfg.capacity, Port: port}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(h.logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.gw = gateway.New(gateway.Options{Store: st, Logger: log, MaxFrameBytes: cfg.maxFrame, OnChange: cfg.onChange})
	t.Cleanup(h.gw.Close)
	ucfg := upstream.Config{Bootstrap: kf.ListenAddrs()}
	if cfg.upstream != nil {
		cfg.upstream(h, &ucfg)
	}
	dialer, err := upstream.NewDialer(ucfg)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kgo.NewClient(dialer.KgoOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	h.sets = []gateway.ListenerSetConfig{
		{Name: "ports", Strategy: h.ports},
		{Name: "ips", Strategy: h.ips},
	}
	if cfg.extraSets != nil {
		h.sets = append(h.sets, cfg.extraSets(h)...)
	}
	err = h.gw.AddCluster(context.Background(), gateway.ClusterConfig{
		Name: "test", Dialer: dialer, Discoverer: gateway.KgoDiscoverer{Client: kc},
		DiscoveryInterval: cfg.interval, ListenerSets: h.sets,
	})
	if err != nil {
		t.Fatalf("AddCluster: %v", err)
	}
	return h
}

// status returns the listener set's status.
func (h *harness) status(set string) gateway.Status {
	h.t.Helper()
	for _, c := range h.gw.Status() {
		for _, s := range c.ListenerSets {
			if s.Name == set {
				return s
			}
		}
	}
	h.t.Fatalf("no listener set %q", set)
	return gateway.Status{}
}

// bootstrap is the listener set's bootstrap list.
func (h *harness) bootstrap(set string) []string { return h.status(set).Bootstrap }

// client returns a franz-go client bootstrapped from a listener set.
func (h *harness) client(set string, opts ...kgo.Opt) *kgo.Client {
	h.t.Helper()
	c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(h.bootstrap(set)...), kgo.AllowAutoTopicCreation()}, opts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(c.Close)
	return c
}

// upstreamPorts are the upstream brokers' ports, which must never leak.
func (h *harness) upstreamPorts() map[int32]bool {
	out := map[int32]bool{}
	for _, a := range h.kf.ListenAddrs() {
		_, p, _ := net.SplitHostPort(a)
		n, _ := strconv.Atoi(p)
		out[int32(n)] = true
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}

// freePortRange finds n consecutive free ports on 127.0.0.1.
func freePortRange(t *testing.T, n int) int {
	t.Helper()
	first, err := freeport.Range(n)
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// rawConn is a hand-driven Kafka connection for byte-level tests.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	f    *kmsg.RequestFormatter
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, conn: c, f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw"))}
}

// send writes a request and returns its correlation id.
func (r *rawConn) send(req kmsg.Request) int32 {
	r.t.Helper()
	r.corr++
	if _, err := r.conn.Write(r.f.AppendRequest(nil, req, r.corr)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
	return r.corr
}

// recv reads the response to req, checking its correlation id.
func (r *rawConn) recv(req kmsg.Request, corr int32) kmsg.Response {
	r.t.Helper()
	resp, err := r.tryRecv(req, corr)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

func (r *rawConn) tryRecv(req kmsg.Request, corr int32) (kmsg.Response, error) {
	var size [4]byte
	if _, err := io.ReadFull(r.conn, size[:]); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r.conn, b); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if got := int32(binary.BigEndian.Uint32(b)); got != corr {
		return nil, fmt.Errorf("got correlation id %d; want %d", got, corr)
	}
	b = b[4:]
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		n, k := binary.Uvarint(b) // tagged fields: the gateway sends none in headers
		if n != 0 || k != 1 {
			return nil, fmt.Errorf("unexpected response header tags")
		}
		b = b[1:]
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(b); err != nil {
		return nil, fmt.Errorf("decode %T v%d: %w", resp, req.GetVersion(), err)
	}
	return resp, nil
}

func (r *rawConn) roundTrip(req kmsg.Request) kmsg.Response {
	r.t.Helper()
	return r.recv(req, r.send(req))
}

// closed reports whether the server closed the connection.
func (r *rawConn) closed() bool {
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	_, err := r.conn.Read(b[:])
	return err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testWriter sends logs to t.Log when -v is given.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

// tlsConfigFor is a client TLS config trusting the harness CA.
func (h *harness) clientTLS(serverName string) *tls.Config {
	return &tls.Config{RootCAs: h.ca.Pool(), ServerName: serverName, MinVersion: tls.VersionTLS12}
}

// caFile writes the harness CA to a file.
func (h *harness) caFile() string {
	h.t.Helper()
	p := filepath.Join(h.t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, h.ca.CertPEM, 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// serverTLS issues a server certificate for names.
func (h *harness) serverTLS(names ...string) *tls.Config {
	h.t.Helper()
	cert, err := h.ca.Issue(names...)
	if err != nil {
		h.t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// withUpstream configures the embedded upstream (e.g. TLS, SASL) and how
// the gateway reaches it.
func withUpstream(kf func(h *harness) []kfake.Opt, up func(h *harness, cfg *upstream.Config)) harnessOpt {
	return func(c *harnessConfig) { c.kfakeOpts, c.upstream = kf, up }
}
