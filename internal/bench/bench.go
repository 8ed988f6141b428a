// Package bench measures the gateway against the direct path: in one run,
// against one embedded upstream (an in-process kfake cluster), it measures
// produce and consume throughput and synchronous request latency with
// franz-go clients that connect either straight to the upstream brokers or
// through a kafkalink daemon in front of them, and reports how the gateway
// compares with its targets: throughput within 10% of direct (ratio ≥ 0.90)
// and at most 1 ms added to the p99 of a request.
//
// The two paths run interleaved (direct, gateway, direct, gateway, ...)
// for a number of rounds and each figure is the median of its rounds, so
// that the noise of a small machine shared by the clients, the gateway and
// the upstream spreads over both paths alike. A missed target is a result,
// not an error.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Targets the gateway is measured against.
const (
	TargetThroughputRatio = 0.90 // gateway/direct, produce and consume
	TargetAddedP99Ms      = 1.0  // gateway p99 − direct p99, in ms
)

// Options configure a benchmark run. Zero values take the defaults.
type Options struct {
	Records      int           // records produced then consumed per path and round; default 200000
	RecordSize   int           // value bytes per record (at least 8); default 1024
	Partitions   int           // partitions of the throughput topic; default 3
	Brokers      int           // brokers of the embedded upstream; default 3
	Rounds       int           // rounds of each path; default 5
	LatencyIters int           // synchronous requests per latency loop; default 5000
	Linger       time.Duration // producer linger of the throughput phase; default 0
	// Listener is the daemon's listener set the gateway path uses: "port"
	// (port-per-broker, the default), "ip" (ip-per-broker) or "iam"
	// (ip-per-broker with TLS, IAM authentication and authorization of
	// every request).
	Listener string
	// Logger receives the daemon's logs; nil discards them.
	Logger *slog.Logger
}

func (o *Options) defaults() error {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Records, 200_000)
	def(&o.RecordSize, 1024)
	def(&o.Partitions, 3)
	def(&o.Brokers, 3)
	def(&o.Rounds, 5)
	def(&o.LatencyIters, 5000)
	if o.Listener == "" {
		o.Listener = "port"
	}
	if o.Logger == nil {
		o.Logger = discardLogger
	}
	switch {
	case o.Records < 1:
		return errors.New("records must be at least 1")
	case o.RecordSize < 8:
		return errors.New("record size must be at least 8 bytes (each value carries its sequence number)")
	case o.RecordSize > 900_000:
		return errors.New("record size must be below 900000 bytes (one record per batch at most 1 MB)")
	case o.Partitions < 1 || o.Brokers < 1 || o.Rounds < 1 || o.LatencyIters < 1:
		return errors.New("partitions, brokers, rounds and latency iterations must be at least 1")
	case o.Linger < 0:
		return errors.New("linger must not be negative")
	case o.Listener != "port" && o.Listener != "ip" && o.Listener != "iam":
		return fmt.Errorf("listener %q: want port, ip or iam", o.Listener)
	}
	return nil
}

// Paths.
const (
	Direct  = "direct"
	Gateway = "gateway"
)

// Throughput is one throughput measurement.
type Throughput struct {
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"` // record values
	Seconds       float64 `json:"seconds"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"` // 10^6 bytes of record values per second
}

// Latency is one synchronous request loop.
type Latency struct {
	Iterations int     `json:"iterations"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
}

// PathResult is what one path measured (in one round, or the median of
// all rounds).
type PathResult struct {
	Produce Throughput `json:"produce"`
	Consume Throughput `json:"consume"`
	// ProduceLatency: ProduceSync of one record (acks=all, linger 0).
	ProduceLatency Latency `json:"produce_latency"`
	// MetadataLatency: a Metadata request for one topic (the gateway
	// decodes and rewrites the response).
	MetadataLatency Latency `json:"metadata_latency"`
	// FetchLatency: a Fetch of one record (the gateway passes it through).
	FetchLatency Latency `json:"fetch_latency"`
}

// RoundResult is one path's measurement in one round.
type RoundResult struct {
	Round int    `json:"round"`
	Path  string `json:"path"`
	PathResult
}

// Check is one target and whether the run met it.
type Check struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
}

// Result is a whole run.
type Result struct {
	Records      int     `json:"records"`
	RecordSize   int     `json:"record_size"`
	Partitions   int     `json:"partitions"`
	Brokers      int     `json:"brokers"`
	Rounds       int     `json:"rounds"`
	LatencyIters int     `json:"latency_iterations"`
	LingerMs     float64 `json:"linger_ms"`
	Listener     string  `json:"listener"`
	GoVersion    string  `json:"go_version"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	NumCPU       int     `json:"num_cpu"`

	Direct  PathResult    `json:"direct"`  // medians over rounds
	Gateway PathResult    `json:"gateway"` // medians over rounds
	PerRun  []RoundResult `json:"per_round"`

	ProduceRatio       float64 `json:"produce_ratio"` // gateway/direct records/s
	ConsumeRatio       float64 `json:"consume_ratio"`
	AddedP99ProduceMs  float64 `json:"added_p99_produce_ms"`
	AddedP99MetadataMs float64 `json:"added_p99_metadata_ms"`
	AddedP99FetchMs    float64 `json:"added_p99_fetch_ms"`
	Checks             []Check `json:"checks"`
}

// Run starts the upstream and the gateway, measures both paths and returns
// the result, writing progress to w. It fails only when something does not
// work (a client error, records lost or duplicated), never on a target.
func Run(ctx context.Context, o Options, w io.Writer) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	res := Result{
		Records: o.Records, RecordSize: o.RecordSize, Partitions: o.Partitions, Brokers: o.Brokers,
		Rounds: o.Rounds, LatencyIters: o.LatencyIters, LingerMs: ms(o.Linger),
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
	}
	fmt.Fprintf(w, "starting an embedded %d-broker upstream and a gateway in front of it\n", o.Brokers)
	e, err := startEnv(ctx, o)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer e.close()
	res.Listener = e.listenerDesc
	fmt.Fprintf(w, "direct:  %v\ngateway: %s\n", e.directBootstrap, e.listenerDesc)

	admin, err := kgo.NewClient(kgo.SeedBrokers(e.directBootstrap...))
	if err != nil {
		return res, fmt.Errorf("bench: admin client: %w", err)
	}
	defer admin.Close()
	b := &bencher{o: o, admin: admin, paths: map[string]endpoint{Direct: {boot: e.directBootstrap}, Gateway: e.gateway}}

	// An unmeasured round 0 warms up each path: connections, code paths,
	// and above all the heap: the first time the process holds a topic's
	// records it faults in fresh memory from the OS, which slows whichever
	// path comes first by half.
	fmt.Fprintln(w, "warming up (round 0, not measured)")
	for _, path := range []string{Direct, Gateway} {
		wo := o
		wo.LatencyIters = min(o.LatencyIters, 500)
		if _, err := b.withOptions(wo).runPath(ctx, 0, path); err != nil {
			return res, fmt.Errorf("bench: warm-up, %s: %w", path, err)
		}
	}

	for r := 1; r <= o.Rounds; r++ {
		for _, path := range []string{Direct, Gateway} {
			pr, err := b.runPath(ctx, r, path)
			if err != nil {
				return res, fmt.Errorf("bench: round %d, %s: %w", r, path, err)
			}
			res.PerRun = append(res.PerRun, RoundResult{Round: r, Path: path, PathResult: pr})
			fmt.Fprintf(w, "round %d/%d %-7s  produce %9.0f rec/s %7.1f MB/s   consume %9.0f rec/s %7.1f MB/s   p99 produce %.3f ms, metadata %.3f ms, fetch %.3f ms\n",
				r, o.Rounds, path, pr.Produce.RecordsPerSec, pr.Produce.MBPerSec, pr.Consume.RecordsPerSec, pr.Consume.MBPerSec,
				pr.ProduceLatency.P99Ms, pr.MetadataLatency.P99Ms, pr.FetchLatency.P99Ms)
		}
	}

	res.Direct = medianOf(res.PerRun, Direct)
	res.Gateway = medianOf(res.PerRun, Gateway)
	res.ProduceRatio = ratio(res.Gateway.Produce.RecordsPerSec, res.Direct.Produce.RecordsPerSec)
	res.ConsumeRatio = ratio(res.Gateway.Consume.RecordsPerSec, res.Direct.Consume.RecordsPerSec)
	res.AddedP99ProduceMs = res.Gateway.ProduceLatency.P99Ms - res.Direct.ProduceLatency.P99Ms
	res.AddedP99MetadataMs = res.Gateway.MetadataLatency.P99Ms - res.Direct.MetadataLatency.P99Ms
	res.AddedP99FetchMs = res.Gateway.FetchLatency.P99Ms - res.Direct.FetchLatency.P99Ms
	ratioTarget := fmt.Sprintf("≥ %.2f", TargetThroughputRatio)
	p99Target := fmt.Sprintf("≤ %g ms", TargetAddedP99Ms)
	res.Checks = []Check{
		{"produce throughput ratio", res.ProduceRatio, ratioTarget, res.ProduceRatio >= TargetThroughputRatio},
		{"consume throughput ratio", res.ConsumeRatio, ratioTarget, res.ConsumeRatio >= TargetThroughputRatio},
		{"added p99 produce (ms)", res.AddedP99ProduceMs, p99Target, res.AddedP99ProduceMs <= TargetAddedP99Ms},
		{"added p99 metadata (ms)", res.AddedP99MetadataMs, p99Target, res.AddedP99MetadataMs <= TargetAddedP99Ms},
		{"added p99 fetch (ms)", res.AddedP99FetchMs, p99Target, res.AddedP99FetchMs <= TargetAddedP99Ms},
	}
	return res, nil
}

// bencher runs the measurements of one path.
type bencher struct {
	o     Options
	admin *kgo.Client // always direct; creates and deletes topics, unmeasured
	paths map[string]endpoint
}

func (b *bencher) withOptions(o Options) *bencher {
	c := *b
	c.o = o
	return &c
}

// runPath measures one path once, each phase on topics of its own that
// are deleted afterwards (the upstream keeps records in memory). Each
// phase starts after a garbage collection, so that no phase pays for the
// garbage of the one before.
func (b *bencher) runPath(ctx context.Context, round int, path string) (PathResult, error) {
	var pr PathResult
	boot := b.paths[path]
	topic := fmt.Sprintf("kafkalink-bench-r%d-%s", round, path)
	if err := b.createTopic(ctx, topic, b.o.Partitions); err != nil {
		return pr, err
	}
	var err error
	runtime.GC()
	if pr.Produce, err = produce(ctx, boot, topic, b.o); err != nil {
		return pr, fmt.Errorf("produce: %w", err)
	}
	runtime.GC()
	if pr.Consume, err = consume(ctx, boot, topic, b.o); err != nil {
		return pr, fmt.Errorf("consume: %w", err)
	}
	if err := b.deleteTopic(ctx, topic); err != nil {
		return pr, err
	}

	lat := topic + "-latency"
	if err := b.createTopic(ctx, lat, 1); err != nil {
		return pr, err
	}
	runtime.GC()
	if pr.ProduceLatency, pr.MetadataLatency, pr.FetchLatency, err = latency(ctx, boot, lat, b.o); err != nil {
		return pr, fmt.Errorf("latency: %w", err)
	}
	return pr, b.deleteTopic(ctx, lat)
}

func (b *bencher) createTopic(ctx context.Context, topic string, partitions int) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = topic
	t.NumPartitions = int32(partitions)
	t.ReplicationFactor = 1
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30_000
	resp, err := req.RequestWith(ctx, b.admin)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	if len(resp.Topics) != 1 {
		return fmt.Errorf("create topic %s: %d topics in the response", topic, len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

func (b *bencher) deleteTopic(ctx context.Context, topic string) error {
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = []string{topic}
	t := kmsg.NewDeleteTopicsRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30_000
	resp, err := req.RequestWith(ctx, b.admin)
	if err != nil {
		return fmt.Errorf("delete topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("delete topic %s: %w", topic, err)
		}
	}
	return nil
}

// medianOf is the per-figure median of one path's rounds.
func medianOf(runs []RoundResult, path string) PathResult {
	var rs []PathResult
	for _, r := range runs {
		if r.Path == path {
			rs = append(rs, r.PathResult)
		}
	}
	if len(rs) == 0 {
		return PathResult{}
	}
	thr := func(get func(PathResult) Throughput) Throughput {
		t := get(rs[0])
		t.RecordsPerSec = median(rs, func(p PathResult) float64 { return get(p).RecordsPerSec })
		t.MBPerSec = median(rs, func(p PathResult) float64 { return get(p).MBPerSec })
		t.Seconds = median(rs, func(p PathResult) float64 { return get(p).Seconds })
		return t
	}
	lat := func(get func(PathResult) Latency) Latency {
		return Latency{
			Iterations: get(rs[0]).Iterations,
			P50Ms:      median(rs, func(p PathResult) float64 { return get(p).P50Ms }),
			P99Ms:      median(rs, func(p PathResult) float64 { return get(p).P99Ms }),
			MaxMs:      median(rs, func(p PathResult) float64 { return get(p).MaxMs }),
		}
	}
	return PathResult{
		Produce:         thr(func(p PathResult) Throughput { return p.Produce }),
		Consume:         thr(func(p PathResult) Throughput { return p.Consume }),
		ProduceLatency:  lat(func(p PathResult) Latency { return p.ProduceLatency }),
		MetadataLatency: lat(func(p PathResult) Latency { return p.MetadataLatency }),
		FetchLatency:    lat(func(p PathResult) Latency { return p.FetchLatency }),
	}
}

func median[T any](xs []T, f func(T) float64) float64 {
	vs := make([]float64, len(xs))
	for i, x := range xs {
		vs[i] = f(x)
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
