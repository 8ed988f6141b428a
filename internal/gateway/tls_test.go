package gateway_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

// A TLS port-per-broker set and an SNI set: one address and port, the
// broker chosen by the TLS server name.
func TestTLSAndSNIListenerSets(t *testing.T) {
	var sniAddr string
	h := newHarness(t, withSets(func(h *harness) []gateway.ListenerSetConfig {
		first := freePortRange(t, 10)
		sniAddr = fmt.Sprintf("127.0.0.1:%d", freePortRange(t, 1))
		return []gateway.ListenerSetConfig{
			{Name: "tls", Strategy: brokermap.Ports{BindHost: "127.0.0.1", FirstPort: first, LastPort: first + 9}, TLS: h.serverTLS("127.0.0.1")},
			{Name: "sni", Strategy: brokermap.SNI{Listen: sniAddr, BrokerName: "b-{n}.sni.test", BootstrapName: "boot.sni.test"},
				TLS: h.serverTLS("*.sni.test")},
		}
	}))
	t.Run("tls", func(t *testing.T) {
		if st := h.status("tls"); !st.TLS || len(st.Brokers) != 3 {
			t.Fatalf("got status %+v; want TLS with 3 brokers", st)
		}
		cl := h.client("tls", kgo.DialTLSConfig(h.clientTLS("")), kgo.DefaultProduceTopic("over-tls"))
		produceN(t, cl, "over-tls", 50)
		got := consumeAll(t, h.client("tls", kgo.DialTLSConfig(h.clientTLS("")), kgo.ConsumeTopics("over-tls"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 50)
		if len(got) != 50 {
			t.Errorf("got %d records; want 50", len(got))
		}
		// A plaintext client on a TLS listener gets nowhere.
		rc := dialRaw(t, h.bootstrap("tls")[0])
		rc.send(kmsg.NewPtrApiVersionsRequest())
		if _, err := rc.tryRecv(kmsg.NewPtrApiVersionsRequest(), 1); err == nil {
			t.Errorf("a plaintext request on a TLS listener was answered")
		}
	})
	t.Run("sni", func(t *testing.T) {
		st := h.status("sni")
		if got, want := strings.Join(st.Bootstrap, ","), strings.Replace(sniAddr, "127.0.0.1", "boot.sni.test", 1); got != want {
			t.Errorf("bootstrap: got %s; want %s", got, want)
		}
		for id, addr := range st.Brokers {
			if want := fmt.Sprintf("b-%d.sni.test:%s", id+1, sniAddr[strings.LastIndex(sniAddr, ":")+1:]); addr != want {
				t.Errorf("broker %d at %s; want %s", id, addr, want)
			}
		}
		// Every name resolves to the one listener, as DNS would make it.
		dial := func(ctx context.Context, network, host string) (net.Conn, error) {
			name, _, _ := net.SplitHostPort(host)
			c, err := (&net.Dialer{}).DialContext(ctx, network, sniAddr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(c, h.clientTLS(name))
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			return tc, nil
		}
		opts := []kgo.Opt{kgo.Dialer(dial), kgo.DefaultProduceTopic("over-sni")}
		produceN(t, h.client("sni", opts...), "over-sni", 50)
		got := consumeAll(t, h.client("sni", kgo.Dialer(dial), kgo.ConsumeTopics("over-sni"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 50)
		if len(got) != 50 {
			t.Errorf("got %d records; want 50", len(got))
		}
		// Each broker name reaches that broker. The probe names a topic of
		// its own so that the clients' background metadata refreshes are
		// not counted.
		const probe = "sni-probe"
		served := make(chan int32, 1)
		h.kf.ControlKey(int16(kmsg.Metadata), func(r kmsg.Request) (kmsg.Response, error, bool) {
			req := r.(*kmsg.MetadataRequest)
			if len(req.Topics) == 1 && req.Topics[0].Topic != nil && *req.Topics[0].Topic == probe {
				served <- h.kf.CurrentNode()
			}
			return nil, nil, false
		})
		for id, addr := range st.Brokers {
			c, err := dial(context.Background(), "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			rc := &rawConn{t: t, conn: c, f: kmsg.NewRequestFormatter()}
			t.Cleanup(func() { c.Close() })
			req := kmsg.NewPtrMetadataRequest()
			topic := kmsg.NewMetadataRequestTopic()
			topic.Topic = kmsg.StringPtr(probe)
			req.Topics = append(req.Topics, topic)
			rc.roundTrip(req)
			if got := <-served; got != id {
				t.Errorf("%s: served by broker %d; want %d", addr, got, id)
			}
		}
		// An unknown server name is refused.
		c, err := net.DialTimeout("tcp", sniAddr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		tc := tls.Client(c, h.clientTLS("b-77.sni.test"))
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err == nil {
			rc := &rawConn{t: t, conn: tc, f: kmsg.NewRequestFormatter()}
			rc.send(kmsg.NewPtrApiVersionsRequest())
			if _, err := rc.tryRecv(kmsg.NewPtrApiVersionsRequest(), 1); err == nil {
				t.Errorf("a connection for an unknown broker name was served")
			}
		}
	})
}

// The gateway reaches an upstream that needs TLS and SCRAM with its own
// credentials; clients of the gateway need neither.
func TestUpstreamTLSAndSASL(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			h := newHarness(t, withBrokers(1), withUpstream(
				func(h *harness) []kfake.Opt {
					return []kfake.Opt{kfake.EnableSASL(), kfake.Superuser(mech, "kafkalink", "s3cret-"+mech), kfake.TLS(h.serverTLS("127.0.0.1"))}
				},
				func(h *harness, c *upstream.Config) {
					c.TLS = &upstream.TLSConfig{CAFile: h.caFile()}
					c.SASL = &upstream.SASLConfig{Mechanism: mech, Username: "kafkalink", Password: "s3cret-" + mech}
				}))
			produceN(t, h.client("ports", kgo.DefaultProduceTopic("secured")), "secured", 20)
			got := consumeAll(t, h.client("ports", kgo.ConsumeTopics("secured"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 20)
			if len(got) != 20 {
				t.Errorf("got %d records; want 20", len(got))
			}
			if strings.Contains(h.logs.String(), "s3cret") {
				t.Errorf("the upstream password was logged")
			}
		})
	}
}
