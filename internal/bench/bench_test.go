package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestRunSmall runs the whole benchmark with tiny numbers and checks that
// the result is sane. It never asserts a timing target: those are
// measurements.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an upstream and a gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := Options{Records: 2000, LatencyIters: 200, Rounds: 1, Partitions: 3}
	var progress bytes.Buffer
	res, err := Run(ctx, o, &progress)
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
	}

	if len(res.PerRun) != 2 {
		t.Fatalf("got %d measurements, want one per path", len(res.PerRun))
	}
	for _, want := range []string{Direct, Gateway} {
		found := false
		for _, r := range res.PerRun {
			if r.Path == want {
				found = true
			}
		}
		if !found {
			t.Errorf("no measurement of the %s path", want)
		}
	}
	for _, r := range res.PerRun {
		name := r.Path
		// The consumer read exactly the records the producer wrote (Run
		// itself fails on a lost, duplicated or foreign record).
		if r.Produce.Records != 2000 || r.Consume.Records != 2000 {
			t.Errorf("%s: produced %d, consumed %d, want 2000 each", name, r.Produce.Records, r.Consume.Records)
		}
		if r.Produce.Bytes != 2000*1024 || r.Consume.Bytes != 2000*1024 {
			t.Errorf("%s: produced %d bytes, consumed %d, want %d each", name, r.Produce.Bytes, r.Consume.Bytes, 2000*1024)
		}
		for _, th := range []Throughput{r.Produce, r.Consume} {
			if !(th.RecordsPerSec > 0) || !(th.MBPerSec > 0) || !(th.Seconds > 0) {
				t.Errorf("%s: throughput %+v not positive", name, th)
			}
		}
		for _, l := range []Latency{r.ProduceLatency, r.MetadataLatency, r.FetchLatency} {
			if l.Iterations != 200 || !(l.P50Ms > 0) || l.P99Ms < l.P50Ms || l.MaxMs < l.P99Ms {
				t.Errorf("%s: latency %+v not sane", name, l)
			}
		}
	}
	if !(res.ProduceRatio > 0) || !(res.ConsumeRatio > 0) {
		t.Errorf("ratios produce %v, consume %v: want > 0", res.ProduceRatio, res.ConsumeRatio)
	}
	if len(res.Checks) != 5 {
		t.Errorf("%d checks, want 5", len(res.Checks))
	}
	if !strings.Contains(res.Listener, "port-per-broker") {
		t.Errorf("gateway path %q: want the port-per-broker listener set", res.Listener)
	}

	var table bytes.Buffer
	if err := WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"produce records/s", "consume MB/s", "added p99", "target ≥ 0.90", "target ≤ 1 ms"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Errorf("result does not marshal: %v", err)
	}
	t.Logf("\n%s%s", progress.String(), table.String())
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{RecordSize: 4},
		{Listener: "sni"},
		{Records: -1},
		{Linger: -time.Second},
	} {
		if _, err := Run(context.Background(), o, &bytes.Buffer{}); err == nil {
			t.Errorf("Run(%+v) did not fail", o)
		}
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i))
	}
	if p := percentile(ds, 0.50); p != 50 {
		t.Errorf("p50 = %v, want 50", p)
	}
	if p := percentile(ds, 0.99); p != 99 {
		t.Errorf("p99 = %v, want 99", p)
	}
	if p := percentile(ds[:1], 0.99); p != 1 {
		t.Errorf("p99 of one = %v, want 1", p)
	}
}
