package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	benchpkg "github.com/kafkalink/kafkalink/internal/bench"
)

// bench measures the gateway against the direct path on an embedded
// upstream. A missed target is reported, not an error.
func bench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchpkg.Options
	fs.IntVar(&o.Records, "records", 200_000, "records produced and consumed per path and round")
	fs.IntVar(&o.RecordSize, "record-size", 1024, "bytes per record value")
	fs.IntVar(&o.Partitions, "partitions", 3, "partitions of the throughput topic")
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds per path (direct and gateway interleaved); medians are reported")
	fs.IntVar(&o.LatencyIters, "latency-iters", 5000, "synchronous requests per latency loop")
	fs.DurationVar(&o.Linger, "linger", 0, "producer linger of the throughput phase")
	fs.StringVar(&o.Listener, "listener", "port", "gateway listener set to go through: port (port-per-broker), ip (ip-per-broker) or iam (TLS, IAM authentication and authorization of every request)")
	asJSON := fs.Bool("json", false, "print the result as JSON (progress goes to stderr)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (clients, gateway and upstream) to FILE")
	level := fs.String("log-level", "error", "log level of the gateway: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return err
	}
	o.Logger = log
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signalContext()
	defer stop()

	progress := stdout
	if *asJSON {
		progress = stderr
	}
	res, err := benchpkg.Run(ctx, o, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if err := benchpkg.WriteTable(stdout, res); err != nil {
		return errors.Join(errors.New("bench: writing the table"), err)
	}
	return nil
}
