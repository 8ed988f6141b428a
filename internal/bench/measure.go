package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// phaseTimeout bounds one phase, so that a wedged path fails the run
// instead of hanging it.
func phaseTimeout(o Options) time.Duration {
	return 2*time.Minute + time.Duration(o.Records+o.LatencyIters)*time.Millisecond
}

// payload is the record value template: random bytes, so that nothing on
// the way could profit from compressible data (the producer compresses
// nothing anyway).
func payload(size int) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// produce writes o.Records records of o.RecordSize bytes, each value
// starting with its sequence number, and times it from the first Produce
// until the last record is acknowledged.
func produce(ctx context.Context, p endpoint, topic string, o Options) (Throughput, error) {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout(o))
	defer cancel()
	cl, err := kgo.NewClient(p.opts(
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(o.Linger),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)...)
	if err != nil {
		return Throughput{}, err
	}
	defer cl.Close()

	tmpl := payload(o.RecordSize)
	// Values are recycled once their record is acknowledged, so that the
	// producer does not hold Records×RecordSize bytes.
	pool := sync.Pool{New: func() any { b := slices.Clone(tmpl); return &b }}
	var (
		wg       sync.WaitGroup
		firstErr atomic.Pointer[error]
	)
	start := time.Now()
	for i := 0; i < o.Records; i++ {
		if ctx.Err() != nil {
			break
		}
		bp := pool.Get().(*[]byte)
		binary.BigEndian.PutUint64(*bp, uint64(i))
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: *bp}, func(_ *kgo.Record, err error) {
			if err != nil {
				firstErr.CompareAndSwap(nil, &err)
			}
			pool.Put(bp)
			wg.Done()
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return Throughput{}, fmt.Errorf("flush: %w", err)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if p := firstErr.Load(); p != nil {
		return Throughput{}, *p
	}
	if err := ctx.Err(); err != nil {
		return Throughput{}, err
	}
	return throughput(int64(o.Records), int64(o.Records)*int64(o.RecordSize), elapsed), nil
}

// consume reads the topic from the start with a fresh client until it has
// seen every record produce wrote, and checks it saw each exactly once and
// nothing else: every sequence number once, and the partitions' high
// watermarks adding up to the records produced.
func consume(ctx context.Context, p endpoint, topic string, o Options) (Throughput, error) {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout(o))
	defer cancel()
	start := time.Now()
	cl, err := kgo.NewClient(p.opts(
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)...)
	if err != nil {
		return Throughput{}, err
	}
	defer cl.Close()

	seen := make([]uint64, (o.Records+63)/64)
	hwm := map[int32]int64{}
	var got, bytes int64
	var bad error
	for got < int64(o.Records) && bad == nil {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return Throughput{}, fmt.Errorf("%d of %d records read: %w", got, o.Records, err)
		}
		for _, fe := range fs.Errors() {
			return Throughput{}, fmt.Errorf("fetch %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
		}
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			hwm[p.Partition] = max(hwm[p.Partition], p.HighWatermark)
			for _, r := range p.Records {
				if len(r.Value) != o.RecordSize {
					bad = fmt.Errorf("record %d/%d has %d bytes, want %d", p.Partition, r.Offset, len(r.Value), o.RecordSize)
					return
				}
				seq := binary.BigEndian.Uint64(r.Value)
				if seq >= uint64(o.Records) {
					bad = fmt.Errorf("record %d/%d has sequence number %d, beyond the %d produced", p.Partition, r.Offset, seq, o.Records)
					return
				}
				if seen[seq/64]&(1<<(seq%64)) != 0 {
					bad = fmt.Errorf("record %d (at %d/%d) read twice", seq, p.Partition, r.Offset)
					return
				}
				seen[seq/64] |= 1 << (seq % 64)
				got++
				bytes += int64(len(r.Value))
			}
		})
	}
	elapsed := time.Since(start)
	if bad != nil {
		return Throughput{}, bad
	}
	var total int64
	for _, h := range hwm {
		total += h
	}
	if total != int64(o.Records) {
		return Throughput{}, fmt.Errorf("the topic holds %d records, %d were produced", total, o.Records)
	}
	return throughput(got, bytes, elapsed), nil
}

func throughput(records, bytes int64, d time.Duration) Throughput {
	s := d.Seconds()
	return Throughput{
		Records: records, Bytes: bytes, Seconds: s,
		RecordsPerSec: float64(records) / s,
		MBPerSec:      float64(bytes) / 1e6 / s,
	}
}

// latency runs three synchronous loops of o.LatencyIters requests on a
// one-partition topic, each after a short unmeasured warm-up: ProduceSync
// of one record; a Metadata request for the topic to the partition's
// leader; a Fetch of one record (each produced record is a batch of one)
// from the leader.
func latency(ctx context.Context, p endpoint, topic string, o Options) (prod, meta, fetch Latency, err error) {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout(o))
	defer cancel()
	cl, err := kgo.NewClient(p.opts(
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)...)
	if err != nil {
		return prod, meta, fetch, err
	}
	defer cl.Close()
	warm := min(100, max(o.LatencyIters/10, 1))
	value := payload(o.RecordSize)

	produced := 0
	prod, err = loop(warm, o.LatencyIters, func() error {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
			return err
		}
		produced++
		return nil
	})
	if err != nil {
		return prod, meta, fetch, fmt.Errorf("produce: %w", err)
	}

	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	check := func(resp *kmsg.MetadataResponse) (*kmsg.MetadataResponseTopic, error) {
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return nil, errors.New("metadata: unexpected topics or partitions")
		}
		t := &resp.Topics[0]
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
		return t, nil
	}
	resp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return prod, meta, fetch, fmt.Errorf("metadata: %w", err)
	}
	t, err := check(resp)
	if err != nil {
		return prod, meta, fetch, err
	}
	leader := cl.Broker(int(t.Partitions[0].Leader))
	topicID := t.TopicID

	meta, err = loop(warm, o.LatencyIters, func() error {
		r, err := leader.Request(ctx, mreq)
		if err != nil {
			return err
		}
		_, err = check(r.(*kmsg.MetadataResponse))
		return err
	})
	if err != nil {
		return prod, meta, fetch, fmt.Errorf("metadata: %w", err)
	}

	freq := kmsg.NewPtrFetchRequest()
	freq.ReplicaID = -1
	freq.MaxWaitMillis = 500
	freq.MinBytes = 1
	freq.MaxBytes = int32(o.RecordSize + 1024)
	freq.SessionEpoch = -1 // no fetch session: a full fetch every time
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = topic
	ft.TopicID = topicID
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = freq.MaxBytes
	ft.Partitions = append(ft.Partitions, fp)
	freq.Topics = append(freq.Topics, ft)
	i := 0
	fetch, err = loop(warm, o.LatencyIters, func() error {
		freq.Topics[0].Partitions[0].FetchOffset = int64(i % produced)
		i++
		r, err := leader.Request(ctx, freq)
		if err != nil {
			return err
		}
		resp := r.(*kmsg.FetchResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return errors.New("unexpected topics or partitions")
		}
		p := resp.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return err
		}
		if len(p.RecordBatches) < o.RecordSize {
			return fmt.Errorf("%d bytes of records fetched, want a record of %d", len(p.RecordBatches), o.RecordSize)
		}
		return nil
	})
	if err != nil {
		return prod, meta, fetch, fmt.Errorf("fetch: %w", err)
	}
	return prod, meta, fetch, nil
}

// loop runs fn warm times unmeasured, then n times, timing each call.
func loop(warm, n int, fn func() error) (Latency, error) {
	for range warm {
		if err := fn(); err != nil {
			return Latency{}, err
		}
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		if err := fn(); err != nil {
			return Latency{}, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return Latency{Iterations: n, P50Ms: ms(percentile(ds, 0.50)), P99Ms: ms(percentile(ds, 0.99)), MaxMs: ms(ds[n-1])}, nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(float64(len(sorted))*p)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
