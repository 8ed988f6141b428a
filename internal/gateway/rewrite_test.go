package gateway

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/store"
)

// testSet is a listener set whose brokers 1, 2 and 3 are at
// gw.example:14001..14003 and which has no room for any other broker.
func testSet(t *testing.T) (*Gateway, *listenerSet) {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g := New(Options{Store: st})
	t.Cleanup(g.Close)
	c := &cluster{gw: g, cfg: ClusterConfig{Name: "t"}, alloc: brokermap.NewAllocator(st, "t"), upstream: map[int32]string{}}
	s := newListenerSet(c, ListenerSetConfig{Name: "p", Strategy: brokermap.Ports{BindHost: "127.0.0.1", AdvertisedHost: "gw.example", FirstPort: 14001, LastPort: 14003}})
	c.sets = []*listenerSet{s}
	for i, id := range []int32{1, 2, 3} {
		s.slots[id] = i
		c.upstream[id] = "10.9.8.7:9092"
		if _, err := c.alloc.Slot(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	s.publish()
	return g, s
}

// frame encodes a response as the upstream would send it.
func frame(resp kmsg.Response, corr int32) []byte {
	flexible := resp.IsFlexible() && resp.Key() != int16(kmsg.ApiVersions)
	return frameResponse(corr, flexible, resp)
}

// decode parses a framed response of the given kind.
func decode(t *testing.T, b []byte, resp kmsg.Response) {
	t.Helper()
	if got := int(binary.BigEndian.Uint32(b)); got != len(b)-4 {
		t.Fatalf("frame length %d; want %d", got, len(b)-4)
	}
	body := b[8:]
	if resp.IsFlexible() && resp.Key() != int16(kmsg.ApiVersions) {
		body = body[1:]
	}
	if err := resp.ReadFrom(body); err != nil {
		t.Fatalf("re-decode: %v", err)
	}
}

func TestRewriteEveryBrokerNamingResponse(t *testing.T) {
	g, s := testSet(t)
	const up = "10.9.8.7"
	rack := kmsg.StringPtr("r1")
	cases := []struct {
		name    string
		resp    func(v int16) kmsg.Response
		minV    int16
		wantLen int // brokers expected after rewrite (the unknown broker 9 is dropped)
	}{
		{"Metadata", func(v int16) kmsg.Response {
			r := kmsg.NewPtrMetadataResponse()
			r.Brokers = []kmsg.MetadataResponseBroker{{NodeID: 1, Host: up, Port: 9092, Rack: rack}, {NodeID: 9, Host: "", Port: 9092}, {NodeID: 3, Host: up, Port: 9094}}
			return r
		}, 0, 2},
		{"DescribeCluster", func(v int16) kmsg.Response {
			r := kmsg.NewPtrDescribeClusterResponse()
			r.Brokers = []kmsg.DescribeClusterResponseBroker{{NodeID: 2, Host: up, Port: 9092}, {NodeID: 9, Host: "", Port: 1}}
			return r
		}, 0, 1},
		{"Produce", func(v int16) kmsg.Response {
			r := kmsg.NewPtrProduceResponse()
			r.Topics = []kmsg.ProduceResponseTopic{{Topic: "t", Partitions: []kmsg.ProduceResponseTopicPartition{{Partition: 0, ErrorCode: 6, ErrorMessage: kmsg.StringPtr("moved"),
				ErrorRecords: []kmsg.ProduceResponseTopicPartitionErrorRecord{{RelativeOffset: 1, ErrorMessage: kmsg.StringPtr("x")}}}}}}
			r.Brokers = []kmsg.ProduceResponseBroker{{NodeID: 3, Host: up, Port: 9092, Rack: rack}, {NodeID: 9, Host: ""}}
			return r
		}, 10, 1},
		{"Fetch", func(v int16) kmsg.Response {
			r := kmsg.NewPtrFetchResponse()
			r.Topics = []kmsg.FetchResponseTopic{{Topic: "t", Partitions: []kmsg.FetchResponseTopicPartition{{Partition: 0, ErrorCode: 6,
				AbortedTransactions: []kmsg.FetchResponseTopicPartitionAbortedTransaction{{ProducerID: 1, FirstOffset: 2}}, RecordBatches: []byte("records")}}}}
			r.Brokers = []kmsg.FetchResponseBroker{{NodeID: 1, Host: up, Port: 9092}, {NodeID: 2, Host: up, Port: 9093}}
			return r
		}, 16, 2},
		{"ShareFetch", func(v int16) kmsg.Response {
			r := kmsg.NewPtrShareFetchResponse()
			r.NodeEndpoints = []kmsg.ShareFetchResponseNodeEndpoint{{NodeID: 2, Host: up, Port: 9092}, {NodeID: 9, Host: ""}}
			return r
		}, 0, 1},
		{"ShareAcknowledge", func(v int16) kmsg.Response {
			r := kmsg.NewPtrShareAcknowledgeResponse()
			r.NodeEndpoints = []kmsg.ShareAcknowledgeResponseNodeEndpoint{{NodeID: 1, Host: up, Port: 9092}}
			return r
		}, 0, 1},
	}
	want := map[int32]string{1: "gw.example:14001", 2: "gw.example:14002", 3: "gw.example:14003"}
	for _, c := range cases {
		key := c.resp(0).Key()
		for v := c.minV; v <= c.resp(0).MaxVersion(); v++ {
			resp := c.resp(v)
			resp.SetVersion(v)
			in := frame(resp, 42)
			out, err := g.rewriteResponse(s, inflight{key: key, version: v, correlation: 42, mode: g.api[key].modeFor(v)}, in)
			if err != nil {
				t.Fatalf("%s v%d: %v", c.name, v, err)
			}
			if strings.Contains(string(out), up) {
				t.Errorf("%s v%d: the upstream address leaked", c.name, v)
			}
			if got := int32(binary.BigEndian.Uint32(out[4:])); got != 42 {
				t.Errorf("%s v%d: got correlation id %d; want 42", c.name, v, got)
			}
			got := kmsg.ResponseForKey(key)
			got.SetVersion(v)
			decode(t, out, got)
			nodes, _ := brokerList(got)
			if len(nodes) != c.wantLen {
				t.Errorf("%s v%d: got %d brokers; want %d", c.name, v, len(nodes), c.wantLen)
			}
			for _, n := range nodes {
				if hp := n.host + ":" + itoa(n.port); hp != want[n.id] {
					t.Errorf("%s v%d: broker %d at %s; want %s", c.name, v, n.id, hp, want[n.id])
				}
			}
		}
	}
}

func TestFindCoordinatorRewrite(t *testing.T) {
	g, s := testSet(t)
	for v := int16(0); v <= kmsg.NewPtrFindCoordinatorResponse().MaxVersion(); v++ {
		r := kmsg.NewPtrFindCoordinatorResponse()
		r.SetVersion(v)
		r.NodeID, r.Host, r.Port = 2, "10.9.8.7", 9092
		r.Coordinators = []kmsg.FindCoordinatorResponseCoordinator{
			{Key: "a", NodeID: 1, Host: "10.9.8.7", Port: 9092},
			{Key: "b", NodeID: 9, Host: "", Port: 9092},     // no address here
			{Key: "c", NodeID: -1, Host: "", ErrorCode: 15}, // already an error
		}
		out, err := g.rewriteResponse(s, inflight{key: 10, version: v, correlation: 1, mode: respRewrite}, frame(r, 1))
		if err != nil {
			t.Fatal(err)
		}
		got := kmsg.NewPtrFindCoordinatorResponse()
		got.SetVersion(v)
		decode(t, out, got)
		if v < 4 {
			if got.Host != "gw.example" || got.Port != 14002 || got.NodeID != 2 {
				t.Errorf("v%d: got %d at %s:%d; want 2 at gw.example:14002", v, got.NodeID, got.Host, got.Port)
			}
			continue
		}
		wants := []struct {
			host string
			port int32
			code int16
		}{{"gw.example", 14001, 0}, {"", -1, 15}, {"", -1, 15}}
		for i, w := range wants {
			c := got.Coordinators[i]
			if c.Host != w.host || c.Port != w.port || c.ErrorCode != w.code {
				t.Errorf("v%d %s: got %s:%d code %d; want %s:%d code %d", v, c.Key, c.Host, c.Port, c.ErrorCode, w.host, w.port, w.code)
			}
		}
	}
}

// A Produce or Fetch response without leader endpoints is passed on as it
// came: same bytes, not re-encoded.
func TestRecordResponsesWithoutEndpointsPassUnchanged(t *testing.T) {
	g, s := testSet(t)
	p := kmsg.NewPtrProduceResponse()
	p.SetVersion(11)
	p.Topics = []kmsg.ProduceResponseTopic{{Topic: "t", Partitions: []kmsg.ProduceResponseTopicPartition{{Partition: 1, BaseOffset: 5}}}}
	f := kmsg.NewPtrFetchResponse()
	f.SetVersion(17)
	f.Topics = []kmsg.FetchResponseTopic{{Partitions: []kmsg.FetchResponseTopicPartition{{RecordBatches: []byte("abc")}}}}
	for _, resp := range []kmsg.Response{p, f} {
		in := frame(resp, 7)
		out, err := g.rewriteResponse(s, inflight{key: resp.Key(), version: resp.GetVersion(), correlation: 7, mode: respScanTags}, in)
		if err != nil {
			t.Fatal(err)
		}
		if &out[0] != &in[0] {
			t.Errorf("%T: the response was re-encoded; want it passed as it came", resp)
		}
	}
}

func TestApiVersionsRewrite(t *testing.T) {
	g, s := testSet(t)
	r := kmsg.NewPtrApiVersionsResponse()
	r.SetVersion(3)
	r.ApiKeys = []kmsg.ApiVersionsResponseApiKey{
		{ApiKey: 0, MinVersion: 3, MaxVersion: 999}, // cut to kmsg's max
		{ApiKey: 17, MinVersion: 0, MaxVersion: 1},  // SASL handshake: removed
		{ApiKey: 4, MinVersion: 0, MaxVersion: 7},   // LeaderAndIsr: removed
		{ApiKey: 3, MinVersion: 0, MaxVersion: 12},  // kept as is
		{ApiKey: 500, MinVersion: 0, MaxVersion: 1}, // unknown: removed
	}
	out, err := g.rewriteResponse(s, inflight{key: 18, version: 3, correlation: 1, mode: respRewrite}, frame(r, 1))
	if err != nil {
		t.Fatal(err)
	}
	got := kmsg.NewPtrApiVersionsResponse()
	got.SetVersion(3)
	decode(t, out, got)
	want := []kmsg.ApiVersionsResponseApiKey{{ApiKey: 0, MinVersion: 3, MaxVersion: kmsg.NewPtrProduceRequest().MaxVersion()}, {ApiKey: 3, MinVersion: 0, MaxVersion: 12}}
	if len(got.ApiKeys) != len(want) {
		t.Fatalf("got %d keys %+v; want %+v", len(got.ApiKeys), got.ApiKeys, want)
	}
	for i, w := range want {
		if g := got.ApiKeys[i]; g.ApiKey != w.ApiKey || g.MinVersion != w.MinVersion || g.MaxVersion != w.MaxVersion {
			t.Errorf("key %d: got %+v; want %+v", i, g, w)
		}
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// A broker's listener configs would name upstream addresses: their values
// are withheld; other configs and topic configs pass unchanged.
func TestDescribeConfigsWithholdsBrokerAddresses(t *testing.T) {
	g, s := testSet(t)
	for v := int16(0); v <= kmsg.NewPtrDescribeConfigsResponse().MaxVersion(); v++ {
		r := kmsg.NewPtrDescribeConfigsResponse()
		r.SetVersion(v)
		r.Resources = []kmsg.DescribeConfigsResponseResource{
			{ResourceType: resourceBroker, ResourceName: "1", Configs: []kmsg.DescribeConfigsResponseResourceConfig{
				{Name: "advertised.listeners", Value: kmsg.StringPtr("PLAINTEXT://10.9.8.7:9092"),
					ConfigSynonyms: []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{{Name: "advertised.listeners", Value: kmsg.StringPtr("PLAINTEXT://10.9.8.7:9092")}}},
				{Name: "controller.quorum.voters", Value: kmsg.StringPtr("1@10.9.8.7:9093")},
				{Name: "num.io.threads", Value: kmsg.StringPtr("8")},
			}},
			{ResourceType: 2, ResourceName: "listeners", Configs: []kmsg.DescribeConfigsResponseResourceConfig{
				{Name: "listeners", Value: kmsg.StringPtr("topic-level value")},
			}},
		}
		out, err := g.rewriteResponse(s, inflight{key: 32, version: v, correlation: 3, mode: respRewrite}, frame(r, 3))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "10.9.8.7") {
			t.Errorf("v%d: an upstream address leaked", v)
		}
		got := kmsg.NewPtrDescribeConfigsResponse()
		got.SetVersion(v)
		decode(t, out, got)
		broker := got.Resources[0].Configs
		if broker[0].Value != nil || !broker[0].IsSensitive || broker[1].Value != nil {
			t.Errorf("v%d: got %v %v; want the address configs withheld", v, broker[0].Value, broker[1].Value)
		}
		if broker[2].Value == nil || *broker[2].Value != "8" {
			t.Errorf("v%d: num.io.threads changed", v)
		}
		if tv := got.Resources[1].Configs[0].Value; tv == nil || *tv != "topic-level value" {
			t.Errorf("v%d: a topic config changed", v)
		}
	}
}

// A large Fetch response streams to the client before its end is read, so
// its leader endpoints are rewritten in as many bytes as they had: padded
// when the gateway's addresses are shorter, dropped when they would not fit.
func TestStreamedFetchEndpointsKeepTheirLength(t *testing.T) {
	g, set := testSet(t)
	records := bytes.Repeat([]byte("r"), 3*holdBack)
	cases := []struct {
		name        string
		upHost      string
		wantBrokers int
	}{
		{"shorter addresses are padded", "upstream-broker-1.internal.example", 2},
		{"longer addresses are dropped", "10.9.8.7", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := kmsg.NewPtrFetchResponse()
			r.SetVersion(17)
			r.Topics = []kmsg.FetchResponseTopic{{Partitions: []kmsg.FetchResponseTopicPartition{
				{Partition: 0, RecordBatches: records},
				{Partition: 1, ErrorCode: 6, CurrentLeader: kmsg.FetchResponseTopicPartitionCurrentLeader{LeaderID: 2, LeaderEpoch: 3}},
			}}}
			r.Brokers = []kmsg.FetchResponseBroker{{NodeID: 1, Host: c.upHost, Port: 9092}, {NodeID: 2, Host: c.upHost, Port: 9093}}
			in := frame(r, 5)
			var out bytes.Buffer
			s := &session{gw: g, set: set, ur: bufio.NewReader(bytes.NewReader(in)), cw: bufio.NewWriter(&out)}
			if err := s.forwardScanned(inflight{key: 1, version: 17, correlation: 5, mode: respScanTags}, len(in)-4); err != nil {
				t.Fatal(err)
			}
			s.cw.Flush()
			if out.Len() != len(in) {
				t.Fatalf("got %d bytes; want %d", out.Len(), len(in))
			}
			if bytes.Contains(out.Bytes(), []byte(c.upHost)) {
				t.Errorf("the upstream host leaked")
			}
			got := kmsg.NewPtrFetchResponse()
			got.SetVersion(17)
			decode(t, out.Bytes(), got)
			if !bytes.Equal(got.Topics[0].Partitions[0].RecordBatches, records) {
				t.Errorf("records changed")
			}
			if len(got.Brokers) != c.wantBrokers {
				t.Fatalf("got %d brokers; want %d", len(got.Brokers), c.wantBrokers)
			}
			for _, b := range got.Brokers {
				if b.Host != "gw.example" || b.Port != 14000+b.NodeID {
					t.Errorf("broker %d at %s:%d; want gw.example:%d", b.NodeID, b.Host, b.Port, 14000+b.NodeID)
				}
			}
		})
	}
}
