package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints a result for people: the medians of each path, the
// ratios and whether each target was met.
func WriteTable(w io.Writer, r Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nkafkalink bench: %d records × %d B, %d partitions, %d-broker in-process kfake upstream, linger %gms, no compression\n",
		r.Records, r.RecordSize, r.Partitions, r.Brokers, r.LingerMs)
	fmt.Fprintf(&b, "gateway path: %s\n", r.Listener)
	fmt.Fprintf(&b, "%d rounds per path, interleaved; medians of the rounds; %d synchronous requests per latency loop; %s, GOMAXPROCS=%d, %d CPUs (clients, gateway and upstream share them)\n\n",
		r.Rounds, r.LatencyIters, r.GoVersion, r.GOMAXPROCS, r.NumCPU)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Cells align right; names are padded to one width so they read left.
	const nameW = 30
	fmt.Fprintf(tw, "%-*s\tdirect\tgateway\tgateway/direct\t\n", nameW, "throughput")
	thr := func(name string, d, g Throughput) {
		fmt.Fprintf(tw, "%-*s\t%.0f\t%.0f\t%.3f\t\n", nameW, name+" records/s", d.RecordsPerSec, g.RecordsPerSec, ratio(g.RecordsPerSec, d.RecordsPerSec))
		fmt.Fprintf(tw, "%-*s\t%.1f\t%.1f\t%.3f\t\n", nameW, name+" MB/s", d.MBPerSec, g.MBPerSec, ratio(g.MBPerSec, d.MBPerSec))
	}
	thr("produce", r.Direct.Produce, r.Gateway.Produce)
	thr("consume", r.Direct.Consume, r.Gateway.Consume)
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tdirect p50\tdirect p99\tgateway p50\tgateway p99\tadded p50\tadded p99\t\n", nameW, "latency (ms)")
	lat := func(name string, d, g Latency) {
		fmt.Fprintf(tw, "%-*s\t%.3f\t%.3f\t%.3f\t%.3f\t%+.3f\t%+.3f\t\n", nameW, name, d.P50Ms, d.P99Ms, g.P50Ms, g.P99Ms, g.P50Ms-d.P50Ms, g.P99Ms-d.P99Ms)
	}
	lat("produce 1 record (acks=all)", r.Direct.ProduceLatency, r.Gateway.ProduceLatency)
	lat("metadata 1 topic (rewritten)", r.Direct.MetadataLatency, r.Gateway.MetadataLatency)
	lat("fetch 1 record", r.Direct.FetchLatency, r.Gateway.FetchLatency)
	if err := tw.Flush(); err != nil {
		return err
	}

	b.WriteString("\ntargets (a missed target is a measurement, not a failure)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range r.Checks {
		met := "met"
		if !c.Met {
			met = "NOT MET"
		}
		v := fmt.Sprintf("%.3f", c.Value)
		if strings.Contains(c.Name, "ms") {
			v = fmt.Sprintf("%+.3f", c.Value)
		}
		fmt.Fprintf(tw, "  %s\t%s\ttarget %s\t%s\n", c.Name, v, c.Target, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
