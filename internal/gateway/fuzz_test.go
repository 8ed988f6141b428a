package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/store"
)

// Seeds: testdata/fuzz/<Target>/cap-* are real frames recorded from
// franz-go talking to kfake (see capture_test.go); the f.Add seeds below
// are built with kmsg for shapes kfake does not produce.

// fuzzAPI is the gateway's API table, shared by the targets (read only).
var fuzzAPI = newAPITable()

// ---------------------------------------------------------------------------
// FuzzRequestHeader

func FuzzRequestHeader(f *testing.F) {
	for _, k := range []kmsg.Key{kmsg.Produce, kmsg.Fetch, kmsg.Metadata, kmsg.ApiVersions, kmsg.FindCoordinator, kmsg.DescribeCluster, kmsg.ShareFetch} {
		req := kmsg.RequestForKey(int16(k))
		for _, v := range []int16{0, req.MaxVersion()} {
			req.SetVersion(v)
			f.Add(kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz")).AppendRequest(nil, req, 7))
			f.Add(kmsg.NewRequestFormatter().AppendRequest(nil, req, 8)) // null client id
		}
	}
	// A flexible header with tagged fields, and one whose tag runs past
	// the frame.
	f.Add([]byte("\x00\x00\x00\x14\x00\x03\x00\x0c\x00\x00\x00\x01\x00\x00\x02\x01\x02\xab\xcd\x05\x00\x00\x00\x00"))
	f.Add([]byte("\x00\x00\x00\x0f\x00\x03\x00\x0c\x00\x00\x00\x01\x00\x00\x01\x01\x09\x00"))
	f.Add([]byte("\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x00\x00\x00\x0a\x00\x12\x00\x63\x00\x00\x00\x01\xff\xff"))

	f.Fuzz(func(t *testing.T, frame []byte) {
		checkRequestHeader(t, frame)
		if len(frame) >= 4 {
			// The same bytes as one complete frame.
			complete := bytes.Clone(frame)
			binary.BigEndian.PutUint32(complete, uint32(len(frame)-4))
			if h, err := checkRequestHeader(t, complete); err == nil && int(h.size) != len(frame)-4 {
				t.Fatalf("complete frame: got size %d; want %d", h.size, len(frame)-4)
			}
		}
		checkFormattedHeader(t, frame)
	})
}

// checkRequestHeader parses frame over bytesPeeker and over a bufio.Reader
// like the session's and checks that they agree.
func checkRequestHeader(t *testing.T, frame []byte) (reqHeader, error) {
	t.Helper()
	hb, errb := peekRequestHeader(bytesPeeker(frame), DefaultMaxFrameBytes, fuzzAPI)
	br := bufio.NewReaderSize(bytes.NewReader(frame), ioBufferSize)
	hr, errr := peekRequestHeader(br, DefaultMaxFrameBytes, fuzzAPI)

	if errb != nil && !errors.Is(errb, errFrame) {
		t.Fatalf("bytesPeeker: got error %v; want one wrapping errFrame", errb)
	}
	// A header longer than the session's buffer fails over bufio only
	// (bufio.ErrBufferFull); below that size the two must agree.
	if len(frame) <= ioBufferSize {
		if (errb == nil) != (errr == nil) {
			t.Fatalf("got bytesPeeker error %v and bufio error %v; want both nil or both non-nil", errb, errr)
		}
		if errb == nil && hb != hr {
			t.Fatalf("got bufio header %+v; want bytesPeeker's %+v", hr, hb)
		}
	}
	// Peeking consumes nothing.
	if rest, _ := io.ReadAll(br); !bytes.Equal(rest, frame) {
		t.Fatalf("after peeking, got %d bytes left in the reader; want all %d", len(rest), len(frame))
	}
	if errb != nil {
		return hb, errb
	}
	if hb.size < 10 || hb.headerLen < 10 || hb.headerLen > int(hb.size) {
		t.Fatalf("got size %d and headerLen %d; want 10 <= headerLen <= size", hb.size, hb.headerLen)
	}
	if hb.size > DefaultMaxFrameBytes {
		t.Fatalf("got size %d; want at most %d", hb.size, DefaultMaxFrameBytes)
	}
	if want := int32(binary.BigEndian.Uint32(frame)); hb.size != want {
		t.Fatalf("got size %d; want %d", hb.size, want)
	}
	if k, v, c := int16(binary.BigEndian.Uint16(frame[4:])), int16(binary.BigEndian.Uint16(frame[6:])), int32(binary.BigEndian.Uint32(frame[8:])); hb.key != k || hb.version != v || hb.correlation != c {
		t.Fatalf("got key %d version %d correlation %d; want %d %d %d", hb.key, hb.version, hb.correlation, k, v, c)
	}
	if !fuzzAPI.flexibleHeader(hb.key, hb.version) {
		n := int(int16(binary.BigEndian.Uint16(frame[12:])))
		if want := 10 + max(n, 0); hb.headerLen != want {
			t.Fatalf("got headerLen %d; want %d", hb.headerLen, want)
		}
	}
	return hb, nil
}

// checkFormattedHeader builds a real request from fuzz bytes with kmsg and
// checks that the header parser finds exactly its header.
func checkFormattedHeader(t *testing.T, b []byte) {
	t.Helper()
	if len(b) < 4 {
		return
	}
	key := int16(clientAPIs[int(b[0])%len(clientAPIs)])
	req := kmsg.RequestForKey(key)
	req.SetVersion(int16(int(b[1]) % (int(req.MaxVersion()) + 1)))
	corr := int32(binary.BigEndian.Uint16(b[2:]))<<8 | 0x5a
	cid := string(b[4:min(len(b), 4+300)])
	var opts []kmsg.RequestFormatterOpt
	if b[2]&1 == 0 {
		opts = append(opts, kmsg.FormatterClientID(cid))
	} else {
		cid = ""
	}
	frame := kmsg.NewRequestFormatter(opts...).AppendRequest(nil, req, corr)
	h, err := checkRequestHeader(t, frame)
	if err != nil {
		t.Fatalf("kmsg %s v%d request: got error %v; want none", kmsg.NameForKey(key), req.GetVersion(), err)
	}
	want := reqHeader{key: key, version: req.GetVersion(), correlation: corr, size: int32(len(frame) - 4), headerLen: 10 + len(cid)}
	if req.IsFlexible() {
		want.headerLen++ // empty tagged fields
	}
	if h != want {
		t.Fatalf("kmsg %s v%d request: got header %+v; want %+v", kmsg.NameForKey(key), req.GetVersion(), h, want)
	}
}

// ---------------------------------------------------------------------------
// FuzzProduceAcks

func FuzzProduceAcks(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\xff\xff\x03\x00txn"))
	f.Add([]byte("\x00\x00\x09\x01"))
	f.Add([]byte("\x00\x01\x0d\x02transactional-id-of-some-length"))
	f.Add([]byte("\x80\x00\x08\x03\xff\xff"))
	for _, v := range []int16{2, 3, 8, 9, 13} {
		f.Add(produceRequestFrame(v, -1, nil, "fuzz"))
		f.Add(produceRequestFrame(v, 0, kmsg.StringPtr("txn"), "fuzz"))
	}

	f.Fuzz(func(t *testing.T, frame []byte) {
		// Whatever the bytes, a produce header never makes the acks
		// reader panic, and both readers agree.
		if h, err := peekRequestHeader(bytesPeeker(frame), DefaultMaxFrameBytes, fuzzAPI); err == nil && h.key == int16(kmsg.Produce) {
			ab, errb := peekProduceAcks(bytesPeeker(frame), h)
			br := bufio.NewReaderSize(bytes.NewReader(frame), ioBufferSize)
			ar, errr := peekProduceAcks(br, h)
			if errb != nil && !errors.Is(errb, errFrame) {
				t.Fatalf("got error %v; want one wrapping errFrame", errb)
			}
			if len(frame) <= ioBufferSize && ((errb == nil) != (errr == nil) || ab != ar) {
				t.Fatalf("got bufio acks %d, %v; want bytesPeeker's %d, %v", ar, errr, ab, errb)
			}
			if errb == nil {
				if off := produceAcksOffset(frame, h); off < 0 || off+2 > 4+int(h.size) {
					t.Fatalf("got acks %d from a frame whose acks field is outside it (offset %d, frame end %d)", ab, off, 4+int(h.size))
				} else if want := int16(binary.BigEndian.Uint16(frame[off:])); ab != want {
					t.Fatalf("got acks %d; want %d (at offset %d)", ab, want, off)
				}
			}
		}

		// A real produce request built from the bytes: exactly its acks.
		if len(frame) < 4 {
			return
		}
		acks := int16(binary.BigEndian.Uint16(frame))
		version := int16(int(frame[2]) % (int((&kmsg.ProduceRequest{}).MaxVersion()) + 1))
		rest := frame[4:]
		var txn *string
		cid := "fuzz"
		if frame[3]&1 == 1 {
			n := min(len(rest)/2, 30000) // an int16 length before v9
			txn = kmsg.StringPtr(string(rest[:n]))
			rest = rest[n:]
		}
		if frame[3]&2 == 2 {
			cid = string(rest[:min(len(rest), 200)])
		}
		built := produceRequestFrame(version, acks, txn, cid)
		h, err := peekRequestHeader(bytesPeeker(built), DefaultMaxFrameBytes, fuzzAPI)
		if err != nil {
			t.Fatalf("kmsg produce v%d: got header error %v; want none", version, err)
		}
		for _, r := range []peeker{bytesPeeker(built), bufio.NewReaderSize(bytes.NewReader(built), ioBufferSize)} {
			got, err := peekProduceAcks(r, h)
			if err != nil {
				t.Fatalf("kmsg produce v%d (%T): got error %v; want acks %d", version, r, err, acks)
			}
			if got != acks {
				t.Fatalf("kmsg produce v%d (%T): got acks %d; want %d", version, r, got, acks)
			}
		}
	})
}

// produceRequestFrame encodes a Produce request with kmsg, one topic and
// one empty partition so that fields follow acks.
func produceRequestFrame(version, acks int16, txn *string, clientID string) []byte {
	req := kmsg.NewPtrProduceRequest()
	req.Version = version
	req.Acks = acks
	req.TransactionID = txn
	req.TimeoutMillis = 1500
	tp := kmsg.NewProduceRequestTopic()
	tp.Topic = "t"
	tp.TopicID = [16]byte{1, 2, 3}
	p := kmsg.NewProduceRequestTopicPartition()
	p.Records = []byte("records")
	tp.Partitions = append(tp.Partitions, p)
	req.Topics = append(req.Topics, tp)
	return kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID)).AppendRequest(nil, req, 99)
}

// produceAcksOffset is an independent reading of where acks sits in a
// Produce request frame, or -1 if the frame is too short to tell.
func produceAcksOffset(frame []byte, h reqHeader) int {
	off := 4 + h.headerLen
	end := min(len(frame), 4+int(h.size))
	if h.version < 3 {
		return off
	}
	if h.version >= 9 {
		n, w := binary.Uvarint(frame[min(off, end):end])
		if w <= 0 || n > uint64(4+int(h.size)) {
			return -1
		}
		return off + w + max(int(n)-1, 0)
	}
	if off+2 > end {
		return -1
	}
	return off + 2 + max(int(int16(binary.BigEndian.Uint16(frame[off:]))), 0)
}

// ---------------------------------------------------------------------------
// FuzzTagScan

var (
	maxProduceVersion = (&kmsg.ProduceRequest{}).MaxVersion()
	maxFetchVersion   = (&kmsg.FetchRequest{}).MaxVersion()
)

func FuzzTagScan(f *testing.F) {
	for _, tc := range tagScanCases() {
		f.Add(tc.body, tc.version, tc.fetch)
	}
	f.Add([]byte{}, int16(10), false)
	f.Add([]byte{}, int16(16), true)
	f.Add([]byte("\x00\x00\x00\x00\x01\x00\x05\x00"), int16(9), false)

	f.Fuzz(func(t *testing.T, body []byte, version int16, fetch bool) {
		var has bool
		var err error
		if fetch {
			_, has, err = fetchTags(body)
		} else {
			_, has, err = produceTags(body, version)
		}
		if err != nil && !errors.Is(err, errFrame) {
			t.Fatalf("got error %v; want one wrapping errFrame", err)
		}
		key := int16(kmsg.Produce)
		if fetch {
			key = int16(kmsg.Fetch)
		}
		spin, walkOK, walked := kmsgWalk(key, version, body)
		if spin {
			return // kmsg would loop for minutes (TestRewriteResponseTagCountSpin)
		}
		n, reencoded, ok := kmsgBrokers(body, version, fetch)
		if walked && versionScanned(version, fetch) && ok != walkOK {
			t.Fatalf("%s v%d: kmsg decodes %v but kmsgWalk says %v", scanName(fetch), version, ok, walkOK)
		}
		if !ok {
			return
		}
		if bytes.Equal(reencoded, body) {
			// kmsg read the very structure it writes: the scanner must
			// read it too and agree.
			if err != nil {
				t.Fatalf("%s v%d: scanner got error %v on kmsg's own encoding; want none", scanName(fetch), version, err)
			}
			if has != (n > 0) {
				t.Fatalf("%s v%d: scanner got endpoints %v; want %v (kmsg decoded %d brokers)", scanName(fetch), version, has, n > 0, n)
			}
			return
		}
		// kmsg decoded it some other way: at least never miss brokers
		// kmsg (and so rewriteResponse) would see, or they go out
		// unrewritten.
		if n > 0 && err == nil && !has {
			t.Fatalf("%s v%d: scanner got no endpoints and no error; want endpoints (kmsg decoded %d brokers)", scanName(fetch), version, n)
		}
	})
}

func scanName(fetch bool) string {
	if fetch {
		return "fetch"
	}
	return "produce"
}

// kmsgBrokers decodes body with kmsg at a version the scanner serves and
// returns the broker count and kmsg's re-encoding; ok is false when the
// version is not scanned or kmsg cannot decode the body.
func kmsgBrokers(body []byte, version int16, fetch bool) (n int, reencoded []byte, ok bool) {
	if !versionScanned(version, fetch) {
		return 0, nil, false
	}
	if fetch {
		r := kmsg.NewPtrFetchResponse()
		r.Version = version
		if r.ReadFrom(body) != nil {
			return 0, nil, false
		}
		return len(r.Brokers), r.AppendTo(nil), true
	}
	r := kmsg.NewPtrProduceResponse()
	r.Version = version
	if r.ReadFrom(body) != nil {
		return 0, nil, false
	}
	return len(r.Brokers), r.AppendTo(nil), true
}

// versionScanned reports whether the session scans responses of this
// version (and kmsg knows it).
func versionScanned(version int16, fetch bool) bool {
	if fetch {
		return version >= 16 && version <= maxFetchVersion
	}
	return version >= 10 && version <= maxProduceVersion
}

type tagScanCase struct {
	name    string
	body    []byte
	version int16
	fetch   bool
	brokers int
}

// tagScanCases builds Produce (v10+) and Fetch (v16+) responses with kmsg
// in every shape the scanner walks.
func tagScanCases() []tagScanCase {
	var cases []tagScanCase
	for v := int16(10); v <= maxProduceVersion; v++ {
		for _, topics := range []int{0, 2} {
			for _, rich := range []bool{false, true} {
				for _, brokers := range []int{0, 1, 3} {
					body := buildProduceResponse(v, topics, rich, brokers).AppendTo(nil)
					cases = append(cases, tagScanCase{fmt.Sprintf("produce-v%d-topics%d-rich%v-brokers%d", v, topics, rich, brokers), body, v, false, brokers})
				}
			}
		}
	}
	for v := int16(16); v <= maxFetchVersion; v++ {
		for _, topics := range []int{0, 2} {
			for _, rich := range []bool{false, true} {
				for _, brokers := range []int{0, 1, 3} {
					body := buildFetchResponse(v, topics, rich, brokers).AppendTo(nil)
					cases = append(cases, tagScanCase{fmt.Sprintf("fetch-v%d-topics%d-rich%v-brokers%d", v, topics, rich, brokers), body, v, true, brokers})
				}
			}
		}
	}
	return cases
}

func buildProduceResponse(version int16, topics int, rich bool, brokers int) *kmsg.ProduceResponse {
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = version
	resp.ThrottleMillis = 17
	for ti := range topics {
		tp := kmsg.NewProduceResponseTopic()
		tp.Topic = fmt.Sprintf("topic-%d", ti)
		tp.TopicID = [16]byte{byte(ti + 1), 0xee}
		for pi := range int32(3) {
			p := kmsg.NewProduceResponseTopicPartition()
			p.Partition = pi
			p.BaseOffset = 1000 + int64(pi)
			p.LogAppendTime = -1
			p.LogStartOffset = 3
			if rich {
				p.ErrorCode = kerr.NotLeaderForPartition.Code
				msg := "not the leader"
				p.ErrorMessage = &msg
				for ri := range int32(2) {
					re := kmsg.NewProduceResponseTopicPartitionErrorRecord()
					re.RelativeOffset = ri
					if ri == 1 {
						re.ErrorMessage = kmsg.StringPtr("record too large")
					}
					re.UnknownTags.Set(4, []byte("x"))
					p.ErrorRecords = append(p.ErrorRecords, re)
				}
				p.CurrentLeader.LeaderID = 2
				p.CurrentLeader.LeaderEpoch = 9
				p.UnknownTags.Set(300, []byte("unknown partition tag"))
			}
			tp.Partitions = append(tp.Partitions, p)
		}
		if rich {
			tp.UnknownTags.Set(1, bytes.Repeat([]byte{0}, 200))
		}
		resp.Topics = append(resp.Topics, tp)
	}
	for bi := range int32(brokers) {
		b := kmsg.NewProduceResponseBroker()
		b.NodeID, b.Host, b.Port = bi, "10.9.8.7", 9092+bi
		if bi%2 == 0 {
			b.Rack = kmsg.StringPtr("rack-a")
		}
		resp.Brokers = append(resp.Brokers, b)
	}
	if rich {
		resp.UnknownTags.Set(1, []byte("top-level unknown tag"))
		resp.UnknownTags.Set(1<<20, []byte{0})
	}
	return resp
}

func buildFetchResponse(version int16, topics int, rich bool, brokers int) *kmsg.FetchResponse {
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = version
	resp.ThrottleMillis = 3
	resp.SessionID = 77
	for ti := range topics {
		tp := kmsg.NewFetchResponseTopic()
		tp.Topic = fmt.Sprintf("topic-%d", ti)
		tp.TopicID = [16]byte{byte(ti + 1), 0xff}
		for pi := range int32(3) {
			p := kmsg.NewFetchResponseTopicPartition()
			p.Partition = pi
			p.HighWatermark = 100
			p.LastStableOffset = 90
			p.LogStartOffset = 1
			p.PreferredReadReplica = -1
			switch pi {
			case 0:
				p.RecordBatches = bytes.Repeat([]byte("batch"), 40)
			case 1:
				p.RecordBatches = []byte{}
			}
			if rich {
				p.ErrorCode = kerr.NotLeaderForPartition.Code
				switch pi {
				case 0:
					for ai := range int64(3) {
						at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
						at.ProducerID, at.FirstOffset = 5000+ai, 10*ai
						if ai == 2 {
							at.UnknownTags.Set(2, []byte("y"))
						}
						p.AbortedTransactions = append(p.AbortedTransactions, at)
					}
				case 1:
					p.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
				}
				p.DivergingEpoch.Epoch, p.DivergingEpoch.EndOffset = 4, 44
				p.CurrentLeader.LeaderID, p.CurrentLeader.LeaderEpoch = 1, 6
				p.SnapshotID.EndOffset, p.SnapshotID.Epoch = 50, 2
				p.UnknownTags.Set(9, []byte("z"))
			}
			tp.Partitions = append(tp.Partitions, p)
		}
		if rich {
			tp.UnknownTags.Set(3, []byte("topic tag"))
		}
		resp.Topics = append(resp.Topics, tp)
	}
	for bi := range int32(brokers) {
		b := kmsg.NewFetchResponseBroker()
		b.NodeID, b.Host, b.Port = bi, "10.9.8.7", 9092+bi
		resp.Brokers = append(resp.Brokers, b)
	}
	if rich {
		resp.UnknownTags.Set(5, []byte("top-level unknown tag"))
	}
	return resp
}

func TestTagScanAgreesWithKmsg(t *testing.T) {
	cases := tagScanCases()
	if got, want := len(cases), 2*3*2*int(maxProduceVersion-9+maxFetchVersion-15); got != want {
		t.Fatalf("got %d cases; want %d", got, want)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var has bool
			var err error
			scan := func(body []byte) (bool, error) {
				if tc.fetch {
					_, has, err := fetchTags(body)
					return has, err
				}
				_, has, err := produceTags(body, tc.version)
				return has, err
			}
			has, err = scan(tc.body)
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			if want := tc.brokers > 0; has != want {
				t.Fatalf("got endpoints %v; want %v", has, want)
			}
			key := int16(kmsg.Produce)
			if tc.fetch {
				key = int16(kmsg.Fetch)
			}
			if spin, ok, _ := kmsgWalk(key, tc.version, tc.body); spin || !ok {
				t.Fatalf("kmsgWalk: got spin %v ok %v; want false, true", spin, ok)
			}
			n, reencoded, ok := kmsgBrokers(tc.body, tc.version, tc.fetch)
			if !ok || n != tc.brokers || !bytes.Equal(reencoded, tc.body) {
				t.Fatalf("kmsg: got ok %v, %d brokers, canonical %v; want true, %d, true", ok, n, bytes.Equal(reencoded, tc.body), tc.brokers)
			}
			// The top-level tags end the body: any truncation must
			// fail, never pass for a body without endpoints.
			for i := range len(tc.body) {
				if _, err := scan(tc.body[:i]); err == nil {
					t.Fatalf("body truncated to %d of %d bytes: got no error; want one", i, len(tc.body))
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// FuzzRewriteResponse

// fuzzBrokers are the brokers the fuzz listener set knows: kfake's node
// ids, at slots 0-2 of a three-port range, so that any other broker id a
// response names hits the exhausted range instead of opening a listener.
var fuzzBrokers = []int32{0, 1, 2}

const (
	fuzzHost      = "127.0.0.1"
	fuzzFirstPort = 1 // ports 1-3: never bound, never a kfake port
)

// newFuzzGateway returns a gateway and a listener set that knows
// fuzzBrokers; it opens no socket. Slots of brokers it does not know
// land beyond the range, whatever the store already holds.
func newFuzzGateway(t *testing.T, st store.Store) (*Gateway, *listenerSet, map[int32]int32) {
	t.Helper()
	g := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	c := &cluster{gw: g, cfg: ClusterConfig{Name: "f"}, alloc: brokermap.NewAllocator(st, "f"), upstream: map[int32]string{}}
	strat := brokermap.Ports{BindHost: fuzzHost, FirstPort: fuzzFirstPort, LastPort: fuzzFirstPort + len(fuzzBrokers) - 1}
	set := newListenerSet(c, ListenerSetConfig{Name: "fuzz", Strategy: strat})
	c.sets = append(c.sets, set)
	ports := map[int32]int32{}
	for _, id := range fuzzBrokers {
		slot, err := c.alloc.Slot(context.Background(), id)
		if err != nil {
			t.Fatalf("slot for broker %d: %v", id, err)
		}
		c.upstream[id] = "10.9.8.7:9092"
		set.slots[id] = slot
		ports[id] = int32(fuzzFirstPort + slot)
	}
	set.publish()
	g.mu.Lock()
	g.clusters = append(g.clusters, c)
	g.mu.Unlock()
	return g, set, ports
}

// TestFuzzGatewayHermetic checks the fuzz target's setup: a broker the set
// does not know is dropped through the exhausted range, without a listener,
// and Close leaves no goroutine behind.
func TestFuzzGatewayHermetic(t *testing.T) {
	before := runtime.NumGoroutine()
	g, set, ports := newFuzzGateway(t, fuzzStore(t))
	resp := kmsg.NewPtrMetadataResponse()
	resp.Version = 12
	for _, id := range []int32{1, 7} {
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = id, "10.9.8.7", 9092
		resp.Brokers = append(resp.Brokers, b)
	}
	body := append([]byte{0}, resp.AppendTo(nil)...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
	frame = binary.BigEndian.AppendUint32(frame, 5)
	frame = append(frame, body...)
	out, err := g.rewriteResponse(set, inflight{key: 3, version: 12, correlation: 5, mode: respRewrite}, frame)
	if err != nil {
		t.Fatalf("rewriteResponse: %v", err)
	}
	got := kmsg.NewPtrMetadataResponse()
	got.Version = 12
	if err := got.ReadFrom(out[9:]); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(got.Brokers) != 1 || got.Brokers[0].NodeID != 1 || got.Brokers[0].Host != fuzzHost || got.Brokers[0].Port != ports[1] {
		t.Fatalf("got brokers %+v; want only broker 1 at %s:%d", got.Brokers, fuzzHost, ports[1])
	}
	set.c.mu.Lock()
	listeners, shared, errs := len(set.listeners), set.shared, len(set.errs)
	set.c.mu.Unlock()
	if listeners != 0 || shared != nil || errs != 1 {
		t.Fatalf("got %d listeners, shared %v, %d errors; want 0, nil, 1 (broker 7: range exhausted)", listeners, shared, errs)
	}
	g.Close()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("got %d goroutines after Close; want at most %d", n, before)
	}
}

// rewriteKeys are the APIs whose responses the gateway decodes.
func rewriteKeys() []int16 {
	var keys []int16
	for k := range fuzzAPI {
		if fuzzAPI[k].offered && fuzzAPI[k].rewriteMin >= 0 {
			keys = append(keys, int16(k))
		}
	}
	return keys
}

func FuzzRewriteResponse(f *testing.F) {
	st := fuzzStore(f)
	for _, s := range rewriteSeeds() {
		f.Add(s.key, s.version, s.body)
	}
	f.Fuzz(func(t *testing.T, key, version int16, body []byte) {
		a, ok := fuzzAPI.lookup(key, version)
		if !ok || a.modeFor(version) == respPass {
			return // the session never decodes this response
		}
		mode := a.modeFor(version)
		const corr = int32(0x0badf00d)
		frame := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
		frame = binary.BigEndian.AppendUint32(frame, uint32(corr))
		frame = append(frame, body...)
		orig := bytes.Clone(frame)

		// Keep kmsg off inputs it would loop on for minutes, and check
		// that the walk that says so reads like kmsg.
		hdr := 8
		if key != int16(kmsg.ApiVersions) && a.flexible(version) {
			hdr, _ = peekTags(bytesPeeker(frame), 8, len(frame))
		}
		if hdr >= 8 {
			spin, walkOK, walked := kmsgWalk(key, version, frame[hdr:])
			if spin {
				return
			}
			r := kmsg.ResponseForKey(key)
			r.SetVersion(version)
			if key == int16(kmsg.ApiVersions) {
				r.SetVersion(apiVersionsResponseVersion(frame[hdr:], version))
			}
			if err := r.ReadFrom(frame[hdr:]); walked && (err == nil) != walkOK {
				t.Fatalf("%s v%d: kmsg decode error %v but kmsgWalk says ok %v", kmsg.NameForKey(key), version, err, walkOK)
			}
		}

		g, set, ports := newFuzzGateway(t, st)
		defer g.Close()
		out, err := g.rewriteResponse(set, inflight{key: key, version: version, correlation: corr, mode: mode}, frame)
		if !bytes.Equal(frame, orig) {
			t.Fatalf("rewriteResponse changed its input frame")
		}
		if err != nil {
			if !errors.Is(err, errFrame) {
				t.Fatalf("got error %v; want one wrapping errFrame", err)
			}
			if strings.Contains(err.Error(), "decoding panicked") {
				t.Fatalf("%s v%d: got %v; want no panic", kmsg.NameForKey(key), version, err)
			}
			return
		}
		checkRewritten(t, key, version, mode, orig, out, ports)
	})
}

// checkRewritten checks a successful rewrite: a well framed response that
// kmsg decodes, naming brokers only by this set's addresses, and otherwise
// the upstream's answer.
func checkRewritten(t *testing.T, key, version int16, mode respMode, in, out []byte, ports map[int32]int32) {
	t.Helper()
	name := fmt.Sprintf("%s v%d", kmsg.NameForKey(key), version)
	if len(out) < 8 || int(binary.BigEndian.Uint32(out)) != len(out)-4 {
		t.Fatalf("%s: got a frame of %d bytes whose length field is not its size", name, len(out))
	}
	hdrIn, hdrOut := 8, 8
	if key != int16(kmsg.ApiVersions) && fuzzAPI[key].flexible(version) {
		var err error
		if hdrOut, err = peekTags(bytesPeeker(out), 8, len(out)); err != nil {
			t.Fatalf("%s: output header: %v", name, err)
		}
		hdrIn, _ = peekTags(bytesPeeker(in), 8, len(in))
	}
	if !bytes.Equal(out[4:hdrOut], in[4:hdrIn]) {
		t.Fatalf("%s: got response header %x; want %x", name, out[4:hdrOut], in[4:hdrIn])
	}
	passed := bytes.Equal(out, in)

	decode := func(body []byte) (kmsg.Response, error) {
		r := kmsg.ResponseForKey(key)
		r.SetVersion(version)
		if key == int16(kmsg.ApiVersions) {
			r.SetVersion(apiVersionsResponseVersion(body, version))
		}
		return r, r.ReadFrom(body)
	}
	got, err := decode(out[hdrOut:])
	if err != nil {
		if passed && mode == respScanTags {
			return // passed on untouched: the scan found no endpoints
		}
		t.Fatalf("%s: rewritten response does not decode: %v", name, err)
	}
	want, err := decode(in[hdrIn:])
	if err != nil {
		t.Fatalf("%s: got a rewritten response from one kmsg cannot decode: %v", name, err)
	}
	checkAddresses(t, name, want, got, ports)

	// Everything but the addresses is the upstream's.
	clearAddresses(want)
	clearAddresses(got)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s: rewrite changed more than addresses:\ngot  %+v\nwant %+v", name, got, want)
	}
}

// endpointOf is one broker address a response names.
type endpointOf struct {
	id   int32
	host string
	port int32
}

// brokerList returns the broker endpoints in a response, and whether the
// response type has such a list.
func brokerList(r kmsg.Response) ([]endpointOf, bool) {
	var eps []endpointOf
	add := func(id int32, host string, port int32) { eps = append(eps, endpointOf{id, host, port}) }
	switch r := r.(type) {
	case *kmsg.MetadataResponse:
		for _, b := range r.Brokers {
			add(b.NodeID, b.Host, b.Port)
		}
	case *kmsg.DescribeClusterResponse:
		for _, b := range r.Brokers {
			add(b.NodeID, b.Host, b.Port)
		}
	case *kmsg.ProduceResponse:
		for _, b := range r.Brokers {
			add(b.NodeID, b.Host, b.Port)
		}
	case *kmsg.FetchResponse:
		for _, b := range r.Brokers {
			add(b.NodeID, b.Host, b.Port)
		}
	case *kmsg.ShareFetchResponse:
		for _, b := range r.NodeEndpoints {
			add(b.NodeID, b.Host, b.Port)
		}
	case *kmsg.ShareAcknowledgeResponse:
		for _, b := range r.NodeEndpoints {
			add(b.NodeID, b.Host, b.Port)
		}
	default:
		return nil, false
	}
	return eps, true
}

func checkAddresses(t *testing.T, name string, in, out kmsg.Response, ports map[int32]int32) {
	t.Helper()
	if got, ok := brokerList(out); ok {
		want, _ := brokerList(in)
		var kept []endpointOf
		for _, ep := range want {
			if p, ok := ports[ep.id]; ok {
				kept = append(kept, endpointOf{ep.id, fuzzHost, p})
			}
		}
		if dc, ok := in.(*kmsg.DescribeClusterResponse); ok && dc.EndpointType == 2 {
			kept = nil // controllers are never listed
		}
		if !slices.Equal(got, kept) {
			t.Fatalf("%s: got brokers %v; want %v", name, got, kept)
		}
		return
	}
	switch out := out.(type) {
	case *kmsg.FindCoordinatorResponse:
		in := in.(*kmsg.FindCoordinatorResponse)
		check := func(what string, id int32, host string, port int32, code int16, upID int32, upCode int16) {
			t.Helper()
			want := endpointOf{-1, "", -1}
			wantCode := upCode
			if p, ok := ports[upID]; ok && upCode == 0 {
				want = endpointOf{upID, fuzzHost, p}
			} else if upCode == 0 && upID >= 0 {
				wantCode = kerr.CoordinatorNotAvailable.Code
			}
			if got := (endpointOf{id, host, port}); got != want || code != wantCode {
				t.Fatalf("%s: %s: got %v error %d; want %v error %d", name, what, got, code, want, wantCode)
			}
		}
		if out.Version < 4 {
			check("coordinator", out.NodeID, out.Host, out.Port, out.ErrorCode, in.NodeID, in.ErrorCode)
			return
		}
		if len(out.Coordinators) != len(in.Coordinators) {
			t.Fatalf("%s: got %d coordinators; want %d", name, len(out.Coordinators), len(in.Coordinators))
		}
		for i, c := range out.Coordinators {
			check("coordinator "+c.Key, c.NodeID, c.Host, c.Port, c.ErrorCode, in.Coordinators[i].NodeID, in.Coordinators[i].ErrorCode)
		}
	case *kmsg.ApiVersionsResponse:
		for _, k := range out.ApiKeys {
			a, ok := fuzzAPI.lookup(k.ApiKey, 0)
			if !ok || k.MaxVersion > a.maxVersion || k.MinVersion > k.MaxVersion {
				t.Fatalf("%s: got api key %d versions %d-%d; want only offered keys within kmsg's versions", name, k.ApiKey, k.MinVersion, k.MaxVersion)
			}
		}
	}
}

// clearAddresses zeroes what a rewrite may change.
func clearAddresses(r kmsg.Response) {
	switch r := r.(type) {
	case *kmsg.MetadataResponse:
		r.Brokers = nil
	case *kmsg.DescribeClusterResponse:
		r.Brokers = nil
	case *kmsg.ProduceResponse:
		r.Brokers = nil
	case *kmsg.FetchResponse:
		r.Brokers = nil
	case *kmsg.ShareFetchResponse:
		r.NodeEndpoints = nil
	case *kmsg.ShareAcknowledgeResponse:
		r.NodeEndpoints = nil
	case *kmsg.ApiVersionsResponse:
		r.ApiKeys = nil
	case *kmsg.FindCoordinatorResponse:
		r.NodeID, r.Host, r.Port, r.ErrorCode = 0, "", 0, 0
		for i := range r.Coordinators {
			c := &r.Coordinators[i]
			c.NodeID, c.Host, c.Port, c.ErrorCode = 0, "", 0, 0
		}
	}
}

type rewriteSeed struct {
	key, version int16
	body         []byte // after the correlation id: header tags, then the body
}

// rewriteSeeds builds responses naming known brokers (0-2), an unknown one
// (7), one with a negative id and one without a host, all at upstream
// address 10.9.8.7, for every rewritten API at its first and last version.
func rewriteSeeds() []rewriteSeed {
	var seeds []rewriteSeed
	type node struct {
		id   int32
		host string
	}
	nodes := []node{{0, "10.9.8.7"}, {2, "10.9.8.7"}, {7, "10.9.8.7"}, {-1, "10.9.8.7"}, {1, ""}, {9, ""}}
	for _, key := range rewriteKeys() {
		a := &fuzzAPI[key]
		versions := []int16{a.rewriteMin, a.maxVersion}
		if key == int16(kmsg.FindCoordinator) {
			versions = []int16{0, 3, 4, a.maxVersion}
		}
		for _, v := range versions {
			resp := kmsg.ResponseForKey(key)
			resp.SetVersion(v)
			switch r := resp.(type) {
			case *kmsg.MetadataResponse:
				for _, n := range nodes {
					b := kmsg.NewMetadataResponseBroker()
					b.NodeID, b.Host, b.Port = n.id, n.host, 9092
					r.Brokers = append(r.Brokers, b)
				}
				tp := kmsg.NewMetadataResponseTopic()
				tp.Topic = kmsg.StringPtr("10.9.8.7")
				p := kmsg.NewMetadataResponseTopicPartition()
				p.Leader, p.Replicas, p.ISR = 7, []int32{7, 0}, []int32{7}
				tp.Partitions = append(tp.Partitions, p)
				r.Topics = append(r.Topics, tp)
			case *kmsg.DescribeClusterResponse:
				for _, n := range nodes {
					b := kmsg.NewDescribeClusterResponseBroker()
					b.NodeID, b.Host, b.Port = n.id, n.host, 9092
					r.Brokers = append(r.Brokers, b)
				}
				if v >= 1 {
					r2 := *r
					r2.EndpointType = 2
					seeds = append(seeds, rewriteSeed{key, v, responseBody(key, v, &r2)})
				}
			case *kmsg.FindCoordinatorResponse:
				r.NodeID, r.Host, r.Port = 7, "10.9.8.7", 9092
				for _, n := range nodes {
					c := kmsg.NewFindCoordinatorResponseCoordinator()
					c.Key, c.NodeID, c.Host, c.Port = fmt.Sprintf("group-%d", n.id), n.id, n.host, 9092
					r.Coordinators = append(r.Coordinators, c)
				}
				c := kmsg.NewFindCoordinatorResponseCoordinator()
				c.Key, c.NodeID, c.Host, c.Port, c.ErrorCode = "loading", 0, "10.9.8.7", 9092, kerr.CoordinatorLoadInProgress.Code
				r.Coordinators = append(r.Coordinators, c)
				r2 := *r
				r2.NodeID = 1
				seeds = append(seeds, rewriteSeed{key, v, responseBody(key, v, &r2)})
			case *kmsg.ApiVersionsResponse:
				for _, k := range []int16{0, 1, 3, 4, 18, 55, 1000} {
					ak := kmsg.NewApiVersionsResponseApiKey()
					ak.ApiKey, ak.MaxVersion = k, 200
					r.ApiKeys = append(r.ApiKeys, ak)
				}
			case *kmsg.ProduceResponse:
				*r = *buildProduceResponse(v, 1, true, 0)
				for _, n := range nodes {
					b := kmsg.NewProduceResponseBroker()
					b.NodeID, b.Host, b.Port = n.id, n.host, 9092
					r.Brokers = append(r.Brokers, b)
				}
			case *kmsg.FetchResponse:
				*r = *buildFetchResponse(v, 1, true, 0)
				for _, n := range nodes {
					b := kmsg.NewFetchResponseBroker()
					b.NodeID, b.Host, b.Port = n.id, n.host, 9092
					r.Brokers = append(r.Brokers, b)
				}
			case *kmsg.ShareFetchResponse:
				for _, n := range nodes {
					b := kmsg.NewShareFetchResponseNodeEndpoint()
					b.NodeID, b.Host, b.Port = n.id, n.host, 9092
					r.NodeEndpoints = append(r.NodeEndpoints, b)
				}
			case *kmsg.ShareAcknowledgeResponse:
				for _, n := range nodes {
					b := kmsg.NewShareAcknowledgeResponseNodeEndpoint()
					b.NodeID, b.Host, b.Port = n.id, n.host, 9092
					r.NodeEndpoints = append(r.NodeEndpoints, b)
				}
			}
			seeds = append(seeds, rewriteSeed{key, v, responseBody(key, v, resp)})
		}
	}
	// KIP-511: an ApiVersions request newer than the broker is answered
	// in v0 with UNSUPPORTED_VERSION.
	av := kmsg.NewPtrApiVersionsResponse()
	av.ErrorCode = kerr.UnsupportedVersion.Code
	ak := kmsg.NewApiVersionsResponseApiKey()
	ak.ApiKey, ak.MaxVersion = 18, 4
	av.ApiKeys = append(av.ApiKeys, ak)
	seeds = append(seeds, rewriteSeed{int16(kmsg.ApiVersions), 99, responseBody(int16(kmsg.ApiVersions), 0, av)})
	return seeds
}

// responseBody encodes resp as it follows the correlation id in a frame:
// the header's tagged fields when flexible (with one unknown header tag),
// then the body.
func responseBody(key, version int16, resp kmsg.Response) []byte {
	resp.SetVersion(version)
	var b []byte
	if key != int16(kmsg.ApiVersions) && fuzzAPI[key].flexible(version) {
		b = append(b, 1, 3, 2, 0xab, 0xcd) // one tag: 3, two bytes
	}
	return resp.AppendTo(b)
}

// ---------------------------------------------------------------------------
// kmsg spins on tagged-field counts. kmsg reads a tagged-field section as
// `for num := b.Uvarint(); num > 0; num--` and does not stop when its reader
// runs out of data, so a count of up to 2^32-1 costs minutes of CPU per
// section (see TestRewriteResponseTagCountSpin). The fuzz targets must not
// hand kmsg such inputs, or they stall; kmsgMaySpin finds them by walking a
// response with kmsg's own reading rules.

// spinThreshold is the largest count of tagged fields past the end of the
// data that kmsg may loop over (a few milliseconds).
const spinThreshold = 1 << 16

// kwalk reads like kbin.Reader and records whether a tagged-field count
// would make kmsg spin.
type kwalk struct {
	b    []byte
	bad  bool
	spin *bool
}

func (w *kwalk) fail() { w.bad, w.b = true, nil }

// uv is kbin.Uvarint: at most 5 bytes, 32 bits.
func (w *kwalk) uv() uint32 {
	if w.bad {
		return 0
	}
	var x uint32
	for i := 0; i < 5; i++ {
		if i >= len(w.b) {
			w.fail()
			return 0
		}
		c := w.b[i]
		if i == 4 {
			if c > 0x0f {
				w.fail()
				return 0
			}
			x |= uint32(c) << 28
			w.b = w.b[5:]
			return x
		}
		x |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			w.b = w.b[i+1:]
			return x
		}
	}
	return x
}

func (w *kwalk) span(n int) []byte {
	if w.bad {
		return nil
	}
	if n < 0 || n > len(w.b) {
		w.fail()
		return nil
	}
	s := w.b[:n]
	w.b = w.b[n:]
	return s
}

func (w *kwalk) fixed(n int) { w.span(n) }

// str is CompactString: null is an error.
func (w *kwalk) str() { w.span(int(w.uv()) - 1) }

// nstr is CompactNullableString and CompactNullableBytes.
func (w *kwalk) nstr() {
	if l := int(w.uv()) - 1; l >= 0 {
		w.span(l)
	}
}

// arr is CompactArrayLen and the element loop.
func (w *kwalk) arr(each func()) {
	r := int32(w.uv()) - 1
	if w.bad {
		return
	}
	if len(w.b) < int(r) {
		w.fail()
		return
	}
	for i := int32(0); i < r && !w.bad; i++ {
		each()
	}
}

// tags is internalReadTags: every tag unknown.
func (w *kwalk) tags() { w.knownTags(nil) }

// knownTags is a generated tagged-field loop; known tags decode their
// payload with a reader of their own, and a failing payload ends kmsg's
// decoding.
func (w *kwalk) knownTags(known map[uint32]func(*kwalk)) {
	if w.bad {
		return
	}
	for n := w.uv(); n > 0; n-- {
		if w.bad {
			// From here kmsg reads key 0 and size 0 on every
			// iteration: a known tag 0 fails and ends the decoding,
			// anything else loops n more times.
			if _, ok := known[0]; !ok && n > spinThreshold {
				*w.spin = true
			}
			return
		}
		key := w.uv()
		if fn, ok := known[key]; ok {
			inner := &kwalk{b: w.span(int(w.uv())), spin: w.spin}
			if w.bad {
				return
			}
			fn(inner)
			if inner.bad {
				w.fail() // kmsg returns the payload's error
				return
			}
			continue
		}
		w.span(int(w.uv()))
	}
}

// kmsgMaySpin reports whether kmsg decoding body (a response body after
// its header) as key at version would loop over a huge tagged-field count.
func kmsgMaySpin(key, version int16, body []byte) bool {
	spin, _, _ := kmsgWalk(key, version, body)
	return spin
}

// kmsgWalk walks body as kmsg decodes it; ok is whether kmsg would decode
// it without error (meaningful only when walked, and spin is false).
// Versions whose bodies have no tagged fields never spin and are not
// walked.
func kmsgWalk(key, version int16, body []byte) (spin, ok, walked bool) {
	w := &kwalk{b: body, spin: &spin}
	v := version
	endpoints := func() { w.arr(func() { w.fixed(4); w.str(); w.fixed(4); w.nstr(); w.tags() }) }
	switch kmsg.Key(key) {
	case kmsg.Metadata:
		if v < 9 {
			return false, true, false
		}
		w.fixed(4)
		endpoints()
		w.nstr()
		w.fixed(4)
		w.arr(func() {
			w.fixed(2)
			if v >= 12 {
				w.nstr()
			} else {
				w.str()
			}
			if v >= 10 {
				w.fixed(16)
			}
			w.fixed(1)
			w.arr(func() {
				w.fixed(2 + 4 + 4 + 4)
				w.arr(func() { w.fixed(4) })
				w.arr(func() { w.fixed(4) })
				w.arr(func() { w.fixed(4) })
				w.tags()
			})
			if v >= 8 {
				w.fixed(4)
			}
			w.tags()
		})
		if v >= 8 && v <= 10 {
			w.fixed(4)
		}
		if v >= 13 {
			w.fixed(2)
		}
		w.tags()
	case kmsg.FindCoordinator:
		if v < 3 {
			return false, true, false
		}
		w.fixed(4)
		if v <= 3 {
			w.fixed(2)
			w.nstr()
			w.fixed(4)
			w.str()
			w.fixed(4)
		} else {
			w.arr(func() {
				w.str()
				w.fixed(4)
				w.str()
				w.fixed(4)
				w.fixed(2)
				w.nstr()
				w.tags()
			})
		}
		w.tags()
	case kmsg.DescribeCluster:
		w.fixed(4 + 2)
		w.nstr()
		if v >= 1 {
			w.fixed(1)
		}
		w.str()
		w.fixed(4)
		w.arr(func() {
			w.fixed(4)
			w.str()
			w.fixed(4)
			w.nstr()
			if v >= 2 {
				w.fixed(1)
			}
			w.tags()
		})
		w.fixed(4)
		w.tags()
	case kmsg.ApiVersions:
		if v = apiVersionsResponseVersion(body, version); v < 3 {
			return false, true, false
		}
		w.fixed(2)
		w.arr(func() { w.fixed(6); w.tags() })
		w.fixed(4)
		features := func(r *kwalk) { r.arr(func() { r.str(); r.fixed(4); r.tags() }) }
		w.knownTags(map[uint32]func(*kwalk){0: features, 1: func(r *kwalk) { r.fixed(8) }, 2: features, 3: func(r *kwalk) { r.fixed(1) }})
	case kmsg.ShareFetch:
		w.fixed(4 + 2)
		w.nstr()
		if v >= 1 {
			w.fixed(4)
		}
		w.arr(func() {
			w.fixed(16)
			w.arr(func() {
				w.fixed(4 + 2)
				w.nstr()
				w.fixed(2)
				w.nstr()
				w.fixed(4 + 4)
				w.tags()
				w.nstr()
				w.arr(func() { w.fixed(8 + 8 + 2); w.tags() })
				w.tags()
			})
			w.tags()
		})
		endpoints()
		w.tags()
	case kmsg.ShareAcknowledge:
		w.fixed(4 + 2)
		w.nstr()
		if v >= 2 {
			w.fixed(4)
		}
		w.arr(func() {
			w.fixed(16)
			w.arr(func() {
				w.fixed(4 + 2)
				w.nstr()
				w.fixed(4 + 4)
				w.tags()
				w.tags()
			})
			w.tags()
		})
		endpoints()
		w.tags()
	case kmsg.Produce:
		if v < 9 {
			return false, true, false
		}
		w.arr(func() {
			if v >= 13 {
				w.fixed(16)
			} else {
				w.str()
			}
			w.arr(func() {
				w.fixed(4 + 2 + 8 + 8 + 8)
				w.arr(func() { w.fixed(4); w.nstr(); w.tags() })
				w.nstr()
				w.knownTags(map[uint32]func(*kwalk){0: func(r *kwalk) { r.fixed(8); r.tags() }})
			})
			w.tags()
		})
		w.fixed(4)
		w.knownTags(map[uint32]func(*kwalk){0: func(r *kwalk) {
			r.arr(func() { r.fixed(4); r.str(); r.fixed(4); r.nstr(); r.tags() })
		}})
	case kmsg.Fetch:
		if v < 12 {
			return false, true, false
		}
		w.fixed(4 + 2 + 4)
		w.arr(func() {
			if v >= 13 {
				w.fixed(16)
			} else {
				w.str()
			}
			w.arr(func() {
				w.fixed(4 + 2 + 8 + 8 + 8)
				w.arr(func() { w.fixed(8 + 8); w.tags() })
				w.fixed(4)
				w.nstr()
				w.knownTags(map[uint32]func(*kwalk){
					0: func(r *kwalk) { r.fixed(4 + 8); r.tags() },
					1: func(r *kwalk) { r.fixed(4 + 4); r.tags() },
					2: func(r *kwalk) { r.fixed(8 + 4); r.tags() },
				})
			})
			w.tags()
		})
		w.knownTags(map[uint32]func(*kwalk){0: func(r *kwalk) {
			r.arr(func() { r.fixed(4); r.str(); r.fixed(4); r.nstr(); r.tags() })
		}})
	case kmsg.DescribeConfigs:
		if v < 4 {
			return false, true, false
		}
		w.fixed(4)
		w.arr(func() {
			w.fixed(2)
			w.nstr()
			w.fixed(1)
			w.str()
			w.arr(func() {
				w.str()
				w.nstr()
				w.fixed(1 + 1 + 1)
				w.arr(func() { w.str(); w.nstr(); w.fixed(1); w.tags() })
				w.fixed(1)
				w.nstr()
				w.tags()
			})
			w.tags()
		})
		w.tags()
	default:
		return true, false, false // unknown: assume the worst
	}
	return spin, !w.bad, true
}

// spinMetadataBody is a Metadata v12 response body (after the response
// header's empty tagged fields) naming one broker whose tagged-field count
// is 2^32-1: 19 bytes that make kmsg loop ~4.3 billion times.
const spinMetadataBody = "\x00\x00\x00\x00" + // throttle
	"\x02" + // one broker
	"\x00\x00\x00\x00" + "\x02h" + "\x00\x00\x00\x01" + "\x00" + // id 0, host "h", port 1, no rack
	"\xff\xff\xff\xff\x0f" // tagged fields: 4294967295 of them

func TestKmsgWalkFlagsSpin(t *testing.T) {
	if !kmsgMaySpin(int16(kmsg.Metadata), 12, []byte(spinMetadataBody)) {
		t.Fatalf("kmsgMaySpin(Metadata v12 with 2^32-1 tags): got false; want true")
	}
	for _, s := range rewriteSeeds() {
		body := s.body
		if s.key != int16(kmsg.ApiVersions) && fuzzAPI[s.key].flexible(s.version) {
			end, err := peekTags(bytesPeeker(append(make([]byte, 8), body...)), 8, 8+len(body))
			if err != nil {
				t.Fatalf("seed %s v%d: %v", kmsg.NameForKey(s.key), s.version, err)
			}
			body = body[end-8:]
		}
		if spin, ok, _ := kmsgWalk(s.key, s.version, body); spin || !ok {
			t.Fatalf("seed %s v%d: got spin %v ok %v; want false, true", kmsg.NameForKey(s.key), s.version, spin, ok)
		}
	}
}

// TestRewriteResponseTagCountSpin: an upstream response whose tagged-field
// count is huge must fail at once. kmsg v1.15.0 as released loops over the
// count even after running out of data (~2m16s of CPU for this 19-byte
// Metadata body); third_party/kmsg carries the fix.
func TestRewriteResponseTagCountSpin(t *testing.T) {
	g, set, _ := newFuzzGateway(t, fuzzStore(t))
	defer g.Close()
	body := append([]byte{0}, spinMetadataBody...) // empty header tags
	frame := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
	frame = binary.BigEndian.AppendUint32(frame, 1)
	frame = append(frame, body...)
	done := make(chan error, 1)
	go func() {
		_, err := g.rewriteResponse(set, inflight{key: int16(kmsg.Metadata), version: 12, correlation: 1, mode: respRewrite}, frame)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("got no error for a response with 2^32-1 tagged fields; want one")
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("rewriteResponse of a 28-byte Metadata v12 response: still decoding after 2s; want an error at once")
	}
}

// TestRewriteResponseAllocationBounded: kmsg allocates every element of an
// array up front, trusting only that each takes at least one byte, so a
// response decoded by rewriteResponse costs ~80 bytes of memory per byte
// of array: a 1 MiB Metadata v12 body whose topic count claims a topic per
// remaining byte allocates ~80 MiB before failing, and a frame at the
// 100 MiB limit ~8 GiB, enough to kill the whole gateway rather than the
// session.
func TestRewriteResponseAllocationBounded(t *testing.T) {
	t.Skip("BUG: rewriteResponse (kmsg v1.15.0 ReadFrom) allocates ~80x the size of an upstream Metadata response whose array counts are inflated; a 1 MiB body allocates ~80 MiB")
	g, set, _ := newFuzzGateway(t, fuzzStore(t))
	defer g.Close()
	const n = 1 << 20
	body := []byte{0, 0, 0, 0, 0} // header tags, throttle
	body = append(body, 1, 0, 0, 0, 0, 0)
	body = binary.AppendUvarint(body, n+1) // topics: n of them
	body = append(body, make([]byte, n)...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
	frame = binary.BigEndian.AppendUint32(frame, 1)
	frame = append(frame, body...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := g.rewriteResponse(set, inflight{key: int16(kmsg.Metadata), version: 12, correlation: 1, mode: respRewrite}, frame)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatalf("got no error for a Metadata response with %d topics in %d bytes; want one", n, n)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*len(frame)); got > limit {
		t.Fatalf("got %d MiB allocated to reject a %d KiB response; want at most %d MiB", got>>20, len(frame)>>10, limit>>20)
	}
}

// fuzzStore is a real store in a temporary directory, shared by every input
// of a fuzz target.
func fuzzStore(tb testing.TB) store.Store {
	tb.Helper()
	st, err := store.OpenBolt(filepath.Join(tb.TempDir(), "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}
