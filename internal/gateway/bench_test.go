package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/store"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

// The benchmarks of the session's pass-through hot path. A raw TCP client
// sends pre-encoded Produce v9 requests (acks=1, one record batch of one
// 1 KiB record; v9 responses name no broker, so the gateway streams both
// ways with copyFrame) and reads the responses, with up to
// benchProduceWindow requests in flight.
//
// b.ReportAllocs counts the allocations of the whole process, upstream
// included, so each upstream is measured direct and through the gateway:
//
//   - kfake: a real (fake) broker; it allocates for every request, so only
//     the difference between its direct and gateway rows is the gateway's.
//   - stub: a broker that answers every request with a canned response
//     without allocating, so its gateway row's allocs/op are the gateway's
//     own.
//
// BenchmarkCopyFrame measures copyFrame alone, in memory.

const (
	benchTopic         = "bench"
	benchRecordSize    = 1024
	benchProduceWindow = 32
)

func BenchmarkPassThroughProduce(b *testing.B) {
	ctx := context.Background()

	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, benchTopic))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(kc.Close)
	kfakeAddr := kc.ListenAddrs()[0]
	admin, err := kgo.NewClient(kgo.SeedBrokers(kfakeAddr))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(admin.Close)
	kfakeGW := benchGateway(b, ctx, kfakeAddr, KgoDiscoverer{Client: admin})

	stubAddr := benchStub(b)
	stubGW := benchGateway(b, ctx, stubAddr, benchFixedBrokers{0: stubAddr})

	for _, c := range []struct{ name, addr string }{
		{"kfake-direct", kfakeAddr},
		{"kfake-gateway", kfakeGW},
		{"stub-direct", stubAddr},
		{"stub-gateway", stubGW},
	} {
		b.Run(c.name, func(b *testing.B) { benchRawProduce(b, c.addr) })
	}
}

// benchGateway serves one upstream broker through a gateway with a
// port-per-broker listener set on a free port, and returns the address
// clients connect to.
func benchGateway(b testing.TB, ctx context.Context, upstreamAddr string, disc Discoverer) string {
	b.Helper()
	st, err := store.OpenBolt(b.TempDir() + "/s.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	dialer, err := upstream.NewDialer(upstream.Config{Bootstrap: []string{upstreamAddr}})
	if err != nil {
		b.Fatal(err)
	}
	port := benchFreePort(b)
	g := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	b.Cleanup(g.Close)
	err = g.AddCluster(ctx, ClusterConfig{
		Name:              "bench",
		Dialer:            dialer,
		Discoverer:        disc,
		DiscoveryInterval: time.Hour, // no discovery while measuring
		ListenerSets: []ListenerSetConfig{{
			Name:     "ports",
			Strategy: brokermap.Ports{BindHost: "127.0.0.1", FirstPort: port, LastPort: port},
		}},
	})
	if err != nil {
		b.Fatal(err)
	}
	ls := g.Status()[0].ListenerSets[0]
	if len(ls.Errors) > 0 || len(ls.Bootstrap) != 1 {
		b.Fatalf("listener set: bootstrap %v, errors %v", ls.Bootstrap, ls.Errors)
	}
	return ls.Bootstrap[0]
}

func benchFreePort(b testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// benchFixedBrokers is a Discoverer of a fixed broker list.
type benchFixedBrokers map[int32]string

func (f benchFixedBrokers) Brokers(context.Context) (map[int32]string, error) { return f, nil }

// benchRawProduce runs b.N Produce requests against addr and checks every
// response answers its request without an error.
func benchRawProduce(b *testing.B, addr string) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	frame := benchProduceFrame(b)
	br := bufio.NewReaderSize(conn, 64<<10)

	// One request first, decoded in full: the upstream took the batch.
	if _, err := conn.Write(frame); err != nil {
		b.Fatal(err)
	}
	first, err := benchReadFrame(br)
	if err != nil {
		b.Fatal(err)
	}
	if err := benchCheckProduceResponse(first); err != nil {
		b.Fatal(err)
	}
	// Every later response must match the first from the tagged fields of
	// its header through the partition's error code (offsets differ).
	const stable = 8 + 1 + 1 + 1 + len(benchTopic) + 1 + 4 + 2
	want := bytes.Clone(first[8:stable])

	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	sem := make(chan struct{}, benchProduceWindow)
	werr := make(chan error, 1)
	go func() {
		for i := 0; i < b.N; i++ {
			sem <- struct{}{}
			binary.BigEndian.PutUint32(frame[8:], uint32(i))
			if _, err := conn.Write(frame); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	for i := 0; i < b.N; i++ {
		hdr, err := br.Peek(stable)
		if err != nil {
			b.Fatalf("response %d: %v", i, err)
		}
		size := int(binary.BigEndian.Uint32(hdr))
		if corr := int32(binary.BigEndian.Uint32(hdr[4:])); corr != int32(i) {
			b.Fatalf("response %d has correlation id %d", i, corr)
		}
		if !bytes.Equal(hdr[8:stable], want) {
			b.Fatalf("response %d differs from the first: % x, want % x", i, hdr[8:stable], want)
		}
		if _, err := br.Discard(4 + size); err != nil {
			b.Fatalf("response %d: %v", i, err)
		}
		<-sem
	}
	b.StopTimer()
	if err := <-werr; err != nil {
		b.Fatal(err)
	}
}

func benchReadFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	f := make([]byte, 4+binary.BigEndian.Uint32(n[:]))
	copy(f, n[:])
	_, err := io.ReadFull(r, f[4:])
	return f, err
}

func benchCheckProduceResponse(frame []byte) error {
	if len(frame) < 9 || frame[8] != 0 {
		return errors.New("produce response: short, or tagged fields in its header")
	}
	resp := kmsg.NewPtrProduceResponse()
	resp.SetVersion(9)
	if err := resp.ReadFrom(frame[9:]); err != nil {
		return fmt.Errorf("produce response: %w", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return fmt.Errorf("produce response: %d topics", len(resp.Topics))
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		return fmt.Errorf("produce response: error code %d", p.ErrorCode)
	}
	return nil
}

// benchProduceFrame is a whole Produce v9 request (length included) with
// acks=1 and one record batch of one 1 KiB record, CRC-32C and all.
func benchProduceFrame(b testing.TB) []byte {
	value := make([]byte, benchRecordSize)
	for i := range value {
		value[i] = byte(i * 7)
	}
	rec := kmsg.Record{Value: value}
	rec.Length = int32(len(rec.AppendTo(nil)) - 1) // the length varint of 0 is one byte
	records := rec.AppendTo(nil)
	if got := len(records); got != int(rec.Length)+len(binary.AppendVarint(nil, int64(rec.Length))) {
		b.Fatalf("record of %d bytes, length field %d", got, rec.Length)
	}

	now := time.Now().UnixMilli()
	batch := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1,
		Magic:                2,
		FirstTimestamp:       now,
		MaxTimestamp:         now,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           1,
		Records:              records,
	}
	raw := batch.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12)) // length: after first offset and itself
	// CRC-32C from the attributes (offset 21) to the end, at offset 17.
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))

	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = 1
	req.TimeoutMillis = 5000
	t := kmsg.NewProduceRequestTopic()
	t.Topic = benchTopic
	p := kmsg.NewProduceRequestTopicPartition()
	p.Partition = 0
	p.Records = raw
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("bench")).AppendRequest(nil, req, 0)
	return frame
}

// benchStub listens for connections and answers every request frame with
// a canned Produce v9 response (topic bench, partition 0, no error) that
// carries the request's correlation id, without allocating per request.
func benchStub(b testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 9
	t := kmsg.NewProduceResponseTopic()
	t.Topic = benchTopic
	p := kmsg.NewProduceResponseTopicPartition()
	t.Partitions = append(t.Partitions, p)
	resp.Topics = append(resp.Topics, t)
	canned := append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0}, resp.AppendTo(nil)...) // length, correlation id, no tags
	binary.BigEndian.PutUint32(canned, uint32(len(canned)-4))

	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				out := bytes.Clone(canned)
				r := bufio.NewReaderSize(c, 64<<10)
				w := bufio.NewWriterSize(c, 64<<10)
				for {
					h, err := r.Peek(12)
					if err != nil {
						return
					}
					size := int(binary.BigEndian.Uint32(h))
					copy(out[4:8], h[8:12])
					if _, err := r.Discard(4 + size); err != nil {
						return
					}
					if _, err := w.Write(out); err != nil {
						return
					}
					if r.Buffered() == 0 {
						if err := w.Flush(); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkCopyFrame measures copyFrame alone: frames move from an
// in-memory stream through the session's bufio reader and writer (of the
// session's buffer size) to io.Discard.
func BenchmarkCopyFrame(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("frame=%dKiB", size>>10), func(b *testing.B) {
			frame := make([]byte, 4+size)
			binary.BigEndian.PutUint32(frame, uint32(size))
			r := bufio.NewReaderSize(&benchRepeatReader{frame: frame}, ioBufferSize)
			w := bufio.NewWriterSize(io.Discard, ioBufferSize)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := copyFrame(w, r, size, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCopyFrameDoesNotAllocate keeps copyFrame at zero allocations.
func TestCopyFrameDoesNotAllocate(t *testing.T) {
	size := 1 << 20
	frame := make([]byte, 4+size)
	binary.BigEndian.PutUint32(frame, uint32(size))
	r := bufio.NewReaderSize(&benchRepeatReader{frame: frame}, ioBufferSize)
	w := bufio.NewWriterSize(io.Discard, ioBufferSize)
	if n := testing.AllocsPerRun(100, func() {
		if err := copyFrame(w, r, size, nil, nil); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("copyFrame allocates %v times per frame, want 0", n)
	}
}

// benchRepeatReader reads its frame over and over.
type benchRepeatReader struct {
	frame []byte
	off   int
}

func (r *benchRepeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.frame[r.off:])
		n += c
		r.off = (r.off + c) % len(r.frame)
	}
	return n, nil
}
